"""Answers dumped without marshmallow's per-field machinery, with exactly its output.

A list answer of 25 to 100 rows went through ``Schema.dump`` field by field: for each
value marshmallow looks the attribute up through its accessor, checks for defaults,
dispatches to the field's ``_serialize`` and its number or text helpers. For the plain
values a list holds (integers, text, booleans, times, nested rows) that came to a
tenth to a sixth of a list endpoint's time. :func:`dumper` turns a schema into a
function that copies such values directly and hands everything else (``Method``
fields, dotted attributes, defaults, unexpected types, mappings, schemas with hooks)
to marshmallow itself, so the output is the schema's, value for value; the schema stays
the one declaration of the shape and of the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import Schema, fields, missing
from marshmallow.decorators import POST_DUMP, PRE_DUMP

from app.api.schemas import UtcDateTime

Dump = Callable[[Any], Any]

_DUMPERS: dict[int, tuple[Schema, Dump]] = {}


def dump(schema: Schema, obj: Any, *, many: bool | None = None) -> Any:
    """``schema.dump(obj, many=many)``, through the schema's compiled dumper."""
    many = schema.many if many is None else many
    one, direct = _compiled(schema)
    if not direct:
        return schema.dump(obj, many=many)
    if many:
        return [one(item) for item in obj]
    return one(obj)


def dumper(schema: Schema) -> Dump:
    """A function dumping one object as ``schema.dump`` would (compiled once per schema)."""
    return _compiled(schema)[0]


def _compiled(schema: Schema) -> tuple[Dump, bool]:
    """The schema's dumper, and whether it is compiled (else it is ``schema.dump`` itself)."""
    known = _DUMPERS.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1], known[2]
    compiled, direct = _compile(schema)
    _DUMPERS[id(schema)] = (schema, compiled, direct)  # keeping the schema keeps its id its own
    return compiled, direct


def _compile(schema: Schema) -> tuple[Dump, bool]:
    kind = type(schema)
    whole = _marshmallow(schema)
    if (
        schema._hooks[PRE_DUMP]  # noqa: SLF001 (marshmallow keeps its hooks there)
        or schema._hooks[POST_DUMP]  # noqa: SLF001
        or schema.dict_class is not dict
        or kind.dump is not Schema.dump
        or kind._serialize is not Schema._serialize  # noqa: SLF001
        or kind.get_attribute is not Schema.get_attribute
    ):
        return whole, False
    steps = [
        (field.data_key if field.data_key is not None else name, _value(schema, name, field))
        for name, field in schema.dump_fields.items()
    ]

    def dump_one(obj: Any) -> Any:
        # Marshmallow reads mappings (and anything indexable) by key before attribute.
        if hasattr(obj, "__getitem__"):
            return whole(obj)
        out = {}
        for key, value_of in steps:
            value = value_of(obj)
            if value is not missing:
                out[key] = value
        return out

    return dump_one, True


def _marshmallow(schema: Schema) -> Dump:
    return lambda obj: schema.dump(obj, many=False)


_DECLINED = object()
"""What a direct conversion answers for a value it does not take as it is."""


def _value(schema: Schema, name: str, field: fields.Field) -> Dump:
    """How one field's value is read and written: directly when plain, else by the field."""

    def by_marshmallow(obj: Any) -> Any:
        return field.serialize(name, obj, accessor=schema.get_attribute)

    attribute = field.attribute or name
    convert = _direct(field)
    if convert is None or "." in attribute or field.dump_default is not missing:
        return by_marshmallow

    def value_of(obj: Any) -> Any:
        value = getattr(obj, attribute, missing)
        if value is None:
            return None
        converted = convert(value)
        return by_marshmallow(obj) if converted is _DECLINED else converted

    return value_of


def _only(kind: type, convert: Dump | None = None) -> Dump:
    if convert is None:
        return lambda value: value if type(value) is kind else _DECLINED
    return lambda value: convert(value) if type(value) is kind else _DECLINED


def _utc_iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _direct(field: fields.Field) -> Dump | None:
    """A field's conversion of the plain values it is declared for, or ``None``.

    Each is what the field's ``_serialize`` does for that type, and nothing else: an
    integer stays itself (unless sent as text), text stays itself, a boolean stays itself
    whatever the field's truthy and falsy sets, an ISO time or day is its
    ``isoformat()``, and a nested row is dumped by its own (compiled) schema. Any other
    value is declined and goes to the field.
    """
    kind = type(field)
    if kind is fields.Integer and not field.as_string:
        return _only(int)
    if kind is fields.String:
        return _only(str)
    if kind is fields.Boolean:
        return _only(bool)
    if kind is UtcDateTime and field.format in (None, "iso"):
        return _only(datetime, _utc_iso)
    if kind is fields.DateTime and field.format in (None, "iso"):
        return _only(datetime, datetime.isoformat)
    if kind is fields.Date and field.format in (None, "iso"):
        return _only(date, date.isoformat)
    if kind is fields.Nested:
        return _nested(field)
    if kind is fields.List:
        return _listed(field)
    return None


def _listed(field: fields.List) -> Dump | None:
    """A list of plain values or nested rows, item by item as ``List._serialize`` does.

    A list or tuple only (anything else marshmallow iterates itself); an item of a type
    its field does not take declines the whole list, which then goes to the field.
    """
    inner = _direct(field.inner)
    if inner is None:
        return None

    def convert(values: Any) -> Any:
        if not isinstance(values, list | tuple):
            return _DECLINED
        out = []
        for value in values:
            converted = None if value is None else inner(value)
            if converted is _DECLINED:
                return _DECLINED
            out.append(converted)
        return out

    return convert


def _nested(field: fields.Nested) -> Dump | None:
    nested = field.schema
    one, direct = _compiled(nested)
    if not direct:
        return None  # hooks may see the whole collection: marshmallow dumps it
    if nested.many or field.many:
        return lambda values: [one(value) for value in values]
    return one
