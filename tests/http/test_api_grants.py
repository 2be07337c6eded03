"""The grants REST API: listing, terms, revocation, extension and the streamed extract;
every refusal answers with the error envelope and not a byte of data."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app

from app.common import utcnow
from app.extensions import db
from app.grants import revoking
from tests.grant_world import make_grant, upload_reports
from tests.request_world import request_world

API = "/api/v1"


@pytest.fixture
def w(db):
    world = request_world()
    world.version = upload_reports(world)
    return world


def envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def test_extract_as_csv_with_the_grants_labels(client, w, make_token):
    grant = make_grant(w, row_filter={"district": ["Kowloon City"]})
    response = client.get(f"{API}/grants/{grant.id}/extract", headers=make_token(w.member))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["X-Grant-Id"] == str(grant.id)
    assert response.headers["X-Grant-Purpose"].startswith("Follow up flooding reports")
    assert response.headers["X-Grant-Expires"].startswith(f"{grant.expires_at:%Y-%m-%d}")
    assert f'filename="grant-{grant.id}-' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["report_id"] for row in rows] == ["R-1", "R-3", "R-5"]


def test_extract_as_json_with_a_limit(client, w, make_token):
    grant = make_grant(w, columns=("report_id",))
    response = client.get(
        f"{API}/grants/{grant.id}/extract?format=json&limit=2", headers=make_token(w.member)
    )
    assert response.status_code == 200
    assert response.get_json() == [{"report_id": "R-1"}, {"report_id": "R-2"}]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?format=xml", "unknown_format"),
        ("?limit=-3", "bad_limit"),
        ("?limit=99999999999999", "bad_limit"),
        ("?limit=ten", "bad_limit"),
    ],
)
def test_bad_extract_queries_are_422(client, w, make_token, query, code):
    grant = make_grant(w)
    response = client.get(f"{API}/grants/{grant.id}/extract{query}", headers=make_token(w.member))
    envelope(response, 422, code)


def test_refusals_carry_no_data(client, w, make_token):
    grant = make_grant(w)
    url = f"{API}/grants/{grant.id}/extract"
    envelope(client.get(url, headers=make_token(w.outsider)), 404, "not_found")
    envelope(client.get(url, headers=make_token(w.observer)), 403, "not_grantee")
    envelope(client.get(url, headers=make_token(w.auditor)), 403, "not_grantee")
    envelope(client.get(f"{API}/grants/999999/extract", headers=make_token(w.member)), 404)
    revoking.revoke_grant(w.steward, grant.id, reason="No longer needed.")
    envelope(client.get(url, headers=make_token(w.member)), 403, "revoked")


def test_expired_and_not_started(client, w, make_token):
    expired = make_grant(w, start=utcnow() - timedelta(days=31), days=30)
    later = make_grant(w, start=utcnow() + timedelta(days=1))
    token = make_token(w.member)
    envelope(client.get(f"{API}/grants/{expired.id}/extract", headers=token), 403, "expired")
    envelope(client.get(f"{API}/grants/{later.id}/extract", headers=token), 403, "not_started")


def test_deactivated_users_token_is_refused(client, w, make_token):
    grant = make_grant(w)
    token = make_token(w.member)
    w.member.active = False
    db.session.commit()
    envelope(client.get(f"{API}/grants/{grant.id}/extract", headers=token), 401)


def test_missing_file_is_a_clear_409(client, w, make_token):
    grant = make_grant(w)
    path = Path(current_app.config["STORAGE_DIR"]) / w.version.storage_path
    path.rename(path.with_suffix(".gone"))
    try:
        response = client.get(f"{API}/grants/{grant.id}/extract", headers=make_token(w.member))
    finally:
        path.with_suffix(".gone").rename(path)
    envelope(response, 409, "file_missing")


def test_list_detail_and_revoke(client, w, make_token):
    grant = make_grant(w)
    listed = client.get(f"{API}/grants", headers=make_token(w.member)).get_json()
    assert [item["id"] for item in listed["items"]] == [grant.id]
    assert listed["items"][0]["state"] == "active"
    assert client.get(f"{API}/grants", headers=make_token(w.outsider)).get_json()["items"] == []
    seen = client.get(f"{API}/grants", headers=make_token(w.auditor)).get_json()["items"]
    assert [item["id"] for item in seen] == [grant.id]
    envelope(client.get(f"{API}/grants/{grant.id}", headers=make_token(w.outsider)), 404)
    envelope(
        client.post(
            f"{API}/grants/{grant.id}/revoke", json={"reason": "x"}, headers=make_token(w.member)
        ),
        403,
    )
    envelope(
        client.post(f"{API}/grants/{grant.id}/revoke", json={}, headers=make_token(w.steward)),
        422,
    )
    revoked = client.post(
        f"{API}/grants/{grant.id}/revoke",
        json={"reason": "Purpose met."},
        headers=make_token(w.steward),
    )
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    envelope(
        client.post(
            f"{API}/grants/{grant.id}/revoke",
            json={"reason": "again"},
            headers=make_token(w.steward),
        ),
        409,
        "already_revoked",
    )


def test_usage_is_listed_for_owners(client, w, make_token):
    grant = make_grant(w)
    client.get(f"{API}/grants/{grant.id}/extract?limit=2", headers=make_token(w.member))
    events = client.get(
        f"{API}/grants/{grant.id}/access-events", headers=make_token(w.steward)
    ).get_json()["items"]
    assert [(e["user"]["id"], e["kind"], e["rows_returned"]) for e in events] == [
        (w.member.id, "api", 2)
    ]


def test_extend_files_a_prefilled_request(client, w, make_token):
    grant = make_grant(w, row_filter={"district": ["Kowloon City"]})
    response = client.post(f"{API}/grants/{grant.id}/extend", json={}, headers=make_token(w.member))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "draft"
    assert body["columns"] == grant.columns and body["row_filter"] == grant.row_filter
    envelope(
        client.post(f"{API}/grants/{grant.id}/extend", json={}, headers=make_token(w.observer)),
        403,
    )


def test_list_statement_count_does_not_grow(client, w, make_token, count_queries):
    make_grant(w)
    token = make_token(w.auditor)
    client.get(f"{API}/grants", headers=token)  # the token's first use is recorded once
    with count_queries() as few:
        client.get(f"{API}/grants", headers=token)
    for _ in range(8):
        make_grant(w)
    with count_queries() as many:
        client.get(f"{API}/grants", headers=token)
    assert many.count == few.count


def test_auditors_see_every_read_others_only_theirs(client, w, make_token):
    grant = make_grant(w)
    client.get(f"{API}/grants/{grant.id}/extract?limit=1", headers=make_token(w.member))
    client.get(f"{API}/grants/{grant.id}/extract?limit=1", headers=make_token(w.td_head))

    def readers(user) -> list[int]:
        body = client.get(f"{API}/grant-access-events", headers=make_token(user)).get_json()
        return sorted(item["user"]["id"] for item in body["items"])

    assert readers(w.auditor) == sorted([w.member.id, w.td_head.id])
    assert readers(w.steward) == sorted([w.member.id, w.td_head.id])
    assert readers(w.member) == [w.member.id]
    assert readers(w.outsider) == []


def test_access_event_list_statement_count_does_not_grow(client, w, make_token, count_queries):
    grant = make_grant(w)
    reader, auditor = make_token(w.member), make_token(w.auditor)
    client.get(f"{API}/grants/{grant.id}/extract?limit=1", headers=reader)
    client.get(f"{API}/grant-access-events", headers=auditor)
    with count_queries() as few:
        client.get(f"{API}/grant-access-events", headers=auditor)
    for person in (w.td_head, w.sz_officer, w.requester):
        for _ in range(3):
            client.get(f"{API}/grants/{grant.id}/extract?limit=1", headers=make_token(person))
    with count_queries() as many:
        body = client.get(f"{API}/grant-access-events", headers=auditor).get_json()
    assert len(body["items"]) == 10
    assert many.count == few.count


def test_search_takes_text_literally(client, w, make_token):
    grant = make_grant(w)
    token = make_token(w.member)
    found = client.get(f"{API}/grants?q=kowloon city", headers=token).get_json()["items"]
    assert [item["id"] for item in found] == [grant.id]
    assert client.get(f"{API}/grants?q=%25", headers=token).get_json()["items"] == []
