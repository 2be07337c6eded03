"""Input past what the database can hold is refused as input (404, 400, 413, 422), never a 500.

Numbers past their column's range, NUL characters and lone surrogates, bodies nested or
sized to exhaust the server: each answered at the edge, before a service or the database
sees it. And when a request does fail inside a transaction, the error page still renders.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import csrf_token, login
from tests.factories import make_region, make_user

API = "/api/v1"
PAST_INT32 = 2**31
PAST_INT64 = 2**63
HUGE = 10**30


def envelope(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    return error


@pytest.fixture
def admin_headers(db, make_token):
    return make_token(make_user("admin"))


def post_json(client, path: str, body, headers: dict):
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, data=raw, content_type="application/json", headers=headers)


# Numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [0, PAST_INT32, PAST_INT64, HUGE])
@pytest.mark.parametrize("path", ["/users/{}", "/regions/{}", "/workspaces/{}"])
def test_api_ids_past_their_column_are_not_found(client, admin_headers, path, number):
    envelope(client.get(API + path.format(number), headers=admin_headers), 404)


@pytest.mark.parametrize("number", [PAST_INT32, HUGE])
def test_page_ids_past_their_column_are_not_found(client, db, number):
    login(client, make_user("admin"))
    assert client.get(f"/workspaces/{number}").status_code == 404
    assert client.get(f"/admin/users/{number}/edit").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"page={PAST_INT32}", "page"),
        (f"page={HUGE}", "page"),
        (f"per_page={HUGE}", "per_page"),
        (f"department_id={PAST_INT32}", "department_id"),
        (f"workspace_id={HUGE}", "workspace_id"),
    ],
)
def test_query_numbers_past_their_column_are_422(client, admin_headers, query, field):
    error = envelope(client.get(f"{API}/audit?{query}", headers=admin_headers), 422)
    assert field in error["fields"]


def test_a_sequence_number_past_64_bits_is_422(client, admin_headers):
    response = client.get(f"{API}/workspaces/1/events?after={PAST_INT64}", headers=admin_headers)
    assert "after" in envelope(response, 422)["fields"]


def test_an_html_page_number_past_any_page_shows_an_empty_page(client, db):
    login(client, make_user("auditor"))
    assert client.get(f"/audit/?page={HUGE}").status_code == 200


def test_body_ids_past_their_column_are_422(client, admin_headers):
    body = {
        "username": "pat.chan",
        "display_name": "Pat Chan",
        "email": "pat.chan@example.gov.hk",
        "password": "a long passphrase",
        "department_id": PAST_INT32,
        "roles": ["officer"],
    }
    error = envelope(post_json(client, f"{API}/users", body, admin_headers), 422)
    assert "department_id" in error["fields"]


# Text -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        '{"code": "NUL", "name": "Bad\\u0000Name", "jurisdiction": "HK"}',
        '{"code": "SUR", "name": "Bad \\ud800 name", "jurisdiction": "HK"}',
        '{"code": "SUR", "name": "Fine", "jurisdiction": "\\udfff"}',
    ],
    ids=["nul", "high-surrogate", "low-surrogate"],
)
def test_unstorable_text_in_json_is_refused(client, admin_headers, raw):
    error = envelope(post_json(client, f"{API}/regions", raw, admin_headers), 422)
    assert "_schema" in error["fields"]


def test_a_nul_in_a_query_string_is_refused(client, admin_headers):
    envelope(client.get(f"{API}/regions?q=a%00b", headers=admin_headers), 400)


def test_a_nul_in_a_page_query_or_form_is_refused(client, db):
    assert client.get("/login?next=%00").status_code == 400
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": "a\x00b", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 400


def test_bytes_that_are_not_utf8_in_a_query_string_are_not_an_error(client, admin_headers):
    response = client.get(f"{API}/regions?q=%ED%A0%80", headers=admin_headers)
    assert response.status_code == 200


# Size and shape -------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_refused(client, admin_headers, depth):
    raw = '{"code": ' + "[" * depth + "]" * depth + "}"
    error = envelope(post_json(client, f"{API}/regions", raw, admin_headers), 422)
    assert error["fields"]["_schema"]


def test_a_json_body_past_the_limit_is_413(app, client, admin_headers, monkeypatch):
    monkeypatch.setitem(app.config, "API_JSON_MAX_BYTES", 1000)
    body = {"code": "BIG", "name": "x" * 2000, "jurisdiction": "HK"}
    envelope(post_json(client, f"{API}/regions", body, admin_headers), 413)


def test_a_body_past_max_content_length_is_the_envelope(app, client, admin_headers, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100)
    body = {"code": "BIG", "name": "x" * 200, "jurisdiction": "HK"}
    assert envelope(post_json(client, f"{API}/regions", body, admin_headers), 413)["code"]


def test_a_uri_too_long_is_414_and_the_envelope_under_the_api(client, admin_headers):
    long_query = "q=" + "a" * 5000
    error = envelope(client.get(f"{API}/regions?{long_query}", headers=admin_headers), 414)
    assert error["code"] == "uri_too_long"
    assert client.get(f"/login?{long_query}").status_code == 414


# A failed transaction -------------------------------------------------------------------


def test_the_error_page_renders_after_a_failed_transaction(client, db, monkeypatch):
    """A view whose flush fails leaves the session unusable until it is rolled back."""
    from app.audit import views
    from app.audit.models import AuditHead
    from app.extensions import db as database

    def failing_list(*args, **kwargs):
        database.session.add(AuditHead(id=1, last_seq=0, last_hash="0" * 64))
        database.session.add(AuditHead(id=1, last_seq=0, last_hash="0" * 64))
        database.session.flush()

    make_region()
    login(client, make_user("auditor"))
    monkeypatch.setattr(views.service, "list_entry_rows", failing_list)
    response = client.get("/audit/")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "Sign out" in page or "sign out" in page.lower()


def test_a_value_the_database_cannot_store_is_422_not_500(client, admin_headers, monkeypatch):
    """PostgreSQL refuses, e.g., a code that grows past its column when upper-cased."""
    from sqlalchemy.exc import DataError

    from app.accounts import api

    def unstorable(*args, **kwargs):
        raise DataError("INSERT ...", {}, Exception("value too long for type character varying"))

    monkeypatch.setattr(api.service, "create_region", unstorable)
    body = {"code": "ß" * 16, "name": "Region", "jurisdiction": "HK"}
    error = envelope(post_json(client, f"{API}/regions", body, admin_headers), 422)
    assert "too long or out of range" in error["message"]
