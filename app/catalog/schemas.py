"""JSON shapes of the catalog: one input schema per operation, one output per resource.

A dataset's metadata is the same for every reader; contents travel only through the
preview (public datasets) and, later, grants.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.accounts.schemas import RegionSchema, UserRefSchema
from app.api.schemas import PageQuerySchema, UtcDateTime
from app.catalog.access import (
    CLASSIFICATIONS,
    COLUMN_NAME_MAX,
    COLUMN_TYPES,
    COLUMNS_MAX,
    DESCRIPTION_MAX,
    SENSITIVITIES,
    TITLE_MAX,
)
from app.catalog.models import UPDATE_FREQUENCIES

# Output -------------------------------------------------------------------------------------


class OwnerDepartmentSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    region = fields.Nested(RegionSchema)


class ColumnSchema(Schema):
    name = fields.String()
    type = fields.String(metadata={"enum": COLUMN_TYPES})
    sensitivity = fields.String(metadata={"enum": SENSITIVITIES})
    description = fields.String()


class VersionSchema(Schema):
    number = fields.Integer()
    original_filename = fields.String()
    size_bytes = fields.Integer()
    row_count = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.Nested(UserRefSchema)
    uploaded_at = UtcDateTime()


class DatasetSchema(Schema):
    """A dataset's metadata, its declared columns and its versions (newest first)."""

    id = fields.Integer()
    title = fields.String()
    description = fields.String()
    classification = fields.String(metadata={"enum": CLASSIFICATIONS})
    residency_jurisdiction = fields.String()
    cross_border_allowed = fields.Boolean()
    update_frequency = fields.String(metadata={"enum": list(UPDATE_FREQUENCIES)})
    owner_department = fields.Nested(OwnerDepartmentSchema)
    steward = fields.Nested(UserRefSchema)
    version = fields.Integer(metadata={"description": "Send it back with PATCH."})
    created_at = UtcDateTime()
    updated_at = UtcDateTime(allow_none=True)
    columns = fields.List(fields.Nested(ColumnSchema))
    versions = fields.List(fields.Nested(VersionSchema))


class PreviewSchema(Schema):
    version = fields.Function(
        lambda preview: preview.version.number if preview.version else None,
        metadata={"type": "integer", "description": "None before the first upload."},
    )
    header = fields.List(fields.String())
    rows = fields.List(fields.List(fields.String()))


# Input --------------------------------------------------------------------------------------


class DatasetListQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(max=200))
    department_id = fields.Integer(validate=validate.Range(min=1))
    region_id = fields.Integer(validate=validate.Range(min=1))
    classification = fields.String(validate=validate.OneOf(CLASSIFICATIONS))
    personal = fields.Boolean(
        metadata={"description": "Only datasets with (or without) personal columns."}
    )


class ColumnInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=COLUMN_NAME_MAX))
    type = fields.String(load_default="text", validate=validate.OneOf(COLUMN_TYPES))
    sensitivity = fields.String(load_default="none", validate=validate.OneOf(SENSITIVITIES))
    description = fields.String(load_default="", validate=validate.Length(max=DESCRIPTION_MAX))


def _columns(**kwargs) -> fields.List:
    return fields.List(
        fields.Nested(ColumnInputSchema), validate=validate.Length(min=1, max=COLUMNS_MAX), **kwargs
    )


class DatasetCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=TITLE_MAX))
    description = fields.String(load_default="", validate=validate.Length(max=DESCRIPTION_MAX))
    classification = fields.String(required=True, validate=validate.OneOf(CLASSIFICATIONS))
    update_frequency = fields.String(required=True, validate=validate.OneOf(UPDATE_FREQUENCIES))
    residency_jurisdiction = fields.String(
        metadata={"description": "A region's jurisdiction code; defaults to your department's."}
    )
    cross_border_allowed = fields.Boolean(load_default=False)
    steward_id = fields.Integer(
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "A person of your department; defaults to you."},
    )
    columns = _columns(required=True)


class DatasetUpdateSchema(Schema):
    version = fields.Integer(required=True, strict=True)
    title = fields.String(validate=validate.Length(min=1, max=TITLE_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    classification = fields.String(validate=validate.OneOf(CLASSIFICATIONS))
    update_frequency = fields.String(validate=validate.OneOf(UPDATE_FREQUENCIES))
    residency_jurisdiction = fields.String()
    cross_border_allowed = fields.Boolean()
    steward_id = fields.Integer(strict=True, validate=validate.Range(min=1))
    columns = _columns()
