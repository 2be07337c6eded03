"""The workspaces REST API: lists, the workspace, departments, members and the event stream.

Refusals come as the error envelope with a stable code, and change nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.common import utcnow
from app.extensions import db as _db
from app.workspaces import service
from tests.conftest import login
from tests.factories import make_membership, make_user, make_workspace
from tests.workspace_world import flood_world, in_days, snapshot

API = "/api/v1"


@pytest.fixture
def w(db):
    return flood_world()


@pytest.fixture
def as_user(make_token):
    """``as_user(user)`` -> headers with a fresh API token of ``user``."""
    return make_token


def envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


# Listing and reading ----------------------------------------------------------------------


def test_calls_without_a_token_are_unauthorized(client, w):
    envelope(client.get(f"{API}/workspaces"), 401, "unauthorized")
    envelope(client.post(f"{API}/workspaces", json={}), 401, "unauthorized")
    envelope(client.get(f"{API}/workspaces/{w.id}/events"), 401, "unauthorized")


def test_list_is_a_page_of_visible_workspaces_with_their_departments(client, w, as_user):
    make_workspace()
    body = client.get(f"{API}/workspaces", headers=as_user(w.sz_head)).get_json()
    assert (body["total"], body["page"], body["pages"]) == (1, 1, 1)
    item = body["items"][0]
    assert item["name"] == "Flood response: Typhoon season 2026"
    assert item["status"] == "active" and item["read_only"] is False
    departments = {d["department"]["name"]: d for d in item["departments"]}
    assert departments["Shenzhen Municipal Data Bureau"]["status"] == "invited"
    assert departments["Shenzhen Municipal Data Bureau"]["department"]["region"][
        "jurisdiction"
    ] == ("CN")
    assert item["member_count"] == 1 and item["version"] == 1


def test_list_filters_and_rejects_unknown_values(client, w, as_user):
    headers = as_user(w.lead)
    assert client.get(f"{API}/workspaces?q=nothing", headers=headers).get_json()["total"] == 0
    query = f"department_id={w.td.id}&status=active"
    assert client.get(f"{API}/workspaces?{query}", headers=headers).get_json()["total"] == 1
    error = envelope(client.get(f"{API}/workspaces?status=asleep", headers=headers), 422)
    assert "status" in error["fields"]
    envelope(client.get(f"{API}/workspaces?per_page=500", headers=headers), 422)


def test_every_workspace_for_auditors_and_not_for_officers(client, w, as_user):
    make_workspace()
    body = client.get(f"{API}/workspaces?scope=all", headers=as_user(w.auditor)).get_json()
    assert body["total"] == 2
    envelope(client.get(f"{API}/workspaces?scope=all", headers=as_user(w.lead)), 403)


def test_list_statement_count_does_not_grow_with_rows(client, db, count_queries, as_user):
    auditor = make_user("auditor")
    headers = as_user(auditor)
    client.get(f"{API}/workspaces?scope=all", headers=headers)

    def statements() -> tuple[int, int]:
        _db.session.expire_all()
        with count_queries() as counter:
            body = client.get(f"{API}/workspaces?scope=all&per_page=50", headers=headers)
        return counter.count, len(body.get_json()["items"])

    make_workspace()
    few, few_rows = statements()
    for _ in range(7):
        make_membership(make_workspace())
    many, many_rows = statements()
    assert many_rows == few_rows + 7
    assert many == few


def test_missing_and_invisible_workspaces_answer_the_same(client, w, as_user):
    headers = as_user(w.sz_officer)
    hidden = envelope(client.get(f"{API}/workspaces/{w.id}", headers=headers), 404)
    missing = envelope(client.get(f"{API}/workspaces/987654", headers=headers), 404)
    assert hidden == missing


def test_expired_member_gets_not_found_with_the_reason(client, w, as_user):
    expired = make_membership(w.workspace, expires_at=utcnow() - timedelta(hours=1)).user
    error = envelope(client.get(f"{API}/workspaces/{w.id}", headers=as_user(expired)), 404)
    assert "Your membership of this workspace ended" in error["message"]


# Creating and editing ---------------------------------------------------------------------


def test_create_answers_201_with_the_new_workspace(client, db, as_user):
    officer = make_user("officer")
    response = client.post(
        f"{API}/workspaces",
        json={"name": "Slope safety", "purpose": "Landslip warnings.", "ends_on": str(in_days(9))},
        headers=as_user(officer),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["owner_department"]["id"] == officer.department_id
    assert body["departments"][0]["status"] == "accepted"
    assert body["created_by"]["id"] == officer.id


def test_create_with_bad_fields_is_422_with_every_field(client, db, as_user):
    headers = as_user(make_user("officer"))
    error = envelope(client.post(f"{API}/workspaces", json={"name": ""}, headers=headers), 422)
    assert {"name", "purpose", "ends_on"} <= set(error["fields"])
    past = {"name": "X", "purpose": "Y", "ends_on": str(in_days(-1))}
    error = envelope(client.post(f"{API}/workspaces", json=past, headers=headers), 422)
    assert error["fields"]["ends_on"] == ["The end date must be in the future."]


def test_patch_needs_the_current_version(client, w, as_user):
    headers = as_user(w.lead)
    response = client.patch(
        f"{API}/workspaces/{w.id}", json={"version": 1, "name": "Flood 2026"}, headers=headers
    )
    assert response.status_code == 200 and response.get_json()["version"] == 2
    before = snapshot(w.id)
    stale = client.patch(
        f"{API}/workspaces/{w.id}", json={"version": 1, "name": "Lost update"}, headers=headers
    )
    envelope(stale, 409, "stale")
    envelope(client.patch(f"{API}/workspaces/{w.id}", json={"name": "X"}, headers=headers), 422)
    assert snapshot(w.id) == before


def test_observers_cannot_patch(client, w, as_user):
    observer = make_membership(w.workspace, role="observer").user
    response = client.patch(
        f"{API}/workspaces/{w.id}", json={"version": 1, "name": "Mine"}, headers=as_user(observer)
    )
    assert "Observers" in envelope(response, 403, "forbidden")["message"]


def test_archive_then_every_change_is_409_read_only(client, w, as_user):
    headers = as_user(w.lead)
    head_headers = as_user(w.sz_head)
    body = client.post(f"{API}/workspaces/{w.id}/archive", headers=headers).get_json()
    assert body["status"] == "archived" and body["read_only"] is True
    before = snapshot(w.id)
    calls = [
        ("patch", f"/workspaces/{w.id}", {"version": body["version"], "name": "X"}),
        ("post", f"/workspaces/{w.id}/archive", None),
        ("post", f"/workspaces/{w.id}/departments", {"department_id": w.other.id}),
        ("post", f"/workspaces/{w.id}/departments/{w.ha.id}/withdraw", None),
        ("post", f"/workspaces/{w.id}/members", {"user_id": w.td_officer.id}),
        ("patch", f"/workspaces/{w.id}/members/{w.lead.id}", {"role": "member"}),
        ("delete", f"/workspaces/{w.id}/members/{w.lead.id}", None),
    ]
    for method, path, payload in calls:
        response = getattr(client, method)(f"{API}{path}", json=payload, headers=headers)
        assert "read-only" in envelope(response, 409, "read_only")["message"]
    response = client.post(
        f"{API}/workspaces/{w.id}/departments/{w.szdb.id}/accept", headers=head_headers
    )
    envelope(response, 409, "read_only")
    assert snapshot(w.id) == before


# Departments ------------------------------------------------------------------------------


def test_invite_accept_decline_withdraw(client, w, as_user):
    response = client.post(
        f"{API}/workspaces/{w.id}/departments",
        json={"department_id": w.other.id},
        headers=as_user(w.lead),
    )
    assert response.status_code == 201 and response.get_json()["status"] == "invited"
    accepted = client.post(
        f"{API}/workspaces/{w.id}/departments/{w.szdb.id}/accept", headers=as_user(w.sz_deputy)
    ).get_json()
    assert accepted["status"] == "accepted"
    assert accepted["responded_by"]["id"] == w.sz_deputy.id
    assert accepted["responded_on_behalf_of"]["id"] == w.sz_head.id
    declined = client.post(
        f"{API}/workspaces/{w.id}/departments/{w.ha.id}/decline",
        json={"reason": "On standby for the typhoon."},
        headers=as_user(w.ha_head),
    ).get_json()
    assert (declined["status"], declined["decline_reason"]) == (
        "declined",
        "On standby for the typhoon.",
    )
    withdrawn = client.post(
        f"{API}/workspaces/{w.id}/departments/{w.other.id}/withdraw", headers=as_user(w.lead)
    ).get_json()
    assert withdrawn["status"] == "withdrawn"


def test_inviting_twice_is_409_and_changes_nothing(client, w, as_user):
    headers = as_user(w.lead)
    before = snapshot(w.id)
    response = client.post(
        f"{API}/workspaces/{w.id}/departments", json={"department_id": w.ha.id}, headers=headers
    )
    envelope(response, 409, "already_invited")
    assert snapshot(w.id) == before


def test_inviting_needs_a_whole_department_id(client, w, as_user):
    headers = as_user(w.lead)
    for payload in ({}, {"department_id": "5"}, {"department_id": 0}):
        response = client.post(
            f"{API}/workspaces/{w.id}/departments", json=payload, headers=headers
        )
        assert "department_id" in envelope(response, 422, "invalid")["fields"]
    response = client.post(
        f"{API}/workspaces/{w.id}/departments", json={"department_id": 987654}, headers=headers
    )
    assert "department_id" in envelope(response, 422)["fields"]


def test_accepting_a_withdrawn_invitation_is_409_and_changes_nothing(client, w, as_user):
    service.withdraw_invitation(w.lead, w.id, w.ha.id)
    headers = as_user(w.ha_head)
    before = snapshot(w.id)
    response = client.post(f"{API}/workspaces/{w.id}/departments/{w.ha.id}/accept", headers=headers)
    envelope(response, 409, "invitation_withdrawn")
    assert snapshot(w.id) == before


def test_declining_without_a_reason_is_422(client, w, as_user):
    headers = as_user(w.ha_head)
    before = snapshot(w.id)
    response = client.post(
        f"{API}/workspaces/{w.id}/departments/{w.ha.id}/decline",
        json={"reason": "  "},
        headers=headers,
    )
    assert "reason" in envelope(response, 422)["fields"]
    assert snapshot(w.id) == before


def test_someone_who_does_not_answer_for_the_department_cannot_accept(client, w, as_user):
    response = client.post(
        f"{API}/workspaces/{w.id}/departments/{w.szdb.id}/accept", headers=as_user(w.lead)
    )
    envelope(response, 403, "forbidden")
    response = client.post(
        f"{API}/workspaces/{w.id}/departments/{w.szdb.id}/accept", headers=as_user(w.sz_officer)
    )
    envelope(response, 404, "not_found")


# Members ----------------------------------------------------------------------------------


def test_members_are_added_listed_changed_and_removed(client, w, as_user):
    headers = as_user(w.lead)
    expiry = (utcnow() + timedelta(days=7)).replace(microsecond=0)
    response = client.post(
        f"{API}/workspaces/{w.id}/members",
        json={"user_id": w.td_officer.id, "role": "observer", "expires_at": expiry.isoformat()},
        headers=headers,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["role"] == "observer" and body["expired"] is False
    assert body["expires_at"] == expiry.isoformat() + "+00:00"
    listed = client.get(f"{API}/workspaces/{w.id}/members", headers=headers).get_json()
    assert [m["role"] for m in listed["items"]] == ["lead", "observer"]
    changed = client.patch(
        f"{API}/workspaces/{w.id}/members/{w.td_officer.id}",
        json={"role": "member", "expires_at": None},
        headers=headers,
    ).get_json()
    assert (changed["role"], changed["expires_at"]) == ("member", None)
    removed = client.delete(f"{API}/workspaces/{w.id}/members/{w.td_officer.id}", headers=headers)
    assert removed.status_code == 204
    envelope(
        client.delete(f"{API}/workspaces/{w.id}/members/{w.td_officer.id}", headers=headers), 404
    )


def test_an_aware_expiry_is_stored_in_utc(client, w, as_user):
    response = client.post(
        f"{API}/workspaces/{w.id}/members",
        json={"user_id": w.td_officer.id, "expires_at": "2099-01-01T08:00:00+08:00"},
        headers=as_user(w.lead),
    )
    assert response.get_json()["expires_at"] == "2099-01-01T00:00:00+00:00"


def test_adding_a_member_whose_department_has_not_joined_is_422(client, w, as_user):
    headers = as_user(w.lead)
    before = snapshot(w.id)
    response = client.post(
        f"{API}/workspaces/{w.id}/members", json={"user_id": w.sz_officer.id}, headers=headers
    )
    error = envelope(response, 422, "invalid")
    assert error["fields"]["user_id"] == [
        "Choose an active person from a participating department."
    ]
    assert snapshot(w.id) == before


def test_removing_the_last_lead_is_409(client, w, as_user):
    headers = as_user(w.lead)
    before = snapshot(w.id)
    response = client.delete(f"{API}/workspaces/{w.id}/members/{w.lead.id}", headers=headers)
    envelope(response, 409, "last_lead")
    assert snapshot(w.id) == before


def test_an_expired_lead_cannot_change_anything(client, w, as_user):
    service.add_member(w.lead, w.id, user_id=w.dsd_officer.id, role="lead")
    headers = as_user(w.dsd_officer)
    membership = service.get_workspace(w.lead, w.id).membership_of(w.dsd_officer.id)
    membership.expires_at = utcnow() - timedelta(seconds=1)
    _db.session.commit()
    before = snapshot(w.id)
    response = client.post(
        f"{API}/workspaces/{w.id}/members", json={"user_id": w.td_officer.id}, headers=headers
    )
    assert "ended" in envelope(response, 404, "not_found")["message"]
    assert snapshot(w.id) == before


def test_member_list_statement_count_does_not_grow(client, w, count_queries, as_user):
    headers = as_user(w.lead)
    client.get(f"{API}/workspaces/{w.id}/members", headers=headers)  # notes the token's use

    def statements() -> int:
        _db.session.expire_all()
        with count_queries() as counter:
            client.get(f"{API}/workspaces/{w.id}/members", headers=headers)
        return counter.count

    few = statements()
    for _ in range(6):
        make_membership(w.workspace)
    assert statements() == few


# Events -----------------------------------------------------------------------------------


def test_events_after_a_sequence_number(client, w, as_user):
    headers = as_user(w.lead)
    everything = client.get(f"{API}/workspaces/{w.id}/events", headers=headers).get_json()
    last = everything["last_seq"]
    assert [e["seq"] for e in everything["items"]] == list(range(1, last + 1))
    first = everything["items"][0]
    assert set(first) == {"stream", "seq", "type", "data", "at"}
    assert first["stream"] == f"workspace:{w.id}" and first["type"] == "workspace.created"
    later = client.get(f"{API}/workspaces/{w.id}/events?after={last - 2}", headers=headers)
    assert [e["seq"] for e in later.get_json()["items"]] == [last - 1, last]
    envelope(client.get(f"{API}/workspaces/{w.id}/events?after=-1", headers=headers), 422)


def test_events_are_not_found_for_people_who_may_not_view(client, w, as_user):
    response = client.get(f"{API}/workspaces/{w.id}/events", headers=as_user(w.sz_officer))
    envelope(response, 404, "not_found")


def test_events_follow_the_view_rule_beyond_membership(client, w, as_user):
    """Members pass on their membership alone; the others meet the full rule."""
    invited_head = client.get(f"{API}/workspaces/{w.id}/events", headers=as_user(w.sz_head))
    assert invited_head.status_code == 200 and invited_head.get_json()["items"]
    lapsed = make_user("officer", department=w.dsd)
    make_membership(w.workspace, lapsed, expires_at=utcnow() - timedelta(minutes=1))
    envelope(client.get(f"{API}/workspaces/{w.id}/events", headers=as_user(lapsed)), 404)
    envelope(client.get(f"{API}/workspaces/999999/events", headers=as_user(w.lead)), 404)


def test_a_members_catch_up_does_not_load_the_workspace(client, w, as_user, count_queries):
    headers = as_user(w.dsd_officer)
    make_membership(w.workspace, w.dsd_officer)
    client.get(f"{API}/workspaces/{w.id}/events", headers=headers)
    with count_queries() as counter:
        response = client.get(f"{API}/workspaces/{w.id}/events", headers=headers)
    assert response.status_code == 200 and response.get_json()["items"]
    # The token, the membership, the events with the stream's last seq.
    assert counter.count == 3, counter.statements


def test_events_work_with_the_browser_session(client, w):
    login(client, w.td_head)
    response = client.get(f"{API}/workspaces/{w.id}/events?after=0")
    assert response.status_code == 200 and response.get_json()["items"]
