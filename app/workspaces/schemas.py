"""JSON shapes of the workspaces domain: one input schema per operation, one output per resource.

Workspaces hold only metadata (name, purpose, departments, members), so administrators
and auditors, who may see every workspace, get the same shapes as members.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.accounts.schemas import DepartmentRefSchema, RegionSchema, UserRefSchema
from app.api.schemas import PageQuerySchema, UtcDateTime
from app.workspaces.access import NAME_MAX, PURPOSE_MAX, REASON_MAX
from app.workspaces.models import WorkspaceRole, WorkspaceState

ROLES = [role.value for role in WorkspaceRole]
STATES = [state.value for state in WorkspaceState]


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1), **kwargs)


# Output ---------------------------------------------------------------------------------


class ParticipatingDepartmentSchema(Schema):
    """A department named with its region, as workspaces show them."""

    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    region = fields.Nested(RegionSchema)


class ParticipationSchema(Schema):
    """A department's part in a workspace and who decided it, when."""

    department = fields.Nested(ParticipatingDepartmentSchema)
    status = fields.String(metadata={"enum": ["invited", "accepted", "declined", "withdrawn"]})
    invited_by = fields.Nested(UserRefSchema, allow_none=True)
    invited_at = UtcDateTime()
    responded_by = fields.Nested(UserRefSchema, allow_none=True)
    responded_on_behalf_of = fields.Nested(
        UserRefSchema,
        allow_none=True,
        metadata={"description": "The head a deputy answered for."},
    )
    responded_at = UtcDateTime(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    withdrawn_by = fields.Nested(UserRefSchema, allow_none=True)
    withdrawn_at = UtcDateTime(allow_none=True)


class MemberUserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    department = fields.Nested(DepartmentRefSchema)


class MembershipSchema(Schema):
    user = fields.Nested(MemberUserSchema)
    role = fields.String(metadata={"enum": ROLES})
    expires_at = UtcDateTime(allow_none=True)
    expired = fields.Method("_expired", metadata={"type": "boolean"})
    added_by = fields.Nested(UserRefSchema, allow_none=True)
    added_at = UtcDateTime()

    def _expired(self, membership) -> bool:
        return not membership.is_current()


class WorkspaceSchema(Schema):
    """A workspace with the departments taking part or invited; members are listed apart."""

    id = fields.Integer()
    name = fields.String()
    purpose = fields.String()
    status = fields.Method(
        "_state",
        metadata={"type": "string", "enum": STATES, "description": "ended: past its end date"},
    )
    read_only = fields.Method("_read_only", metadata={"type": "boolean"})
    ends_on = fields.Date()
    owner_department = fields.Nested(ParticipatingDepartmentSchema)
    departments = fields.List(fields.Nested(ParticipationSchema), attribute="participations")
    member_count = fields.Integer()
    version = fields.Integer(metadata={"description": "Send it back with PATCH."})
    created_by = fields.Nested(UserRefSchema)
    created_at = UtcDateTime()
    archived_at = UtcDateTime(allow_none=True)

    def _state(self, workspace) -> str:
        return workspace.state().value

    def _read_only(self, workspace) -> bool:
        return not workspace.is_writable()


# Input ----------------------------------------------------------------------------------


class WorkspaceListQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "Name, purpose"})
    region_id = fields.Integer(validate=validate.Range(min=1))
    department_id = fields.Integer(validate=validate.Range(min=1))
    status = fields.String(validate=validate.OneOf(STATES))
    scope = fields.String(
        load_default="mine",
        validate=validate.OneOf(["mine", "all"]),
        metadata={"description": "all: every workspace (administrators and auditors)"},
    )


class WorkspaceCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=PURPOSE_MAX))
    ends_on = fields.Date(required=True, metadata={"description": "A date in the future."})


class WorkspaceUpdateSchema(Schema):
    version = fields.Integer(
        strict=True,
        required=True,
        metadata={"description": "The version you read; a stale one is refused with 409."},
    )
    name = fields.String(validate=validate.Length(min=1, max=NAME_MAX))
    purpose = fields.String(validate=validate.Length(min=1, max=PURPOSE_MAX))
    ends_on = fields.Date()


class InviteSchema(Schema):
    department_id = _id(required=True)


class DeclineSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REASON_MAX))


class MemberListQuerySchema(PageQuerySchema):
    role = fields.String(validate=validate.OneOf(ROLES))


class MemberCreateSchema(Schema):
    user_id = _id(required=True)
    role = fields.String(load_default=WorkspaceRole.MEMBER.value, validate=validate.OneOf(ROLES))
    expires_at = fields.DateTime(
        allow_none=True,
        load_default=None,
        metadata={"description": "When the membership ends (ISO 8601; UTC if no offset)."},
    )


class MemberUpdateSchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    expires_at = fields.DateTime(
        allow_none=True, metadata={"description": "ISO 8601 (UTC if no offset); null removes it."}
    )
