"""Form helpers every domain's HTML pages share: list filters and id pickers."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


def optional_int(value) -> int | None:
    """Coerce a select's value to an id; the empty "any"/"none" option becomes ``None``."""
    if value is None or value == "":
        return None
    return int(value)


class FilterForm(FlaskForm):
    """A list's filters, read from the query string (a GET form needs no CSRF token)."""

    class Meta:
        csrf = False

    def value(self, name: str):
        """The field's value, or ``None`` when it is empty or was not understood."""
        field = self[name]
        return None if field.errors or field.data in ("", None) else field.data


def id_choices(objects, empty: str, label=str) -> list[SelectChoice]:
    """Options for choosing one of ``objects`` by id, after an empty first option."""
    return [SelectChoice("", empty)] + [SelectChoice(obj.id, label(obj)) for obj in objects]
