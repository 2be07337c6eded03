"""JSON shapes of the cases domain: one input schema per operation, one output per resource.

Participants get a case with its description; administrators and auditors, who oversee
without taking part, get the metadata shape (no description, comments or files).
"""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import Schema, fields, validate

from app.accounts.schemas import DepartmentRefSchema, RegionSchema, UserRefSchema
from app.api.schemas import PageQuerySchema, UtcDateTime
from app.cases.access import COMMENT_MAX, DESCRIPTION_MAX, TITLE_MAX
from app.cases.discussion import LINK_KINDS
from app.cases.models import PRIORITIES, STATUSES
from app.cases.rows import CaseRow


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1), **kwargs)


# Output ---------------------------------------------------------------------------------


class CaseMetadataSchema(Schema):
    """A case as oversight sees it: who, what state, when; not what was written."""

    id = fields.Integer()
    workspace_id = fields.Integer()
    number = fields.Integer()
    key = fields.String(metadata={"description": "e.g. FLOOD-12"})
    title = fields.String()
    status = fields.String(metadata={"enum": STATUSES})
    priority = fields.String(metadata={"enum": PRIORITIES})
    region = fields.Nested(RegionSchema, allow_none=True)
    due_on = fields.Date(allow_none=True)
    overdue = fields.Method("_overdue", metadata={"type": "boolean"})
    departments = fields.List(fields.Nested(DepartmentRefSchema))
    assignees = fields.List(fields.Nested(UserRefSchema))
    version = fields.Integer(metadata={"description": "Send it back with PATCH."})
    created_by = fields.Nested(UserRefSchema)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()

    def _overdue(self, case) -> bool:
        return case.is_overdue()


class CaseSchema(CaseMetadataSchema):
    """A case; ``description`` is null for readers who oversee without taking part."""

    description = fields.Method(
        "_description",
        metadata={"type": "string", "nullable": True, "description": "Null for oversight."},
    )

    def _description(self, case) -> str | None:
        return case.description if getattr(case, "content_visible", False) else None

    def dump(self, obj, *, many=None):
        """Rows of a list (:class:`~app.cases.rows.CaseRow`) are written straight to the shape
        the fields declare (a test holds the two equal): copying 25 rows with their people
        field by field through marshmallow was half of the list endpoint's time. Cases
        loaded as models go through the fields."""
        if many and all(isinstance(item, CaseRow) for item in obj):
            return [_row_json(row) for row in obj]
        if not many and isinstance(obj, CaseRow):
            return _row_json(obj)
        return super().dump(obj, many=many)


def _utc(value: datetime | None) -> str | None:
    """As :class:`~app.api.schemas.UtcDateTime` writes a stored (naive UTC) time."""
    if value is None:
        return None
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).isoformat()


def _row_json(row: CaseRow) -> dict:
    region = row.region
    return {
        "id": row.id,
        "workspace_id": row.workspace_id,
        "number": row.number,
        "key": row.key,
        "title": row.title,
        "status": row.status,
        "priority": row.priority,
        "region": None
        if region is None
        else {
            "id": region.id,
            "code": region.code,
            "name": region.name,
            "jurisdiction": region.jurisdiction,
            "created_at": _utc(region.created_at),
        },
        "due_on": row.due_on.isoformat() if row.due_on is not None else None,
        "overdue": row.is_overdue(),
        "departments": [{"id": d.id, "code": d.code, "name": d.name} for d in row.departments],
        "assignees": [
            {"id": u.id, "username": u.username, "display_name": u.display_name}
            for u in row.assignees
        ],
        "version": row.version,
        "created_by": {
            "id": row.created_by.id,
            "username": row.created_by.username,
            "display_name": row.created_by.display_name,
        },
        "created_at": _utc(row.created_at),
        "updated_at": _utc(row.updated_at),
        "description": row.description if row.content_visible else None,
    }


class CommentSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    author = fields.Nested(UserRefSchema)
    body = fields.String()
    created_at = UtcDateTime()


class AttachmentSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    name = fields.String(attribute="original_name")
    content_type = fields.String(metadata={"description": "Recognised from the content."})
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.Nested(UserRefSchema)
    created_at = UtcDateTime()


# Input ----------------------------------------------------------------------------------


def _query_id(**kwargs) -> fields.Integer:
    """An id in the query string, where every value arrives as text."""
    return fields.Integer(validate=validate.Range(min=1), **kwargs)


class CaseListQuerySchema(PageQuerySchema):
    workspace = _query_id(
        metadata={"description": "A workspace's cases; without it, every case you can see."}
    )
    status = fields.String(validate=validate.OneOf(STATUSES))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    assignee_id = _query_id()
    department_id = _query_id()
    region_id = _query_id()
    overdue = fields.Boolean(load_default=False)
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "Title, key"})


class CaseCreateSchema(Schema):
    workspace_id = _id(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=TITLE_MAX))
    description = fields.String(load_default="", validate=validate.Length(max=DESCRIPTION_MAX))
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))
    region_id = _id(allow_none=True, load_default=None)
    due_on = fields.Date(allow_none=True, load_default=None)
    department_ids = fields.List(
        _id(), metadata={"description": "Departments taking part; default: yours."}
    )
    assignee_ids = fields.List(_id(), load_default=list)


class CaseUpdateSchema(Schema):
    version = fields.Integer(
        strict=True,
        required=True,
        metadata={"description": "The version you read; a stale one is refused with 409."},
    )
    title = fields.String(validate=validate.Length(min=1, max=TITLE_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    status = fields.String(validate=validate.OneOf(STATUSES))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    region_id = _id(allow_none=True)
    due_on = fields.Date(allow_none=True)
    department_ids = fields.List(_id())
    assignee_ids = fields.List(_id())


class CommentCreateSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=COMMENT_MAX))


class LinkCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(LINK_KINDS))
    target_id = _id(required=True)


class LinkSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": LINK_KINDS})
    target_id = fields.Integer()
    created_by = fields.Nested(UserRefSchema)
    created_at = UtcDateTime()
