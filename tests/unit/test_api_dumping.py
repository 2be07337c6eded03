"""Compiled dumpers write exactly what marshmallow writes, for every kind of field and row."""

from __future__ import annotations

from collections import deque
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
from marshmallow import Schema, fields, post_dump, pre_dump

import app.api as api
from app.accounts import service as accounts
from app.accounts.schemas import UserSchema
from app.api import dumping
from app.api.schemas import UtcDateTime
from app.catalog import service as catalog
from app.catalog.schemas import DatasetSchema
from app.notifications import service as notifications
from app.notifications.schemas import NotificationSchema
from tests.factories import (
    make_dataset,
    make_membership,
    make_notification,
    make_participation,
    make_user,
    make_workspace,
)


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class Shouting(Schema):
    """Hooks see the whole collection: the compiled dumper must leave them to marshmallow."""

    name = fields.String()

    @pre_dump(pass_collection=True)
    def count(self, rows, many, **kwargs):
        if not many:
            return rows
        return [SimpleNamespace(name=f"{row.name} of {len(rows)}") for row in rows]

    @post_dump
    def shout(self, data, **kwargs):
        return {"name": data["name"].upper()}


class EverythingSchema(Schema):
    id = fields.Integer()
    count_text = fields.Integer(as_string=True, attribute="count", dump_only=True)
    name = fields.String()
    label = fields.String(data_key="title")
    renamed = fields.String(attribute="name", dump_only=True)
    owner_name = fields.String(attribute="owner.name")
    active = fields.Boolean(truthy={True}, falsy={False})
    at = UtcDateTime()
    plain_at = fields.DateTime()
    day = fields.Date()
    owner = fields.Nested(PersonSchema, allow_none=True)
    owner_id_only = fields.Nested(PersonSchema, only=("id",), attribute="owner", dump_only=True)
    people = fields.List(fields.Nested(PersonSchema))
    tags = fields.List(fields.String())
    seen_on = fields.List(fields.Date())
    team = fields.Nested(PersonSchema, many=True)
    loud = fields.Nested(Shouting, many=True)
    size = fields.Method("_size")
    fallback = fields.String(dump_default="none given")
    secret = fields.String(load_only=True)
    extra = fields.Raw()

    def _size(self, obj):
        return len(obj["team"] if isinstance(obj, dict) else obj.team)


def _row(n: int, **changes):
    owner = SimpleNamespace(id=n * 10, name=f"Owner {n}")
    row = SimpleNamespace(
        id=n,
        count=n * 3,
        name=f"Row {n}",
        label=f"Label {n}",
        owner=owner,
        active=n % 2 == 0,
        at=datetime(2026, 1, 5, 23, 30, 9) + timedelta(minutes=n),
        plain_at=datetime(2026, 2, 1, 8, 0, tzinfo=timezone(timedelta(hours=8))),
        day=date(2026, 3, n % 28 + 1),
        people=[owner, SimpleNamespace(id=2, name="Two")],
        tags=["flood", "north"],
        seen_on=(date(2026, 1, 2), None),
        team=[SimpleNamespace(id=3, name="Three")],
        loud=[SimpleNamespace(name="a"), SimpleNamespace(name="b")],
        secret="never shown",
        extra={"any": ["json", 1]},
    )
    for key, value in changes.items():
        setattr(row, key, value)
    return row


ODD_ROWS = [
    _row(1),
    _row(2, owner=None, at=None, day=None, name=None, active=None),
    _row(3, at=datetime(2026, 1, 1, 12, 0, tzinfo=UTC), fallback="given"),
    # Values of types a field is not declared for go to the field itself.
    _row(4, id=Decimal("4"), name=7, active=1, day=datetime(2026, 3, 1, 12, 0), count=True),
    _row(5, plain_at=datetime(2026, 1, 1), day=date(2026, 1, 1)),
    # Lists: empty, with a missing row, with an item of another type, not a list at all.
    _row(7, people=[], tags=[None, "x"], seen_on=[datetime(2026, 1, 1, 9, 0)]),
    _row(8, people=[SimpleNamespace(id=1, name="One"), None], tags=["a", 7], seen_on=None),
    _row(9, tags=deque(["kept", "aside"]), seen_on=frozenset()),
    # A mapping is read by key, as marshmallow reads it.
    {"id": 6, "name": "Mapped", "team": [], "loud": [], "owner": {"id": 1, "name": "M"}},
]


@pytest.mark.parametrize("row", ODD_ROWS, ids=lambda row: str(getattr(row, "id", "mapping")))
def test_a_compiled_dump_equals_marshmallows_for_every_kind_of_field(row):
    schema = EverythingSchema()
    if isinstance(row, dict):
        row = {**row, "count": 1, "label": "l", "active": True}
    assert dumping.dump(schema, row) == schema.dump(row)


def test_many_rows_and_a_missing_attribute_dump_as_marshmallow_dumps_them():
    schema = EverythingSchema()
    rows = ODD_ROWS[:5]
    del rows[0].label  # left out of the answer, as marshmallow leaves it out
    assert dumping.dump(schema, rows, many=True) == schema.dump(rows, many=True)
    assert "title" not in dumping.dump(schema, rows[0])


def test_a_schema_with_hooks_is_dumped_by_marshmallow():
    rows = [SimpleNamespace(name="a"), SimpleNamespace(name="b")]
    assert dumping.dump(Shouting(), rows, many=True) == [{"name": "A OF 2"}, {"name": "B OF 2"}]
    assert dumping.dump(Shouting(many=True), rows) == Shouting(many=True).dump(rows)


# The API's own schemas, on real rows, through the endpoints -------------------------------


@pytest.fixture
def both_ways(monkeypatch):
    """Every API answer is dumped both ways and compared; the test fails on any difference."""
    compared: list[str] = []

    def checked(schema, obj, *, many=None):
        fast = dumping.dump(schema, obj, many=many)
        assert fast == schema.dump(obj, many=many), type(schema).__name__
        compared.append(type(schema).__name__)
        return fast

    monkeypatch.setattr(api, "dump", checked)
    return compared


def test_list_endpoints_answer_what_their_schemas_dump(app, client, db, make_token, both_ways):
    admin = make_user("admin", "officer")
    lead = make_user("head", "officer")
    workspace = make_workspace(lead)
    other = make_user("officer")
    make_participation(workspace, other.department, status="accepted")
    make_membership(workspace, other, role="observer", expires_at=datetime(2027, 1, 1))
    make_participation(workspace)
    make_notification(lead, link=f"/workspaces/{workspace.id}")
    make_notification(lead, read=True)
    make_dataset(lead)
    as_admin, as_lead = make_token(admin), make_token(lead)
    for path, headers in [
        ("/api/v1/users", as_admin),
        ("/api/v1/departments", as_admin),
        ("/api/v1/regions", as_admin),
        ("/api/v1/me", as_lead),
        ("/api/v1/workspaces", as_lead),
        (f"/api/v1/workspaces/{workspace.id}", as_lead),
        (f"/api/v1/workspaces/{workspace.id}/members", as_lead),
        ("/api/v1/notifications", as_lead),
        ("/api/v1/datasets", as_lead),
        ("/api/v1/audit", as_admin),
    ]:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
    assert {
        "DepartmentSchema",
        "RegionSchema",
        "MeSchema",
        "WorkspaceSchema",
        "MembershipSchema",
    } <= set(both_ways)
    # The users, notifications and datasets lists answer from plain rows, without a dump
    # (tests/http/test_api_list_rows.py compares them with the models' dump); their
    # schemas still dump models elsewhere, both ways alike.
    with app.test_request_context():
        for schema, items in [
            (UserSchema(), accounts.list_users(admin).items),
            (NotificationSchema(), notifications.list_notifications(lead).items),
            (DatasetSchema(), catalog.list_datasets(lead).items),
        ]:
            assert items
            assert dumping.dump(schema, items, many=True) == schema.dump(items, many=True)
