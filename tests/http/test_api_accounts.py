"""The accounts REST API: tokens, /me, regions, departments, users, delegations.

Each endpoint is checked on its happy path and on every way a caller can be refused,
always with the error envelope ``{"error": {"code", "message", "fields"}}``.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import service
from app.accounts.models import ApiToken, Delegation, User
from app.audit.models import AuditEntry
from app.common import utcnow
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD, make_department, make_region, make_user

API = "/api/v1"
SECRET_KEYS = {"password_hash", "secret_hash", "session_version", "password"}


def envelope(response, status: int, code: str | None = None) -> dict:
    """Assert ``response`` is the error envelope with ``status``; return its ``error``."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code
    return error


def keys_anywhere(value) -> set[str]:
    if isinstance(value, dict):
        found = set(value)
        for item in value.values():
            found |= keys_anywhere(item)
        return found
    if isinstance(value, list):
        found = set()
        for item in value:
            found |= keys_anywhere(item)
        return found
    return set()


def audit_actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


@pytest.fixture
def admin(db):
    return make_user("admin", "officer", username="root.admin")


@pytest.fixture
def officer(db):
    return make_user("officer", username="olivia.officer")


# POST /tokens -------------------------------------------------------------------------------


def test_sign_in_creates_a_token_whose_secret_is_shown_once(client, db, officer):
    response = client.post(
        f"{API}/tokens",
        json={"username": officer.username, "password": PASSWORD, "name": "laptop"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "name", "prefix", "token", "expires_at"}
    assert body["name"] == "laptop"
    assert body["token"].startswith(f"bw_{body['prefix']}_")
    stored = db.session.get(ApiToken, body["id"])
    assert body["token"] not in (stored.secret_hash, stored.prefix)

    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get(f"{API}/me", headers=headers).get_json()["user"]["id"] == officer.id
    listed = client.get(f"{API}/tokens", headers=headers).get_json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    assert "token" not in listed["items"][0]
    assert not keys_anywhere(listed) & SECRET_KEYS
    assert audit_actions(db)[-2:] == ["auth.login", "token.created"]


def test_token_expiry_follows_expires_in_days(client, officer):
    response = client.post(
        f"{API}/tokens",
        json={"username": officer.username, "password": PASSWORD, "expires_in_days": 7},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["name"] == "API token"
    expires = body["expires_at"]
    assert expires.endswith("+00:00")
    expected = (utcnow() + timedelta(days=7)).date().isoformat()
    assert expires.startswith(expected)


def test_unknown_user_and_wrong_password_get_the_same_401(client, officer):
    wrong = client.post(f"{API}/tokens", json={"username": officer.username, "password": "x" * 12})
    unknown = client.post(f"{API}/tokens", json={"username": "nobody", "password": PASSWORD})
    first = envelope(wrong, 401, "unauthorized")
    second = envelope(unknown, 401, "unauthorized")
    assert first == second


def test_deactivated_user_cannot_get_a_token(client, db):
    gone = make_user("officer", active=False)
    wrong = client.post(f"{API}/tokens", json={"username": "nobody", "password": PASSWORD})
    response = client.post(f"{API}/tokens", json={"username": gone.username, "password": PASSWORD})
    assert envelope(response, 401) == envelope(wrong, 401)


def test_sign_in_is_rate_limited_per_username_and_address(client, app, officer, monkeypatch):
    from app.accounts import signin

    monkeypatch.setattr(signin, "pause", lambda seconds: None)
    limit = app.config["LOGIN_FAILURES_PER_USERNAME"]
    for _ in range(limit):
        response = client.post(
            f"{API}/tokens",
            json={"username": officer.username, "password": "not-the-password"},
            environ_base={"REMOTE_ADDR": "10.1.0.1"},
        )
        envelope(response, 401)
    right = {"username": officer.username, "password": PASSWORD, "name": "script"}
    elsewhere = client.post(f"{API}/tokens", json=right, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert elsewhere.status_code == 201, "a stranger's failures must not lock the owner out"
    blocked = client.post(f"{API}/tokens", json=right, environ_base={"REMOTE_ADDR": "10.1.0.1"})
    error = envelope(blocked, 429, "rate_limited")
    assert "Too many failed sign-in attempts" in error["message"]
    other = make_user("officer")
    fine = client.post(
        f"{API}/tokens",
        json={"username": other.username, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )
    assert fine.status_code == 201


def test_sign_in_is_rate_limited_per_address(client, app, officer):
    limit = app.config["LOGIN_FAILURES_PER_ADDRESS"]
    noisy = {"REMOTE_ADDR": "10.2.0.1"}
    for n in range(limit):
        client.post(
            f"{API}/tokens",
            json={"username": f"guess{n}", "password": "not-the-password"},
            environ_base=noisy,
        )
    blocked = client.post(
        f"{API}/tokens",
        json={"username": officer.username, "password": PASSWORD},
        environ_base=noisy,
    )
    envelope(blocked, 429, "rate_limited")
    elsewhere = client.post(
        f"{API}/tokens",
        json={"username": officer.username, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.2.0.2"},
    )
    assert elsewhere.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "someone"}, "password"),
        ({"username": 42, "password": PASSWORD}, "username"),
        ({"username": "someone", "password": PASSWORD, "expires_in_days": 0}, "expires_in_days"),
        ({"username": "someone", "password": PASSWORD, "expires_in_days": 400}, "expires_in_days"),
        ({"username": "someone", "password": PASSWORD, "expires_in_days": "7"}, "expires_in_days"),
        ({"username": "someone", "password": PASSWORD, "name": ""}, "name"),
        ({"username": "someone", "password": PASSWORD, "scope": "all"}, "scope"),
    ],
)
def test_token_request_with_bad_fields_is_422_and_no_sign_in(client, db, payload, field):
    error = envelope(client.post(f"{API}/tokens", json=payload), 422, "invalid")
    assert field in error["fields"]
    assert not [a for a in audit_actions(db) if a.startswith("auth.")]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("username=a&password=b", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
        ('["a", "list"]', "application/json"),
        ("null", "application/json"),
        ("just text", "text/plain"),
    ],
)
def test_token_request_that_is_not_a_json_object_is_422(client, data, content_type):
    response = client.post(f"{API}/tokens", data=data, content_type=content_type)
    error = envelope(response, 422, "invalid")
    assert error["fields"] == {"_schema": [error["fields"]["_schema"][0]]}


# Authentication of every other endpoint ---------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer not-a-token",
        "Bearer bw_deadbeef_nothing",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_missing_or_malformed_token_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get(f"{API}/me", headers=headers)
    envelope(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_with_a_wrong_secret_is_401(client, officer, make_token):
    good = make_token(officer)["Authorization"]
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    envelope(client.get(f"{API}/me", headers={"Authorization": forged}), 401)


def test_expired_token_is_401(client, db, officer, make_token):
    headers = make_token(officer)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == officer.id))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    envelope(client.get(f"{API}/me", headers=headers), 401)


def test_revoked_token_stops_working_at_once(client, db, officer, make_token):
    headers = make_token(officer)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == officer.id))
    response = client.post(f"{API}/tokens/{token.id}/revoke", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["revoked_at"] is not None
    envelope(client.get(f"{API}/me", headers=headers), 401)


def test_deactivated_users_token_stops_working_at_once(client, admin, officer, make_token):
    headers = make_token(officer)
    assert client.get(f"{API}/me", headers=headers).status_code == 200
    response = client.patch(
        f"{API}/users/{officer.id}", json={"active": False}, headers=make_token(admin)
    )
    assert response.status_code == 200
    assert response.get_json()["active"] is False
    envelope(client.get(f"{API}/me", headers=headers), 401)


def test_browser_session_reads_without_csrf_but_writes_need_it(client, db, officer):
    login(client, officer)
    assert client.get(f"{API}/me").status_code == 200
    envelope(client.post(f"{API}/tokens/1/revoke"), 400, "csrf")
    token = csrf_token(client, "/profile")
    mine = client.get(f"{API}/tokens").get_json()["items"]
    assert mine == []
    response = client.post(f"{API}/tokens/999999/revoke", headers={"X-CSRFToken": token})
    envelope(response, 404, "not_found")


def test_unknown_api_path_and_wrong_method_answer_with_the_envelope(client, officer, make_token):
    headers = make_token(officer)
    envelope(client.get(f"{API}/no-such-thing", headers=headers), 404, "not_found")
    envelope(client.delete(f"{API}/me", headers=headers), 405, "method_not_allowed")
    envelope(client.get(f"{API}/users/not-a-number", headers=headers), 404)


# Tokens -------------------------------------------------------------------------------------


def test_revoking_twice_is_409(client, db, officer, make_token):
    headers = make_token(officer)
    spare = make_token(officer, name="spare")
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.user_id == officer.id, ApiToken.name == "spare")
    )
    assert client.post(f"{API}/tokens/{token.id}/revoke", headers=headers).status_code == 200
    envelope(client.post(f"{API}/tokens/{token.id}/revoke", headers=headers), 409, "conflict")
    envelope(client.get(f"{API}/me", headers=spare), 401)


def test_someone_elses_token_is_404_but_an_admin_may_revoke_it(
    client, db, admin, officer, make_token
):
    make_token(officer, name="theirs")
    theirs = db.session.scalar(select(ApiToken).where(ApiToken.user_id == officer.id))
    stranger = make_user("officer")
    envelope(client.post(f"{API}/tokens/{theirs.id}/revoke", headers=make_token(stranger)), 404)
    envelope(client.post(f"{API}/tokens/987654/revoke", headers=make_token(stranger)), 404)
    response = client.post(f"{API}/tokens/{theirs.id}/revoke", headers=make_token(admin))
    assert response.status_code == 200


# /me ----------------------------------------------------------------------------------------


def test_me_shows_account_department_region_roles_and_deputyships(client, db, make_token):
    region = make_region(code="HKX", jurisdiction="HK", name="Hong Kong X")
    department = make_department(code="DSDX", region=region, name="Drainage X")
    head = make_user("head", "officer", department=department)
    deputy = make_user("officer", department=department)
    delegation = Delegation(
        head_id=head.id,
        deputy_id=deputy.id,
        department_id=department.id,
        starts_on=utcnow().date(),
        ends_on=utcnow().date() + timedelta(days=3),
    )
    db.session.add(delegation)
    db.session.commit()

    body = client.get(f"{API}/me", headers=make_token(deputy)).get_json()
    assert set(body) == {"user", "department", "roles", "acting_for"}
    assert body["user"]["username"] == deputy.username
    assert body["department"]["code"] == "DSDX"
    assert body["department"]["region"]["jurisdiction"] == "HK"
    assert body["roles"] == ["officer"]
    assert [d["head"]["id"] for d in body["acting_for"]] == [head.id]
    assert not keys_anywhere(body) & SECRET_KEYS

    head_view = client.get(f"{API}/me", headers=make_token(head)).get_json()
    assert head_view["roles"] == ["head", "officer"]
    assert head_view["acting_for"] == []


# Regions ------------------------------------------------------------------------------------


def test_anyone_signed_in_lists_and_reads_regions(client, officer, make_token):
    region = make_region(code="MOX", jurisdiction="MO", name="Macao X")
    headers = make_token(officer)
    listed = client.get(f"{API}/regions", headers=headers).get_json()
    assert set(listed) == {"items", "page", "per_page", "total", "pages"}
    assert region.id in [r["id"] for r in listed["items"]]
    found = client.get(f"{API}/regions?q=macao x", headers=headers).get_json()
    assert [r["code"] for r in found["items"]] == ["MOX"]
    shown = client.get(f"{API}/regions/{region.id}", headers=headers).get_json()
    assert shown == {
        "id": region.id,
        "code": "MOX",
        "name": "Macao X",
        "jurisdiction": "MO",
        "created_at": shown["created_at"],
    }
    envelope(client.get(f"{API}/regions/999999", headers=headers), 404, "not_found")


def test_admin_creates_and_changes_a_region(client, db, admin, make_token):
    headers = make_token(admin)
    response = client.post(
        f"{API}/regions",
        json={"code": "gz", "name": "Guangzhou", "jurisdiction": "CN"},
        headers=headers,
    )
    assert response.status_code == 201
    region = response.get_json()
    assert region["code"] == "GZ"
    changed = client.patch(
        f"{API}/regions/{region['id']}", json={"name": "Guangzhou City"}, headers=headers
    )
    assert changed.status_code == 200
    assert changed.get_json()["name"] == "Guangzhou City"
    assert audit_actions(db)[-2:] == ["region.created", "region.updated"]


def test_region_code_must_be_unique(client, admin, make_token):
    make_region(code="SZX")
    response = client.post(
        f"{API}/regions",
        json={"code": "szx", "name": "Shenzhen", "jurisdiction": "CN"},
        headers=make_token(admin),
    )
    assert envelope(response, 422, "invalid")["fields"]["code"]


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"code", "name", "jurisdiction"}),
        ({"code": 5, "name": ["x"], "jurisdiction": None}, {"code", "name", "jurisdiction"}),
        ({"code": "X1", "name": "X", "jurisdiction": "HK", "colour": "red"}, {"colour"}),
        ({"code": "  ", "name": "  ", "jurisdiction": "HK"}, {"code", "name"}),
    ],
)
def test_region_input_errors_are_gathered(client, admin, make_token, payload, fields):
    response = client.post(f"{API}/regions", json=payload, headers=make_token(admin))
    assert set(envelope(response, 422, "invalid")["fields"]) == fields


def test_only_admins_change_regions(client, officer, make_token):
    region = make_region()
    headers = make_token(officer)
    body = {"code": "NEW", "name": "New", "jurisdiction": "HK"}
    envelope(client.post(f"{API}/regions", json=body, headers=headers), 403, "forbidden")
    envelope(client.patch(f"{API}/regions/{region.id}", json={"name": "X"}, headers=headers), 403)


def test_patching_a_missing_region_is_404(client, admin, make_token):
    envelope(
        client.patch(f"{API}/regions/999999", json={"name": "X"}, headers=make_token(admin)), 404
    )


# Departments --------------------------------------------------------------------------------


def test_departments_are_listed_searched_and_filtered_by_region(client, officer, make_token):
    hk = make_region(jurisdiction="HK")
    mo = make_region(jurisdiction="MO")
    drainage = make_department(code="DRN", region=hk, name="Drainage Services")
    make_department(code="TRN", region=hk, name="Transport")
    make_department(code="ECO", region=mo, name="Economy Bureau")
    headers = make_token(officer)
    found = client.get(f"{API}/departments?q=drainage", headers=headers).get_json()
    assert [d["id"] for d in found["items"]] == [drainage.id]
    assert found["items"][0]["region"]["id"] == hk.id
    in_mo = client.get(f"{API}/departments?region_id={mo.id}", headers=headers).get_json()
    assert [d["code"] for d in in_mo["items"]] == ["ECO"]
    paged = client.get(f"{API}/departments?per_page=1&page=2", headers=headers).get_json()
    assert paged["per_page"] == 1 and paged["page"] == 2 and len(paged["items"]) == 1
    assert paged["pages"] == paged["total"]
    shown = client.get(f"{API}/departments/{drainage.id}", headers=headers).get_json()
    assert shown["name"] == "Drainage Services" and shown["parent"] is None
    envelope(client.get(f"{API}/departments/999999", headers=headers), 404)


def test_admin_creates_a_unit_and_refuses_a_parent_cycle(client, db, admin, make_token):
    region = make_region()
    headers = make_token(admin)
    top = client.post(
        f"{API}/departments",
        json={"code": "top", "name": "Top", "region_id": region.id},
        headers=headers,
    ).get_json()
    unit = client.post(
        f"{API}/departments",
        json={"code": "unit", "name": "Unit", "region_id": region.id, "parent_id": top["id"]},
        headers=headers,
    )
    assert unit.status_code == 201
    unit = unit.get_json()
    assert unit["parent"]["id"] == top["id"] and unit["code"] == "UNIT"
    cycle = client.patch(
        f"{API}/departments/{top['id']}", json={"parent_id": unit["id"]}, headers=headers
    )
    assert "parent_id" in envelope(cycle, 422)["fields"]
    cleared = client.patch(
        f"{API}/departments/{unit['id']}", json={"parent_id": None}, headers=headers
    )
    assert cleared.status_code == 200 and cleared.get_json()["parent_id"] is None
    assert audit_actions(db)[-3:] == [
        "department.created",
        "department.created",
        "department.updated",
    ]


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"code", "name", "region_id"}),
        ({"code": "X", "name": "X", "region_id": "1"}, {"region_id"}),
        ({"code": "X", "name": "X", "region_id": 999999}, {"region_id"}),
        (
            {"code": "X", "name": "X", "region_id": 999999, "parent_id": 999999},
            {"region_id", "parent_id"},
        ),
        ({"code": "X", "name": "X", "region_id": 1, "head": "me"}, {"head"}),
    ],
)
def test_department_input_errors_are_gathered(client, admin, make_token, payload, fields):
    response = client.post(f"{API}/departments", json=payload, headers=make_token(admin))
    assert set(envelope(response, 422)["fields"]) == fields


def test_only_admins_change_departments(client, officer, make_token):
    headers = make_token(officer)
    body = {"code": "X", "name": "X", "region_id": officer.department.region_id}
    envelope(client.post(f"{API}/departments", json=body, headers=headers), 403)
    envelope(
        client.patch(
            f"{API}/departments/{officer.department_id}", json={"name": "Mine"}, headers=headers
        ),
        403,
    )
    admin = make_user("admin")
    envelope(
        client.patch(f"{API}/departments/999999", json={"name": "X"}, headers=make_token(admin)),
        404,
    )


# Users --------------------------------------------------------------------------------------


def test_admin_lists_users_with_filters(client, db, admin, make_token):
    department = make_department(name="Hospital Authority X")
    head = make_user("head", "officer", department=department, username="helen.kwok")
    make_user("officer", department=department, username="ivan.tse")
    make_user("officer", username="retired.one", active=False)
    headers = make_token(admin)

    def usernames(query: str) -> list[str]:
        response = client.get(f"{API}/users?{query}", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [u["username"] for u in response.get_json()["items"]]

    assert usernames(f"department_id={department.id}") == ["helen.kwok", "ivan.tse"]
    assert usernames("q=helen") == ["helen.kwok"]
    assert usernames(f"role=head&department_id={department.id}") == ["helen.kwok"]
    assert usernames("active=false") == ["retired.one"]
    assert "retired.one" not in usernames("active=true")
    listed = client.get(f"{API}/users?q=helen", headers=headers).get_json()
    assert listed["items"][0]["roles"] == ["head", "officer"]
    assert listed["items"][0]["department"]["id"] == head.department_id
    assert not keys_anywhere(listed) & SECRET_KEYS


@pytest.mark.parametrize(
    "query", ["per_page=101", "per_page=0", "page=0", "page=abc", "role=king", "active=maybe"]
)
def test_bad_list_parameters_are_422(client, admin, make_token, query):
    response = client.get(f"{API}/users?{query}", headers=make_token(admin))
    assert envelope(response, 422, "invalid")["fields"]


@pytest.mark.parametrize("role", ["officer", "head", "dpo", "auditor"])
def test_only_admins_list_and_create_users(client, make_token, role):
    caller = make_user(role)
    headers = make_token(caller)
    envelope(client.get(f"{API}/users", headers=headers), 403, "forbidden")
    body = {
        "username": "new.person",
        "display_name": "New Person",
        "email": "new@example.gov.hk",
        "department_id": caller.department_id,
        "password": "a-long-enough-password",
    }
    envelope(client.post(f"{API}/users", json=body, headers=headers), 403)
    envelope(client.patch(f"{API}/users/{caller.id}", json=body, headers=headers), 422)
    envelope(
        client.patch(f"{API}/users/{caller.id}", json={"display_name": "Me"}, headers=headers),
        403,
    )


def test_users_see_themselves_auditors_and_admins_see_anyone(client, admin, officer, make_token):
    colleague = make_user("officer", department=officer.department)
    mine = client.get(f"{API}/users/{officer.id}", headers=make_token(officer))
    assert mine.status_code == 200 and mine.get_json()["username"] == officer.username
    envelope(client.get(f"{API}/users/{colleague.id}", headers=make_token(officer)), 404)
    envelope(client.get(f"{API}/users/999999", headers=make_token(officer)), 404)
    auditor = make_user("auditor")
    for caller in (auditor, admin):
        shown = client.get(f"{API}/users/{colleague.id}", headers=make_token(caller))
        assert shown.status_code == 200
        assert not set(shown.get_json()) & SECRET_KEYS


def test_admin_creates_a_user_who_can_then_sign_in(client, db, admin, make_token):
    department = make_department()
    response = client.post(
        f"{API}/users",
        json={
            "username": "tina.leung",
            "display_name": "Tina Leung",
            "email": "Tina.Leung@td.gov.hk",
            "department_id": department.id,
            "password": "a-long-enough-password",
            "roles": ["head", "officer"],
        },
        headers=make_token(admin),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "tina.leung@td.gov.hk"
    assert body["roles"] == ["head", "officer"] and body["active"] is True
    assert not set(body) & SECRET_KEYS
    signed_in = client.post(
        f"{API}/tokens", json={"username": "tina.leung", "password": "a-long-enough-password"}
    )
    assert signed_in.status_code == 201
    assert "user.created" in audit_actions(db)


def test_user_creation_reports_every_problem_at_once(client, admin, make_token):
    taken = make_user("officer", username="taken.name")
    response = client.post(
        f"{API}/users",
        json={
            "username": "taken.name",
            "display_name": "Someone",
            "email": taken.email,
            "department_id": 999999,
            "password": "short",
        },
        headers=make_token(admin),
    )
    fields = envelope(response, 422, "invalid")["fields"]
    assert set(fields) == {"username", "email", "department_id", "password"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"roles": ["officer", "emperor"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"active": "no"}, "active"),
        ({"department_id": True}, "department_id"),
        ({"password_hash": "x"}, "password_hash"),
        ({"username": "renamed"}, "username"),
    ],
)
def test_user_update_input_errors(client, admin, officer, make_token, payload, field):
    response = client.patch(f"{API}/users/{officer.id}", json=payload, headers=make_token(admin))
    assert field in envelope(response, 422, "invalid")["fields"]


def test_admin_changes_a_user(client, db, admin, officer, make_token):
    department = make_department()
    response = client.patch(
        f"{API}/users/{officer.id}",
        json={
            "display_name": "Olivia Ho",
            "email": "olivia.ho@dsd.gov.hk",
            "department_id": department.id,
            "roles": ["officer", "dpo"],
        },
        headers=make_token(admin),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["display_name"] == "Olivia Ho"
    assert body["department"]["id"] == department.id
    assert body["roles"] == ["dpo", "officer"]
    assert audit_actions(db)[-1] == "user.updated"


def test_admin_cannot_deactivate_themselves_or_drop_their_admin_role(client, admin, make_token):
    headers = make_token(admin)
    response = client.patch(
        f"{API}/users/{admin.id}", json={"active": False, "roles": ["officer"]}, headers=headers
    )
    assert set(envelope(response, 422)["fields"]) == {"active", "roles"}
    assert client.get(f"{API}/me", headers=headers).status_code == 200


def test_reactivated_user_needs_a_new_token(client, db, admin, officer, make_token):
    old = make_token(officer)
    headers = make_token(admin)
    client.patch(f"{API}/users/{officer.id}", json={"active": False}, headers=headers)
    response = client.patch(f"{API}/users/{officer.id}", json={"active": True}, headers=headers)
    assert response.get_json()["active"] is True
    envelope(client.get(f"{API}/me", headers=old), 401)
    assert client.get(f"{API}/me", headers=make_token(officer)).status_code == 200
    assert audit_actions(db)[-3:-1] == ["user.deactivated", "user.activated"]


def test_patching_a_missing_user_is_404(client, admin, make_token):
    response = client.patch(
        f"{API}/users/999999", json={"active": False}, headers=make_token(admin)
    )
    envelope(response, 404, "not_found")


# Delegations --------------------------------------------------------------------------------


def _dates(days: int = 7) -> dict:
    today = utcnow().date()
    return {"starts_on": today.isoformat(), "ends_on": (today + timedelta(days=days)).isoformat()}


def test_head_names_a_deputy_who_then_acts_for_them(client, db, make_token):
    department = make_department()
    head = make_user("head", "officer", department=department)
    deputy = make_user("officer", department=department)
    response = client.post(
        f"{API}/delegations", json={"deputy_id": deputy.id, **_dates()}, headers=make_token(head)
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["head"]["id"] == head.id and body["deputy"]["id"] == deputy.id
    assert body["revoked_at"] is None
    for person in (head, deputy):
        listed = client.get(f"{API}/delegations", headers=make_token(person)).get_json()
        assert [d["id"] for d in listed["items"]] == [body["id"]]
    me = client.get(f"{API}/me", headers=make_token(deputy)).get_json()
    assert [d["id"] for d in me["acting_for"]] == [body["id"]]
    assert "delegation.created" in audit_actions(db)


def test_only_heads_name_deputies(client, make_token):
    department = make_department()
    officer = make_user("officer", department=department)
    colleague = make_user("officer", department=department)
    response = client.post(
        f"{API}/delegations",
        json={"deputy_id": colleague.id, **_dates()},
        headers=make_token(officer),
    )
    envelope(response, 403, "forbidden")


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("other_department", "deputy_id"),
        ("self", "deputy_id"),
        ("missing", "deputy_id"),
        ("ends_before_start", "ends_on"),
        ("not_a_date", "starts_on"),
        ("string_id", "deputy_id"),
    ],
)
def test_delegation_input_errors(client, make_token, case, field):
    department = make_department()
    head = make_user("head", department=department)
    deputy_id = {
        "other_department": make_user("officer").id,
        "self": head.id,
        "missing": 999999,
        "string_id": str(head.id),
    }.get(case, make_user("officer", department=department).id)
    payload = {"deputy_id": deputy_id, **_dates()}
    if case == "ends_before_start":
        payload["ends_on"] = (utcnow().date() - timedelta(days=1)).isoformat()
    if case == "not_a_date":
        payload["starts_on"] = "next tuesday"
    response = client.post(f"{API}/delegations", json=payload, headers=make_token(head))
    assert field in envelope(response, 422, "invalid")["fields"]


def test_delegation_is_revoked_by_its_head_once(client, db, make_token):
    department = make_department()
    head = make_user("head", department=department)
    deputy = make_user("officer", department=department)
    created = client.post(
        f"{API}/delegations", json={"deputy_id": deputy.id, **_dates()}, headers=make_token(head)
    ).get_json()
    envelope(
        client.post(f"{API}/delegations/{created['id']}/revoke", headers=make_token(deputy)), 404
    )
    stranger_head = make_user("head")
    envelope(
        client.post(f"{API}/delegations/{created['id']}/revoke", headers=make_token(stranger_head)),
        404,
    )
    revoked = client.post(f"{API}/delegations/{created['id']}/revoke", headers=make_token(head))
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"] is not None
    envelope(
        client.post(f"{API}/delegations/{created['id']}/revoke", headers=make_token(head)), 409
    )
    envelope(client.post(f"{API}/delegations/999999/revoke", headers=make_token(head)), 404)
    assert client.get(f"{API}/me", headers=make_token(deputy)).get_json()["acting_for"] == []


# Lists run a constant number of statements ------------------------------------------------


def _grow(kind: str, owner: User, count: int) -> None:
    from app.accounts.service import create_token

    for _ in range(count):
        if kind == "regions":
            make_region()
        elif kind == "departments":
            make_department(parent=make_department())
        elif kind == "users":
            make_user("officer", "head")
        elif kind == "tokens":
            create_token(owner, name="bulk")
        elif kind == "delegations":
            deputy = make_user("officer", department=owner.department)
            today = utcnow().date()
            from app.extensions import db as _db

            _db.session.add(
                Delegation(
                    head_id=owner.id,
                    deputy_id=deputy.id,
                    department_id=owner.department_id,
                    starts_on=today,
                    ends_on=today + timedelta(days=1),
                )
            )
            _db.session.commit()


@pytest.mark.parametrize("kind", ["regions", "departments", "users", "tokens", "delegations"])
def test_list_pages_run_the_same_statements_for_few_and_many_rows(
    client, db, count_queries, make_token, kind
):
    caller = make_user("admin", "head")
    headers = make_token(caller)
    client.get(f"{API}/{kind}", headers=headers)  # token's first use is noted once

    def statements() -> tuple[int, int]:
        db.session.expire_all()
        with count_queries() as counter:
            response = client.get(f"{API}/{kind}?per_page=50", headers=headers)
        assert response.status_code == 200
        return counter.count, len(response.get_json()["items"])

    _grow(kind, caller, 2)
    few, few_rows = statements()
    _grow(kind, caller, 12)
    many, many_rows = statements()
    assert many_rows >= few_rows + 12
    assert many == few


# Every endpoint of these domains, generically ----------------------------------------------

OWN_TAGS = {"Account", "Regions and departments", "Users", "Delegations", "Audit"}


def _own_operations(writes_only: bool = False) -> list:
    """The declared operations of these domains (their modules register them on import)."""
    import re
    from importlib import import_module

    from app.api import OPERATIONS

    for module in ("app.accounts.api", "app.audit.api"):
        import_module(module)
    found = []
    for op in OPERATIONS:
        if op.tag not in OWN_TAGS or not op.auth:
            continue
        if writes_only and op.body is None:
            continue
        path = API + re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", op.rule)
        found.append(pytest.param(op.method, path, id=f"{op.method} {op.rule}"))
    return found


@pytest.mark.parametrize(("method", "path"), _own_operations())
def test_every_endpoint_refuses_missing_revoked_and_deactivated_tokens(
    client, db, admin, make_token, method, path
):
    envelope(client.open(path, method=method, json={}), 401, "unauthorized")
    envelope(client.open(path, method=method, json={}, headers={"Authorization": "Bearer x"}), 401)
    revoked = make_user("admin", "auditor", "head")
    headers = make_token(revoked)
    from app.accounts import service

    service.revoke_token(
        revoked, db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == revoked.id))
    )
    envelope(client.open(path, method=method, json={}, headers=headers), 401)
    deactivated = make_user("admin", "auditor", "head")
    headers = make_token(deactivated)
    deactivated.active = False
    db.session.commit()
    envelope(client.open(path, method=method, json={}, headers=headers), 401)


BAD_BODIES = [
    [],
    "text",
    12,
    None,
    {"nested": {"deep": [1, {"x": None}]}},
    {"username": "x" * 10_000, "name": ["a"], "code": {"a": 1}, "deputy_id": 1e308},
]


@pytest.mark.parametrize("bad", BAD_BODIES, ids=[f"body{n}" for n in range(len(BAD_BODIES))])
@pytest.mark.parametrize(("method", "path"), _own_operations(writes_only=True))
def test_bad_bodies_never_cause_a_server_error(client, admin, make_token, method, path, bad):
    response = client.open(
        path,
        method=method,
        data=json.dumps(bad),
        content_type="application/json",
        headers=make_token(admin),
    )
    assert 400 <= response.status_code < 500
    envelope(response, response.status_code)


def test_a_token_request_records_its_use_after_the_request_not_during_authentication(
    client, db, officer, monkeypatch
):
    _token, secret = service.create_token(officer, name="cli")
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == officer.id))
    committed_during_view = []

    def looking(*args, **kwargs):
        committed_during_view.append(db.session.get(ApiToken, token.id).last_used_at)
        return real_summary(*args, **kwargs)

    real_summary = service.account_summary
    monkeypatch.setattr("app.accounts.api.service.account_summary", looking)
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert committed_during_view == [None], "authentication wrote nothing"
    db.session.expire_all()
    first_use = db.session.get(ApiToken, token.id).last_used_at
    assert first_use is not None
    client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"})
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == first_use, "once a minute at most"
