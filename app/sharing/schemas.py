"""JSON shapes of the sharing domain: one input schema per operation, one output per resource.

Auditors see a request's metadata: who asked whom for which columns, why, and every
decision; not the row filter's values nor the text of comments (``details_hidden``).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.accounts.schemas import DepartmentRefSchema, UserRefSchema
from app.api.schemas import PageQuerySchema, UtcDateTime
from app.sharing.access import MAX_DURATION_DAYS, NOTE_MAX, TEXT_MAX, TITLE_MAX
from app.sharing.browse import BOXES, STATUSES


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1), **kwargs)


_NAMES = fields.List(fields.String(validate=validate.Length(min=1, max=120)))
_FILTER = fields.Dict(
    keys=fields.String(validate=validate.Length(min=1, max=120)),
    values=fields.List(fields.String(validate=validate.Length(max=200))),
    metadata={"description": "Column name -> the values its rows may have."},
)
_DURATION = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_DURATION_DAYS))


# Output ---------------------------------------------------------------------------------


class DatasetRefSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    residency_jurisdiction = fields.String()
    cross_border_allowed = fields.Boolean()


class WorkspaceRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class TimelineEntrySchema(Schema):
    """One step: a decision, an edit or a comment."""

    id = fields.Integer()
    kind = fields.String()
    role = fields.String(allow_none=True, metadata={"enum": ["endorser", "owner", "dpo"]})
    actor = fields.Nested(UserRefSchema)
    on_behalf_of = fields.Nested(
        UserRefSchema, allow_none=True, metadata={"description": "The head a deputy acted for."}
    )
    note = fields.String(allow_none=True)
    detail = fields.Dict()
    created_at = UtcDateTime()


class ApprovalSchema(Schema):
    by = fields.Nested(UserRefSchema, allow_none=True)
    on_behalf_of = fields.Nested(UserRefSchema, allow_none=True)
    at = UtcDateTime(allow_none=True)


class DataRequestSchema(Schema):
    """A request with its scope, where it stands, its decisions and its timeline."""

    id = fields.Integer()
    title = fields.String()
    status = fields.String(metadata={"enum": STATUSES})
    workspace = fields.Nested(WorkspaceRefSchema)
    requester = fields.Nested(UserRefSchema)
    requesting_department = fields.Nested(DepartmentRefSchema)
    owner_department = fields.Nested(DepartmentRefSchema)
    dataset = fields.Nested(DatasetRefSchema, allow_none=True)
    columns = fields.List(fields.String())
    row_filter = fields.Dict(allow_none=True, metadata={"description": "null for auditors"})
    reveal_columns = fields.List(fields.String())
    purpose = fields.String()
    legal_basis = fields.String()
    duration_days = fields.Integer()
    needs_dpo = fields.Boolean()
    due_on = fields.Date(allow_none=True)
    overdue = fields.Method("_overdue", metadata={"type": "boolean"})
    version = fields.Integer()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    submitted_at = UtcDateTime(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    endorsement = fields.Method("_endorsement", metadata={"type": "object"})
    owner_approval = fields.Method("_owner_approval", metadata={"type": "object"})
    dpo_approval = fields.Method("_dpo_approval", metadata={"type": "object"})
    grant_id = fields.Integer(allow_none=True)
    details_hidden = fields.Boolean()

    def _overdue(self, request) -> bool:
        return request.is_overdue()

    def _approval(self, by, behalf, at) -> dict | None:
        return ApprovalSchema().dump({"by": by, "on_behalf_of": behalf, "at": at}) if at else None

    def _endorsement(self, request):
        return self._approval(
            request.endorsed_by, request.endorsed_on_behalf_of, request.endorsed_at
        )

    def _owner_approval(self, request):
        return self._approval(
            request.owner_approved_by,
            request.owner_approved_on_behalf_of,
            request.owner_approved_at,
        )

    def _dpo_approval(self, request):
        return self._approval(request.dpo_approved_by, None, request.dpo_approved_at)


class DataRequestDetailSchema(DataRequestSchema):
    timeline = fields.List(fields.Nested(TimelineEntrySchema))


class RequestCountsSchema(Schema):
    filed_open = fields.Integer(metadata={"description": "Your requests not yet decided."})
    waiting = fields.Integer(metadata={"description": "Requests waiting for your decision."})
    waiting_overdue = fields.Integer()


# Input ----------------------------------------------------------------------------------


class DataRequestListQuerySchema(PageQuerySchema):
    box = fields.String(
        load_default="visible",
        validate=validate.OneOf(BOXES),
        metadata={"description": "filed: yours; waiting: for your decision; visible: all"},
    )
    status = fields.String(validate=validate.OneOf(STATUSES))
    workspace_id = fields.Integer(validate=validate.Range(min=1))
    q = fields.String(validate=validate.Length(max=200))
    overdue = fields.Boolean(load_default=False)


class DataRequestCreateSchema(Schema):
    workspace_id = _id(required=True)
    dataset_id = _id(allow_none=True, load_default=None)
    owner_department_id = _id(
        allow_none=True,
        load_default=None,
        metadata={"description": "With no dataset: the department asked for the data."},
    )
    title = fields.String(required=True, validate=validate.Length(min=1, max=TITLE_MAX))
    columns = _NAMES
    row_filter = _FILTER
    reveal_columns = _NAMES
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=TEXT_MAX))
    legal_basis = fields.String(required=True, validate=validate.Length(min=1, max=TEXT_MAX))
    duration_days = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=MAX_DURATION_DAYS)
    )
    submit = fields.Boolean(load_default=False, metadata={"description": "Submit at once."})


class DataRequestUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=TITLE_MAX))
    columns = _NAMES
    row_filter = _FILTER
    reveal_columns = _NAMES
    purpose = fields.String(validate=validate.Length(min=1, max=TEXT_MAX))
    legal_basis = fields.String(validate=validate.Length(min=1, max=TEXT_MAX))
    duration_days = _DURATION


class NoteSchema(Schema):
    note = fields.String(validate=validate.Length(max=NOTE_MAX))


class ApproveSchema(NoteSchema):
    """Scope fields narrow what is approved; those left out stay as asked."""

    columns = _NAMES
    row_filter = _FILTER
    reveal_columns = _NAMES
    duration_days = _DURATION


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=NOTE_MAX))


class RequiredNoteSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=NOTE_MAX))


class WithdrawSchema(Schema):
    reason = fields.String(validate=validate.Length(max=NOTE_MAX))


class CommentSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=NOTE_MAX))


class LinkDatasetSchema(NoteSchema):
    dataset_id = _id(required=True)
