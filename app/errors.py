"""Domain exceptions, and the one place that turns them into HTTP answers.

Services raise these; they never build responses. The API answers with the envelope
``{"error": {"code", "message", "fields"}}``; HTML pages get an error page, or, inside a
form, field errors through :func:`run_form`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from redis.exceptions import RedisError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from app.extensions import db

T = TypeVar("T")


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class Invalid(DomainError):
    """The input breaks a rule; ``fields`` maps field names to lists of messages."""

    status = 422
    code = "invalid"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def error_envelope(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return jsonify(body), status


def run_form(form: FlaskForm, operation: Callable[[], T]) -> T | None:
    """Run a service operation for a submitted form, turning ``Invalid`` into form errors.

    Returns the operation's result, or ``None`` when the service refused the input; the
    refusal's messages are then attached to the form's fields (or to ``form.form_errors``)
    so the template shows them next to what the user typed, and ``form.error_status``
    holds the HTTP status to answer with.
    """
    form.error_status = 200
    try:
        return operation()
    except Invalid as exc:
        form.error_status = exc.status
        attached = False
        for name, messages in exc.fields.items():
            field = getattr(form, name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = list(field.errors) + list(messages)
                attached = True
        if not attached or not exc.fields:
            form.form_errors.append(exc.message)
        return None
    except (Conflict, RateLimited, Unauthorized) as exc:
        form.error_status = exc.status
        form.form_errors.append(exc.message)
        return None


def form_status(form: FlaskForm) -> int:
    """The status for re-rendering a form: 200 when untouched, else why it was refused."""
    if form.errors or form.form_errors:
        return (
            getattr(form, "error_status", 200) if getattr(form, "error_status", 200) != 200 else 422
        )
    return 200


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}
# What a store the app depends on raises when it does not answer (Redis behind the
# sign-in throttle, the Socket.IO message queue): a 503 to retry, not a 500 to report.
UNAVAILABLE_ERRORS = (RedisError, StorageError)


_DOMAIN_CODES: dict[str, type[enum.StrEnum]] = {}


def register_error_codes(domain: str, codes: type[enum.StrEnum]) -> None:
    """Declare the machine-readable codes a domain's refusals use (an enumeration).

    The OpenAPI document and the README's table list them from this one source.
    """
    _DOMAIN_CODES[domain] = codes


def error_codes() -> dict[str, list[str]]:
    """Every error code an API client can meet, grouped: ``core`` first, then by domain."""
    core = {cls.code for cls in (DomainError, *_subclasses(DomainError))}
    core.update(_HTTP_CODES.values())
    core.update({"csrf", "server_error"})
    grouped = {"core": sorted(core)}
    for domain in sorted(_DOMAIN_CODES):
        grouped[domain] = [code.value for code in _DOMAIN_CODES[domain]]
    return grouped


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.extend([sub, *_subclasses(sub)])
    return found


# What each status means, in words a person reads, for errors raised by Flask and Werkzeug
# themselves (their own descriptions are English only).
_HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Sign in to continue."),
    403: _l("You do not have permission to do that."),
    404: _l("Not found."),
    405: _l("This address does not accept that kind of request."),
    409: _l("That conflicts with the current state."),
    413: _l("What was sent is too large."),
    414: _l("The address is too long."),
    415: _l("That kind of content is not accepted here."),
    422: _l("The input is not valid."),
    500: _l("Something went wrong on our side. It has been logged."),
}


def _http_message(exc: HTTPException) -> str:
    """A raised HTTP error's message: its own when the code gave one, else ours, translated."""
    if exc.description and exc.description != type(exc).description:
        return exc.description
    return str(_HTTP_MESSAGES.get(exc.code or 500, exc.name))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError):
        if is_api_request():
            response, status = error_envelope(exc.status, exc.code, exc.message, exc.fields)
            if status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="bridgework"'
            return response, status
        return _error_page(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def handle_csrf(exc: CSRFError):
        message = _("Your form expired or was sent from elsewhere. Reload the page and try again.")
        if is_api_request():
            return error_envelope(400, "csrf", message)
        return _error_page(400, message)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        status = exc.code or 500
        message = _http_message(exc)
        if status == 429:
            message = _("Too many requests: %(limit)s. Try again later.", limit=exc.description)
        if is_api_request():
            response, status = error_envelope(status, _HTTP_CODES.get(status, "error"), message)
        else:
            response, status = _error_page(status, message)
        _keep_allow_header(exc, response)
        return response, status

    def handle_unavailable(exc: Exception):
        app.logger.error("Service unavailable on %s %s: %r", request.method, request.path, exc)
        db.session.rollback()
        message = _(
            "A service Bridgework depends on is not answering, so this cannot be done right "
            "now. Nothing was changed. Try again in a minute."
        )
        if is_api_request():
            response, status = error_envelope(503, "unavailable", message)
        else:
            response, status = _error_page(503, message)
        response.headers["Retry-After"] = "60"
        return response, status

    for unavailable in UNAVAILABLE_ERRORS:
        app.register_error_handler(unavailable, handle_unavailable)

    @app.errorhandler(DataError)
    def handle_unstorable(exc: DataError):
        """A value the database cannot store (too long, out of range) is bad input.

        Services should refuse it with a message on its field; this keeps the answer
        a 422 when one does not, and logs it so the service can be taught.
        """
        app.logger.warning("Unstorable value on %s %s: %s", request.method, request.path, exc.orig)
        db.session.rollback()
        message = _("A value is too long or out of range for what can be stored.")
        if is_api_request():
            return error_envelope(422, "invalid", message)
        return _error_page(422, message)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        # The failed transaction would fail the page's own queries (the signed-in user).
        db.session.rollback()
        message = _("Something went wrong on our side. It has been logged.")
        if is_api_request():
            return error_envelope(500, "server_error", message)
        return _error_page(500, message)


def _error_page(status: int, message: str | None):
    template = status if status in (403, 404, 500) else "generic"
    page = render_template(f"errors/{template}.html", status=status, message=message)
    return make_response(page), status


def _keep_allow_header(exc: HTTPException, response) -> None:
    """A 405 names the methods the resource does accept, as HTTP requires."""
    valid = getattr(exc, "valid_methods", None)
    if valid:
        response.headers["Allow"] = ", ".join(valid)
