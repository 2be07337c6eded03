"""Pages in English, Traditional and Simplified Chinese; the switcher; times in the user's zone."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from flask_babel import get_babel
from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.extensions import db as _db
from tests.conftest import csrf_token, login
from tests.factories import make_user


def text(response) -> str:
    return response.get_data(as_text=True)


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)">', page).group(1)


def switch_language(client, locale: str, next_path: str = "/login"):
    """Send the header's switcher form, with a token from the sign-in or the home page."""
    token = csrf_token(client, "/login") if not signed_in(client) else csrf_token(client, "/")
    return client.post("/language", data={"locale": locale, "next": next_path, "csrf_token": token})


def signed_in(client) -> bool:
    return client.get("/login").status_code == 302


def saved_locale(user) -> str | None:
    return _db.session.scalar(select(User.locale).where(User.id == user.id))


# The browser's language -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "lang", "heading"),
    [
        (None, "en", "Sign in to Bridgework"),
        ("zh-HK", "zh-Hant", "登入 Bridgework"),
        ("zh-MO,en;q=0.5", "zh-Hant", "登入 Bridgework"),
        ("zh-CN", "zh-Hans", "登录 Bridgework"),
        ("fr-FR,zh-SG;q=0.7", "zh-Hans", "登录 Bridgework"),
        ("fr-FR", "en", "Sign in to Bridgework"),
    ],
)
def test_sign_in_page_speaks_the_browsers_language(client, accept_language, lang, heading):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    page = text(client.get("/login", headers=headers))
    assert html_lang(page) == lang
    assert f"<h1>{heading}</h1>" in page


@pytest.mark.parametrize(
    ("accept_language", "nav", "lang"),
    [("zh-HK", "工作區", "zh-Hant"), ("zh-CN", "工作区", "zh-Hans"), ("en", "Workspaces", "en")],
)
def test_signed_in_pages_speak_the_browsers_language(client, accept_language, nav, lang):
    login(client, make_user("officer"))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept_language
    for path in ("/", "/profile", "/workspaces/", "/notifications/"):
        page = text(client.get(path))
        assert html_lang(page) == lang, path
        assert f">{nav}</a>" in page, path


def test_form_errors_come_in_the_readers_script(client):
    """WTForms' own messages: Traditional for zh-HK, not the Simplified catalog named zh."""
    page = text(
        client.post(
            "/login",
            data={"username": "", "password": "", "csrf_token": csrf_token(client, "/login")},
            headers={"Accept-Language": "zh-HK"},
        )
    )
    assert "此欄位是必需的。" in page


def test_api_errors_speak_the_browsers_language(client):
    response = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "未找到所请求的内容。"


# The switcher -----------------------------------------------------------------------------


def test_switcher_is_a_labelled_form_with_a_button_on_every_page(client):
    page = text(client.get("/login"))
    form = re.search(r'<form[^>]*action="/language".*?</form>', page, re.S).group(0)
    assert 'name="csrf_token"' in form
    assert '<label for="language-select">Language</label>' in form
    assert '<option value="zh_Hant" lang="zh-Hant">繁體中文</option>' in form
    assert '<button type="submit">Change language</button>' in form
    assert '<input type="hidden" name="next" value="/login">' in form


def test_anonymous_choice_is_kept_in_the_session_and_beats_the_browser(client):
    response = switch_language(client, "zh_Hans", "/login?next=%2Fprofile")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fprofile"
    page = text(client.get("/login", headers={"Accept-Language": "zh-HK"}))
    assert html_lang(page) == "zh-Hans"


def test_signed_in_choice_is_saved_in_the_profile_and_follows_the_user(app, client):
    user = make_user("officer")
    login(client, user)
    response = switch_language(client, "zh_Hant", "/workspaces/")
    assert response.headers["Location"] == "/workspaces/"
    assert saved_locale(user) == "zh_Hant"
    entry = _db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "user.preferences_changed" and entry.detail == {"locale": "zh_Hant"}

    other_browser = app.test_client()
    login(other_browser, user)
    page = text(other_browser.get("/", headers={"Accept-Language": "en"}))
    assert html_lang(page) == "zh-Hant"


def test_saved_preference_beats_the_session_and_the_browser(client):
    user = make_user("officer")
    switch_language(client, "zh_Hans")
    user.locale = "en"
    _db.session.commit()
    login(client, user)
    page = text(client.get("/", headers={"Accept-Language": "zh-HK"}))
    assert html_lang(page) == "en"


def test_welcome_after_sign_in_is_in_the_users_saved_language(client):
    user = make_user("officer")
    user.locale = "zh_Hant"
    _db.session.commit()
    login(client, user)
    assert f"{user.display_name}，歡迎你。" in text(client.get("/"))


def test_signing_out_keeps_the_users_language_for_the_sign_in_page(client):
    user = make_user("officer")
    user.locale = "zh_Hans"
    _db.session.commit()
    login(client, user)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    page = text(client.get(response.headers["Location"], headers={"Accept-Language": "en"}))
    assert html_lang(page) == "zh-Hans"
    assert "您已退出登录。" in page


def test_sign_in_prompt_is_in_the_browsers_language(client):
    response = client.get("/profile", headers={"Accept-Language": "zh-HK"})
    page = text(client.get(response.headers["Location"], headers={"Accept-Language": "zh-HK"}))
    assert "請先登入。" in page


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example", ""],
)
def test_switcher_never_redirects_off_the_site(client, target):
    response = switch_language(client, "en", target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_switcher_refuses_an_unknown_language(client):
    user = make_user("officer")
    login(client, user)
    response = switch_language(client, "tlh", "/profile")
    assert response.headers["Location"] == "/profile"
    assert saved_locale(user) is None
    assert "Choose one of the languages offered." in text(client.get("/profile"))


def test_switcher_needs_the_csrf_token(client):
    response = client.post("/language", data={"locale": "zh_Hant", "next": "/login"})
    assert response.status_code == 400


def test_switcher_on_a_page_answering_a_post_returns_to_the_page_the_form_was_on(client):
    page = text(
        client.post(
            "/login",
            data={"username": "", "password": "", "csrf_token": csrf_token(client, "/login")},
            headers={"Referer": "http://bridgework.test/login?next=%2Fprofile"},
        )
    )
    assert '<input type="hidden" name="next" value="/login?next=%2Fprofile">' in page


# The profile's preferences ------------------------------------------------------------------


def test_profile_saves_language_and_time_zone(client):
    user = make_user("officer")
    login(client, user)
    response = client.post(
        "/profile/preferences",
        data={
            "locale": "zh_Hans",
            "timezone": "Asia/Shanghai",
            "csrf_token": csrf_token(client, "/profile"),
        },
    )
    assert response.status_code == 302
    stored = _db.session.get(User, user.id)
    assert (stored.locale, stored.timezone) == ("zh_Hans", "Asia/Shanghai")
    assert "已保存您的语言和时区设置。" in text(client.get("/profile"))


def test_profile_refuses_an_unknown_time_zone(client):
    user = make_user("officer")
    login(client, user)
    response = client.post(
        "/profile/preferences",
        data={
            "locale": "",
            "timezone": "Mars/Olympus",
            "csrf_token": csrf_token(client, "/profile"),
        },
    )
    assert response.status_code == 422
    assert _db.session.get(User, user.id).timezone is None


def test_profile_choice_of_browser_language_clears_the_saved_one(client):
    user = make_user("officer")
    user.locale = "zh_Hant"
    _db.session.commit()
    login(client, user)
    client.post(
        "/profile/preferences",
        data={"locale": "", "timezone": "", "csrf_token": csrf_token(client, "/profile")},
    )
    assert saved_locale(user) is None
    assert html_lang(text(client.get("/", headers={"Accept-Language": "zh-CN"}))) == "zh-Hans"


# Times ----------------------------------------------------------------------------------------


def last_sign_in(client) -> str:
    page = text(client.get("/profile"))
    return re.search(r"<dd><time datetime=\"[^\"]+\">([^<]+)</time></dd>", page).group(1)


def test_times_are_shown_in_hong_kong_time_by_default(client):
    user = make_user("officer")
    login(client, user)
    stored = _db.session.get(User, user.id)
    stored.last_login_at = datetime(2026, 1, 5, 23, 30)  # UTC
    _db.session.commit()
    assert last_sign_in(client) == "Jan 6, 2026, 07:30"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-HK"
    assert last_sign_in(client) == "2026年1月6日 07:30"


def test_times_are_shown_in_the_users_saved_time_zone(client):
    user = make_user("officer")
    login(client, user)
    stored = _db.session.get(User, user.id)
    stored.last_login_at = datetime(2026, 7, 5, 23, 30)  # UTC
    stored.timezone = "Europe/London"  # summer time: UTC+1
    _db.session.commit()
    assert last_sign_in(client) == "Jul 6, 2026, 00:30"


# Robustness --------------------------------------------------------------------------------------


def test_a_missing_compiled_catalog_falls_back_to_english(app, client, monkeypatch, tmp_path):
    """A checkout whose .mo files were never compiled still serves pages, in English."""
    babel = get_babel(app)
    monkeypatch.setattr(babel, "translation_directories", [str(tmp_path)])
    monkeypatch.setattr(babel.instance.domain_instance, "cache", {})
    response = client.get("/login", headers={"Accept-Language": "zh-HK"})
    assert response.status_code == 200
    assert "<h1>Sign in to Bridgework</h1>" in text(response)
