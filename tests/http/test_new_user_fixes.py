"""What a new user met: sign-in, first password, dev server, workspace forms, notifications."""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace

import pytest

from app.accounts import service
from app.cli import demo_accounts_table
from app.errors import Unauthorized
from app.extensions import db as _db
from app.workspaces import service as workspaces
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD, make_department, make_notification, make_user
from tests.workspace_world import flood_world


def sign_in(client, username: str, password: str):
    token = csrf_token(client, "/login")
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def text(response) -> str:
    return response.get_data(as_text=True)


# Signing in ---------------------------------------------------------------------------------


def test_the_sign_in_page_focuses_the_username_and_says_what_bridgework_is(client, db):
    page = text(client.get("/login"))
    assert re.search(
        r'<input[^>]*autofocus[^>]*name="username"|name="username"[^>]*autofocus', page
    )
    assert "Bridgework is where government departments" in page


def test_a_deactivated_account_with_the_right_password_is_told_why_and_whom_to_ask(client, db):
    user = make_user("officer", active=False)
    page = text(sign_in(client, user.username, PASSWORD))
    assert "This account is deactivated" in page
    assert "administrator" in page


def test_strangers_and_wrong_passwords_get_the_vague_message(client, db):
    user = make_user("officer", active=False)
    for username, password in ((user.username, "wrong-password"), ("nobody-here", PASSWORD)):
        page = text(sign_in(client, username, password))
        assert "The username or password is not correct." in page
        assert "deactivated" not in page


def test_every_refused_sign_in_verifies_one_password_hash(app, db, monkeypatch):
    """Unknown names, wrong passwords and deactivated accounts take the same work."""
    from app.accounts import signin

    user = make_user("officer", active=False)
    calls = []
    real = signin.check_password
    monkeypatch.setattr(signin, "check_password", lambda *args: calls.append(args) or real(*args))
    for username, password in (("nobody", "x"), (user.username, "x"), (user.username, PASSWORD)):
        with pytest.raises(Unauthorized):
            service.authenticate(username, password, "127.0.0.1")
    assert len(calls) == 3


def test_the_api_refuses_a_deactivated_account_with_its_code(client, db):
    user = make_user("officer", active=False)
    response = client.post(
        "/api/v1/tokens", json={"username": user.username, "password": PASSWORD, "name": "cli"}
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "account_deactivated"


# A password an administrator chose ------------------------------------------------------------


def test_a_user_created_by_an_admin_must_choose_a_password_first(client, db):
    admin = make_user("admin")
    department = make_department()
    user = service.create_user(
        admin,
        username="new.officer",
        display_name="New Officer",
        email="new.officer@example.gov.hk",
        department_id=department.id,
        password="initial-password-1",
    )
    assert user.must_change_password
    response = sign_in(client, "new.officer", "initial-password-1")
    assert response.headers["Location"].endswith("/profile/password")
    assert client.get("/workspaces/").headers["Location"].endswith("/profile/password")
    page = text(client.get("/profile/password"))
    assert "Choose your own password" in page
    response = client.post(
        "/profile/password",
        data={
            "current_password": "initial-password-1",
            "new_password": "my-own-password-2",
            "confirm_password": "my-own-password-2",
            "csrf_token": csrf_token(client, "/profile/password"),
        },
    )
    assert response.status_code == 302
    _db.session.expire_all()
    assert not user.must_change_password
    assert client.get("/workspaces/").status_code == 200


def test_people_who_chose_their_password_are_not_sent_to_the_form(client, db):
    login(client, make_user("officer"))
    assert client.get("/workspaces/").status_code == 200


# The development server ----------------------------------------------------------------------


def test_the_demo_accounts_table_is_aligned():
    def account(username, roles, department):
        links = [SimpleNamespace(role=role) for role in roles]
        return SimpleNamespace(
            username=username, role_links=links, department=SimpleNamespace(name=department)
        )

    table = demo_accounts_table(
        [
            account("admin", ["admin", "officer"], "Digital Policy Office"),
            account("police.officer", ["officer"], "Hong Kong Police Force"),
            account("dpo", ["dpo", "officer"], "Digital Policy Office"),
        ]
    ).splitlines()
    assert table[0].split() == ["username", "roles", "department"]
    roles_at = {re.match(r"  \S+\s+", line).end() for line in table}
    departments_at = {
        line.index(department) for line, department in zip(table, DEPARTMENTS, strict=True)
    }
    assert len(roles_at) == 1 and len(departments_at) == 1, table


DEPARTMENTS = ["department", "Digital Policy Office", "Hong Kong Police Force", "Digital Policy"]


def test_the_development_server_warns_once_in_its_own_words():
    from app import devserver

    only = devserver.OneDevelopmentWarning()

    def record(message):
        return logging.LogRecord("werkzeug", logging.INFO, __file__, 1, message, (), None)

    socketio_warning = record("Werkzeug appears to be used in a production deployment. Consider")
    assert not only.filter(socketio_warning)
    startup = record("WARNING: This is a development server. Do not use it.\n * Running on x")
    assert only.filter(startup)
    assert startup.getMessage() == " * Running on x"
    assert "gunicorn" in devserver.DEVELOPMENT_NOTICE


# Workspaces and notifications -----------------------------------------------------------------


def test_declining_an_invitation_lands_on_the_workspace_list_with_a_message(client, db):
    w = flood_world()
    login(client, w.ha_head)
    response = client.post(
        f"/workspaces/{w.id}/departments/{w.ha.id}/decline",
        data={"reason": "Not our remit.", "csrf_token": csrf_token(client, f"/workspaces/{w.id}")},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert response.request.path == "/workspaces/"
    assert "The invitation was declined" in text(response)


def test_a_refused_forms_address_does_not_answer_405_when_reloaded(client, db):
    w = flood_world()
    login(client, w.lead)
    response = client.post(
        f"/workspaces/{w.id}/members",
        data={
            "user_id": str(w.td_officer.id),
            "expires_on": "2001-01-01",
            "role": "member",
            "csrf_token": csrf_token(client, f"/workspaces/{w.id}"),
        },
    )
    page = text(response)
    assert response.status_code == 422
    assert page.count("The expiry must be in the future.") == 1
    reloaded = client.get(f"/workspaces/{w.id}/members")
    assert reloaded.status_code == 302
    assert reloaded.headers["Location"].endswith(f"/workspaces/{w.id}#members")
    for path in (f"/workspaces/{w.id}/departments", f"/workspaces/{w.id}/members/{w.lead.id}"):
        assert client.get(path).status_code == 302


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, db):
    user = make_user("officer")
    notification = make_notification(user, link="/workspaces/")
    login(client, user)
    page = text(client.get("/notifications/"))
    assert f"/notifications/{notification.id}/open" in page
    response = client.post(
        f"/notifications/{notification.id}/open",
        data={"csrf_token": csrf_token(client, "/notifications/")},
    )
    assert response.headers["Location"] == "/workspaces/"
    _db.session.expire_all()
    assert notification.read_at is not None


def test_nobody_opens_someone_elses_notification(client, db):
    theirs = make_notification(make_user("officer"), link="/workspaces/")
    login(client, make_user("officer"))
    response = client.post(
        f"/notifications/{theirs.id}/open", data={"csrf_token": csrf_token(client, "/")}
    )
    assert response.status_code == 404
    _db.session.expire_all()
    assert theirs.read_at is None


def test_member_rows_edit_in_a_closed_row_that_opens_with_its_reason_when_refused(client, db):
    w = flood_world()
    member = make_user("officer", department=w.td)
    workspaces.add_member(w.lead, w.id, user_id=member.id)
    login(client, w.lead)
    page = text(client.get(f"/workspaces/{w.id}"))
    assert page.count('<details class="row-edit">') == 2 and 'row-edit" open' not in page
    refused = client.post(
        f"/workspaces/{w.id}/members/{member.id}",
        data={
            "role": "member",
            "expires_on": "2001-01-01",
            "csrf_token": csrf_token(client, f"/workspaces/{w.id}"),
        },
    )
    page = text(refused)
    assert refused.status_code == 422
    assert page.count('<details class="row-edit" open>') == 1
    assert page.count("The expiry must be in the future.") == 1
    assert f'href="#expires_on-{member.id}"' in page


def test_department_pickers_show_the_region_and_person_pickers_the_department(client, db):
    w = flood_world()
    login(client, w.lead)
    page = text(client.get(f"/workspaces/{w.id}"))
    assert f">{w.td_officer.display_name} — Transport Department</option>" in page
    listing = text(client.get("/workspaces/"))
    assert ">Shenzhen Municipal Data Bureau — Shenzhen (CN)</option>" in listing
