"""What every response carries and what every request must respect, whichever door it used.

Security headers go on pages, API answers and the Socket.IO endpoint alike; the latter is
served by Engine.IO's WSGI middleware before Flask sees the request, so it gets them from
a middleware of its own. Signed-in pages are never stored by browsers or proxies.

Input at the edges: integers in URL paths are bounded to the 32-bit id columns they look
up, so an id past the column's range is an ordinary 404 instead of a database error; and
query strings and form fields carrying NUL characters are refused before any view runs
(PostgreSQL cannot store NUL in text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import BadRequest, NotFound, RequestURITooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

MAX_URL_LENGTH = 4000
"""Longest path and query string answered; gunicorn's own limit on the request line is 4094."""
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class IdConverter(IntegerConverter):
    """``<int:...>`` in routes: an id past the 32-bit integer id columns is simply not found.

    It answers 404 itself: letting the rule fail to match would make werkzeug try the
    other rules of the path and answer 405 when one of them takes another method.
    """

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > INT32_MAX:
            raise NotFound()
        return number


def security_headers(app: Flask) -> list[tuple[str, str]]:
    """The headers every response carries, HSTS included when ``HSTS_SECONDS`` is set."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if app.config.get("HSTS_SECONDS", 0) > 0:
        max_age = app.config["HSTS_SECONDS"]
        headers.append(("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains"))
    return headers


class SocketHeaders:
    """WSGI middleware giving Socket.IO's answers the headers Flask gives every other one."""

    def __init__(self, wsgi_app: Callable, app: Flask, prefix: str):
        self.wsgi_app = wsgi_app
        self.app = app
        self.prefix = prefix

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith(self.prefix):
            return self.wsgi_app(environ, start_response)

        ours = [*security_headers(self.app), ("Cache-Control", "no-store")]

        def start_with_headers(status, response_headers, exc_info=None):
            present = {name.lower() for name, _ in response_headers}
            extra = [(n, v) for n, v in ours if n.lower() not in present]
            return start_response(status, [*response_headers, *extra], exc_info)

        return self.wsgi_app(environ, start_with_headers)


def trust_proxies(app: Flask) -> None:
    """Believe the ``X-Forwarded-*`` headers of exactly ``TRUSTED_PROXIES`` proxies.

    Behind the TLS proxy the README requires, every request comes from the proxy's
    address; the sign-in throttle counts failures per client address, so without this
    every user would share one count. With 0 (the default) the headers are ignored,
    since anyone may send them.
    """
    count = app.config.get("TRUSTED_PROXIES", 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def _has_nul(values: Iterable[str]) -> bool:
    return any("\x00" in value for value in values)


def init_app(app: Flask) -> None:
    """Bound route integers, refuse NUL input, and add the headers (call before blueprints)."""
    app.url_map.converters["int"] = IdConverter
    app.wsgi_app = SocketHeaders(app.wsgi_app, app, "/socket.io")
    trust_proxies(app)

    @app.before_request
    def refuse_unusable_input():
        length = len(request.environ.get("PATH_INFO", "")) + len(request.query_string)
        if length > MAX_URL_LENGTH:
            raise RequestURITooLarge(
                _("The address may have at most %(count)d characters.", count=MAX_URL_LENGTH)
            )
        # Most pages have no query string and no body: nothing to parse for them.
        fields = [*request.args.keys(), *request.args.values()] if request.query_string else []
        # Multipart bodies are left to their endpoints: parsing one here would read a whole
        # upload before the endpoint could raise its size limit or stream it.
        if request.environ.get("CONTENT_TYPE") and (
            request.mimetype == "application/x-www-form-urlencoded"
        ):
            fields += [*request.form.keys(), *request.form.values()]
        if _has_nul(fields):
            raise BadRequest(_("The request contains a NUL character, which is never valid input."))

    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        present = {name.lower() for name, _ in headers}
        headers.extend([(n, v) for n, v in security_headers(app) if n.lower() not in present])
        if request.path.startswith("/api/") or _signed_in_page():
            response.headers["Cache-Control"] = "no-store"
        return response


def _signed_in_page() -> bool:
    """Whether this answer was made for a signed-in person (and so must not be cached)."""
    return request.endpoint != "static" and current_user.is_authenticated
