"""The frame every page shares (app/main/frame.py): head, header, navigation, switcher."""

from __future__ import annotations

import re

from app.extensions import db as _db
from tests.conftest import login
from tests.factories import make_department, make_notification, make_user


def text(response) -> str:
    return response.get_data(as_text=True)


def header(page: str) -> str:
    return page.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]


def test_the_users_name_and_department_are_escaped_in_the_header(client, db):
    department = make_department(name='Works & "Roads" <Dept>')
    user = make_user("officer", department=department)
    user.display_name = "<b>Eve</b> & Co"
    _db.session.commit()
    login(client, user)
    shown = header(text(client.get("/")))
    assert '<a href="/profile">&lt;b&gt;Eve&lt;/b&gt; &amp; Co</a>' in shown
    assert '<span class="muted">Works &amp; &#34;Roads&#34; &lt;Dept&gt;</span>' in shown
    assert "<b>Eve</b>" not in shown


def test_the_navigation_marks_the_pages_own_section(client, db):
    login(client, make_user("officer"))
    home = header(text(client.get("/")))
    assert '<li><a href="/" aria-current="page">Home</a></li>' in home
    assert '<li><a href="/workspaces/" >Workspaces</a></li>' in home
    workspaces = header(text(client.get("/workspaces/")))
    assert '<li><a href="/" >Home</a></li>' in workspaces
    assert '<li><a href="/workspaces/" aria-current="page">Workspaces</a></li>' in workspaces
    notifications = header(text(client.get("/notifications/")))
    assert re.search(r'<a class="bell"[^>]*unread" aria-current="page">', notifications)
    assert not re.search(r'<a class="bell"[^>]*aria-current', workspaces)


def test_administration_and_audit_links_follow_the_roles(client, db):
    login(client, make_user("officer"))
    officer = header(text(client.get("/")))
    assert "/admin/users" not in officer and "/audit/" not in officer
    client.post("/logout", data={"csrf_token": re.search(r'value="([^"]+)"', officer)[1]})
    login(client, make_user("admin", "auditor"))
    both = header(text(client.get("/")))
    assert '<li><a href="/admin/users" >Administration</a></li>' in both
    assert '<li><a href="/audit/" >Audit log</a></li>' in both


def test_the_bell_counts_unread_notifications(client, db):
    user = make_user("officer")
    for n in range(3):
        make_notification(user, subject=f"Subject {n}")
    login(client, user)
    shown = header(text(client.get("/")))
    assert 'aria-label="Notifications, 3 unread"' in shown
    assert '<span class="bell-count" data-unread="3">3</span>' in shown
    assert f'data-live-stream="user:{user.id}"' in shown


def test_the_header_and_scripts_speak_the_readers_language(client, db):
    user = make_user("officer")
    user.locale = "zh_Hant"
    _db.session.commit()
    login(client, user)
    page = text(client.get("/workspaces/?q=a%22b"))
    assert '<html lang="zh-Hant">' in page
    assert '<option value="zh_Hant" lang="zh-Hant" selected>繁體中文</option>' in page
    assert '<option value="en" lang="en">English</option>' in page
    assert '"locale": "zh-Hant"' in page
    # The switcher returns to this page, its address escaped in the attribute.
    assert 'name="next" value="/workspaces/?q=a%22b"' in page
    assert ">Sign out<" not in page


def test_a_visitor_gets_the_switcher_but_no_navigation_nor_live_scripts(client, db):
    page = text(client.get("/login", headers={"Accept-Language": "en"}))
    assert "<body >" in page
    assert "site-menu" not in page and "live.js" not in page
    assert '<script src="/static/js/app.js" defer></script>' in page
    assert 'class="language-switcher"' in header(page)
    assert re.search(r'name="csrf_token" value="[^"]+"', header(page))
