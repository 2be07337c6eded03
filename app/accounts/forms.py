"""HTML forms of the accounts domain (CSRF comes with Flask-WTF, see ``app.forms``).

Forms check what a browser can get wrong (missing values, a malformed number or date);
the rules themselves (unique names, password strength, who may be a deputy) live in
``app.accounts.service`` and reach the form through ``run_form``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from pytz import common_timezones
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
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
from app.forms import (
    FilterForm,
    Form,
    PickerSelect,
    PlainTextInput,
    TranslatedChoices,
    department_label,
    id_choices,
    optional_int,
    person_label,
)
from app.i18n import LANGUAGES

ROLE_LABELS = {
    Role.OFFICER: _l("officer"),
    Role.HEAD: _l("department head"),
    Role.DPO: _l("data protection officer"),
    Role.AUDITOR: _l("auditor"),
    Role.ADMIN: _l("administrator"),
}
ROLE_CHOICES = [SelectChoice(role.value, ROLE_LABELS[role]) for role in Role]
# Each language is named in itself, whatever the page's language.
LANGUAGE_CHOICES = [SelectChoice(code, name) for code, name in LANGUAGES.items()]
EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class LoginForm(Form):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autofocus": True, "autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )


class ActionForm(Form):
    """A button that changes state: no fields, only the CSRF token."""


# The signed-in user's own account ---------------------------------------------------------


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )
    keep_tokens = BooleanField(_l("Keep my API tokens working"))


class TokenForm(Form):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(message=_l("Give the token a name.")), Length(max=100)],
    )
    expires_in_days = IntegerField(
        _l("Expires after (days)"),
        default=90,
        validators=[
            InputRequired(message=_l("Enter a number of days between 1 and 365.")),
            NumberRange(min=1, max=365, message=_l("Choose between 1 and 365 days.")),
        ],
    )


class DelegationForm(Form):
    deputy_id = SelectField(
        _l("Deputy"),
        coerce=optional_int,
        validators=[DataRequired(message=_l("Choose a colleague to be your deputy."))],
    )
    starts_on = DateField(
        _l("First day"),
        default=lambda: utcnow().date(),
        validators=[DataRequired(message=_l("Enter a date."))],
    )
    ends_on = DateField(_l("Last day"), validators=[DataRequired(message=_l("Enter a date."))])

    def set_candidates(self, users) -> None:
        self.deputy_id.choices = [SelectChoice("", _l("Choose a colleague"))] + [
            SelectChoice(user.id, f"{person_label(user)} ({user.username})") for user in users
        ]


class LanguageForm(Form):
    """The header's language switcher; ``next`` is the page to return to."""

    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    next = HiddenField()


class PreferencesForm(Form):
    locale = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("The one my browser asks for")),
            *LANGUAGE_CHOICES,
        ],
    )
    timezone = SelectField(
        _l("Time zone"),
        choices=[SelectChoice("", _l("The default time zone"))]
        + [SelectChoice(name, name.replace("_", " ")) for name in common_timezones],
    )


# Administration ---------------------------------------------------------------------------


class RoleCheckboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserEditForm(Form):
    display_name = StringField(
        _l("Display name"), validators=[DataRequired(message=_l("Enter a name.")), Length(max=120)]
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter an email address.")),
            Length(max=254),
            Regexp(EMAIL_SHAPE, message=_l("Enter an email address like name@department.gov.hk.")),
        ],
    )
    department_id = SelectField(
        _l("Department"),
        coerce=optional_int,
        validators=[DataRequired(message=_l("Choose a department."))],
    )
    roles = RoleCheckboxes(
        _l("Roles"),
        choices=ROLE_CHOICES,
        validators=[DataRequired(message=_l("Choose at least one role."))],
    )

    def set_departments(self, departments) -> None:
        self.department_id.choices = id_choices(
            departments, _l("Choose a department"), label=department_label
        )


class UserCreateForm(UserEditForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(message=_l("Enter a username.")),
            Length(max=64),
            Regexp(
                r"^[A-Za-z0-9._-]+$",
                message=_l("Use letters, digits, dots, hyphens and underscores only."),
            ),
        ],
    )
    roles = RoleCheckboxes(
        _l("Roles"),
        choices=ROLE_CHOICES,
        default=[Role.OFFICER.value],
        validators=[DataRequired(message=_l("Choose at least one role."))],
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(message=_l("Enter an initial password.")), Length(max=256)],
    )


_ROLE_FILTER = TranslatedChoices([SelectChoice("", _l("Any role")), *ROLE_CHOICES])
_STATUS_FILTER = TranslatedChoices(
    [
        SelectChoice("", _l("Any status")),
        SelectChoice("active", _l("Active")),
        SelectChoice("inactive", _l("Inactive")),
    ]
)


class UserFilterForm(FilterForm):
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)], widget=PlainTextInput())
    department = SelectField(
        _l("Department"), coerce=optional_int, validate_choice=False, widget=PickerSelect()
    )
    role = SelectField(_l("Role"), default="", widget=PickerSelect())
    status = SelectField(_l("Status"), default="", widget=PickerSelect())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = _ROLE_FILTER()
        self.status.choices = _STATUS_FILTER()

    def set_departments(self, departments) -> None:
        self.department.choices = id_choices(departments, _l("Any department"))

    def active(self) -> bool | None:
        return {"active": True, "inactive": False}.get(self.value("status"))


class RegionForm(Form):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(message=_l("Enter a short code, e.g. HK.")),
            Length(max=16),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use letters, digits, hyphens, underscores.")),
        ],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Enter a name.")), Length(max=120)]
    )
    jurisdiction = StringField(
        _l("Jurisdiction"),
        validators=[DataRequired(message=_l("Enter a jurisdiction, e.g. HK.")), Length(max=32)],
    )


class RegionFilterForm(FilterForm):
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])


class DepartmentForm(Form):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(message=_l("Enter a short code, e.g. DSD.")),
            Length(max=32),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use letters, digits, hyphens, underscores.")),
        ],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Enter a name.")), Length(max=200)]
    )
    region_id = SelectField(
        _l("Region"), coerce=optional_int, validators=[DataRequired(message=_l("Choose a region."))]
    )
    parent_id = SelectField(_l("Parent department"), coerce=optional_int, validate_choice=False)

    def set_choices(self, regions, departments, exclude_id: int | None = None) -> None:
        self.region_id.choices = id_choices(regions, _l("Choose a region"))
        self.parent_id.choices = id_choices(
            [d for d in departments if d.id != exclude_id],
            _l("None (a top-level department)"),
            label=department_label,
        )


class DepartmentFilterForm(FilterForm):
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    region = SelectField(_l("Region"), coerce=optional_int, validate_choice=False)

    def set_regions(self, regions) -> None:
        self.region.choices = id_choices(regions, _l("Any region"))
