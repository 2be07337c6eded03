"""What a new user met: sign-in, a password chosen by an administrator, the dev server."""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace

import pytest

from app.accounts import service
from app.cli import demo_accounts_table
from app.errors import Unauthorized
from app.extensions import db as _db
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD, make_department, make_user


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
    import wsgi

    only = wsgi._OneDevelopmentWarning()

    def record(message):
        return logging.LogRecord("werkzeug", logging.INFO, __file__, 1, message, (), None)

    socketio_warning = record("Werkzeug appears to be used in a production deployment. Consider")
    assert not only.filter(socketio_warning)
    startup = record("WARNING: This is a development server. Do not use it.\n * Running on x")
    assert only.filter(startup)
    assert startup.getMessage() == " * Running on x"
    assert "gunicorn" in wsgi.DEVELOPMENT_NOTICE
