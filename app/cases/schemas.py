"""JSON shapes of the cases domain: one input schema per operation, one output per resource.

Participants get a case with its description; administrators and auditors, who oversee
without taking part, get the metadata shape (no description, comments or files).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.accounts.schemas import DepartmentRefSchema, RegionSchema, UserRefSchema
from app.api.schemas import PageQuerySchema, UtcDateTime
from app.cases.access import COMMENT_MAX, DESCRIPTION_MAX, TITLE_MAX
from app.cases.discussion import LINK_KINDS
from app.cases.models import PRIORITIES, STATUSES


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
