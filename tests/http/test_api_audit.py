"""The audit REST API: reading the log with filters, and verifying the chain."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app import audit
from app.audit.models import AuditEntry
from tests.conftest import csrf_token, login
from tests.factories import make_department, make_user

API = "/api/v1"


def envelope(response, status: int, code: str | None = None) -> dict:
    """Assert ``response`` is the error envelope with ``status``; return its ``error``."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


@pytest.fixture
def auditor(db):
    return make_user("auditor", username="oscar.auditor")


@pytest.fixture
def entries(db):
    """A small, known log: two departments, a workspace, three actors."""
    drainage = make_department(code="DSD9", name="Drainage")
    transport = make_department(code="TD9", name="Transport")
    henry = make_user("head", department=drainage, username="henry.wong")
    tina = make_user("head", department=transport, username="tina.leung")
    made = [
        audit.record(henry, "dataset.created", "dataset", 11, detail={"title": "Flood sensors"}),
        audit.record(henry, "request.submitted", "data_request", 21, workspace_id=5),
        audit.record(tina, "request.approved", "data_request", 21, workspace_id=5),
        audit.record(tina, "case.updated", "case", 31, department_id=drainage.id),
    ]
    db.session.commit()
    return {"drainage": drainage, "transport": transport, "entries": made}


def seqs(client, headers, query: str = "") -> list[int]:
    response = client.get(f"{API}/audit?{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["seq"] for item in response.get_json()["items"]]


def test_auditor_reads_the_log_newest_first_with_every_field(client, auditor, entries, make_token):
    headers = make_token(auditor)
    response = client.get(f"{API}/audit?object_type=dataset", headers=headers)
    body = response.get_json()
    assert set(body) == {"items", "page", "per_page", "total", "pages"}
    (item,) = body["items"]
    assert set(item) == {
        "seq", "created_at", "actor_id", "actor_name", "action", "object_type", "object_id",
        "department_id", "workspace_id", "detail", "prev_hash", "entry_hash",
    }  # fmt: skip
    first = entries["entries"][0]
    assert item["seq"] == first.seq and item["entry_hash"] == first.entry_hash
    assert item["detail"] == {"title": "Flood sensors"}
    assert item["object_id"] == "11"
    everything = seqs(client, headers)
    assert everything == sorted(everything, reverse=True)


def test_audit_filters_narrow_the_log(client, auditor, entries, make_token):
    headers = make_token(auditor)
    made = [e.seq for e in entries["entries"]]
    assert seqs(client, headers, "actor=tina") == [made[3], made[2]]
    assert seqs(client, headers, "action=request.") == [made[2], made[1]]
    assert seqs(client, headers, "action=request.approved") == [made[2]]
    assert seqs(client, headers, "object_type=data_request&object_id=21") == [made[2], made[1]]
    assert seqs(client, headers, "workspace_id=5") == [made[2], made[1]]
    drainage = entries["drainage"].id
    assert seqs(client, headers, f"department_id={drainage}") == [made[3], made[1], made[0]]
    today = entries["entries"][0].created_at.date()
    tomorrow = today + timedelta(days=1)
    assert made[0] in seqs(client, headers, f"date_from={today}&date_to={today}&per_page=100")
    assert seqs(client, headers, f"date_from={tomorrow}") == []
    yesterday = today - timedelta(days=1)
    assert seqs(client, headers, f"date_to={yesterday}") == []


def test_admin_may_read_the_log_too(client, entries, make_token):
    admin = make_user("admin")
    assert seqs(client, make_token(admin), "workspace_id=5")


@pytest.mark.parametrize("role", ["officer", "head", "dpo"])
def test_others_may_neither_read_nor_verify_the_log(client, make_token, role):
    headers = make_token(make_user(role))
    envelope(client.get(f"{API}/audit", headers=headers), 403, "forbidden")
    envelope(client.post(f"{API}/audit/verify", headers=headers), 403, "forbidden")


@pytest.mark.parametrize(("method", "path"), [("GET", "/audit"), ("POST", "/audit/verify")])
def test_audit_needs_a_token(client, method, path):
    envelope(client.open(f"{API}{path}", method=method), 401, "unauthorized")
    bad = {"Authorization": "Bearer bw_x_y"}
    envelope(client.open(f"{API}{path}", method=method, headers=bad), 401)


def test_verify_is_a_post_and_a_get_writes_nothing(client, db, auditor, entries, make_token):
    headers = make_token(auditor)
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    response = client.get(f"{API}/audit/verify", headers=headers)
    envelope(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"] and "GET" not in response.headers["Allow"]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_verify_from_the_browser_session_needs_the_csrf_token(client, db, auditor, entries):
    login(client, auditor)
    envelope(client.post(f"{API}/audit/verify"), 400, "csrf")
    token = csrf_token(client, "/audit/")
    response = client.post(f"{API}/audit/verify", headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["ok"] is True


def test_revoked_and_deactivated_auditors_are_refused(client, db, make_token):
    from app.accounts import service

    gone = make_user("auditor")
    headers = make_token(gone)
    service.set_user_active(make_user("admin"), gone.id, False)
    envelope(client.get(f"{API}/audit", headers=headers), 401)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=yesterday", "date_from"),
        ("date_from=2026-05-02&date_to=2026-05-01", "date_to"),
        ("department_id=abc", "department_id"),
        ("workspace_id=0", "workspace_id"),
        ("per_page=1000", "per_page"),
        ("page=-1", "page"),
    ],
)
def test_bad_audit_filters_are_422_with_the_field(client, auditor, make_token, query, field):
    response = client.get(f"{API}/audit?{query}", headers=make_token(auditor))
    assert field in envelope(response, 422, "invalid")["fields"]


def test_verify_reports_an_intact_chain_and_records_that_it_ran(
    client, db, auditor, entries, make_token
):
    headers = make_token(auditor)
    response = client.post(f"{API}/audit/verify", headers=headers)
    assert response.status_code == 200
    result = response.get_json()
    total = db.session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    assert result == {
        "ok": True,
        "checked": total - 1,
        "first_broken_seq": None,
        "reason": None,
        "checkpoint_seq": result["checkpoint_seq"],
    }
    assert 1 <= result["checkpoint_seq"] <= total - 1
    last = db.session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert last.action == "audit.verified" and last.actor_id == auditor.id
    assert last.detail["ok"] is True


@pytest.mark.usefixtures("audit_triggers_off")
def test_verify_names_the_first_tampered_entry(client, db, auditor, entries, make_token):
    headers = make_token(auditor)
    target = entries["entries"][1].seq
    db.session.execute(
        update(AuditEntry).where(AuditEntry.seq == target).values(actor_name="someone.else")
    )
    response = client.post(f"{API}/audit/verify", headers=headers)
    result = response.get_json()
    assert result["ok"] is False
    assert result["first_broken_seq"] == target
    assert result["checked"] == target - 1
    assert "hash" in result["reason"]


def test_audit_list_runs_the_same_statements_for_few_and_many_entries(
    client, db, auditor, count_queries, make_token
):
    headers = make_token(auditor)
    client.get(f"{API}/audit", headers=headers)

    def statements() -> int:
        with count_queries() as counter:
            response = client.get(f"{API}/audit?per_page=100", headers=headers)
        assert response.status_code == 200
        return counter.count

    for n in range(2):
        audit.record(auditor, "note.added", "note", n)
    few = statements()
    for n in range(30):
        audit.record(auditor, "note.added", "note", n, detail={"at": datetime(2026, 1, 1)})
    many = statements()
    assert many == few
