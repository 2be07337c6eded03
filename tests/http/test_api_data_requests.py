"""The data requests REST API: filing, the transitions as POST actions, lists, counts and
catch-up; illegal transitions are 409 with the error envelope and a code saying why."""

from __future__ import annotations

import pytest

from app.sharing import service
from tests.request_world import request_world, scope, snapshot

API = "/api/v1"


@pytest.fixture
def w(db):
    return request_world()


@pytest.fixture
def as_user(make_token):
    return make_token


def envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def _file(client, w, headers, **overrides):
    body = {"workspace_id": w.workspace.id, "dataset_id": w.flood.id, **scope(), **overrides}
    return client.post(f"{API}/data-requests", json=body, headers=headers)


def test_calls_without_a_token_are_unauthorized(client, w):
    envelope(client.get(f"{API}/data-requests"), 401, "unauthorized")
    envelope(client.post(f"{API}/data-requests", json={}), 401, "unauthorized")


def test_the_whole_workflow_through_the_api(client, w, as_user):
    response = _file(client, w, as_user(w.requester), submit=True)
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created["status"] == "submitted" and created["due_on"]
    assert created["row_filter"] == {"district": ["Kowloon City", "Wong Tai Sin"]}
    rid = created["id"]
    endorsed = client.post(
        f"{API}/data-requests/{rid}/endorse", json={}, headers=as_user(w.td_deputy)
    ).get_json()
    assert endorsed["endorsement"]["on_behalf_of"]["id"] == w.td_head.id
    approved = client.post(
        f"{API}/data-requests/{rid}/approve",
        json={"duration_days": 30, "note": "For this season only."},
        headers=as_user(w.dsd_head),
    )
    assert approved.status_code == 200, approved.get_data(as_text=True)
    body = approved.get_json()
    assert body["status"] == "approved" and body["duration_days"] == 30 and body["grant_id"]
    kinds = [entry["kind"] for entry in body["timeline"]]
    assert kinds == ["filed", "submitted", "endorsed", "approved"]


def test_approving_a_withdrawn_request_is_409(client, w, as_user):
    request = service.file_request(
        w.requester, w.workspace.id, dataset_id=w.flood.id, submit=True, **scope()
    )
    client.post(f"{API}/data-requests/{request.id}/withdraw", json={}, headers=as_user(w.requester))
    headers = as_user(w.dsd_head)
    before = snapshot(request.id)
    response = client.post(f"{API}/data-requests/{request.id}/approve", json={}, headers=headers)
    envelope(response, 409, "already_decided")
    assert snapshot(request.id) == before


def test_endorsing_twice_is_409(client, w, as_user):
    request = service.file_request(
        w.requester, w.workspace.id, dataset_id=w.flood.id, submit=True, **scope()
    )
    headers = as_user(w.td_head)
    assert client.post(f"{API}/data-requests/{request.id}/endorse", json={}, headers=headers)
    response = client.post(f"{API}/data-requests/{request.id}/endorse", json={}, headers=headers)
    envelope(response, 409, "already_endorsed")


def test_endorsing_your_own_request_is_403(client, w, as_user):
    from tests.factories import make_membership

    make_membership(w.workspace, w.td_deputy)
    request = service.file_request(
        w.td_deputy, w.workspace.id, dataset_id=w.flood.id, submit=True, **scope()
    )
    response = client.post(
        f"{API}/data-requests/{request.id}/endorse", json={}, headers=as_user(w.td_deputy)
    )
    envelope(response, 403, "own_request")


def test_a_wider_approval_is_422_with_the_fields(client, w, as_user):
    request = service.file_request(
        w.requester, w.workspace.id, dataset_id=w.flood.id, submit=True, **scope()
    )
    service.endorse_request(w.td_head, request.id)
    response = client.post(
        f"{API}/data-requests/{request.id}/approve",
        json={"duration_days": 400, "row_filter": {}},
        headers=as_user(w.dsd_head),
    )
    error = envelope(response, 422, "wider_scope")
    assert set(error["fields"]) == {"duration_days", "row_filter"}


def test_filing_a_dataset_that_must_stay_in_its_jurisdiction_is_422(client, w, as_user):
    response = _file(client, w, as_user(w.sz_officer), dataset_id=w.hk_only.id)
    error = envelope(response, 422, "cross_border_refused")
    assert "cannot be requested from CN" in error["fields"]["dataset_id"][0]


def test_bad_input_is_422_never_500(client, w, as_user):
    headers = as_user(w.requester)
    envelope(_file(client, w, headers, duration_days="90"), 422, "invalid")
    envelope(_file(client, w, headers, columns=["nope"]), 422, "invalid")
    envelope(_file(client, w, headers, row_filter={"district": "Kowloon"}), 422, "invalid")
    envelope(_file(client, w, headers, surprise=True), 422, "invalid")
    envelope(_file(client, w, headers, dataset_id=None), 422, "invalid")


def test_missing_and_invisible_requests_are_404(client, w, as_user):
    request = service.file_request(w.requester, w.workspace.id, dataset_id=w.flood.id, **scope())
    envelope(client.get(f"{API}/data-requests/{request.id}", headers=as_user(w.outsider)), 404)
    envelope(client.get(f"{API}/data-requests/999999", headers=as_user(w.requester)), 404)


def test_patch_edits_a_draft_and_refuses_a_submitted_one(client, w, as_user):
    request = service.file_request(w.requester, w.workspace.id, dataset_id=w.flood.id, **scope())
    headers = as_user(w.requester)
    edited = client.patch(
        f"{API}/data-requests/{request.id}", json={"duration_days": 30}, headers=headers
    )
    assert edited.get_json()["duration_days"] == 30
    client.post(f"{API}/data-requests/{request.id}/submit", headers=headers)
    response = client.patch(
        f"{API}/data-requests/{request.id}", json={"duration_days": 20}, headers=headers
    )
    envelope(response, 409, "not_editable")


def test_auditors_see_metadata_without_filter_values_or_comments(client, w, as_user):
    request = service.file_request(
        w.requester, w.workspace.id, dataset_id=w.flood.id, submit=True, **scope()
    )
    service.comment_on_request(w.td_head, request.id, text="Only the two districts.")
    body = client.get(f"{API}/data-requests/{request.id}", headers=as_user(w.auditor)).get_json()
    assert body["details_hidden"] is True and body["row_filter"] is None
    assert body["columns"] == ["station", "district", "water_level_m"]
    comment = [e for e in body["timeline"] if e["kind"] == "commented"][0]
    assert comment["note"] is None
    envelope(
        client.post(
            f"{API}/data-requests/{request.id}/comments",
            json={"text": "Noted"},
            headers=as_user(w.auditor),
        ),
        403,
    )


def test_lists_counts_and_catch_up(client, w, as_user):
    request = service.file_request(
        w.requester, w.workspace.id, dataset_id=w.flood.id, submit=True, **scope()
    )
    headers = as_user(w.td_head)
    waiting = client.get(f"{API}/data-requests?box=waiting", headers=headers).get_json()
    assert [item["id"] for item in waiting["items"]] == [request.id]
    counts = client.get(f"{API}/data-requests/counts", headers=headers).get_json()
    assert counts == {"filed_open": 0, "waiting": 1, "waiting_overdue": 0}
    events = client.get(
        f"{API}/data-requests/{request.id}/events?after=1", headers=headers
    ).get_json()
    assert [e["type"] for e in events["items"]] == ["data_request.submitted"]
    assert events["last_seq"] == 2
    envelope(client.get(f"{API}/data-requests?box=everything", headers=headers), 422)


def test_comments_are_201(client, w, as_user):
    request = service.file_request(w.requester, w.workspace.id, dataset_id=w.flood.id, **scope())
    response = client.post(
        f"{API}/data-requests/{request.id}/comments",
        json={"text": "Draft for discussion."},
        headers=as_user(w.member),
    )
    assert response.status_code == 201
    assert response.get_json()["timeline"][-1]["note"] == "Draft for discussion."
