"""HTML forms of the audit pages."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from app.audit.service import AuditFilters
from app.forms import FilterForm, id_choices, optional_int


class AuditFilterForm(FilterForm):
    actor = StringField("Actor", validators=[Optional(), Length(max=64)])
    action = StringField("Action starts with", validators=[Optional(), Length(max=64)])
    object_type = StringField("Object type", validators=[Optional(), Length(max=32)])
    object_id = StringField("Object id", validators=[Optional(), Length(max=64)])
    department = SelectField("Department", coerce=optional_int, validate_choice=False)
    date_from = DateField("From (UTC)", validators=[Optional()])
    date_to = DateField("To (UTC)", validators=[Optional()])

    def set_departments(self, departments) -> None:
        self.department.choices = id_choices(departments, "Any department")

    def validate_date_to(self, field) -> None:
        start = self.value("date_from")
        if field.data and start and field.data < start:
            raise ValidationError("The end date must not be before the start date.")

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
