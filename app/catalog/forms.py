"""HTML forms of the catalog (CSRF comes with FlaskForm).

The forms only parse what was typed; the rules (a steward of the owning department,
known jurisdictions, well-formed columns, a file that fits them) live in the service,
whose refusals ``run_form`` attaches to these fields. Columns are typed one per line,
"name, type, sensitivity, description", so the form works without JavaScript;
``catalog.js`` turns the text into a list of rows when scripts run.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length
from wtforms.widgets import HiddenInput

from app.catalog.access import DESCRIPTION_MAX, TITLE_MAX
from app.catalog.models import UPDATE_FREQUENCIES
from app.forms import Form

CLASSIFICATION_CHOICES = [
    SelectChoice("public", _l("Public: anyone may see the contents")),
    SelectChoice("internal", _l("Internal: government use")),
    SelectChoice("restricted", _l("Restricted: named uses only")),
    SelectChoice("personal", _l("Personal: data about people")),
]
FREQUENCY_LABELS = {
    "real-time": _l("Real time"),
    "daily": _l("Daily"),
    "weekly": _l("Weekly"),
    "monthly": _l("Monthly"),
    "quarterly": _l("Quarterly"),
    "yearly": _l("Yearly"),
    "ad hoc": _l("When needed"),
}
FREQUENCY_CHOICES = [SelectChoice(value, FREQUENCY_LABELS[value]) for value in UPDATE_FREQUENCIES]


def optional_int(value) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class DatasetForm(Form):
    title = StringField(
        _l("Title"),
        validators=[InputRequired(_l("Give the dataset a title.")), Length(max=TITLE_MAX)],
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=DESCRIPTION_MAX)])
    classification = SelectField(_l("Classification"), choices=CLASSIFICATION_CHOICES)
    update_frequency = SelectField(_l("Updated"), choices=FREQUENCY_CHOICES)
    residency_jurisdiction = SelectField(_l("Must stay in jurisdiction"), choices=[])
    cross_border_allowed = BooleanField(_l("Use from another jurisdiction may be requested"))
    steward_id = SelectField(_l("Steward"), coerce=optional_int, choices=[])
    columns = TextAreaField(
        _l("Columns"),
        validators=[InputRequired(_l("Declare at least one column."))],
        render_kw={"rows": 8, "spellcheck": "false"},
    )


class DatasetEditForm(DatasetForm):
    version = IntegerField(
        _l("Version"),
        widget=HiddenInput(),
        validators=[InputRequired(_l("Reload the page and make your change again."))],
    )


class UploadForm(Form):
    file = FileField(_l("CSV file"))
