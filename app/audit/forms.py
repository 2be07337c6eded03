"""HTML forms of the audit pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from app.audit.service import AuditFilters
from app.forms import (
    FilterForm,
    PickerSelect,
    PlainDateInput,
    PlainTextInput,
    id_choices,
    optional_int,
)


class AuditFilterForm(FilterForm):
    actor = StringField(
        _l("Actor"), validators=[Optional(), Length(max=64)], widget=PlainTextInput()
    )
    action = StringField(
        _l("Action starts with"), validators=[Optional(), Length(max=64)], widget=PlainTextInput()
    )
    object_type = StringField(
        _l("Object type"), validators=[Optional(), Length(max=32)], widget=PlainTextInput()
    )
    object_id = StringField(
        _l("Object id"), validators=[Optional(), Length(max=64)], widget=PlainTextInput()
    )
    department = SelectField(
        _l("Department"), coerce=optional_int, validate_choice=False, widget=PickerSelect()
    )
    date_from = DateField(_l("From (UTC)"), validators=[Optional()], widget=PlainDateInput())
    date_to = DateField(_l("To (UTC)"), validators=[Optional()], widget=PlainDateInput())

    def set_departments(self, departments) -> None:
        self.department.choices = id_choices(departments, _l("Any department"))

    def validate_date_to(self, field) -> None:
        start = self.value("date_from")
        if field.data and start and field.data < start:
            raise ValidationError(_l("The end date must not be before the start date."))

    def filters(self) -> AuditFilters:
        """The filters the user asked for, leaving out any value that was not understood."""

        def text(name: str) -> str | None:
            value = self.value(name)
            return (value or "").strip() or None

        return AuditFilters(
            actor=text("actor"),
            action=text("action"),
            object_type=text("object_type"),
            object_id=text("object_id"),
            department_id=self.value("department"),
            date_from=self.value("date_from"),
            date_to=self.value("date_to"),
        )
