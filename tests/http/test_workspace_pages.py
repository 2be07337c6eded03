"""Workspace pages: the list, creating, editing, the workspace page and its forms.

Refusals must be shown on the page (with the right status) and change nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.common import utcnow
from app.extensions import db as _db
from app.workspaces import service
from tests.conftest import csrf_token, login
from tests.factories import make_membership, make_user, make_workspace
from tests.workspace_world import flood_world, in_days, snapshot


@pytest.fixture
def w(db):
    return flood_world()


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def post(client, path: str, data: dict | None = None, *, token_from: str):
    data = dict(data or {}, csrf_token=csrf_token(client, token_from))
    return client.post(path, data=data)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# The list ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, w):
    response = client.get("/workspaces/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(f"/workspaces/{w.id}").status_code == 302


def test_empty_list_invites_to_create_a_workspace(client, db):
    login(client, make_user("officer"))
    html = page(client, "/workspaces/")
    assert "You are not in any workspace yet" in html
    assert 'href="/workspaces/new"' in html


def test_auditors_see_no_create_button_but_an_all_workspaces_tab(client, w):
    login(client, w.auditor)
    html = page(client, "/workspaces/?scope=all")
    assert "Create a workspace" not in html
    assert "All workspaces" in html and "Flood response: Typhoon season 2026" in html
    assert 'aria-current="page">All workspaces' in html


def test_auditors_cannot_open_the_create_form(client, w):
    login(client, w.auditor)
    response = client.get("/workspaces/new")
    assert response.status_code == 403
    assert "Only officers and heads" in response.get_data(as_text=True)


def test_officers_cannot_open_the_all_workspaces_view(client, w):
    login(client, w.lead)
    assert client.get("/workspaces/?scope=all").status_code == 403


def test_list_shows_departments_and_an_invitation_badge_for_the_invited_department(client, w):
    login(client, w.sz_head)
    html = page(client, "/workspaces/")
    assert "Flood response: Typhoon season 2026" in html
    assert "Your department is invited" in html
    assert "Transport Department" in html


def list_row(html: str, workspace_id: int) -> str:
    start = html.index(f'<a href="/workspaces/{workspace_id}">')
    return html[start : html.index("</tr>", start)]


def test_list_rows_show_owner_joined_departments_members_end_and_state(client, w):
    make_membership(w.workspace, w.dsd_officer)
    archived = make_workspace(name="Old drill", status="archived")
    login(client, w.auditor)
    html = page(client, "/workspaces/?scope=all")
    row = list_row(html, w.id)
    assert "Your department is invited" not in row
    assert "<td>Drainage Services Department</td>" in row
    departments = re.search(r"<td>\s*(.*?)\s*</td>", row.split("</td>", 2)[2], re.S).group(1)
    assert departments == (
        'Drainage Services Department <span class="muted">(HK)</span>, '
        'Transport Department <span class="muted">(HK)</span>'
    )
    assert "<td>2</td>" in row
    assert f'<time datetime="{in_days(120).isoformat()}">' in row
    assert '<span class="badge ok">Active</span>' in row
    assert '<span class="badge off">Archived</span>' in list_row(html, archived.id)


def test_list_filters_keep_their_values_and_can_be_cleared(client, w):
    login(client, w.lead)
    html = page(client, f"/workspaces/?q=nothing-like-this&region_id={w.szdb.region_id}")
    assert "No workspaces match these filters" in html
    assert 'value="nothing-like-this"' in html
    assert f'<option value="{w.szdb.region_id}" selected>' in html
    html = page(client, "/workspaces/?status=active&q=road")
    assert "Flood response" in html


def test_list_page_statement_count_does_not_grow_with_rows(client, db, count_queries):
    lead = make_user("officer")
    login(client, lead)
    make_workspace(lead)

    def statements() -> int:
        _db.session.expire_all()
        with count_queries() as counter:
            page(client, "/workspaces/")
        return counter.count

    few = statements()
    for _ in range(8):
        make_membership(make_workspace(), lead)
    assert statements() == few


# Creating and editing ---------------------------------------------------------------------


def test_officer_creates_a_workspace_through_the_form(client, db):
    officer = make_user("officer")
    login(client, officer)
    response = post(
        client,
        "/workspaces/new",
        {"name": "Slope safety", "purpose": "Landslip warnings.", "ends_on": in_days(60)},
        token_from="/workspaces/new",
    )
    assert response.status_code == 302
    html = page(client, response.headers["Location"])
    assert "Slope safety" in html and "created the workspace Slope safety" in html


def test_create_form_shows_every_refusal_next_to_its_field(client, db):
    login(client, make_user("officer"))
    response = post(
        client,
        "/workspaces/new",
        {"name": "Drills", "purpose": "Drills.", "ends_on": in_days(-1)},
        token_from="/workspaces/new",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The end date must be in the future." in html
    assert 'aria-invalid="true"' in html


def test_a_form_without_its_csrf_token_is_refused(client, db):
    login(client, make_user("officer"))
    response = client.post(
        "/workspaces/new", data={"name": "X", "purpose": "Y", "ends_on": in_days(5)}
    )
    assert response.status_code == 400


def test_lead_edits_and_a_stale_edit_is_refused_clearly(client, w):
    login(client, w.lead)
    html = page(client, f"/workspaces/{w.id}/edit")
    assert 'name="version"' in html and 'value="1"' in html
    form = {"name": "Flood response", "purpose": "Share.", "ends_on": in_days(50), "version": 1}
    response = post(client, f"/workspaces/{w.id}/edit", form, token_from=f"/workspaces/{w.id}")
    assert response.status_code == 302
    before = snapshot(w.id)
    response = post(client, f"/workspaces/{w.id}/edit", form, token_from=f"/workspaces/{w.id}")
    assert response.status_code == 409
    assert "Someone changed this workspace after you opened it" in response.get_data(as_text=True)
    assert snapshot(w.id) == before


def test_members_who_are_not_leads_cannot_open_the_edit_form(client, w):
    member = make_membership(w.workspace, role="member").user
    login(client, member)
    assert client.get(f"/workspaces/{w.id}/edit").status_code == 403


# The workspace page -----------------------------------------------------------------------


def test_workspace_page_shows_departments_members_and_the_live_feed(client, w):
    login(client, w.lead)
    html = page(client, f"/workspaces/{w.id}")
    text = text_of(html)
    assert "Shenzhen Municipal Data Bureau Shenzhen CN Invited, awaiting answer" in text
    assert "Transport Department Hong Kong HK Taking part" in text
    assert "Share flood sensor readings" in html
    feed = re.search(r'<div class="live-feed"[^>]*>', html).group(0)
    assert f'data-live-stream="workspace:{w.id}"' in feed
    assert f'data-catch-up-url="/api/v1/workspaces/{w.id}/events"' in feed
    last = service.workspace_events(w.lead, w.id, 0)["last_seq"]
    assert f'data-last-seq="{last}"' in feed
    items = re.findall(r'<li data-seq="(\d+)">', html)
    assert [int(s) for s in items] == list(range(last, 0, -1))
    assert 'aria-live="polite"' in html
    assert "Invite a department" in html and "Add a member" in html
    assert 'data-confirm="Archive' in html and 'data-confirm="Remove' in html


def test_member_rows_name_each_member_escaped_in_every_label(client, w):
    """A row's sentences are translated once per page and take the row's names as text."""
    w.workspace.name = "Flood <i>100%(name)s</i>"
    member = make_membership(w.workspace, role="observer").user
    member.display_name = "<b>Kim %(workspace)s & Co</b>"
    _db.session.flush()
    login(client, w.lead)
    html = page(client, f"/workspaces/{w.id}")
    name = "&lt;b&gt;Kim %(workspace)s &amp; Co&lt;/b&gt;"
    workspace = "Flood &lt;i&gt;100%(name)s&lt;/i&gt;"
    assert f'<label for="role-{member.id}">Role of {name}</label>' in html
    assert (
        f'<label for="expires_on-{member.id}">Membership of {name} ends on (empty: no expiry)'
        in html
    )
    assert f'data-confirm="Remove {name} from {workspace}? They stop seeing it at once."' in html
    assert f'<summary>Change<span class="visually-hidden"> {name}</span></summary>' in html
    assert f'action="/workspaces/{w.id}/members/{member.id}/remove"' in html
    assert "<b>" not in html and "<i>" not in html


def test_members_and_observers_see_no_lead_forms(client, w):
    observer = make_membership(w.workspace, role="observer").user
    login(client, observer)
    html = page(client, f"/workspaces/{w.id}")
    assert "Invite a department" not in html and "Archive workspace" not in html
    assert "Observer (read only)" in html


def test_people_outside_the_workspace_get_not_found(client, w):
    login(client, w.sz_officer)
    assert client.get(f"/workspaces/{w.id}").status_code == 404
    assert client.get("/workspaces/987654").status_code == 404


def test_an_expired_member_is_told_the_membership_ended(client, w):
    expired = make_membership(w.workspace, expires_at=utcnow() - timedelta(hours=2)).user
    login(client, expired)
    html = page(client, f"/workspaces/{w.id}", 404)
    assert "Your membership of this workspace ended" in html


def test_auditors_see_the_metadata_with_an_oversight_note(client, w):
    login(client, w.auditor)
    html = page(client, f"/workspaces/{w.id}")
    assert "You see this workspace's details for oversight" in html
    assert "Invite a department" not in html


# Inviting and answering -------------------------------------------------------------------


def test_lead_invites_a_department(client, w):
    login(client, w.lead)
    response = post(
        client,
        f"/workspaces/{w.id}/departments",
        {"department_id": w.other.id},
        token_from=f"/workspaces/{w.id}",
    )
    assert response.status_code == 302
    assert "Water Supplies Department is invited" in page(client, response.headers["Location"])


def test_inviting_twice_is_refused_on_the_page_and_changes_nothing(client, w):
    login(client, w.lead)
    before = snapshot(w.id)
    response = post(
        client,
        f"/workspaces/{w.id}/departments",
        {"department_id": w.ha.id},
        token_from=f"/workspaces/{w.id}",
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Hospital Authority has already been invited" in html
    assert 'role="alert"' in html
    assert snapshot(w.id) == before


def test_inviting_without_choosing_a_department_is_refused(client, w):
    login(client, w.lead)
    response = post(
        client,
        f"/workspaces/{w.id}/departments",
        {"department_id": ""},
        token_from=f"/workspaces/{w.id}",
    )
    assert response.status_code == 422
    assert "Choose an existing department." in response.get_data(as_text=True)


def test_invited_head_sees_accept_and_decline_and_accepts(client, w):
    login(client, w.sz_head)
    html = page(client, f"/workspaces/{w.id}")
    assert "Invitation to Shenzhen Municipal Data Bureau" in html
    response = post(
        client,
        f"/workspaces/{w.id}/departments/{w.szdb.id}/accept",
        token_from=f"/workspaces/{w.id}",
    )
    assert response.status_code == 302
    html = page(client, response.headers["Location"])
    assert "Your department now takes part in this workspace." in html
    assert "Invitation to Shenzhen" not in html


def test_deputy_is_told_the_decision_is_recorded_for_the_head(client, w):
    login(client, w.sz_deputy)
    html = page(client, f"/workspaces/{w.id}")
    assert "recorded on the head's behalf" in html
    post(
        client,
        f"/workspaces/{w.id}/departments/{w.szdb.id}/accept",
        token_from=f"/workspaces/{w.id}",
    )
    text = text_of(page(client, f"/workspaces/{w.id}"))
    assert f"on behalf of {w.sz_head.display_name}" in text


def test_accepting_a_withdrawn_invitation_is_refused_on_the_page(client, w):
    login(client, w.ha_head)
    token = csrf_token(client, f"/workspaces/{w.id}")
    service.withdraw_invitation(w.lead, w.id, w.ha.id)
    before = snapshot(w.id)
    response = client.post(
        f"/workspaces/{w.id}/departments/{w.ha.id}/accept", data={"csrf_token": token}
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "The invitation of Hospital Authority was withdrawn" in html
    assert 'role="alert"' in html
    assert snapshot(w.id) == before


def test_declining_without_a_reason_is_refused_next_to_the_field(client, w):
    login(client, w.ha_head)
    before = snapshot(w.id)
    response = post(
        client,
        f"/workspaces/{w.id}/departments/{w.ha.id}/decline",
        {"reason": ""},
        token_from=f"/workspaces/{w.id}",
    )
    assert response.status_code == 422
    assert "Say why the department declines" in response.get_data(as_text=True)
    assert snapshot(w.id) == before


def test_lead_withdraws_an_invitation(client, w):
    login(client, w.lead)
    response = post(
        client,
        f"/workspaces/{w.id}/departments/{w.ha.id}/withdraw",
        token_from=f"/workspaces/{w.id}",
    )
    assert response.status_code == 302
    assert "Invitation withdrawn" in page(client, f"/workspaces/{w.id}")


def test_department_rows_say_who_answered_with_the_reason_escaped(client, w):
    service.decline_invitation(w.sz_deputy, w.id, w.szdb.id, reason="Busy <b>&</b> 100%(x)s")
    login(client, w.lead)
    html = page(client, f"/workspaces/{w.id}")
    name, head = w.sz_deputy.display_name, w.sz_head.display_name
    assert f"Declined by {name}, on behalf of {head}, <time datetime=" in html
    assert '<p class="reason">Reason: Busy &lt;b&gt;&amp;&lt;/b&gt; 100%(x)s</p>' in html
    assert f'action="/workspaces/{w.id}/departments/{w.ha.id}/withdraw"' in html
    assert 'data-confirm="Withdraw the invitation of Hospital Authority?"' in html
    assert f"/departments/{w.szdb.id}/withdraw" not in html


def test_workspace_page_statement_count_does_not_grow_with_members_or_departments(
    client, w, count_queries
):
    login(client, w.lead)

    def statements() -> int:
        _db.session.expire_all()
        with count_queries() as counter:
            page(client, f"/workspaces/{w.id}")
        return counter.count

    few = statements()
    for _ in range(6):
        make_membership(w.workspace, role="observer")
    service.invite_department(w.lead, w.id, w.other.id)
    service.accept_invitation(w.sz_head, w.id, w.szdb.id)
    assert statements() == few


def test_a_refused_member_keeps_the_role_and_day_that_were_sent(client, w):
    login(client, w.lead)
    response = post(
        client,
        f"/workspaces/{w.id}/members",
        {"user_id": w.sz_officer.id, "role": "lead", "expires_on": "soon"},
        token_from=f"/workspaces/{w.id}",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<option selected value="lead">Lead</option>' in html
    assert 'id="expires_on" name="expires_on" type="date" value="soon"' in html
    assert '<p class="error" id="expires_on-error">Not a valid date value.</p>' in html
    fresh = page(client, f"/workspaces/{w.id}")
    assert '<option selected value="member">Member</option>' in fresh


# Members ----------------------------------------------------------------------------------


def test_lead_adds_changes_and_removes_a_member(client, w):
    login(client, w.lead)
    response = post(
        client,
        f"/workspaces/{w.id}/members",
        {"user_id": w.td_officer.id, "role": "observer", "expires_on": in_days(5)},
        token_from=f"/workspaces/{w.id}",
    )
    assert response.status_code == 302
    html = page(client, f"/workspaces/{w.id}")
    assert f'value="{in_days(5).isoformat()}"' in html
    response = post(
        client,
        f"/workspaces/{w.id}/members/{w.td_officer.id}",
        {"role": "member", "expires_on": ""},
        token_from=f"/workspaces/{w.id}",
    )
    assert response.status_code == 302
    membership = service.get_workspace(w.lead, w.id).membership_of(w.td_officer.id)
    assert (membership.role, membership.expires_at) == ("member", None)
    response = post(
        client,
        f"/workspaces/{w.id}/members/{w.td_officer.id}/remove",
        token_from=f"/workspaces/{w.id}",
    )
    assert response.status_code == 302
    assert service.get_workspace(w.lead, w.id).membership_of(w.td_officer.id) is None


def test_adding_a_member_whose_department_has_not_joined_is_refused_on_the_page(client, w):
    login(client, w.lead)
    before = snapshot(w.id)
    response = post(
        client,
        f"/workspaces/{w.id}/members",
        {"user_id": w.sz_officer.id, "role": "member"},
        token_from=f"/workspaces/{w.id}",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose an active person from a participating department." in page
    assert snapshot(w.id) == before


def test_removing_the_last_lead_is_refused_on_the_page(client, w):
    login(client, w.lead)
    before = snapshot(w.id)
    response = post(
        client,
        f"/workspaces/{w.id}/members/{w.lead.id}/remove",
        token_from=f"/workspaces/{w.id}",
    )
    assert response.status_code == 409
    assert "the workspace&#39;s only lead" in response.get_data(as_text=True)
    assert snapshot(w.id) == before


# Read-only --------------------------------------------------------------------------------


def test_an_archived_workspace_shows_a_banner_and_refuses_changes(client, w):
    login(client, w.lead)
    token = csrf_token(client, f"/workspaces/{w.id}")
    response = client.post(f"/workspaces/{w.id}/archive", data={"csrf_token": token})
    assert response.status_code == 302
    html = page(client, f"/workspaces/{w.id}")
    assert "This workspace was archived" in html and "Read-only." in html
    assert "Add a member" not in html
    before = snapshot(w.id)
    response = client.post(
        f"/workspaces/{w.id}/members",
        data={"user_id": w.td_officer.id, "role": "member", "csrf_token": token},
    )
    assert response.status_code == 409
    assert "It is read-only" in response.get_data(as_text=True)
    assert snapshot(w.id) == before


def test_a_workspace_past_its_end_date_shows_why_it_is_read_only(client, w):
    w.workspace.ends_on = utcnow().date() - timedelta(days=2)
    _db.session.commit()
    login(client, w.lead)
    html = page(client, f"/workspaces/{w.id}")
    assert "This workspace ended on" in html
    assert f"/workspaces/{w.id}/edit" not in html
    assert client.get(f"/workspaces/{w.id}/edit").status_code == 409


def test_an_expired_member_trying_to_change_the_workspace_is_refused(client, w):
    service.add_member(w.lead, w.id, user_id=w.dsd_officer.id, role="lead")
    login(client, w.dsd_officer)
    token = csrf_token(client, f"/workspaces/{w.id}")
    membership = service.get_workspace(w.lead, w.id).membership_of(w.dsd_officer.id)
    membership.expires_at = utcnow() - timedelta(seconds=1)
    _db.session.commit()
    before = snapshot(w.id)
    response = client.post(
        f"/workspaces/{w.id}/departments", data={"department_id": w.other.id, "csrf_token": token}
    )
    assert response.status_code == 404
    assert "Your membership of this workspace ended" in response.get_data(as_text=True)
    assert snapshot(w.id) == before
