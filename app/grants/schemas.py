"""JSON shapes of the grant domain: a grant's terms and state, its reads, the operations' input."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.accounts.schemas import UserRefSchema
from app.api.schemas import PageQuerySchema, UtcDateTime
from app.common import utcnow
from app.grants.access import REASON_MAX
from app.grants.browse import STATES
from app.sharing.schemas import DatasetRefSchema, WorkspaceRefSchema


class GrantSchema(Schema):
    """A grant's terms; never any of the data it gives access to."""

    id = fields.Integer()
    request_id = fields.Integer()
    dataset = fields.Nested(DatasetRefSchema)
    grantee_workspace = fields.Nested(WorkspaceRefSchema)
    grantee_users = fields.List(fields.Nested(UserRefSchema))
    columns = fields.List(fields.String())
    row_filter = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Column name -> the values rows may have."},
    )
    masking = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Column name -> none, pseudonymise or redact."},
    )
    purpose = fields.String()
    legal_basis = fields.String()
    valid_from = UtcDateTime()
    expires_at = UtcDateTime()
    state = fields.Method("_state", metadata={"enum": list(STATES)})
    revoked_at = UtcDateTime(allow_none=True)
    revoked_by = fields.Nested(UserRefSchema, allow_none=True)
    revoke_reason = fields.String(allow_none=True)
    created_at = UtcDateTime()

    def _state(self, grant) -> str:
        return grant.state(utcnow())


class AccessEventSchema(Schema):
    id = fields.Integer()
    grant_id = fields.Integer()
    user = fields.Nested(UserRefSchema)
    kind = fields.String(metadata={"enum": ["preview", "download", "api"]})
    output_format = fields.String()
    rows_returned = fields.Integer()
    created_at = UtcDateTime()


class GrantListQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(STATES))
    q = fields.String(validate=validate.Length(max=200))
    dataset = fields.Integer(strict=False, validate=validate.Range(min=1), data_key="dataset")


class RevokeSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REASON_MAX))


class ExtendSchema(Schema):
    submit = fields.Boolean(load_default=False)


class ExtractQuerySchema(Schema):
    """Checked by the service, so every bad value gets the grant domain's own code."""

    format = fields.String(load_default="csv", metadata={"enum": ["csv", "json"]})
    limit = fields.String(
        load_default=None,
        metadata={"description": "At most this many rows (1 to GRANT_EXTRACT_LIMIT_MAX)."},
    )
