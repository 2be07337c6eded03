"""The notifications page as the reader sees it: each line, its forms and its times."""

from __future__ import annotations

import re

import pytest

from app.extensions import db as _db
from tests.conftest import login
from tests.factories import make_notification, make_user


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("locale", "read_line"),
    [
        ("en", r"read <time datetime="),
        ("zh_Hant", r"已於 <time datetime="),
        ("zh_Hans", r"已于 <time datetime="),
    ],
)
def test_each_notification_shows_its_times_forms_and_escaped_subject_in_the_language(
    client, db, locale, read_line
):
    user = make_user("officer")
    user.locale = locale
    _db.session.commit()
    unread = make_notification(user, subject="<b>Flood</b> & wind", link="/workspaces/")
    read = make_notification(user, subject="Already read", read=True)
    login(client, user)
    page = text(client.get("/notifications/"))
    assert "&lt;b&gt;Flood&lt;/b&gt; &amp; wind" in page and "<b>Flood" not in page
    created = unread.created_at.isoformat()
    assert f'<time datetime="{created}Z">' in page
    assert re.search(rf'· {read_line}"{read.read_at.isoformat()}Z">[^<]+</time>', page)
    # Every form of the page carries the request's token, the same one each time.
    forms = re.findall(r"<form method=\"post\"[^>]*>\s*(<input[^>]*>)", page)
    assert len(forms) >= 4  # mark all read, open, mark read, sign out (and the language)
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
    assert len(tokens) == 1 and all("csrf_token" in form for form in forms)
    assert f"/notifications/{unread.id}/open" in page and f"/notifications/{unread.id}/read" in page
