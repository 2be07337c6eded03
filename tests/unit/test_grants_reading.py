"""The enforcement engine: what a read through a grant returns, and every refusal."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.common import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.grants import reading, revoking
from app.grants.models import AccessEvent
from app.notifications.models import Notification
from tests.grant_world import make_grant, upload_reports
from tests.request_world import request_world


@pytest.fixture
def w(db):
    world = request_world()
    world.version = upload_reports(world)
    return world


def read_csv(actor, grant, **kwargs) -> list[dict]:
    extract = reading.read_through_grant(actor, grant.id, **kwargs)
    text = b"".join(extract.chunks()).decode()
    return list(csv.DictReader(io.StringIO(text)))


def counts():
    return (
        db.session.scalar(select(func.count()).select_from(AccessEvent)),
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
    )


def test_projection_filter_and_masking(w):
    grant = make_grant(w, row_filter={"district": ["Kowloon City"]})
    rows = read_csv(w.member, grant)
    assert [row["report_id"] for row in rows] == ["R-1", "R-3", "R-5"]
    assert list(rows[0]) == ["report_id", "district", "reporter_hkid", "reporter_phone"]
    assert {row["reporter_phone"] for row in rows} == {"[redacted]"}
    hkids = [row["reporter_hkid"] for row in rows]
    assert all(value.startswith("P-") for value in hkids)
    assert "A123456(7)" not in "".join(hkids)
    assert hkids[0] == hkids[1] != hkids[2]


def test_a_filter_on_a_column_not_granted_still_filters(w):
    grant = make_grant(w, columns=("report_id",), row_filter={"district": ["Sha Tin"]})
    assert read_csv(w.member, grant) == [{"report_id": "R-2"}]


def test_personal_column_named_by_the_grant_is_shown(w):
    grant = make_grant(w, columns=("report_id", "reporter_phone"), reveal=("reporter_phone",))
    rows = read_csv(w.member, grant)
    assert rows[0]["reporter_phone"] == "91234567"


def test_pseudonyms_differ_across_grants(w):
    first = make_grant(w, columns=("reporter_hkid",))
    second = make_grant(w, columns=("reporter_hkid",))
    one = [row["reporter_hkid"] for row in read_csv(w.member, first)]
    again = [row["reporter_hkid"] for row in read_csv(w.member, first)]
    other = [row["reporter_hkid"] for row in read_csv(w.member, second)]
    assert one == again
    assert set(one).isdisjoint(other)


def test_json_and_limit(w):
    grant = make_grant(w, columns=("report_id", "district"))
    extract = reading.read_through_grant(w.member, grant.id, output_format="json", limit="2")
    data = json.loads(b"".join(extract.chunks()))
    assert data == [
        {"report_id": "R-1", "district": "Kowloon City"},
        {"report_id": "R-2", "district": "Sha Tin"},
    ]
    assert extract.rows == 2


def test_a_read_records_its_event_and_audit_entry(w):
    grant = make_grant(w, row_filter={"district": ["Kowloon City"]})
    before = counts()
    extract = reading.read_through_grant(w.member, grant.id, kind="api")
    assert extract.headers["X-Grant-Id"] == str(grant.id)
    assert extract.filename.startswith(f"grant-{grant.id}-flooding-reports-until-")
    event = db.session.scalar(select(AccessEvent).order_by(AccessEvent.id.desc()))
    assert (event.user_id, event.kind, event.rows_returned) == (w.member.id, "api", 3)
    assert counts() == (before[0] + 1, before[1] + 1)
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
    assert entry.action == "grant.data_read"
    extract.file.close()


def refused(actor, grant_id, error, **kwargs):
    before = counts()
    with pytest.raises(error) as caught:
        reading.read_through_grant(actor, grant_id, **kwargs)
    assert counts() == before
    return caught.value


def test_someone_elses_grant_is_not_found(w):
    grant = make_grant(w)
    refused(w.outsider, grant.id, NotFound)
    refused(w.member, 99999, NotFound)
    refused(w.member, "1", NotFound)


def test_observer_owner_and_auditor_see_but_never_read(w):
    grant = make_grant(w)
    for person in (w.observer, w.steward, w.dsd_head, w.auditor):
        assert refused(person, grant.id, Forbidden).code == "not_grantee"


def test_named_users_only(w):
    grant = make_grant(w, users=[w.requester])
    assert read_csv(w.requester, grant)
    assert refused(w.member, grant.id, Forbidden).code == "not_grantee"


def test_revoked(w):
    grant = make_grant(w)
    revoking.revoke_grant(w.steward, grant.id, reason="Purpose fulfilled.")
    assert refused(w.member, grant.id, Forbidden).code == "revoked"


def test_expired_by_frozen_clock(w, monkeypatch):
    grant = make_grant(w, days=10)
    assert read_csv(w.member, grant)
    later = utcnow() + timedelta(days=10, seconds=1)
    monkeypatch.setattr(reading, "utcnow", lambda: later)
    assert refused(w.member, grant.id, Forbidden).code == "expired"


def test_not_yet_started(w):
    grant = make_grant(w, start=utcnow() + timedelta(days=2))
    assert refused(w.member, grant.id, Forbidden).code == "not_started"


def test_deactivated_user(w):
    grant = make_grant(w)
    w.member.active = False
    db.session.commit()
    assert refused(w.member, grant.id, Forbidden).code == "account_inactive"


@pytest.mark.parametrize("limit", ["-1", "0", "abc", "1.5", "99999999999", -5, True])
def test_bad_limits(w, limit):
    grant = make_grant(w)
    assert refused(w.member, grant.id, Invalid, limit=limit).code == "bad_limit"


def test_unknown_format(w):
    grant = make_grant(w)
    assert refused(w.member, grant.id, Invalid, output_format="xml").code == "unknown_format"


def test_missing_file_is_refused_with_an_alert(w):
    grant = make_grant(w)
    path = Path(current_app.config["STORAGE_DIR"]) / w.version.storage_path
    path.rename(path.with_suffix(".gone"))
    events_before, audit_before = counts()
    try:
        with pytest.raises(Conflict) as caught:
            reading.read_through_grant(w.member, grant.id)
    finally:
        path.with_suffix(".gone").rename(path)
    assert caught.value.code == "file_missing"
    assert counts() == (events_before, audit_before + 1)
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
    assert entry.action == "grant.read_failed" and entry.detail["alert"] is True
    notice = db.session.scalar(select(Notification).order_by(Notification.id.desc()))
    assert notice.user_id == w.steward.id and notice.subject.startswith("File missing")
