"""The REST API's door: authentication, schema-driven input and output, OpenAPI.

Domain ``api.py`` modules declare routes with :func:`endpoint`, which authenticates the
caller (bearer token, or the browser session with its CSRF token for writes), loads
the body and query string through marshmallow schemas (errors become 422 with the
fields), calls the view with the loaded values and dumps the result through the
response schema. The same declarations produce ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from app.api.dumping import dump
from app.common import AnsweredPage, KeysetPage
from app.errors import Invalid, Unauthorized
from app.extensions import csrf
from app.security import INT32_MAX, INT64_MAX

bp = Blueprint("api", __name__, url_prefix="/api/v1")

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass
class Operation:
    rule: str
    method: str
    summary: str
    tag: str
    body: Schema | None = None
    query: Schema | None = None
    response: Schema | None = None
    status: int = 200
    auth: bool = True
    paginated: bool | Literal["keyset"] = False
    errors: list[int] = field(default_factory=list)
    operation_id: str | None = None
    files: tuple[str, ...] = ()


OPERATIONS: list[Operation] = []


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


_token_user: dict[str, Callable[[str], Any]] = {}


def register_token_user(load: Callable[[str], Any], plain: Callable[[str], Any]) -> None:
    """Name how a bearer token becomes its active user, or ``None`` (accounts does).

    ``load`` gives the user as a model; ``plain`` gives what a read needs of them (id,
    department, roles, language) as plain values, for endpoints declared with
    ``plain_caller=True``. Both enforce the same rules and note the token's use alike.
    """
    _token_user["load"] = load
    _token_user["plain"] = plain


def authenticate_request(plain: bool = False):
    """The user behind this API request, or ``Unauthorized``.

    A bearer token is enough on its own. Without one, the browser session counts, but
    writes must then carry the CSRF token (header ``X-CSRFToken``), as forms do. With
    ``plain``, a token's user comes as plain values (the session's user is already loaded).
    """
    raw = _bearer_token()
    if raw is not None:
        user = _token_user["plain" if plain else "load"](raw)
        if user is None:
            raise Unauthorized(_("The API token is missing, expired, revoked or not valid."))
        return user
    if current_user.is_authenticated:
        if request.method not in _SAFE_METHODS:
            csrf.protect()
        return current_user._get_current_object()
    raise Unauthorized(_("Send an API token: 'Authorization: Bearer <token>'."))


def api_user():
    """The caller of the current API request (set by :func:`endpoint` before the view runs)."""
    return g.api_user


_INVALID = {
    "query string": _l("The query string has invalid fields."),
    "request body": _l("The request body has invalid fields."),
}


def _load(schema: Schema, data: Any, unknown: str, what: str) -> dict:
    try:
        loaded = schema.load(data, unknown=unknown)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise Invalid(str(_INVALID[what]), fields=messages) from exc
    out_of_range = _integers_out_of_range(loaded)
    if out_of_range:
        raise Invalid(str(_INVALID[what]), fields=out_of_range)
    return loaded


def _integer_limit(name: str) -> int:
    """The largest value a loaded integer may have: ids are 32-bit columns, the rest 64-bit."""
    is_id = name in ("id", "ids") or name.endswith(("_id", "_ids"))
    return INT32_MAX if is_id else INT64_MAX


def _integers_out_of_range(data: Any, name: str = "") -> dict[str, list[str]]:
    """Loaded integers that no column could hold, by field name.

    Schemas say what a field means; whatever they allow, a number past its column's
    range must be refused here as input, rather than fail in the database as a 500.
    """
    if isinstance(data, dict):
        found: dict[str, list[str]] = {}
        for key, value in data.items():
            found.update(_integers_out_of_range(value, str(key)))
        return found
    if isinstance(data, list | tuple | set):
        return next((found for item in data if (found := _integers_out_of_range(item, name))), {})
    if isinstance(data, int) and not isinstance(data, bool):
        limit = _integer_limit(name)
        if not -limit - 1 <= data <= limit:
            return {name or "_schema": [f"Must be between {-limit - 1} and {limit}."]}
    return {}


_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_JSON = _l("Send a JSON object with 'Content-Type: application/json'.")


def _json_body() -> dict:
    """The request's JSON object; an empty body counts as ``{}``.

    Raises:
        Invalid: the body is not JSON, not valid JSON, not a JSON object, nested too
            deeply, or has text no database column can store (NUL, lone surrogates).
        RequestEntityTooLarge: the body is longer than ``API_JSON_MAX_BYTES``.
    """
    if not request.is_json:
        if request.content_length or request.get_data(cache=True) or request.form or request.files:
            raise Invalid(_("The request body must be JSON."), fields={"_schema": [_NOT_JSON]})
        return {}
    limit = current_app.config["API_JSON_MAX_BYTES"]
    if (request.content_length or 0) > limit:
        raise RequestEntityTooLarge(f"A JSON body may have at most {limit} bytes.")
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    if len(raw) > limit:
        raise RequestEntityTooLarge(f"A JSON body may have at most {limit} bytes.")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        message = (
            _("The request body is not valid JSON.")
            if data is None
            else _("The request body must be a JSON object.")
        )
        raise Invalid(message, fields={"_schema": [_NOT_JSON]})
    problem = _unstorable(data, current_app.config["API_JSON_MAX_DEPTH"])
    if problem:
        raise Invalid(
            _("The request body %(problem)s.", problem=problem), fields={"_schema": [problem]}
        )
    return data


def _unstorable(data: Any, max_depth: int) -> str | None:
    """Why a parsed body cannot be accepted whatever its schema says, or ``None``.

    Walks the value without recursion, so a deep body cannot exhaust the stack.
    """
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                return _("is nested more than %(depth)s levels deep", depth=max_depth)
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                pending.append((key, depth + 1))
                pending.append((item, depth + 1))
        elif isinstance(value, str):
            if "\x00" in value:
                return _("contains a NUL character")
            if _SURROGATE.search(value):
                return _("contains a lone surrogate (text that is not valid Unicode)")
    return None


def page_envelope(page, schema: Schema) -> dict:
    """A list's answer: its items and the page metadata every list has.

    A list paged by key (:class:`~app.common.KeysetPage`) adds the cursors of the next
    (older) and previous (newer) pages, and whether ``total`` stopped at the cap.
    """
    answered = isinstance(page, AnsweredPage) or (isinstance(page, KeysetPage) and page.answered)
    items = page.items if answered else dump(schema, page.items, many=True)
    envelope = {
        "items": items,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
    }
    if isinstance(page, KeysetPage):
        envelope["total_capped"] = page.total_capped
        envelope["next_cursor"] = str(page.older) if page.older else None
        envelope["prev_cursor"] = str(page.newer) if page.newer else None
    return envelope


def endpoint(
    rule: str,
    method: str = "GET",
    *,
    summary: str,
    tag: str,
    body: Schema | None = None,
    query: Schema | None = None,
    response: Schema | None = None,
    status: int = 200,
    auth: bool = True,
    paginated: bool | Literal["keyset"] = False,
    errors: tuple[int, ...] = (),
    files: tuple[str, ...] = (),
    plain_caller: bool = False,
) -> Callable:
    """Declare an API route; the view receives ``body=`` and/or ``query=`` when declared.

    The caller is authenticated first (unless ``auth=False``), so an anonymous request is
    401 before its input is looked at. The body is loaded strictly (unknown fields are
    422), the query string leniently (unknown parameters are ignored). The view returns
    a model (or list, or :class:`~app.common.Page` when ``paginated``, a
    :class:`~app.common.KeysetPage` when it is ``"keyset"``), which is dumped
    through ``response``; ``None`` for 204; or a ready response (a file download).
    ``errors`` lists the statuses the operation may answer besides 401 and 422, for the
    OpenAPI document. ``files`` names the file fields of a ``multipart/form-data`` body,
    which the view reads itself (the document describes them; nothing is loaded for it).
    ``plain_caller`` says the view's service reads only the caller's id, department,
    roles and language: a token's user is then read as plain values, not as a model.
    """
    operation = Operation(
        rule, method, summary, tag, body, query, response, status, auth, paginated, list(errors)
    )
    operation.files = files
    OPERATIONS.append(operation)

    def decorate(view: Callable) -> Callable:
        operation.operation_id = view.__name__

        @wraps(view)
        def wrapper(**kwargs):
            if auth:
                g.api_user = authenticate_request(plain_caller)
            if query is not None:
                kwargs["query"] = _load(query, request.args.to_dict(), EXCLUDE, "query string")
            if body is not None:
                kwargs["body"] = _load(body, _json_body(), RAISE, "request body")
            result = view(**kwargs)
            if result is None:
                return "", 204
            if isinstance(result, Response):
                return result
            if response is None:
                return jsonify(result), status
            if paginated:
                return jsonify(page_envelope(result, response)), status
            return jsonify(dump(response, result)), status

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapper, methods=[method])
        return wrapper

    return decorate


_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def openapi_path(rule: str) -> str:
    return bp.url_prefix + _CONVERTER.sub(r"{\1}", rule)
