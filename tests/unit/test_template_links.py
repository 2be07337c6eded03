"""The links templates build for many rows at once are the links ``url_for`` builds."""

from __future__ import annotations

import pytest
from flask import url_for

pytestmark = pytest.mark.one_pass("sqlite")


@pytest.mark.parametrize(
    ("endpoint", "values"),
    [
        ("notifications.open_notification", {}),
        ("notifications.mark_read", {"unread": "1", "cursor": "a b&c=d"}),
        ("notifications.mark_read", {"page": 3}),
        ("workspaces.show", {"tab": "members"}),
    ],
)
def test_links_for_many_ids_are_what_url_for_builds(app, endpoint, values):
    name = "workspace_id" if endpoint == "workspaces.show" else "notification_id"
    with app.test_request_context("/", base_url="http://example.org/bridgework/"):
        app.update_template_context(context := {})
        link = context["url_for_ids"](endpoint, name, **values)
        for value in (1, 7, 42, 2**31 - 1):
            assert link(value) == url_for(endpoint, **values, **{name: value})


def test_links_for_many_ids_take_integers_only(app):
    with app.test_request_context("/"):
        app.update_template_context(context := {})
        link = context["url_for_ids"]("notifications.mark_read", "notification_id")
        with pytest.raises(TypeError):
            link("1/../../admin")
