"""JSON shapes of the audit log: entries, filters, and the result of a verification."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.api.schemas import PageQuerySchema, UtcDateTime


class AuditEntrySchema(Schema):
    """One entry, with the hashes that chain it to its neighbours."""

    seq = fields.Integer()
    created_at = UtcDateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    workspace_id = fields.Integer(allow_none=True)
    detail = fields.Dict(keys=fields.String(), values=fields.Raw())
    prev_hash = fields.String()
    entry_hash = fields.String()


class VerifyResultSchema(Schema):
    ok = fields.Boolean(metadata={"description": "true when every entry matches its hash"})
    checked = fields.Integer(metadata={"description": "entries verified before any break"})
    first_broken_seq = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    checkpoint_seq = fields.Integer(
        allow_none=True,
        metadata={"description": "entry of the signed checkpoint checked against, if any"},
    )


class AuditQuerySchema(PageQuerySchema):
    cursor = fields.String(
        metadata={
            "description": (
                "a page's `next_cursor` (older entries) or `prev_cursor` (newer ones); the "
                "filters still apply and `page` is then ignored. Malformed: 400."
            ),
            "pattern": "^(before|after):[0-9]{1,19}$",
        }
    )
    actor = fields.String(
        validate=validate.Length(max=64), metadata={"description": "part of the actor's name"}
    )
    action = fields.String(
        validate=validate.Length(max=64),
        metadata={"description": "action, or its beginning (user. gives every user action)"},
    )
    object_type = fields.String(validate=validate.Length(max=32))
    object_id = fields.String(validate=validate.Length(max=64))
    department_id = fields.Integer(validate=validate.Range(min=1))
    workspace_id = fields.Integer(validate=validate.Range(min=1))
    date_from = fields.Date(metadata={"description": "first day included (UTC)"})
    date_to = fields.Date(metadata={"description": "last day included (UTC)"})

    @validates_schema
    def _dates_in_order(self, data: dict, **kwargs) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError("The end date is before the start date.", "date_to")
