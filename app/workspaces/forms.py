"""HTML forms of the workspaces domain (CSRF comes with FlaskForm).

The forms only parse what was typed; the rules (future end date, participating
department, last lead, read-only workspace) live in the service, whose refusals
``run_form`` attaches to these fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from app.forms import Form, PickerSelect, PlainDateInput, plain_html_params
from app.html import escape_text
from app.workspaces.access import NAME_MAX, PURPOSE_MAX, REASON_MAX

ROLE_CHOICES = [
    SelectChoice("member", _l("Member")),
    SelectChoice("lead", _l("Lead")),
    SelectChoice("observer", _l("Observer (read only)")),
]


def optional_int(value) -> int | None:
    """Coerce a select's value to an id; the empty placeholder becomes ``None``."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class WorkspaceForm(Form):
    name = StringField(
        _l("Name"),
        validators=[InputRequired(_l("Give the workspace a name.")), Length(max=NAME_MAX)],
    )
    purpose = TextAreaField(
        _l("Purpose"),
        validators=[
            InputRequired(_l("Say what the departments will work on together.")),
            Length(max=PURPOSE_MAX),
        ],
    )
    ends_on = DateField(
        _l("End date"),
        validators=[InputRequired(_l("Give the date the workspace ends."))],
    )


class WorkspaceEditForm(WorkspaceForm):
    version = IntegerField(
        _l("Version"),
        widget=HiddenInput(),
        validators=[InputRequired(_l("Reload the page and make your change again."))],
    )


class OnePassPicker(PickerSelect):
    """A picker of choices, under headings or not (people by department, departments by
    region, roles), rendered exactly as WTForms renders it, in one pass over the choices.

    WTForms reads grouped choices twice (whether there are groups, then the groups) and
    builds, coerces and formats every option on the way: the workspace page's two pickers
    cost over a thousand calls each. The choices' values are the text of the values the
    field coerces them to (ids, and ``""`` for none), so the chosen option is the one whose
    value is the field's data as text.
    """

    def __call__(self, field, **kwargs):
        if self.multiple or any(choice.render_kw for choice in field.choices):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        chosen = "" if field.data is None else str(field.data)
        html = [f"<select {plain_html_params(name=field.name, **kwargs)}>"]
        group = None
        for choice in field.choices:
            if choice.optgroup != group:
                if group is not None:
                    html.append("</optgroup>")
                group = choice.optgroup
                if group is not None:
                    html.append(f'<optgroup label="{escape_text(group)}">')
            selected = "selected " if choice.value == chosen else ""
            label = escape_text(choice.label or choice.value)
            html.append(f'<option {selected}value="{escape_text(choice.value)}">{label}</option>')
        if group is not None:
            html.append("</optgroup>")
        html.append("</select>")
        return Markup("".join(html))  # noqa: S704 (as WTForms' own: every value escaped)


class InviteForm(Form):
    department_id = SelectField(
        _l("Department to invite"),
        coerce=optional_int,
        validate_choice=False,
        widget=OnePassPicker(),
    )


class AddMemberForm(Form):
    user_id = SelectField(
        _l("Person"), coerce=optional_int, validate_choice=False, widget=OnePassPicker()
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="member", widget=OnePassPicker())
    expires_on = DateField(
        _l("Membership ends on (optional)"), validators=[Optional()], widget=PlainDateInput()
    )
    # The service names the expiry expires_at; its refusals belong next to this field.
    service_fields = {"expires_at": "expires_on"}


class MemberForm(Form):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    expires_on = DateField(_l("Ends on"), validators=[Optional()])
    service_fields = {"expires_at": "expires_on"}


class DeclineForm(Form):
    reason = TextAreaField(
        _l("Reason for declining"),
        validators=[
            InputRequired(_l("Say why the department declines, for the workspace's leads.")),
            Length(max=REASON_MAX),
        ],
    )


def grouped_choices(items, group, placeholder: str, label=str) -> list[SelectChoice]:
    """Choices under headings (region, department), after an empty placeholder."""
    ordered = sorted(items, key=lambda item: (group(item), label(item)))
    return [SelectChoice("", placeholder)] + [
        SelectChoice(str(item.id), label(item), optgroup=group(item)) for item in ordered
    ]


class ConfirmForm(Form):
    """A button that changes state: only the CSRF token travels with it."""
