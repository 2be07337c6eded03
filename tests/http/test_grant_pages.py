"""Grant pages: the list, the grant page for grantees, owners and auditors, preview,
download, revocation with confirmation, extension; refusals come back with the reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.grants import revoking
from app.grants.models import AccessEvent, Grant
from app.sharing.models import DataRequest
from tests.conftest import csrf_token, login
from tests.grant_world import make_grant, upload_reports
from tests.request_world import request_world


@pytest.fixture
def w(db):
    world = request_world()
    world.version = upload_reports(world)
    return world


def test_grantee_lists_previews_and_downloads(client, w):
    grant = make_grant(w, row_filter={"district": ["Kowloon City"]})
    login(client, w.member)
    listing = client.get("/grants/").get_data(as_text=True)
    assert "Flooding reports" in listing and "days left" in listing
    page = client.get(f"/grants/{grant.id}").get_data(as_text=True)
    assert "Download CSV" in page and "Revoke this grant" not in page
    preview = client.get(f"/grants/{grant.id}/preview").get_data(as_text=True)
    assert "R-3" in preview and "R-2" not in preview and "A123456(7)" not in preview
    download = client.get(f"/grants/{grant.id}/download")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["X-Grant-Id"] == str(grant.id)
    kinds = db.session.scalars(select(AccessEvent.kind).order_by(AccessEvent.id)).all()
    assert kinds == ["preview", "download"]


def test_owner_sees_usage_and_revokes_after_confirming(client, w):
    grant = make_grant(w)
    login(client, w.steward)
    page = client.get(f"/grants/{grant.id}").get_data(as_text=True)
    assert "Revoke this grant" in page and "Download CSV" not in page
    token = csrf_token(client, f"/grants/{grant.id}")
    unconfirmed = client.post(
        f"/grants/{grant.id}/revoke", data={"csrf_token": token, "reason": "Done."}
    )
    assert unconfirmed.status_code == 422
    assert db.session.get(Grant, grant.id).revoked_at is None
    done = client.post(
        f"/grants/{grant.id}/revoke",
        data={"csrf_token": token, "reason": "Purpose met.", "confirm": "y"},
        follow_redirects=True,
    )
    assert "Purpose met." in done.get_data(as_text=True)
    assert db.session.get(Grant, grant.id).revoked_at is not None


def test_revoked_download_is_refused_with_the_reason(client, w):
    grant = make_grant(w)
    revoking.revoke_grant(w.steward, grant.id, reason="Breach of purpose.")
    login(client, w.member)
    response = client.get(f"/grants/{grant.id}/download", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and "Breach of purpose." in body
    assert "R-1" not in body


def test_outsider_gets_not_found(client, w):
    grant = make_grant(w)
    login(client, w.outsider)
    assert client.get(f"/grants/{grant.id}").status_code == 404
    assert client.get(f"/grants/{grant.id}/download").status_code == 404


def test_auditor_sees_usage_never_contents(client, w):
    grant = make_grant(w)
    login(client, w.auditor)
    page = client.get(f"/grants/{grant.id}").get_data(as_text=True)
    assert "Usage" in page and "Download CSV" not in page
    refused = client.get(f"/grants/{grant.id}/preview", follow_redirects=True)
    assert "R-1" not in refused.get_data(as_text=True)


def test_extend_files_a_draft(client, w):
    grant = make_grant(w)
    login(client, w.member)
    response = client.post(
        f"/grants/{grant.id}/extend",
        data={"csrf_token": csrf_token(client, f"/grants/{grant.id}")},
    )
    assert response.status_code == 302
    draft = db.session.scalar(select(DataRequest).order_by(DataRequest.id.desc()))
    assert draft.status == "draft" and draft.columns == grant.columns


def test_list_statement_count_does_not_grow(client, w, count_queries):
    make_grant(w)
    login(client, w.member)
    client.get("/grants/")
    with count_queries() as few:
        client.get("/grants/")
    for _ in range(8):
        make_grant(w)
    with count_queries() as many:
        client.get("/grants/")
    assert many.count == few.count
