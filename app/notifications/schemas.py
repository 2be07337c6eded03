"""JSON shapes of the notifications domain."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.api.schemas import PageQuerySchema, UtcDateTime
from app.i18n import current_locale


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    subject = fields.Method(
        "_subject",
        metadata={"type": "string", "description": "In the caller's language (Accept-Language)."},
    )
    text = fields.Method(
        "_text", metadata={"type": "string", "description": "In the caller's language."}
    )
    link = fields.String(allow_none=True, metadata={"description": "A path on this site."})
    read = fields.Boolean(attribute="is_read")
    read_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()

    def _subject(self, notification) -> str:
        return notification.subject_in(current_locale())

    def _text(self, notification) -> str:
        return notification.text_in(current_locale())


class NotificationListQuerySchema(PageQuerySchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "Only unread ones."})
    cursor = fields.String(
        metadata={
            "description": (
                "a page's `next_cursor` (older notifications) or `prev_cursor` (newer ones); "
                "`unread` still applies and `page` is then ignored. Malformed: 400."
            ),
            "pattern": "^(before|after):[0-9]{1,19}$",
        }
    )


class MarkReadSchema(Schema):
    """Either ``{"ids": [1, 2]}`` or ``{"all": true}``."""

    ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1)),
        validate=validate.Length(min=1, max=100),
    )
    all = fields.Boolean(truthy={True}, falsy={False})

    @validates_schema
    def _one_of(self, data: dict, **kwargs) -> None:
        if bool(data.get("ids")) == bool(data.get("all")):
            raise ValidationError(
                'Send either "ids" (a list of notification ids) or "all": true.', "_schema"
            )


class ReadResultSchema(Schema):
    marked = fields.Integer(metadata={"description": "How many were unread and now are read."})
    unread = fields.Integer(metadata={"description": "How many stay unread."})
