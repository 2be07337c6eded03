"""``TRUSTED_PROXIES``: the client address behind the README's TLS proxy (finding 6 of issue 14).

The sign-in throttle counts failures per client address; behind a proxy every request
came from the proxy, so one stranger's failures refused everyone.
"""

from __future__ import annotations

import pytest
from flask import Flask, request

from app.security import trust_proxies
from tests.second_app import second_app


def _address_seen(trusted: int, forwarded_for: str) -> str:
    app = Flask(__name__)
    app.config["TRUSTED_PROXIES"] = trusted

    @app.get("/whoami")
    def whoami():
        return request.remote_addr or ""

    trust_proxies(app)
    response = app.test_client().get(
        "/whoami",
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "10.0.0.254"},
    )
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("trusted", "forwarded_for", "seen"),
    [
        (0, "203.0.113.7", "10.0.0.254"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        (2, "198.51.100.1, 203.0.113.7", "198.51.100.1"),
    ],
)
def test_only_the_configured_number_of_proxies_is_believed(trusted, forwarded_for, seen):
    assert _address_seen(trusted, forwarded_for) == seen


def test_the_app_believes_its_proxy_when_told_to(app, tmp_path):
    """Built beside the suite's app (``app``), which keeps its socket server."""
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'proxy.sqlite'}"}
    with second_app({**config, "TRUSTED_PROXIES": 1}) as proxied:
        seen = []
        proxied.before_request(lambda: seen.append(request.remote_addr) and None)
        proxied.test_client().get(
            "/login",
            headers={"X-Forwarded-For": "203.0.113.9"},
            environ_base={"REMOTE_ADDR": "10.0.0.254"},
        )
    assert seen == ["203.0.113.9"]
