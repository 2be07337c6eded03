"""The audit log reads as sentences in the reader's language, links its objects, and
exports the filtered entries as CSV."""

from __future__ import annotations

import csv
import io

from app.extensions import db as _db
from app.workspaces import service
from tests.conftest import login
from tests.factories import make_user
from tests.workspace_world import flood_world


def text(response) -> str:
    return response.get_data(as_text=True)


def test_entries_read_as_sentences_with_links_to_their_objects(client, db):
    w = flood_world()
    login(client, w.auditor)
    page = text(client.get("/audit/?action=workspace."))
    assert f"{w.lead.username} created the workspace Flood response: Typhoon season 2026" in page
    assert f'<a href="/workspaces/{w.id}">workspace #{w.id}</a>' in page
    assert "invited Transport Department to workspace #" in page


def test_sentences_follow_the_readers_language(client, db):
    w = flood_world()
    w.auditor.locale = "zh_Hant"
    _db.session.commit()
    login(client, w.auditor)
    page = text(client.get("/audit/?action=workspace.created"))
    assert f"{w.lead.username} 建立了工作區「Flood response: Typhoon season 2026」" in page


def test_an_unknown_action_still_reads_as_a_line(app, db):
    from app.audit.models import AuditEntry
    from app.audit.sentences import describe

    entry = AuditEntry(actor_name="ops", action="other.thing", object_type="x", object_id="7")
    with app.test_request_context():
        assert describe(entry) == "ops: other.thing (x #7)"


def test_the_export_streams_the_filtered_entries_as_csv(client, db):
    w = flood_world()
    service.add_member(w.lead, w.id, user_id=w.td_officer.id)
    login(client, w.auditor)
    response = client.get("/audit/export.csv?action=workspace.member")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows[0][:5] == ["Sequence", "Time (UTC)", "Actor", "Action", "What happened"]
    assert [row[3] for row in rows[1:]] == ["workspace.member_added"] * (len(rows) - 1)
    assert any("as member" in row[4] for row in rows[1:])


def test_exported_cells_never_run_as_spreadsheet_formulas(client, db):
    from app.audit.views import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("Henry") == "Henry"


def test_only_auditors_and_admins_export(client, db):
    login(client, make_user("officer"))
    assert client.get("/audit/export.csv").status_code == 403
