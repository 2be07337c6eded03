"""JSON shapes of the accounts domain: one input schema per operation, one output per resource.

Output schemas list their fields explicitly, so secrets (password hashes, token hashes,
session versions) can never leak by a column being added to a model.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.accounts.models import Role
from app.api.schemas import PageQuerySchema, UtcDateTime

ROLE_NAMES = [role.value for role in Role]

# JSON bodies: integers and booleans must be real JSON numbers and booleans.


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1), **kwargs)


def _bool(**kwargs) -> fields.Boolean:
    return fields.Boolean(truthy={True}, falsy={False}, **kwargs)


# Output ---------------------------------------------------------------------------------


class RegionSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    jurisdiction = fields.String()
    created_at = UtcDateTime()


class DepartmentRefSchema(Schema):
    """A department named inside another resource."""

    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class DepartmentSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    region_id = fields.Integer()
    region = fields.Nested(RegionSchema)
    parent_id = fields.Integer(allow_none=True)
    parent = fields.Nested(DepartmentRefSchema, allow_none=True)
    created_at = UtcDateTime()


class UserRefSchema(Schema):
    """A person named inside another resource."""

    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    email = fields.String()
    department_id = fields.Integer()
    department = fields.Nested(DepartmentSchema)
    roles = fields.Method("_roles", metadata={"type": "array", "items": {"type": "string"}})
    active = fields.Boolean()
    last_login_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()

    def _roles(self, user) -> list[str]:
        return sorted(link.role for link in user.role_links)


class TokenSchema(Schema):
    """An API token as its owner sees it later: never the secret, never its hash."""

    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    created_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)
    last_used_at = UtcDateTime(allow_none=True)
    revoked_at = UtcDateTime(allow_none=True)


class IssuedTokenSchema(Schema):
    """A token just created: the only answer that carries the secret.

    Dumped from ``{"api_token": ApiToken, "secret": str}``.
    """

    id = fields.Integer(attribute="api_token.id")
    name = fields.String(attribute="api_token.name")
    prefix = fields.String(attribute="api_token.prefix")
    expires_at = UtcDateTime(attribute="api_token.expires_at", allow_none=True)
    token = fields.String(
        attribute="secret",
        metadata={"description": "Send as 'Authorization: Bearer <token>'. Shown only once."},
    )


class DelegationSchema(Schema):
    id = fields.Integer()
    head = fields.Nested(UserRefSchema)
    deputy = fields.Nested(UserRefSchema)
    department_id = fields.Integer()
    starts_on = fields.Date()
    ends_on = fields.Date()
    created_at = UtcDateTime()
    revoked_at = UtcDateTime(allow_none=True)


class MeSchema(Schema):
    """The caller: account, department (with region), roles, and whom they deputise for."""

    user = fields.Nested(UserSchema)
    department = fields.Nested(DepartmentSchema)
    roles = fields.List(fields.String())
    acting_for = fields.List(fields.Nested(DelegationSchema))


# Input ----------------------------------------------------------------------------------


class TokenCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    name = fields.String(load_default="API token", validate=validate.Length(min=1, max=100))
    expires_in_days = fields.Integer(
        strict=True, load_default=90, validate=validate.Range(min=1, max=365)
    )


class RegionCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    jurisdiction = fields.String(required=True, validate=validate.Length(min=1, max=32))


class RegionUpdateSchema(Schema):
    code = fields.String(validate=validate.Length(min=1, max=16))
    name = fields.String(validate=validate.Length(min=1, max=120))
    jurisdiction = fields.String(validate=validate.Length(min=1, max=32))


class DepartmentCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    region_id = _id(required=True)
    parent_id = _id(allow_none=True, load_default=None)


class DepartmentUpdateSchema(Schema):
    code = fields.String(validate=validate.Length(min=1, max=32))
    name = fields.String(validate=validate.Length(min=1, max=200))
    region_id = _id()
    parent_id = _id(allow_none=True, metadata={"description": "null: a top-level department"})


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=2, max=64))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    department_id = _id(required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    roles = fields.List(
        fields.String(validate=validate.OneOf(ROLE_NAMES)),
        load_default=lambda: ["officer"],
        validate=validate.Length(min=1),
    )


class UserUpdateSchema(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=120))
    email = fields.Email(validate=validate.Length(max=254))
    department_id = _id()
    roles = fields.List(
        fields.String(validate=validate.OneOf(ROLE_NAMES)), validate=validate.Length(min=1)
    )
    active = _bool(metadata={"description": "false deactivates: sessions and tokens end"})


class DelegationCreateSchema(Schema):
    deputy_id = _id(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


# Query strings --------------------------------------------------------------------------


class RegionQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "search"})


class DepartmentQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "search"})
    region_id = fields.Integer(validate=validate.Range(min=1))


class UserQuerySchema(PageQuerySchema):
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "search in username, display name and email"},
    )
    department_id = fields.Integer(validate=validate.Range(min=1))
    role = fields.String(validate=validate.OneOf(ROLE_NAMES))
    active = fields.Boolean()
