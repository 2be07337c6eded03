"""The base of every HTML form, and the helpers every domain's pages share.

The base is Flask-WTF's form with WTForms' own messages in the reader's language.

Flask-WTF looks WTForms' built-in messages ("This field is required.", "Not a valid date
value.") up under the request's locale name, and WTForms' catalogs are named ``zh`` and
``zh_TW``: a reader of ``zh_Hant`` would get the Simplified ``zh`` text. Forms built on
:class:`Form` map Bridgework's locales to the right WTForms catalog instead.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from babel.support import NullTranslations, Translations
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.widgets import DateInput, Select, TextInput
from wtforms.widgets.core import clean_key

from app.html import escape_text, html_text
from app.i18n import current_locale

# Bridgework's locale -> the WTForms catalog written for the same readers.
WTFORMS_CATALOGS = {"zh_Hant": "zh_TW", "zh_Hans": "zh"}


@cache
def _wtforms_catalog(catalog: str | None) -> NullTranslations:
    if catalog is None:
        return NullTranslations()
    return Translations.load(messages_path(), [catalog], domain="wtforms")


def wtforms_translations() -> NullTranslations:
    """WTForms' built-in messages for the request's language (English has no catalog)."""
    return _wtforms_catalog(WTFORMS_CATALOGS.get(current_locale()))


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return wtforms_translations()


class PickerSelect(Select):
    """A select of many choices (people, departments), rendered exactly as WTForms does.

    WTForms builds the select's and each option's attributes through ``html_params``; here
    the select's attributes go through :func:`plain_html_params` and a plain option (a
    value, a label, maybe selected) is written directly, with both escaped, which makes
    the member picker and the filter bars several times cheaper to render.
    """

    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = vars(field.flags)
        for name in self.validation_attrs:
            if name in flags and name not in kwargs:
                kwargs[name] = flags[name]
        render_option = self.render_option
        options = "".join([render_option(choice) for choice in field.iter_choices()])
        select_params = plain_html_params(name=field.name, **kwargs)
        return Markup(f"<select {select_params}>{options}</select>")  # noqa: S704 (escaped)

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        option = _SELECTED_OPTION if choice.selected else _OPTION
        return option % (escape_text(choice.value), html_text(choice.label or choice.value))


_OPTION = '<option value="%s">%s</option>'
_SELECTED_OPTION = '<option selected value="%s">%s</option>'


def plain_html_params(**attributes) -> Markup:
    """WTForms' ``html_params``, the same text for the same attributes, built with less Python.

    Sorted by name; ``True`` is a bare attribute and ``False`` none; values are escaped,
    and a double quote in a value that is already markup becomes ``&quot;``. WTForms
    formats each attribute through ``Markup.format``, which cost an input a few hundred
    calls; pages with a row of filters paid that for every field.
    """
    params = []
    for key, value in sorted(attributes.items()):
        key = escape_text(clean_key(key))
        if value is True:
            params.append(key)
        elif value is not False:
            params.append(f'{key}="{html_text(value).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))  # noqa: S704 (every key and value escaped)


class PlainTextInput(TextInput):
    """A text input written with :func:`plain_html_params`."""

    html_params = staticmethod(plain_html_params)


class PlainDateInput(DateInput):
    """A date input written with :func:`plain_html_params`."""

    html_params = staticmethod(plain_html_params)


def optional_int(value) -> int | None:
    """Coerce a select's value to an id; the empty "any"/"none" option becomes ``None``."""
    if value is None or value == "":
        return None
    return int(value)


class FilterForm(Form):
    """A list's filters, read from the query string (a GET form needs no CSRF token)."""

    class Meta:
        csrf = False

    def value(self, name: str):
        """The field's value, or ``None`` when it is empty or was not understood."""
        field = self[name]
        return None if field.errors or field.data in ("", None) else field.data

    def fields_html(self) -> Markup:
        """The filter bar's fields, as the ``field`` macro writes them (:func:`filter_fields`).

        A filter's labels are its class's, so they are translated once per language (a
        lazy label costs some forty calls each time it is written).
        """
        key = (type(self), current_locale())
        labels = _FILTER_LABELS.get(key)
        if labels is None:
            labels = _FILTER_LABELS[key] = {
                field.name: html_text(field.label.text) for field in self
            }
        return Markup(  # noqa: S704 (see form_field)
            "".join([form_field(field, label=labels[field.name]) for field in self])
        )


_FILTER_LABELS: dict[tuple[type, str], dict[str, str]] = {}


def department_label(department) -> str:
    """A department as pickers show it: with its region, since names repeat across regions."""
    return f"{department.name} — {department.region}"


def person_label(user) -> str:
    """A person as pickers show them: with their department, since names repeat."""
    return f"{user.display_name} — {user.department.name}"


class TranslatedChoices:
    """A select's fixed choices with their labels translated once per language.

    A lazily translated label is looked up in the catalog every time an option is written
    (some thirty calls a label); a filter bar writes every option on every page. The
    labels stay markup, as a lazy label is to WTForms, so options are written the same.
    """

    def __init__(self, choices: list[SelectChoice]) -> None:
        self._choices = choices
        self._by_locale: dict[str, list[SelectChoice]] = {}

    def __call__(self) -> list[SelectChoice]:
        """The choices in the request's language."""
        locale = current_locale()
        translated = self._by_locale.get(locale)
        if translated is None:
            translated = self._by_locale[locale] = [
                replace(choice, label=Markup(html_text(choice.label)))  # noqa: S704 (as WTForms)
                for choice in self._choices
            ]
        return translated


def id_choices(objects, empty: str, label=str) -> list[SelectChoice]:
    """Options for choosing one of ``objects`` by id, after an empty first option."""
    return [SelectChoice("", empty)] + [SelectChoice(obj.id, label(obj)) for obj in objects]


# Form fields written in Python -----------------------------------------------------------

_FIELD = (
    '\n<div class="field{has_error}">\n  \n  {label}\n  \n  {control}\n  \n  {hint}\n  {errors}'
    "\n</div>\n"
)


def form_field(field, hint: str | None = None, label: str | None = None) -> Markup:
    """A form field as the ``field`` macro of ``_macros.html`` writes it (a test holds the
    two equal), for fields other than check boxes.

    That macro costs several hundred calls a field (its label alone goes through
    markupsafe's formatter); a list page has seven. The label, hint and errors are
    escaped here as Jinja escapes them (text that is already Markup stays as it is), and
    the control is WTForms' own (selects: ``PickerSelect`` or the case forms' ``PlainSelect``).
    ``label``, when given, is the label's text as HTML (already translated and escaped).
    """
    field_id = escape_text(field.id)
    label_text = html_text(field.label.text) if label is None else label
    label_html = f'<label for="{field_id}">{label_text}</label>'
    described_by = (f"{field.id}-hint " if hint else "") + (
        f"{field.id}-error" if field.errors else ""
    )
    if field.errors:
        control = field(**{"aria-invalid": "true", "aria-describedby": described_by})
        errors = (
            f'\n  <p class="error" id="{field_id}-error">{Markup(" ").join(field.errors)}</p>\n  '
        )
    else:
        control = field(**{"aria-describedby": described_by}) if hint else field()
        errors = ""
    return Markup(  # noqa: S704 (label, hint and errors escaped; the control is Markup)
        _FIELD.format(
            has_error=" has-error" if field.errors else "",
            label=label_html,
            control=control,
            hint=f'<p class="hint" id="{field_id}-hint">{html_text(hint)}</p>' if hint else "",
            errors=errors,
        )
    )


def filter_fields(form) -> Markup:
    """A list's filter fields, each as :func:`form_field` writes it."""
    return Markup("".join([form_field(field) for field in form]))  # noqa: S704 (see form_field)
