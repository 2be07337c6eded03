"""Schemas shared by every API domain: the error envelope, page metadata, UTC times."""

from datetime import UTC, datetime

from marshmallow import INCLUDE, Schema, fields, validate

from app.common import MAX_PAGE
from app.jsontext import JsonText


class UtcDateTime(fields.DateTime):
    """A timestamp column (naive UTC) written with its offset, so clients need not guess."""

    def _serialize(self, value: datetime | None, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    field_errors = fields.Dict(keys=fields.String(), values=fields.Raw(), data_key="fields")


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class PageMetaSchema(Schema):
    """What a list answers beside its ``items`` (so it must not forbid other properties)."""

    class Meta:
        unknown = INCLUDE

    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


# Live streams' catch-up, shared by every stream kind ------------------------------------


class EventMessageSchema(Schema):
    """A stored live event, exactly as the socket delivers it."""

    stream = fields.String()
    seq = fields.Integer()
    type = fields.String()
    data = fields.Dict(metadata={"description": "Always has 'text' and 'actor'."})
    at = fields.String(metadata={"format": "date-time"})


class EventBatchSchema(Schema):
    """The fields document the shape; :meth:`dump` passes the messages through."""

    items = fields.List(fields.Nested(EventMessageSchema))
    last_seq = fields.Integer(metadata={"description": "The stream's latest sequence number."})

    def dump(self, obj, *, many=None):
        """A batch's messages are already plain dicts of JSON types, built for the socket
        (``Event.as_message``, ``messages_after``): copying 500 of them field by field
        through marshmallow was a quarter of the catch-up's time."""
        if many:
            return [self.dump(batch) for batch in obj]
        items = obj["items"]
        if not isinstance(items, JsonText):  # JSON text stays as it is
            items = list(items)
        return {"items": items, "last_seq": int(obj["last_seq"])}


class EventsQuerySchema(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0))
