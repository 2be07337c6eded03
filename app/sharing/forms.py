"""HTML forms of the sharing domain (CSRF comes with FlaskForm).

The scope (columns, personal columns in clear, allowed values per column) is a table of
inputs named after the dataset's columns, read by :func:`scope_from_form`; the rules
(known columns, narrower approvals, residency) live in the service, whose refusals
``run_form`` attaches to these fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.forms import Form, optional_int
from app.sharing.access import MAX_DURATION_DAYS, NOTE_MAX, TEXT_MAX, TITLE_MAX

FILTER_PREFIX = "filter-"


def scope_from_form(formdata: MultiDict, dataset) -> dict:
    """Columns, personal columns in clear and the row filter as the service takes them.

    Allowed values are typed comma-separated per column; an empty box means every row.
    """
    if dataset is None:
        return {"columns": [], "reveal_columns": [], "row_filter": {}}
    row_filter = {}
    for column in dataset.columns:
        typed = formdata.get(f"{FILTER_PREFIX}{column.name}", "")
        values = [value.strip() for value in typed.split(",") if value.strip()]
        if values:
            row_filter[column.name] = values
    return {
        "columns": formdata.getlist("columns"),
        "reveal_columns": formdata.getlist("reveal_columns"),
        "row_filter": row_filter,
    }


class RequestForm(Form):
    """Filing or editing a request; the scope table is read by :func:`scope_from_form`."""

    workspace_id = HiddenField()
    dataset_id = HiddenField()
    owner_department_id = SelectField(
        _l("Department asked for the data"), coerce=optional_int, validate_choice=False
    )
    title = StringField(
        _l("Which data, in a few words"),
        validators=[
            InputRequired(_l("Say in a few words which data you need.")),
            Length(max=TITLE_MAX),
        ],
    )
    purpose = TextAreaField(
        _l("Purpose: what the data will be used for"),
        validators=[InputRequired(_l("Say what the data will be used for.")), Length(max=TEXT_MAX)],
    )
    legal_basis = TextAreaField(
        _l("Legal basis"),
        validators=[
            InputRequired(_l("Name the law or agreement that allows this use.")),
            Length(max=TEXT_MAX),
        ],
    )
    duration_days = IntegerField(
        _l("Duration of access, in days"),
        default=90,
        validators=[
            InputRequired(_l("Give the duration as a number of days.")),
            NumberRange(min=1, max=MAX_DURATION_DAYS),
        ],
    )


class ApproveForm(Form):
    """An approval, with the scope table pre-filled: untick or tighten to narrow it."""

    duration_days = IntegerField(
        _l("Duration of access, in days"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_DURATION_DAYS)],
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)])


class NoteForm(Form):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)])


class RejectForm(Form):
    reason = TextAreaField(
        _l("Reason for rejecting"),
        validators=[InputRequired(_l("Say why the request is rejected.")), Length(max=NOTE_MAX)],
    )


class ChangesForm(Form):
    note = TextAreaField(
        _l("What should change"),
        validators=[InputRequired(_l("Say what should change.")), Length(max=NOTE_MAX)],
    )


class WithdrawForm(Form):
    reason = TextAreaField(
        _l("Why you withdraw it (optional)"), validators=[Optional(), Length(max=NOTE_MAX)]
    )


class CommentForm(Form):
    text = TextAreaField(
        _l("Comment"),
        validators=[InputRequired(_l("Write a comment first.")), Length(max=NOTE_MAX)],
    )


class LinkDatasetForm(Form):
    dataset_id = SelectField(_l("Dataset"), coerce=optional_int, validate_choice=False)
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)])


class ConfirmForm(Form):
    """A button that changes state: only the CSRF token travels with it."""
