"""The cases REST API: listing, opening, reading, editing with versions, comments,
attachments, links and the timeline catch-up. Refusals come as the error envelope."""

from __future__ import annotations

import io

import pytest

from app.cases import service
from app.cases.models import Case
from app.extensions import db as _db
from tests.case_world import build_world
from tests.factories import make_user

API = "/api/v1"


@pytest.fixture
def world(db):
    return build_world()


def envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def _create(client, headers, world, **body):
    body = {"workspace_id": world["workspace"].id, "title": "Sha Tin flooding", **body}
    return client.post(f"{API}/cases", json=body, headers=headers)


def test_without_a_token_every_call_is_unauthorized(client, world):
    envelope(client.get(f"{API}/cases"), 401, "unauthorized")
    envelope(client.post(f"{API}/cases", json={}), 401, "unauthorized")
    envelope(client.patch(f"{API}/cases/1", json={"version": 1}), 401, "unauthorized")


def test_open_read_and_list_cases(client, world, make_token):
    people = world["people"]
    headers = make_token(people["lead"])
    created = _create(client, headers, world, priority="urgent", assignee_ids=[people["member"].id])
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert (body["key"], body["status"], body["version"]) == ("FLOOD-1", "open", 1)
    assert body["assignees"][0]["id"] == people["member"].id
    got = client.get(f"{API}/cases/{body['id']}", headers=make_token(people["observer"]))
    assert got.status_code == 200 and got.get_json()["description"] == ""
    listed = client.get(
        f"{API}/cases?workspace={world['workspace'].id}&status=open", headers=headers
    ).get_json()
    assert [item["key"] for item in listed["items"]] == ["FLOOD-1"] and listed["total"] == 1
    assert client.get(f"{API}/cases?status=closed", headers=headers).get_json()["total"] == 0


def test_every_workspaces_list_counts_apart_on_every_page(client, world, make_token):
    """Without a workspace, the total is counted in a statement of its own: right on a
    full page, on the last, past the end, and with a filter."""
    people = world["people"]
    lead = make_token(people["lead"])
    for _ in range(5):
        assert _create(client, lead, world).status_code == 201
    auditor = make_token(make_user("auditor"))
    for query, total, shown in (
        ("per_page=2", 5, 2),
        ("per_page=2&page=3", 5, 1),
        ("per_page=2&page=4", 5, 0),
        ("status=closed", 0, 0),
    ):
        for headers in (lead, auditor):
            body = client.get(f"{API}/cases?{query}", headers=headers).get_json()
            assert (body["total"], len(body["items"])) == (total, shown), query


def test_oversight_gets_metadata_without_the_description(client, world, make_token):
    case = service.create_case(
        world["people"]["lead"], world["workspace"].id, title="Flooding", description="Secret"
    )
    body = client.get(f"{API}/cases/{case.id}", headers=make_token(world["people"]["auditor"]))
    assert body.status_code == 200
    assert body.get_json()["description"] is None and body.get_json()["title"] == "Flooding"
    envelope(
        client.get(f"{API}/cases/{case.id}/events", headers=make_token(world["people"]["auditor"])),
        403,
        "forbidden",
    )


def test_patch_needs_the_version_and_a_stale_one_is_409(client, world, make_token):
    people = world["people"]
    case = service.create_case(people["lead"], world["workspace"].id, title="Flooding")
    headers = make_token(people["member"])
    envelope(
        client.patch(f"{API}/cases/{case.id}", json={"status": "blocked"}, headers=headers), 422
    )
    moved = client.patch(
        f"{API}/cases/{case.id}", json={"version": 1, "status": "blocked"}, headers=headers
    )
    assert moved.status_code == 200 and moved.get_json()["version"] == 2
    stale = client.patch(
        f"{API}/cases/{case.id}", json={"version": 1, "priority": "low"}, headers=headers
    )
    envelope(stale, 409, "stale")
    assert _db.session.get(Case, case.id).priority == "normal"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": ""}, "title"),
        ({"priority": "whenever"}, "priority"),
        ({"due_on": "yesterday"}, "due_on"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_input_is_422_with_the_field(client, world, make_token, body, field):
    error = envelope(_create(client, make_token(world["people"]["lead"]), world, **body), 422)
    assert field in error["fields"]


def test_observers_and_outsiders_are_refused(client, world, make_token):
    people = world["people"]
    envelope(_create(client, make_token(people["observer"]), world), 403, "forbidden")
    envelope(_create(client, make_token(people["outsider"]), world), 404, "not_found")
    case = service.create_case(people["lead"], world["workspace"].id, title="Flooding")
    envelope(client.get(f"{API}/cases/{case.id}", headers=make_token(people["outsider"])), 404)


def test_comments_attachments_links_and_events(client, world, make_token):
    people = world["people"]
    case = service.create_case(people["lead"], world["workspace"].id, title="Flooding")
    headers = make_token(people["member"])
    comment = client.post(
        f"{API}/cases/{case.id}/comments", json={"body": "@tom please close"}, headers=headers
    )
    assert comment.status_code == 201 and comment.get_json()["body"] == "@tom please close"
    upload = client.post(
        f"{API}/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\nrest"), "map.png")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_data(as_text=True)
    assert upload.get_json()["content_type"] == "image/png"
    path = f"{API}/cases/{case.id}/attachments/{upload.get_json()['id']}"
    download = client.get(path, headers=make_token(people["observer"]))
    assert download.status_code == 200 and download.data == b"\x89PNG\r\n\x1a\nrest"
    assert download.headers["Content-Disposition"] == "attachment; filename=map.png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    envelope(client.get(path, headers=make_token(people["outsider"])), 404, "not_found")
    envelope(client.get(path, headers=make_token(people["auditor"])), 403, "forbidden")
    envelope(
        client.post(
            f"{API}/cases/{case.id}/attachments",
            data={"file": (io.BytesIO(b"x"), "../../etc/passwd")},
            headers=headers,
            content_type="multipart/form-data",
        ),
        422,
    )
    envelope(client.post(f"{API}/cases/{case.id}/attachments", headers=headers, data={}), 422)
    link = client.post(
        f"{API}/cases/{case.id}/links", json={"kind": "grant", "target_id": 3}, headers=headers
    )
    assert link.status_code == 201
    events = client.get(f"{API}/cases/{case.id}/events?after=1", headers=headers).get_json()
    assert [e["type"] for e in events["items"]] == [
        "case.commented",
        "case.attachment_added",
        "case.linked",
    ]
    assert events["last_seq"] == 4


def test_a_file_over_the_limit_is_413(client, world, make_token, app, monkeypatch):
    monkeypatch.setitem(app.config, "CASE_ATTACHMENT_MAX_BYTES", 8)
    case = service.create_case(world["people"]["lead"], world["workspace"].id, title="Flooding")
    response = client.post(
        f"{API}/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(b"123456789"), "notes.txt")},
        headers=make_token(world["people"]["lead"]),
        content_type="multipart/form-data",
    )
    envelope(response, 413, "too_large")


def test_list_endpoint_runs_the_same_statements_for_10_and_100_cases(
    client, world, make_token, count_queries
):
    people = world["people"]
    headers = make_token(people["lead"])
    assignees = [people["lead"].id, people["member"].id]

    def statements(path: str) -> int:
        _db.session.expire_all()
        with count_queries() as counter:
            assert client.get(path, headers=headers).status_code == 200
        return counter.count

    for n in range(10):
        service.create_case(
            people["lead"], world["workspace"].id, title=f"C{n}", assignee_ids=assignees
        )
    paths = [
        f"{API}/cases?workspace={world['workspace'].id}&per_page=100",
        f"{API}/cases?per_page=100",
    ]
    statements(paths[0])  # the token's first use is recorded once
    few = [statements(path) for path in paths]
    for n in range(90):
        service.create_case(
            people["lead"], world["workspace"].id, title=f"D{n}", assignee_ids=assignees
        )
    assert [statements(path) for path in paths] == few


@pytest.mark.parametrize("reader", ["lead", "auditor"])
def test_list_rows_are_written_exactly_as_the_schema_declares(world, reader):
    """``CaseSchema`` writes list rows directly; field by field through marshmallow gives
    the same JSON, for a participant (with the description) and for oversight (without)."""
    from datetime import date, timedelta

    from marshmallow import Schema

    from app.cases.schemas import CaseSchema
    from tests.factories import make_region

    people = world["people"]
    region = make_region(name="Sha Tin")
    service.create_case(
        people["lead"],
        world["workspace"].id,
        title="Sha Tin flooding",
        description="Water over the road.",
        priority="urgent",
        region_id=region.id,
        due_on=date.today() + timedelta(days=2),
        department_ids=[world["drainage"].id, world["transport"].id],
        assignee_ids=[people["lead"].id, people["transport_member"].id],
    )
    service.create_case(people["member"], world["workspace"].id, title="Tai Po landslip")
    page = service.list_cases(
        people[reader], world["workspace"].id, with_description=True, per_page=10
    )
    schema = CaseSchema()
    written = schema.dump(page.items, many=True)
    assert written == Schema.dump(schema, page.items, many=True)
    assert written[1]["region"]["name"] == "Sha Tin" and len(written[1]["assignees"]) == 2
    expected = "Water over the road." if reader == "lead" else None
    assert written[1]["description"] == expected
