"""HTML forms of the cases domain (CSRF comes with FlaskForm).

The forms only parse what was typed; the rules (involved departments, assignees,
due dates, versions) live in the service, whose refusals ``run_form`` attaches here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from app.cases.access import COMMENT_MAX, DESCRIPTION_MAX, TITLE_MAX
from app.forms import FilterForm, Form


def _optional_int(value) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


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

    status = SelectField(_l("Move to"), choices=STATUS_CHOICES)
    version = IntegerField(_l("Version"), widget=HiddenInput(), validators=[InputRequired()])


class CommentForm(Form):
    body = TextAreaField(
        _l("Comment"),
        validators=[InputRequired(_l("Write a comment.")), Length(max=COMMENT_MAX)],
    )


class AttachmentForm(Form):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to attach."))])


class LinkForm(Form):
    kind = SelectField(_l("Link to"), choices=LINK_CHOICES)
    target_id = IntegerField(
        _l("Number"),
        validators=[InputRequired(_l("Give the number.")), NumberRange(min=1)],
    )


class CaseFilterForm(FilterForm):
    """A case list's filters, from the query string."""

    q = StringField(_l("Search title or key"), validators=[Optional(), Length(max=200)])
    status = SelectField(
        _l("Status"), choices=[SelectChoice("", _l("Any status")), *STATUS_CHOICES]
    )
    priority = SelectField(
        _l("Priority"), choices=[SelectChoice("", _l("Any priority")), *PRIORITY_CHOICES]
    )
    assignee_id = SelectField(_l("Assignee"), coerce=_optional_int, validate_choice=False)
    department_id = SelectField(_l("Department"), coerce=_optional_int, validate_choice=False)
    region_id = SelectField(_l("Region"), coerce=_optional_int, validate_choice=False)
    overdue = SelectField(
        _l("Due"),
        choices=[SelectChoice("", _l("Any")), SelectChoice("1", _l("Overdue only"))],
    )
