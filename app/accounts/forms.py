"""HTML forms of the accounts domain (CSRF comes with FlaskForm).

Forms check what a browser can get wrong (missing values, a malformed number or date);
the rules themselves (unique names, password strength, who may be a deputy) live in
``app.accounts.service`` and reach the form through ``run_form``.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.models import Role
from app.common import utcnow
from app.forms import FilterForm, id_choices, optional_int

ROLE_CHOICES = [SelectChoice(role.value) for role in Role]
EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class ActionForm(FlaskForm):
    """A button that changes state: no fields, only the CSRF token."""


# The signed-in user's own account ---------------------------------------------------------


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=256)])
    confirm_password = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two passwords differ.")],
    )


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        validators=[DataRequired(message="Give the token a name."), Length(max=100)],
    )
    expires_in_days = IntegerField(
        "Expires after (days)",
        default=90,
        validators=[
            InputRequired(message="Enter a number of days between 1 and 365."),
            NumberRange(min=1, max=365, message="Choose between 1 and 365 days."),
        ],
    )


class DelegationForm(FlaskForm):
    deputy_id = SelectField(
        "Deputy",
        coerce=optional_int,
        validators=[DataRequired(message="Choose a colleague to be your deputy.")],
    )
    starts_on = DateField(
        "First day",
        default=lambda: utcnow().date(),
        validators=[DataRequired(message="Enter a date.")],
    )
    ends_on = DateField("Last day", validators=[DataRequired(message="Enter a date.")])

    def set_candidates(self, users) -> None:
        self.deputy_id.choices = [SelectChoice("", "Choose a colleague")] + [
            SelectChoice(user.id, f"{user.display_name} ({user.username})") for user in users
        ]


# Administration ---------------------------------------------------------------------------


class RoleCheckboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserEditForm(FlaskForm):
    display_name = StringField(
        "Display name", validators=[DataRequired(message="Enter a name."), Length(max=120)]
    )
    email = EmailField(
        "Email",
        validators=[
            DataRequired(message="Enter an email address."),
            Length(max=254),
            Regexp(EMAIL_SHAPE, message="Enter an email address like name@department.gov.hk."),
        ],
    )
    department_id = SelectField(
        "Department",
        coerce=optional_int,
        validators=[DataRequired(message="Choose a department.")],
    )
    roles = RoleCheckboxes(
        "Roles",
        choices=ROLE_CHOICES,
        validators=[DataRequired(message="Choose at least one role.")],
    )

    def set_departments(self, departments) -> None:
        self.department_id.choices = id_choices(departments, "Choose a department")


class UserCreateForm(UserEditForm):
    username = StringField(
        "Username",
        validators=[
            DataRequired(message="Enter a username."),
            Length(max=64),
            Regexp(
                r"^[A-Za-z0-9._-]+$",
                message="Use letters, digits, dots, hyphens and underscores only.",
            ),
        ],
    )
    roles = RoleCheckboxes(
        "Roles",
        choices=ROLE_CHOICES,
        default=[Role.OFFICER.value],
        validators=[DataRequired(message="Choose at least one role.")],
    )
    password = PasswordField(
        "Initial password",
        validators=[DataRequired(message="Enter an initial password."), Length(max=256)],
    )


class UserFilterForm(FilterForm):
    q = StringField("Search", validators=[Optional(), Length(max=100)])
    department = SelectField("Department", coerce=optional_int, validate_choice=False)
    role = SelectField("Role", choices=[SelectChoice("", "Any role"), *ROLE_CHOICES], default="")
    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Any status"),
            SelectChoice("active", "Active"),
            SelectChoice("inactive", "Inactive"),
        ],
        default="",
    )

    def set_departments(self, departments) -> None:
        self.department.choices = id_choices(departments, "Any department")

    def active(self) -> bool | None:
        return {"active": True, "inactive": False}.get(self.value("status"))


class RegionForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[
            DataRequired(message="Enter a short code, e.g. HK."),
            Length(max=16),
            Regexp(r"^[A-Za-z0-9_-]+$", message="Use letters, digits, hyphens, underscores."),
        ],
    )
    name = StringField("Name", validators=[DataRequired(message="Enter a name."), Length(max=120)])
    jurisdiction = StringField(
        "Jurisdiction",
        validators=[DataRequired(message="Enter a jurisdiction, e.g. HK."), Length(max=32)],
    )


class RegionFilterForm(FilterForm):
    q = StringField("Search", validators=[Optional(), Length(max=100)])


class DepartmentForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[
            DataRequired(message="Enter a short code, e.g. DSD."),
            Length(max=32),
            Regexp(r"^[A-Za-z0-9_-]+$", message="Use letters, digits, hyphens, underscores."),
        ],
    )
    name = StringField("Name", validators=[DataRequired(message="Enter a name."), Length(max=200)])
    region_id = SelectField(
        "Region", coerce=optional_int, validators=[DataRequired(message="Choose a region.")]
    )
    parent_id = SelectField("Parent department", coerce=optional_int, validate_choice=False)

    def set_choices(self, regions, departments, exclude_id: int | None = None) -> None:
        self.region_id.choices = id_choices(regions, "Choose a region")
        self.parent_id.choices = id_choices(
            [d for d in departments if d.id != exclude_id], "None (a top-level department)"
        )


class DepartmentFilterForm(FilterForm):
    q = StringField("Search", validators=[Optional(), Length(max=100)])
    region = SelectField("Region", coerce=optional_int, validate_choice=False)

    def set_regions(self, regions) -> None:
        self.region.choices = id_choices(regions, "Any region")
