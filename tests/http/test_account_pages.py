"""The signed-in user's own pages: profile, password, API tokens, deputies, home page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts import service
from app.accounts.models import ApiToken, Delegation
from app.accounts.passwords import check_password
from app.audit.models import AuditEntry
from app.common import utcnow
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD, make_department, make_user

NEW_PASSWORD = "a-fresh-and-long-passphrase"


def text(response) -> str:
    return response.get_data(as_text=True)


def signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


@pytest.mark.parametrize(
    "path", ["/", "/profile", "/profile/password", "/profile/tokens", "/profile/delegation"]
)
def test_account_pages_send_anonymous_visitors_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_profile_shows_department_region_jurisdiction_roles_and_last_sign_in(app, client):
    department = make_department(name="Drainage Services Department")
    user = make_user("head", "officer", department=department)
    login(client, user)
    page = text(client.get("/profile"))
    assert "Drainage Services Department" in page
    assert department.region.name in page
    assert f"<dd>{department.region.jurisdiction}</dd>" in page
    assert "department head" in page and "officer" in page
    assert "Last sign-in" in page and f'<time datetime="{user.last_login_at.isoformat()}Z">' in page
    assert 'href="/profile/delegation"' in page


def test_profile_of_officer_does_not_offer_naming_a_deputy(client):
    login(client, make_user("officer"))
    assert 'href="/profile/delegation"' not in text(client.get("/profile"))


def test_deputy_sees_on_profile_for_whom_they_act(client, db):
    department = make_department()
    head = make_user("head", department=department)
    deputy = make_user("officer", department=department)
    today = utcnow().date()
    service.create_delegation(
        head, deputy_id=deputy.id, starts_on=today, ends_on=today + timedelta(days=7)
    )
    login(client, deputy)
    page = text(client.get("/profile"))
    assert "You are a deputy" in page
    assert head.display_name in page
    assert "Current" in page


def test_display_name_with_markup_is_escaped(client, db):
    user = make_user("officer")
    user.display_name = "<script>alert(1)</script>"
    db.session.commit()
    login(client, user)
    page = text(client.get("/profile"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# Password -------------------------------------------------------------------------------


def change_password(client, current, new, repeat=None):
    return client.post(
        "/profile/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if repeat is None else repeat,
            "csrf_token": csrf_token(client, "/profile/password"),
        },
    )


def test_changing_password_keeps_this_browser_signed_in_and_ends_other_sessions(app, db):
    user = make_user("officer")
    here = signed_in(app, user)
    elsewhere = signed_in(app, user)
    response = change_password(here, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/profile")
    assert here.get("/profile").status_code == 200
    assert "/login" in elsewhere.get("/profile").headers["Location"]
    assert check_password(user.password_hash, NEW_PASSWORD)


def test_a_copy_of_the_cookie_opens_nothing_after_signing_out(client, db):
    """Finding 3 of issue 14: the old cookie still opened /profile after sign-out."""
    login(client, make_user("officer"))
    kept = client.get_cookie("session", domain="bridgework.test").value
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/profile")})
    assert response.status_code == 302
    client.set_cookie("session", kept, domain="bridgework.test")
    assert "/login" in client.get("/profile").headers["Location"]


def test_signing_in_rotates_the_csrf_secret(client, db):
    csrf_token(client, "/login")
    with client.session_transaction() as session:
        planted = session["csrf_token"]
    login(client, make_user("officer"))
    csrf_token(client, "/profile")
    with client.session_transaction() as session:
        assert session["csrf_token"] != planted


def test_changing_the_password_revokes_api_tokens_unless_kept(app, db):
    user = make_user("officer")
    _token, dropped = service.create_token(user, name="dropped")
    here = signed_in(app, user)
    assert change_password(here, PASSWORD, NEW_PASSWORD).status_code == 302
    assert service.user_for_token(dropped) is None
    _token, kept = service.create_token(user, name="kept")
    page = here.get("/profile/password").get_data(as_text=True)
    assert 'name="keep_tokens"' in page and "Keep my API tokens working" in page
    response = here.post(
        "/profile/password",
        data={
            "current_password": NEW_PASSWORD,
            "new_password": "yet-another-passphrase-9",
            "confirm_password": "yet-another-passphrase-9",
            "keep_tokens": "y",
            "csrf_token": csrf_token(here, "/profile/password"),
        },
    )
    assert response.status_code == 302
    assert service.user_for_token(kept).id == user.id


@pytest.mark.parametrize(
    ("current", "new", "repeat", "message"),
    [
        ("not-my-password", NEW_PASSWORD, None, "The current password is not correct."),
        (PASSWORD, "short", None, "Use at least 10 characters."),
        (PASSWORD, "xx-{username}-xx-long", None, "must not contain the username"),
        (PASSWORD, NEW_PASSWORD, "something-else-entirely", "The two passwords differ."),
    ],
)
def test_bad_password_change_shows_the_reason_and_changes_nothing(
    client, db, current, new, repeat, message
):
    user = make_user("officer")
    login(client, user)
    before = user.password_hash
    response = change_password(client, current, new.format(username=user.username), repeat)
    assert response.status_code == 422
    assert message in text(response)
    assert user.password_hash == before
    assert client.get("/profile").status_code == 200


def test_password_form_without_csrf_token_is_refused(client):
    user = make_user("officer")
    login(client, user)
    before = user.password_hash
    response = client.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert user.password_hash == before


# API tokens -----------------------------------------------------------------------------


def create_token(client, name="flood sync", days="30"):
    return client.post(
        "/profile/tokens",
        data={
            "name": name,
            "expires_in_days": days,
            "csrf_token": csrf_token(client, "/profile/tokens"),
        },
    )


def test_token_secret_is_shown_once_and_then_only_its_prefix(client, db):
    user = make_user("officer")
    login(client, user)
    response = create_token(client)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = text(response)
    secret = re.search(r"\bbw_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}", page).group(0)
    assert "It will not be shown again" in page
    assert service.user_for_token(secret).id == user.id
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.name == "flood sync"
    assert (token.expires_at - utcnow()).days in (29, 30)

    later = text(client.get("/profile/tokens"))
    assert secret not in later
    assert secret.split("_", 2)[2] not in later
    assert f"bw_{token.prefix}_" in later
    assert "flood sync" in later


@pytest.mark.parametrize(
    ("name", "days", "message"),
    [
        ("", "30", "Give the token a name."),
        ("sync", "400", "Choose between 1 and 365 days."),
        ("sync", "0", "Choose between 1 and 365 days."),
        ("sync", "soon", "Not a valid integer value."),
    ],
)
def test_bad_token_input_shows_an_error_and_creates_nothing(client, db, name, days, message):
    user = make_user("officer")
    login(client, user)
    response = create_token(client, name=name, days=days)
    assert response.status_code == 422
    assert message in text(response)
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_token_list_offers_revoke_with_confirmation_and_revoking_ends_the_token(client, db):
    user = make_user("officer")
    token, secret = service.create_token(user, name="old script")
    login(client, user)
    page = text(client.get("/profile/tokens"))
    assert f'action="/profile/tokens/{token.id}/revoke"' in page
    assert "data-confirm=" in page
    response = client.post(
        f"/profile/tokens/{token.id}/revoke",
        data={"csrf_token": csrf_token(client, "/profile/tokens")},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "is revoked" in text(response)
    assert "Revoked" in text(response)
    assert token.revoked_at is not None
    assert service.user_for_token(secret) is None


def test_someone_elses_token_cannot_be_revoked_from_the_page(client, db):
    owner = make_user("officer")
    token, _secret = service.create_token(owner, name="theirs")
    login(client, make_user("officer"))
    response = client.post(
        f"/profile/tokens/{token.id}/revoke",
        data={"csrf_token": csrf_token(client, "/profile/tokens")},
    )
    assert response.status_code == 404
    assert token.revoked_at is None


# Delegation -----------------------------------------------------------------------------


@pytest.mark.parametrize("roles", [("officer",), ("auditor",), ("admin", "officer")])
def test_only_heads_may_open_the_deputy_page(client, roles):
    login(client, make_user(*roles))
    response = client.get("/profile/delegation")
    assert response.status_code == 403
    assert "Only a department head can name a deputy." in text(response)


def name_deputy(client, deputy_id, starts_on, ends_on):
    return client.post(
        "/profile/delegation",
        data={
            "deputy_id": str(deputy_id),
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "csrf_token": csrf_token(client, "/profile/delegation"),
        },
    )


def test_head_names_a_deputy_sees_it_listed_and_ends_it_early(client, db):
    department = make_department()
    head = make_user("head", department=department)
    deputy = make_user("officer", department=department)
    make_user("officer")  # another department: not offered
    login(client, head)
    form_page = text(client.get("/profile/delegation"))
    assert f'<option value="{deputy.id}">' in form_page
    deputy_select = re.search(r'<select[^>]*id="deputy_id".*?</select>', form_page, re.S).group(0)
    assert deputy_select.count("<option") == 2  # the prompt and the one colleague

    today = utcnow().date()
    response = name_deputy(client, deputy.id, today, today + timedelta(days=14))
    assert response.status_code == 302
    delegation = db.session.scalar(select(Delegation).where(Delegation.head_id == head.id))
    assert delegation.deputy_id == deputy.id
    assert service.acting_for(deputy, department.id).id == head.id

    listed = text(client.get("/profile/delegation"))
    assert deputy.display_name in listed and "Current" in listed
    assert f'action="/profile/delegation/{delegation.id}/end"' in listed
    assert "data-confirm=" in listed

    ended = client.post(
        f"/profile/delegation/{delegation.id}/end",
        data={"csrf_token": csrf_token(client, "/profile/delegation")},
        follow_redirects=True,
    )
    assert "no longer acts for you" in text(ended)
    assert "Ended early" in text(ended)
    assert delegation.revoked_at is not None
    assert service.acting_for(deputy, department.id) is None


@pytest.mark.parametrize(
    ("offset_start", "offset_end", "message"),
    [
        (0, -1, "The end date must not be before the start date."),
        (-10, -5, "The end date is in the past."),
        (0, 400, "A delegation lasts at most one year."),
    ],
)
def test_bad_delegation_dates_show_an_error_and_name_nobody(
    client, db, offset_start, offset_end, message
):
    department = make_department()
    head = make_user("head", department=department)
    deputy = make_user("officer", department=department)
    login(client, head)
    today = utcnow().date()
    response = name_deputy(
        client, deputy.id, today + timedelta(days=offset_start), today + timedelta(days=offset_end)
    )
    assert response.status_code == 422
    assert message in text(response)
    assert db.session.scalar(select(func.count()).select_from(Delegation)) == 0


def test_deputy_from_another_department_is_refused(client, db):
    department = make_department()
    head = make_user("head", department=department)
    make_user("officer", department=department)
    stranger = make_user("officer")
    login(client, head)
    today = utcnow().date()
    response = name_deputy(client, stranger.id, today, today + timedelta(days=3))
    assert response.status_code == 422
    assert "Not a valid choice." in text(response)
    assert db.session.scalar(select(func.count()).select_from(Delegation)) == 0


# Home page ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "present", "absent"),
    [
        (("officer",), [], ["/admin/users", "/audit/", "/profile/delegation"]),
        (("head", "officer"), ["/profile/delegation"], ["/admin/users", "/audit/"]),
        (("auditor",), ["/audit/"], ["/admin/users", "/profile/delegation"]),
        (("admin",), ["/admin/users", "/audit/"], ["/profile/delegation"]),
    ],
)
def test_home_page_links_only_to_pages_the_user_may_open(client, roles, present, absent):
    login(client, make_user(*roles))
    page = text(client.get("/"))
    for path in present:
        assert f'href="{path}"' in page
    for path in absent:
        assert f'href="{path}"' not in page
    assert 'href="/profile/tokens"' in page


def test_sign_in_and_pages_leave_an_audit_trail_of_changes_only(client, db):
    user = make_user("officer")
    login(client, user)
    client.get("/profile")
    create_token(client)
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert actions == ["auth.login", "token.created"]


def test_favicon_request_is_answered_without_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert client.get(response.headers["Location"]).status_code == 200
