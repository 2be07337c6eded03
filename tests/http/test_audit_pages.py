"""The audit log page and chain verification, for auditors and admins only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from app import audit
from app.audit.models import AuditEntry
from app.common import utcnow
from tests.conftest import csrf_token, login
from tests.factories import make_department, make_user


@pytest.fixture
def auditor(client):
    user = make_user("auditor")
    login(client, user)
    return user


def text(response) -> str:
    return response.get_data(as_text=True)


def listed_actions(client, query: str = "") -> list[str]:
    response = client.get(f"/audit/?{query}")
    assert response.status_code == 200, text(response)
    return re.findall(r'<br><code class="muted">([^<]+)</code></td>', text(response))


def verify(client):
    return client.post("/audit/verify", data={"csrf_token": csrf_token(client, "/audit/")})


# Access ---------------------------------------------------------------------------------


def test_audit_pages_send_anonymous_visitors_to_sign_in(client):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    response = client.post("/audit/verify", data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("roles", [("officer",), ("head", "officer"), ("dpo",)])
def test_audit_log_and_verification_are_forbidden_to_others(client, db, roles):
    login(client, make_user(*roles))
    assert client.get("/audit/").status_code == 403
    response = client.post("/audit/verify", data={"csrf_token": csrf_token(client, "/profile")})
    assert response.status_code == 403
    assert (
        db.session.scalar(select(AuditEntry).where(AuditEntry.action == "audit.verified")) is None
    )


@pytest.mark.parametrize("roles", [("auditor",), ("admin",)])
def test_auditors_and_admins_read_the_log_and_see_it_in_the_navigation(client, roles):
    login(client, make_user(*roles))
    assert client.get("/audit/").status_code == 200
    assert '<a href="/audit/"' in text(client.get("/"))


def test_officer_has_no_audit_link(client):
    login(client, make_user("officer"))
    assert 'href="/audit/"' not in text(client.get("/"))


# Listing --------------------------------------------------------------------------------


def test_entries_are_listed_newest_first_with_time_actor_object_department_and_detail(
    client, db, auditor
):
    department = make_department(name="Drainage Services Department")
    officer = make_user("officer", department=department)
    entry = audit.record(officer, "case.created", "case", 42, detail={"title": "Flooding", "n": 1})
    db.session.commit()
    page = text(client.get("/audit/"))
    assert listed_actions(client)[:2] == ["case.created", "auth.login"]
    row = re.search(r"<tr>\s*<td>\d+</td>(.*?)</tr>", page, re.S).group(1)
    # Shown in Hong Kong time, to the second; the machine-readable value stays UTC.
    shown = entry.created_at.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Hong_Kong"))
    assert f"{shown:%H:%M:%S}</time>" in row
    assert officer.username in row
    assert "case" in row and "#42" in row
    assert "Drainage Services Department" in row
    assert '<code class="detail">{&#34;n&#34;:1,&#34;title&#34;:&#34;Flooding&#34;}</code>' in row


def test_detail_and_names_from_users_are_escaped(client, db, auditor):
    audit.record(
        auditor,
        "note.added",
        "note",
        "<b>1</b>",
        detail={"text": "<script>alert(1)</script>"},
        actor_name="<img src=x>",
    )
    db.session.commit()
    page = text(client.get("/audit/"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x>" not in page and "<b>1</b>" not in page


def test_every_row_reads_in_its_own_words_and_an_unknown_department_by_its_id(client, db, auditor):
    """Texts shared by the rows are translated once a page; what differs stays per row."""
    department = make_department(name="Drainage Services Department")
    audit.record(None, "note.added", "note", "1", department_id=department.id, workspace_id=3)
    audit.record(auditor, "note.added", "note", None, department_id=987654)
    audit.record(auditor, "audit.verified", "audit", detail={"checked": 12})
    db.session.commit()
    page = text(client.get("/audit/"))
    rows = re.findall(r"<tr>\s*<td>\d+</td>(.*?)</tr>", page, re.S)[:3]
    assert f"{auditor.username} verified the audit chain (12 entries)" in rows[0]
    assert "audit log</td>" in rows[0]
    assert f"{auditor.username}: note.added (note)" in rows[1]
    assert "<td>Department 987654</td>" in rows[1]
    assert "anonymous: note.added (note #1)" in rows[2]
    assert "<td>Drainage Services Department</td>" in rows[2]
    assert rows[0].count("Recorded detail") == 1 and "Recorded detail" not in rows[1]


def test_filters_narrow_the_log(client, db, auditor):
    police = make_department(name="Police")
    transport = make_department(name="Transport")
    alice = make_user("officer", department=police, username="alice")
    bob = make_user("officer", department=transport, username="bob")
    audit.record(alice, "case.created", "case", 1)
    audit.record(alice, "case.updated", "case", 1)
    audit.record(bob, "case.created", "case", 2)
    audit.record(bob, "grant.revoked", "grant", 7)
    db.session.commit()

    assert listed_actions(client, "actor=ALI") == ["case.updated", "case.created"]
    assert listed_actions(client, "action=case.") == [
        "case.created",
        "case.updated",
        "case.created",
    ]
    assert listed_actions(client, "object_type=grant") == ["grant.revoked"]
    assert listed_actions(client, "object_type=case&object_id=2") == ["case.created"]
    assert listed_actions(client, f"department={transport.id}") == [
        "grant.revoked",
        "case.created",
    ]
    today = utcnow().date()
    assert len(listed_actions(client, f"date_from={today}&date_to={today}")) >= 4
    tomorrow = today + timedelta(days=1)
    empty = client.get(f"/audit/?date_from={tomorrow}")
    assert "No entries match these filters." in text(empty)


@pytest.mark.usefixtures("audit_triggers_off")  # backdates an entry already appended
def test_date_filters_cover_whole_days(client, db, auditor):
    officer = make_user("officer")
    entry = audit.record(officer, "case.created", "case", 1)
    entry.created_at = datetime(2024, 3, 5, 23, 59, 59)
    entry.entry_hash = audit.service.compute_hash(entry)
    db.session.commit()
    assert listed_actions(client, "date_from=2024-03-05&date_to=2024-03-05") == ["case.created"]
    assert listed_actions(client, "date_from=2024-03-06&date_to=2024-03-06") == []


def test_a_date_that_is_not_understood_is_reported_and_ignored(client, db, auditor):
    response = client.get("/audit/?date_from=yesterday&action=auth.")
    assert response.status_code == 422
    assert "Not a valid date value." in text(response)
    assert "auth.login" in text(response)
    backwards = client.get("/audit/?date_from=2024-05-02&date_to=2024-05-01")
    assert backwards.status_code == 422
    assert "The end date must not be before the start date." in text(backwards)


def test_log_pages_through_many_entries(client, db, auditor):
    made = [audit.record(auditor, "bulk.entry", "thing", n).seq for n in range(60)]
    db.session.commit()
    first = text(client.get("/audit/?action=bulk."))
    assert "60 in all" in first
    assert "Newer" not in first and "Newest" not in first
    older = f'href="/audit/?cursor=before:{made[10]}&amp;action=bulk."'
    assert f'{older} rel="next" aria-label="Older: the next page">Older' in first
    second = text(client.get(f"/audit/?action=bulk.&cursor=before:{made[10]}"))
    assert len(re.findall(r"<tr>\s*<td>\d+</td>", second)) == 10
    assert "#0</td>" in second and "#59</td>" not in second and "#10</td>" not in second
    assert 'href="/audit/?action=bulk." aria-label="Newest: the first page"' in second
    newer = f'href="/audit/?cursor=after:{made[9]}&amp;action=bulk." rel="prev"'
    assert newer in second and 'rel="next"' not in second
    back = text(client.get(f"/audit/?action=bulk.&cursor=after:{made[9]}"))
    assert "#59</td>" in back and "#10</td>" in back and "#9</td>" not in back
    assert len(re.findall(r"<tr>\s*<td>\d+</td>", back)) == 50
    assert "Newest" not in back and 'rel="next"' in back  # back on the first page


def test_old_page_numbers_in_links_still_work(client, db, auditor):
    for n in range(60):
        audit.record(auditor, "bulk.entry", "thing", n)
    db.session.commit()
    assert len(listed_actions(client, "action=bulk.&page=2")) == 10
    assert "#0</td>" in text(client.get("/audit/?action=bulk.&page=2"))


def test_filters_apply_on_the_pages_a_cursor_leads_to(client, db, auditor):
    other = make_user("officer", username="tina.leung")
    for n in range(120):
        audit.record(other if n % 2 else auditor, "bulk.entry", "thing", n)
    db.session.commit()
    first = text(client.get("/audit/?actor=tina"))
    cursor = re.search(r'href="/audit/\?cursor=(before:\d+)&amp;actor=tina" rel="next"', first)
    second = text(client.get(f"/audit/?actor=tina&cursor={cursor.group(1)}"))
    listed = re.findall(r"#(\d+)</td>", first + second)
    assert sorted(int(n) for n in listed) == list(range(1, 120, 2))


def test_a_link_no_page_made_is_explained_with_a_way_back(client, db, auditor):
    audit.record(auditor, "bulk.entry", "thing", 1)
    db.session.commit()
    response = client.get("/audit/?action=bulk.&cursor=before:nonsense")
    assert response.status_code == 400
    page = text(response)
    assert 'role="alert"' in page and "This page link is not valid" in page
    assert '<a href="/audit/?action=bulk.">Go to the newest entries</a>' in page


def test_a_page_past_the_end_says_so_with_a_way_back(client, db, auditor):
    first = audit.record(auditor, "bulk.entry", "thing", 1)
    db.session.commit()
    response = client.get(f"/audit/?action=bulk.&cursor=before:{first.seq}")
    assert response.status_code == 200
    page = text(response)
    assert "No entries on this page" in page and "Go to the newest entries" in page


def test_a_long_log_is_counted_only_up_to_the_cap(client, db, auditor, monkeypatch):
    import app.common

    monkeypatch.setattr(app.common, "COUNT_CAP", 50)
    for n in range(60):
        audit.record(auditor, "bulk.entry", "thing", n)
    db.session.commit()
    assert "More than 50 in all" in text(client.get("/audit/?action=bulk."))


def test_the_pager_is_translated(client, db, auditor):
    for n in range(60):
        audit.record(auditor, "bulk.entry", "thing", n)
    db.session.commit()
    token = csrf_token(client, "/audit/")
    client.post("/language", data={"locale": "zh_Hant", "next": "/audit/", "csrf_token": token})
    page = text(client.get("/audit/?action=bulk."))
    assert "Older →" not in page and "in all" not in page


def test_log_page_runs_a_constant_number_of_queries(client, db, auditor, count_queries):
    def statements() -> int:
        with count_queries() as counter:
            assert client.get("/audit/").status_code == 200
        return counter.count

    few = statements()
    for n in range(40):
        audit.record(auditor, "bulk.entry", "thing", n, department_id=make_department().id)
    db.session.commit()
    assert statements() == few


# Verification ---------------------------------------------------------------------------


def test_verifying_an_intact_chain_says_so_with_the_count_and_is_recorded(client, db, auditor):
    audit.record(auditor, "case.created", "case", 1)
    db.session.commit()
    page = text(client.get("/audit/"))
    assert 'action="/audit/verify"' in page and "Verify chain</button>" in page
    response = verify(client)
    assert response.status_code == 200
    assert "The chain is intact." in text(response)
    assert "2 entries checked" in text(response)
    recorded = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "audit.verified"))
    assert recorded.actor_id == auditor.id
    assert recorded.detail["ok"] is True


@pytest.mark.usefixtures("audit_triggers_off")
def test_verifying_a_tampered_chain_names_the_first_broken_entry(client, db, auditor):
    first = audit.record(auditor, "case.created", "case", 1)
    audit.record(auditor, "case.updated", "case", 1)
    db.session.commit()
    db.session.execute(
        update(AuditEntry).where(AuditEntry.seq == first.seq).values(action="case.deleted")
    )
    db.session.expire_all()
    response = verify(client)
    assert response.status_code == 200
    page = text(response)
    assert f"The chain is BROKEN at entry #{first.seq}:" in page
    assert "content does not match its hash" in page
    assert 'role="alert"' in page


def test_verify_without_csrf_token_is_refused(client, db, auditor):
    response = client.post("/audit/verify")
    assert response.status_code == 400
    assert (
        db.session.scalar(select(AuditEntry).where(AuditEntry.action == "audit.verified")) is None
    )


def test_the_verify_page_says_the_chain_reaches_its_signed_checkpoint(client, db, auditor):
    audit.record(auditor, "case.created", "case", 1)
    db.session.commit()
    page = text(verify(client))
    assert "The chain is intact." in page
    assert "reaches the latest signed checkpoint (entry #" in page


@pytest.mark.usefixtures("audit_triggers_off")
def test_the_verify_page_reports_entries_cut_off_after_a_checkpoint(client, db, auditor):
    from sqlalchemy import delete

    from app.audit.checkpoints import checkpoint_head
    from app.audit.models import AuditHead

    kept = audit.record(auditor, "case.created", "case", 1)
    audit.record(auditor, "case.deleted", "case", 1)
    db.session.commit()
    checkpoint_head()
    db.session.execute(delete(AuditEntry).where(AuditEntry.seq > kept.seq))
    db.session.execute(update(AuditHead).values(last_seq=kept.seq, last_hash=kept.entry_hash))
    page = text(verify(client))
    assert f"The chain is BROKEN at entry #{kept.seq + 1}:" in page
    assert "the signed checkpoint records entry #" in page
    assert 'role="alert"' in page


def test_verify_is_never_run_by_a_get(client, db, auditor):
    response = client.get("/audit/verify")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"] and "GET" not in response.headers["Allow"]
    assert (
        db.session.scalar(select(AuditEntry).where(AuditEntry.action == "audit.verified")) is None
    )
