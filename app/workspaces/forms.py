"""HTML forms of the workspaces domain (CSRF comes with FlaskForm).

The forms only parse what was typed; the rules (future end date, participating
department, last lead, read-only workspace) live in the service, whose refusals
``run_form`` attaches to these fields.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from app.workspaces.access import NAME_MAX, PURPOSE_MAX, REASON_MAX

ROLE_CHOICES = [
    SelectChoice("member", "Member"),
    SelectChoice("lead", "Lead"),
    SelectChoice("observer", "Observer (read only)"),
]


def optional_int(value) -> int | None:
    """Coerce a select's value to an id; the empty placeholder becomes ``None``."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class WorkspaceForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[InputRequired("Give the workspace a name."), Length(max=NAME_MAX)],
    )
    purpose = TextAreaField(
        "Purpose",
        validators=[
            InputRequired("Say what the departments will work on together."),
            Length(max=PURPOSE_MAX),
        ],
    )
    ends_on = DateField(
        "End date",
        validators=[InputRequired("Give the date the workspace ends.")],
    )


class WorkspaceEditForm(WorkspaceForm):
    version = IntegerField(
        "Version",
        widget=HiddenInput(),
        validators=[InputRequired("Reload the page and make your change again.")],
    )


class InviteForm(FlaskForm):
    department_id = SelectField("Department to invite", coerce=optional_int, validate_choice=False)


class AddMemberForm(FlaskForm):
    user_id = SelectField("Person", coerce=optional_int, validate_choice=False)
    role = SelectField("Role", choices=ROLE_CHOICES, default="member")
    expires_on = DateField("Membership ends on (optional)", validators=[Optional()])


class MemberForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    expires_on = DateField("Ends on", validators=[Optional()])


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        "Reason for declining",
        validators=[
            InputRequired("Say why the department declines, for the workspace's leads."),
            Length(max=REASON_MAX),
        ],
    )


def grouped_choices(items, group, placeholder: str, label=str) -> list[SelectChoice]:
    """Choices under headings (region, department), after an empty placeholder."""
    ordered = sorted(items, key=lambda item: (group(item), label(item)))
    return [SelectChoice("", placeholder)] + [
        SelectChoice(str(item.id), label(item), optgroup=group(item)) for item in ordered
    ]


class ConfirmForm(FlaskForm):
    """A button that changes state: only the CSRF token travels with it."""
