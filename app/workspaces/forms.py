"""HTML forms of the workspaces domain (CSRF comes with FlaskForm).

The forms only parse what was typed; the rules (future end date, participating
department, last lead, read-only workspace) live in the service, whose refusals
``run_form`` attaches to these fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from app.forms import Form, PickerSelect, PlainDateInput
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


class InviteForm(Form):
    department_id = SelectField(
        _l("Department to invite"),
        coerce=optional_int,
        validate_choice=False,
        widget=PickerSelect(),
    )


class AddMemberForm(Form):
    user_id = SelectField(
        _l("Person"), coerce=optional_int, validate_choice=False, widget=PickerSelect()
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="member", widget=PickerSelect())
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
