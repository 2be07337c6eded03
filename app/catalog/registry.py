"""Registering a dataset and editing its description and columns.

Each change is one action on the dataset's stream (audit entry, live event, one commit).
Columns are matched by name when edited, so a column keeps its id (and whatever other
domains hang on it) while its type, sensitivity, description or place changes.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Region, User
from app.actions import action
from app.catalog.access import (
    CLASSIFICATIONS,
    COLUMN_NAME_MAX,
    COLUMN_TYPES,
    COLUMNS_MAX,
    DESCRIPTION_MAX,
    SENSITIVITIES,
    TITLE_MAX,
    CatalogError,
    clean,
    dataset_stream,
    for_change,
)
from app.catalog.models import UPDATE_FREQUENCIES, Dataset, DatasetColumn, Sensitivity
from app.common import utcnow
from app.errors import Conflict, Invalid
from app.extensions import db
from app.policy import require

_FIELDS = (
    "title",
    "description",
    "classification",
    "residency_jurisdiction",
    "cross_border_allowed",
    "update_frequency",
    "steward_id",
)
# Letters (any script), digits, spaces, and _ - . / ( ): names people recognise in a header.
_COLUMN_NAME = re.compile(r"[\w][\w .\-/()]*")


def ensure_may_create(actor: User) -> None:
    """Refuse people who may not register datasets before they fill in the form.

    Raises:
        Forbidden: the actor is not an officer or head.
    """
    require(
        actor,
        "dataset.create",
        None,
        _("Only officers and heads of a department can register a dataset."),
    )


def editable_dataset(actor: User, dataset_id: int) -> Dataset:
    """A dataset the actor may edit, for showing the edit form.

    Raises:
        NotFound: no such dataset.
        Forbidden: the actor is not an officer or head of the owning department.
    """
    return for_change(actor, dataset_id, "dataset.update", lock=False)


def jurisdictions() -> list[str]:
    """The jurisdiction codes of the known regions (HK, MO, CN ...), for residency."""
    return list(
        db.session.scalars(select(Region.jurisdiction).distinct().order_by(Region.jurisdiction))
    )


def parse_column_lines(text: str) -> list[dict[str, str]]:
    """Read columns typed one per line as ``name, type, sensitivity[, description]``.

    Type defaults to text and sensitivity to none; blank lines are skipped. This is how
    the register form works without JavaScript.

    Raises:
        Invalid: a line without a name (field ``columns``, naming the line).
    """
    columns, problems = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(",", 3)]
        if not parts[0]:
            problems.append(
                _("Line %(number)s: give the column a name before the first comma.", number=number)
            )
            continue
        columns.append(
            {
                "name": parts[0],
                "type": (parts[1] if len(parts) > 1 and parts[1] else "text").lower(),
                "sensitivity": (parts[2] if len(parts) > 2 and parts[2] else "none").lower(),
                "description": parts[3] if len(parts) > 3 else "",
            }
        )
    if problems:
        raise Invalid(_("Some columns could not be read."), fields={"columns": problems})
    return columns


def format_column_lines(dataset: Dataset) -> str:
    """The columns as the form's text: the inverse of :func:`parse_column_lines`."""
    lines = []
    for column in dataset.columns:
        line = f"{column.name}, {column.type}, {column.sensitivity}"
        lines.append(f"{line}, {column.description}" if column.description else line)
    return "\n".join(lines)


def create_dataset(
    actor: User,
    *,
    title: str,
    description: str = "",
    classification: str,
    update_frequency: str,
    columns: list[dict[str, Any]],
    residency_jurisdiction: str | None = None,
    cross_border_allowed: bool = False,
    steward_id: int | None = None,
) -> Dataset:
    """Register a dataset owned by the actor's department, with its declared columns.

    The steward defaults to the actor, the residency to the department's jurisdiction.

    Raises:
        Forbidden: the actor is not an officer or head.
        Invalid: a missing or malformed field or column (every problem at once).
    """
    with action(actor, "dataset.created", department_id=actor.department_id) as act:
        ensure_may_create(actor)
        values = {
            "title": title,
            "description": description,
            "classification": classification,
            "update_frequency": update_frequency,
            "residency_jurisdiction": residency_jurisdiction
            or actor.department.region.jurisdiction,
            "cross_border_allowed": cross_border_allowed,
            "steward_id": steward_id if steward_id is not None else actor.id,
        }
        fields: dict[str, list[str]] = {}
        cleaned = _check_fields(values, actor.department_id, fields)
        specs = _check_columns(columns, fields)
        if fields:
            raise Invalid(_("The dataset was not registered."), fields=fields)
        dataset = Dataset(
            owner_department_id=actor.department_id,
            created_by_id=actor.id,
            created_at=utcnow(),
            version=1,
            **cleaned,
        )
        dataset.columns = [DatasetColumn(position=i, **spec) for i, spec in enumerate(specs)]
        db.session.add(dataset)
        db.session.flush()
        act.target("dataset", dataset)
        act.detail.update(title=dataset.title, classification=dataset.classification)
        act.publish(
            dataset_stream(dataset.id),
            text=_l(
                "%(actor)s registered the dataset %(title)s",
                actor=actor.display_name,
                title=dataset.title,
            ),
            dataset_id=dataset.id,
            version=dataset.version,
        )
    return dataset


def update_dataset(actor: User, dataset_id: int, *, version: int, **changes: Any) -> Dataset:
    """Change a dataset's description or columns, based on the ``version`` the editor read.

    Only the fields given change; ``columns`` replaces the whole list (matched by name).

    Raises:
        NotFound: no such dataset.
        Forbidden: the actor is not an officer or head of the owning department.
        Conflict: someone changed the dataset since ``version`` (code ``stale``).
        Invalid: a malformed field or column.
    """
    unknown = set(changes) - set(_FIELDS) - {"columns"}
    if unknown:
        raise Invalid(
            _("Unknown fields."), fields={name: [_("Unknown field.")] for name in unknown}
        )
    with action(actor, "dataset.updated") as act:
        dataset = for_change(actor, dataset_id, "dataset.update")
        act.target("dataset", dataset)
        act.department_id = dataset.owner_department_id
        if version != dataset.version:
            raise Conflict(
                _(
                    "Someone changed this dataset after you opened it. Reload it and make "
                    "your change again."
                ),
                code=CatalogError.STALE,
            )
        fields: dict[str, list[str]] = {}
        given = {name: changes[name] for name in _FIELDS if name in changes}
        current = {name: getattr(dataset, name) for name in _FIELDS}
        cleaned = _check_fields({**current, **given}, dataset.owner_department_id, fields)
        specs = _check_columns(changes["columns"], fields) if "columns" in changes else None
        if fields:
            raise Invalid(_("The dataset was not changed."), fields=fields)
        changed = [name for name in _FIELDS if cleaned[name] != current[name]]
        for name in changed:
            setattr(dataset, name, cleaned[name])
        if specs is not None and _replace_columns(dataset, specs):
            changed.append("columns")
        if not changed:
            act.nothing_changed()
            return dataset
        dataset.version += 1
        dataset.updated_at = utcnow()
        db.session.flush()
        act.detail.update(changed=changed, version=dataset.version)
        act.publish(
            dataset_stream(dataset.id),
            text=_l(
                "%(actor)s edited %(changed)s", actor=actor.display_name, changed=", ".join(changed)
            ),
            dataset_id=dataset.id,
            version=dataset.version,
            changed=changed,
        )
    return dataset


# Validation ---------------------------------------------------------------------------------


def _check_fields(values: dict[str, Any], department_id: int, fields: dict) -> dict[str, Any]:
    title, description = clean(values["title"]), clean(values["description"])
    if not title:
        fields["title"] = [_("Give the dataset a title.")]
    elif len(title) > TITLE_MAX:
        fields["title"] = [_("Keep the title within %(max)s characters.", max=TITLE_MAX)]
    if len(description) > DESCRIPTION_MAX:
        fields["description"] = [
            _("Keep the description within %(max)s characters.", max=DESCRIPTION_MAX)
        ]
    if values["classification"] not in CLASSIFICATIONS:
        fields["classification"] = [_("Choose public, internal, restricted or personal.")]
    if values["update_frequency"] not in UPDATE_FREQUENCIES:
        fields["update_frequency"] = [
            _("Choose one of: %(choices)s.", choices=", ".join(UPDATE_FREQUENCIES))
        ]
    residency = clean(values["residency_jurisdiction"])
    if residency not in jurisdictions():
        fields["residency_jurisdiction"] = [_("Choose the jurisdiction of one of the regions.")]
    if not isinstance(values["cross_border_allowed"], bool):
        fields["cross_border_allowed"] = [_("Say yes or no.")]
    steward = (
        db.session.get(User, values["steward_id"])
        if isinstance(values["steward_id"], int)
        else None
    )
    if steward is None or not steward.active or steward.department_id != department_id:
        fields["steward_id"] = [_("The steward must be an active person of the owning department.")]
    return {
        "title": title,
        "description": description,
        "classification": values["classification"],
        "update_frequency": values["update_frequency"],
        "residency_jurisdiction": residency,
        "cross_border_allowed": values["cross_border_allowed"],
        "steward_id": values["steward_id"],
    }


def _check_columns(columns: Any, fields: dict) -> list[dict[str, str]]:
    """The columns cleaned, or problems under ``fields["columns"]`` naming each column."""
    problems: list[str] = []
    if not isinstance(columns, list) or not columns:
        fields["columns"] = [_("Declare at least one column.")]
        return []
    if len(columns) > COLUMNS_MAX:
        fields["columns"] = [_("A dataset has at most %(max)s columns.", max=COLUMNS_MAX)]
        return []
    specs, seen = [], set()
    for number, column in enumerate(columns, start=1):
        column = column if isinstance(column, dict) else {}
        name = clean(column.get("name"))
        spec = {
            "name": name,
            "type": column.get("type") or "text",
            "sensitivity": column.get("sensitivity") or Sensitivity.NONE.value,
            "description": clean(column.get("description")),
        }
        where = (
            _("Column %(number)s (%(name)s)", number=number, name=name)
            if name
            else _("Column %(number)s", number=number)
        )
        if not name or len(name) > COLUMN_NAME_MAX or not _COLUMN_NAME.fullmatch(name):
            problems.append(
                _(
                    "%(where)s: a name of up to %(max)s letters, digits, spaces or _ - . / ( ).",
                    where=where,
                    max=COLUMN_NAME_MAX,
                )
            )
        elif name.casefold() in seen:
            problems.append(_("%(where)s: the name is used twice.", where=where))
        seen.add(name.casefold())
        if spec["type"] not in COLUMN_TYPES:
            problems.append(
                _(
                    "%(where)s: the type must be one of %(choices)s.",
                    where=where,
                    choices=", ".join(COLUMN_TYPES),
                )
            )
        if spec["sensitivity"] not in SENSITIVITIES:
            problems.append(
                _(
                    "%(where)s: the sensitivity must be one of %(choices)s.",
                    where=where,
                    choices=", ".join(SENSITIVITIES),
                )
            )
        specs.append(spec)
    if problems:
        fields["columns"] = problems
    return specs


def _replace_columns(dataset: Dataset, specs: list[dict[str, str]]) -> bool:
    """Make the dataset's columns ``specs``; whether anything changed.

    Kept columns move to temporary negative positions first, so no two columns ever
    share a position while the statements run.
    """
    before = [(c.name, c.type, c.sensitivity, c.description) for c in dataset.columns]
    after = [(s["name"], s["type"], s["sensitivity"], s["description"]) for s in specs]
    if before == after:
        return False
    by_name = {column.name: column for column in dataset.columns}
    wanted = {spec["name"] for spec in specs}
    for column in [c for c in dataset.columns if c.name not in wanted]:
        dataset.columns.remove(column)
    for index, column in enumerate(dataset.columns):
        column.position = -1 - index
    db.session.flush()
    for position, spec in enumerate(specs):
        column = by_name.get(spec["name"])
        if column is None:
            dataset.columns.append(DatasetColumn(position=position, **spec))
        else:
            column.position = position
            column.type, column.sensitivity = spec["type"], spec["sensitivity"]
            column.description = spec["description"]
    db.session.flush()
    dataset.columns.sort(key=lambda column: column.position)
    return True
