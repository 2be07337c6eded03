"""The audit REST API: reading the log with filters, and verifying the chain."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app import audit
from app.audit.models import AuditEntry
from app.common import utcnow
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
    assert set(body) == {
        "items", "page", "per_page", "total", "pages", "total_capped", "next_cursor", "prev_cursor",
    }  # fmt: skip
    assert body["total"] == 1 and body["total_capped"] is False
    assert body["next_cursor"] is None and body["prev_cursor"] is None
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


# Keyset pages -------------------------------------------------------------------------------


def _bulk(db, actors, count: int) -> dict[str, list[int]]:
    """``count`` entries taking turns between ``actors``; each actor's seqs, newest first."""
    made: dict[str, list[int]] = {actor.username: [] for actor in actors}
    for n in range(count):
        actor = actors[n % len(actors)]
        made[actor.username].append(audit.record(actor, "bulk.entry", "thing", n).seq)
    db.session.commit()
    return {name: sorted(seqs, reverse=True) for name, seqs in made.items()}


def _walk(client, headers, query: str, link: str, start: str | None = None) -> list[list[int]]:
    """Every page from ``start`` on, following ``link`` (next_cursor or prev_cursor)."""
    pages, cursor = [], start
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        response = client.get(f"{API}/audit?{query}{suffix}", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        pages.append([item["seq"] for item in body["items"]])
        cursor = body[link]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursors go round in circles"


def test_cursors_walk_the_log_in_pages_that_neither_overlap_nor_skip(
    client, db, auditor, make_token
):
    headers = make_token(auditor)
    expected = _bulk(db, [auditor], 23)[auditor.username]
    query = "action=bulk.&per_page=5"
    older = _walk(client, headers, query, "next_cursor")
    assert [len(page) for page in older] == [5, 5, 5, 5, 3]
    assert [seq for page in older for seq in page] == expected
    # And back again from the oldest page: the same pages, in the other order.
    last = client.get(f"{API}/audit?{query}&cursor=before:{older[-1][0] + 1}", headers=headers)
    assert [item["seq"] for item in last.get_json()["items"]] == older[-1]
    newer = _walk(client, headers, query, "prev_cursor", start=f"after:{older[-1][0]}")
    assert newer == list(reversed(older[:-1]))


def test_the_first_page_has_no_newer_link_and_the_last_no_older_one(
    client, db, auditor, make_token
):
    headers = make_token(auditor)
    _bulk(db, [auditor], 7)
    first = client.get(f"{API}/audit?action=bulk.&per_page=5", headers=headers).get_json()
    assert first["prev_cursor"] is None
    assert first["next_cursor"] == f"before:{first['items'][-1]['seq']}"
    last = client.get(
        f"{API}/audit?action=bulk.&per_page=5&cursor={first['next_cursor']}", headers=headers
    ).get_json()
    assert len(last["items"]) == 2 and last["next_cursor"] is None
    assert last["prev_cursor"] == f"after:{last['items'][0]['seq']}"


def test_filters_apply_to_every_page_a_cursor_leads_to(client, db, auditor, make_token):
    headers = make_token(auditor)
    tina = make_user("officer", username="tina.leung")
    henry = make_user("officer", username="henry.wong")
    made = _bulk(db, [tina, henry], 30)
    pages = _walk(client, headers, "actor=tina&action=bulk.&per_page=4", "next_cursor")
    assert [seq for page in pages for seq in page] == made["tina.leung"]
    today = utcnow().date()
    pages = _walk(
        client,
        headers,
        f"actor=henry&date_from={today}&date_to={today}&per_page=6",
        "next_cursor",
    )
    assert [seq for page in pages for seq in page] == made["henry.wong"]
    tomorrow = today + timedelta(days=1)
    past_the_filter = client.get(
        f"{API}/audit?actor=henry&date_from={tomorrow}&cursor=before:{made['henry.wong'][0]}",
        headers=headers,
    ).get_json()
    assert past_the_filter["items"] == [] and past_the_filter["next_cursor"] is None


def test_page_numbers_still_work_and_agree_with_the_cursors(client, db, auditor, make_token):
    headers = make_token(auditor)
    _bulk(db, [auditor], 12)
    by_cursor = _walk(client, headers, "action=bulk.&per_page=5", "next_cursor")
    by_number = [seqs(client, headers, f"action=bulk.&per_page=5&page={n}") for n in (1, 2, 3)]
    assert by_number == by_cursor
    second = client.get(f"{API}/audit?action=bulk.&per_page=5&page=2", headers=headers)
    body = second.get_json()
    assert (body["page"], body["pages"], body["total"]) == (2, 3, 12)
    assert body["next_cursor"] == f"before:{by_cursor[1][-1]}"
    assert body["prev_cursor"] == f"after:{by_cursor[1][0]}"


def test_the_count_stops_at_the_cap_and_says_so(client, db, auditor, make_token, monkeypatch):
    import app.common

    monkeypatch.setattr(app.common, "COUNT_CAP", 8)
    headers = make_token(auditor)
    _bulk(db, [auditor], 20)
    body = client.get(f"{API}/audit?action=bulk.&per_page=5", headers=headers).get_json()
    assert (body["total"], body["total_capped"]) == (8, True)
    assert body["pages"] >= 2 and body["next_cursor"]
    assert (
        len([s for page in _walk(client, headers, "action=bulk.", "next_cursor") for s in page])
        == 20
    )
    few = client.get(
        f"{API}/audit?action=bulk.&actor={auditor.username}&object_id=3", headers=headers
    )
    assert (few.get_json()["total"], few.get_json()["total_capped"]) == (1, False)


@pytest.mark.parametrize(
    "cursor",
    [
        "5",
        "before",
        "before:",
        "before:-1",
        "before:0",
        "sideways:5",
        "before:5:6",
        "before:1e3",
        "before:9223372036854775808",
        "after:99999999999999999999",
        "before:%D9%A1",
    ],
)
def test_a_cursor_no_page_handed_out_is_a_400(client, auditor, make_token, cursor):
    response = client.get(f"{API}/audit?cursor={cursor}", headers=make_token(auditor))
    error = envelope(response, 400, "bad_request")
    assert "not valid" in error["message"]


def test_the_openapi_document_describes_the_cursor(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    operation = spec["paths"][f"{API}/audit"]["get"]
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert {"cursor", "page", "per_page"} <= names
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]["allOf"][1]
    assert {"next_cursor", "prev_cursor", "total_capped"} <= set(body["properties"])
