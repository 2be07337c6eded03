"""The home page: each domain's card of what waits for the person, and the session probe."""

from __future__ import annotations

import re

import pytest

from app.extensions import db as _db
from app.main import cards
from app.main.cards import Card, cards_for, register_card
from app.workspaces import service
from tests.conftest import login
from tests.factories import make_notification, make_user
from tests.workspace_world import flood_world


def text(response) -> str:
    return response.get_data(as_text=True)


def card_count(page: str, key: str) -> int:
    match = re.search(rf'id="card-{key}">[^<]*<span class="count" data-count="(\d+)"', page)
    assert match, f"no {key} card"
    return int(match.group(1))


def test_a_head_sees_the_invitation_waiting_for_an_answer(client, db):
    w = flood_world()
    login(client, w.ha_head)
    page = text(client.get("/"))
    assert card_count(page, "invitations") == 1
    assert f'href="/workspaces/{w.id}#invitation"' in page
    assert "Flood response: Typhoon season 2026" in page


def test_an_officer_has_no_invitations_card_but_their_workspaces_with_latest_activity(client, db):
    w = flood_world()
    service.add_member(w.lead, w.id, user_id=w.td_officer.id)
    login(client, w.td_officer)
    page = text(client.get("/"))
    assert 'id="card-invitations"' not in page
    assert card_count(page, "workspaces") == 1
    assert "added User" in page and "as member" in page


def test_unread_notifications_are_counted_and_listed(client, db):
    user = make_user("officer")
    for n in range(3):
        make_notification(user, subject=f"Subject {n}")
    make_notification(user, subject="Already read", read=True)
    login(client, user)
    page = text(client.get("/"))
    assert card_count(page, "notifications") == 3
    assert "Subject 2" in page and "Already read" not in page


def test_the_home_page_reads_the_same_statements_for_few_and_many_workspaces(
    client, db, count_queries
):
    w = flood_world()
    login(client, w.lead)
    with count_queries() as few:
        client.get("/")
    for n in range(6):
        service.create_workspace(
            w.lead, name=f"Extra {n}", purpose="More.", ends_on=w.workspace.ends_on
        )
    with count_queries() as many:
        client.get("/")
    assert many.count == few.count


def test_a_card_key_cannot_be_taken_twice_by_another_provider(monkeypatch):
    monkeypatch.setattr(cards, "_providers", [])

    def provider(user):
        return Card(key="mine", title="Mine")

    register_card("test-only-card", provider, order=999)
    register_card("test-only-card", provider, order=999)  # the same provider again: no-op
    with pytest.raises(RuntimeError):
        register_card("test-only-card", lambda user: None)


def test_cards_come_in_their_order(app, db):
    w = flood_world()
    with app.test_request_context():
        keys = [card.key for card in cards_for(w.ha_head)]
    assert keys.index("invitations") < keys.index("workspaces") < keys.index("notifications")


# The session probe of live pages --------------------------------------------------------------


def test_the_session_probe_says_signed_in(client, db):
    login(client, make_user("officer"))
    assert client.get("/session").get_json() == {"signed_in": True}


def test_the_session_probe_tells_a_deactivated_person_why(client, db):
    user = make_user("officer")
    login(client, user)
    user.active = False
    user.session_version += 1
    _db.session.commit()
    state = client.get("/session").get_json()
    assert state["signed_in"] is False and state["reason"] == "deactivated"
    assert "deactivated" in state["message"]


def test_the_session_probe_of_a_stranger_says_only_signed_out(client, db):
    state = client.get("/session").get_json()
    assert state["signed_in"] is False and state["reason"] == "signed_out"


def test_an_officers_home_page_reads_three_statements_and_counts_unread_as_the_bell(
    client, db, count_queries
):
    """The session (with the header's figures), the workspaces card and the unread list:
    the unread count is the bell's, read with the session."""
    w = flood_world()
    service.add_member(w.lead, w.id, user_id=w.td_officer.id)
    for n in range(3):
        make_notification(w.td_officer, subject=f"Subject {n}")
    login(client, w.td_officer)
    client.get("/")
    with count_queries() as home:
        page = text(client.get("/"))
    assert home.count == 3
    unread = card_count(page, "notifications")
    assert f'<span class="bell-count" data-unread="{unread}">{unread}</span>' in page
    assert card_count(page, "workspaces") == 1
    latest = r'data-last-seq="[1-9]\d*"[^>]*><a href="/workspaces/\d+">[^<]+</a><br>'
    assert re.search(latest + r'<span class="muted meta">[^<]+: [^<]*added User', page)


def test_unread_notifications_are_listed_in_the_readers_language(client, db):
    user = make_user("officer")
    user.locale = "zh_Hant"
    translated = make_notification(user, subject="Invited")
    translated.translations = {"subject": {"zh_Hant": "已獲邀請", "zh_Hans": "已获邀请"}}
    make_notification(user, subject="English only")
    _db.session.commit()
    login(client, user)
    page = text(client.get("/"))
    assert "已獲邀請" in page and "Invited" not in page
    assert "English only" in page
