"""HTML forms of the cases domain (CSRF comes with FlaskForm).

The forms only parse what was typed; the rules (involved departments, assignees,
due dates, versions) live in the service, whose refusals ``run_form`` attaches here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput, Select
from wtforms.widgets.core import clean_key

from app.cases.access import COMMENT_MAX, DESCRIPTION_MAX, TITLE_MAX
from app.forms import FilterForm, Form


def _optional_int(value) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _attributes(**params) -> str:
    """What WTForms' ``html_params`` writes (names in order, values escaped), without
    markupsafe's string formatter."""
    written = []
    for name, value in sorted(params.items()):
        if value is True:
            written.append(clean_key(name))
        elif value is not False:
            written.append(f'{clean_key(name)}="{escape(value)}"')
    return " ".join(written)


class PlainSelect(Select):
    """WTForms' select with its options written by a plain format: the same HTML.

    WTForms writes each option's attributes through markupsafe's string formatter, about
    150 Python calls an option, and a case list's filters have dozens of options. Here an
    option's value and label are escaped as there, its attributes in the same order.
    """

    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        html = [f"<select {_attributes(name=field.name, **kwargs)}>"]
        html.extend(self._options(field))
        html.append("</select>")
        return Markup("".join(html))  # noqa: S704 (as WTForms' own: every value escaped)

    def _options(self, field) -> list[str]:
        """The options, selected as ``iter_choices`` selects them (the coerced value equal
        to the field's data); read straight from ``SelectChoice`` choices, without the
        copies ``iter_choices`` makes of each."""
        choices = field.choices
        if type(choices) is not list or not all(type(c) is SelectChoice for c in choices):
            return [self._option(choice) for choice in field.iter_choices()]
        data, coerce = field.data, field.coerce
        return [
            self._option(Choice(c.value, c.label, coerce(c.value) == data, c.render_kw))
            if c.render_kw or type(c.value) not in _PLAIN_TYPES or type(c.label) not in _PLAIN_TYPES
            else _PLAIN_OPTION.format(
                "selected " if coerce(c.value) == data else "",
                str(c.value).translate(_HTML_ESCAPES),
                str(c.label or c.value).translate(_HTML_ESCAPES),
            )
            for c in choices
        ]

    def _option(self, choice) -> str:
        if choice.render_kw or isinstance(choice.value, bool):
            return self.render_option(choice)
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return f'<option {selected}value="{escape(choice.value)}">{label}</option>'


# Values and labels that markupsafe escapes as text (str, int; not Markup, lazy strings or
# booleans), and with what: the same table as app.cases.markup's (a test holds it equal).
_PLAIN_TYPES = (str, int)
_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})
_PLAIN_OPTION = '<option {}value="{}">{}</option>'


STATUS_CHOICES = [
    SelectChoice("open", _l("Open")),
    SelectChoice("in_progress", _l("In progress")),
    SelectChoice("blocked", _l("Blocked")),
    SelectChoice("resolved", _l("Resolved")),
    SelectChoice("closed", _l("Closed")),
]
PRIORITY_CHOICES = [
    SelectChoice("low", _l("Low")),
    SelectChoice("normal", _l("Normal")),
    SelectChoice("high", _l("High")),
    SelectChoice("urgent", _l("Urgent")),
]
LINK_CHOICES = [
    SelectChoice("request", _l("Data request")),
    SelectChoice("grant", _l("Grant")),
]


class CaseForm(Form):
    title = StringField(
        _l("Title"),
        validators=[InputRequired(_l("Give the case a title.")), Length(max=TITLE_MAX)],
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=DESCRIPTION_MAX)])
    priority = SelectField(_l("Priority"), choices=PRIORITY_CHOICES, default="normal")
    region_id = SelectField(_l("Region"), coerce=_optional_int, validate_choice=False)
    due_on = DateField(_l("Due date (optional)"), validators=[Optional()])
    department_ids = SelectMultipleField(
        _l("Involved departments"), coerce=int, validate_choice=False
    )
    assignee_ids = SelectMultipleField(_l("Assignees"), coerce=int, validate_choice=False)


class CaseEditForm(CaseForm):
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)
    version = IntegerField(
        _l("Version"),
        widget=HiddenInput(),
        validators=[InputRequired(_l("Reload the page and make your change again."))],
    )


class MoveForm(Form):
    """A card's move on the board: the new status and the version the board showed."""

    status = SelectField(_l("Move to"), choices=STATUS_CHOICES, widget=PlainSelect())
    version = IntegerField(_l("Version"), widget=HiddenInput(), validators=[InputRequired()])


class CommentForm(Form):
    body = TextAreaField(
        _l("Comment"),
        validators=[InputRequired(_l("Write a comment.")), Length(max=COMMENT_MAX)],
    )


class AttachmentForm(Form):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to attach."))])


class LinkForm(Form):
    kind = SelectField(_l("Link to"), choices=LINK_CHOICES, widget=PlainSelect())
    target_id = IntegerField(
        _l("Number"),
        validators=[InputRequired(_l("Give the number.")), NumberRange(min=1)],
    )


class CaseFilterForm(FilterForm):
    """A case list's filters, from the query string."""

    q = StringField(_l("Search title or key"), validators=[Optional(), Length(max=200)])
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Any status")), *STATUS_CHOICES],
        widget=PlainSelect(),
        default="",
    )
    priority = SelectField(
        _l("Priority"),
        choices=[SelectChoice("", _l("Any priority")), *PRIORITY_CHOICES],
        widget=PlainSelect(),
        default="",
    )
    assignee_id = SelectField(
        _l("Assignee"), coerce=_optional_int, validate_choice=False, widget=PlainSelect()
    )
    department_id = SelectField(
        _l("Department"), coerce=_optional_int, validate_choice=False, widget=PlainSelect()
    )
    region_id = SelectField(
        _l("Region"), coerce=_optional_int, validate_choice=False, widget=PlainSelect()
    )
    overdue = SelectField(
        _l("Due"),
        choices=[SelectChoice("", _l("Any")), SelectChoice("1", _l("Overdue only"))],
        widget=PlainSelect(),
        default="",
    )
