"""The home page: what needs the signed-in user's attention, from every domain's card."""

import operator
from collections.abc import Callable

from flask import Blueprint, current_app, has_request_context, redirect, render_template, request
from flask import url_for as flask_url_for
from flask_login import current_user, login_required

from app.main.cards import cards_for

bp = Blueprint("main", __name__)


def site_root() -> tuple:
    """What the application's links depend on besides their endpoint and values: the
    scheme, host and script root, as the WSGI environment has them.

    ``request.url_root`` makes the same distinction, but builds a URL from them again
    for every request (about eighty calls).
    """
    environ = request.environ
    return (
        environ.get("wsgi.url_scheme"),
        environ.get("HTTP_HOST"),
        environ.get("SERVER_NAME"),
        environ.get("SERVER_PORT"),
        environ.get("SCRIPT_NAME", ""),
    )


@bp.app_context_processor
def _remembered_urls() -> dict:
    """``url_for`` for every rendering of a request, remembering the links with no values.

    Pages link to the same pages and static files again and again, and building a link
    took about twenty function calls: those without values, and the static files, are
    built once per application and site root (:func:`site_root`). Links with other
    values, and blueprint-relative ones (``.index``), are built by the application's
    ``url_for``.
    """
    if not has_request_context():
        return {}
    build = current_app.url_for
    by_root = current_app.extensions.setdefault("bridgework_template_urls", {})
    remembered = by_root.setdefault(site_root(), {})

    def url_for(endpoint: str, **values) -> str:
        if values:
            if endpoint != "static" or len(values) != 1 or "filename" not in values:
                return build(endpoint, **values)
            key = (endpoint, values["filename"])
        elif endpoint[:1] == ".":
            return build(endpoint)
        else:
            key = endpoint
        url = remembered.get(key)
        if url is None:
            url = remembered[key] = build(endpoint, **values)
        return url

    return {"url_for": url_for, "url_for_ids": _url_for_ids}


_ID_MARK = 9_876_543_210_123_456
"""An id no row has, standing for the one a link will carry (see :func:`_url_for_ids`)."""


def _url_for_ids(endpoint: str, name: str, **values) -> Callable[[int], str]:
    """The links to ``endpoint`` for many integer ids (``name``), with the same other values.

    A list of 25-50 rows, each with a link or form to its own row, built each link
    through Flask's ``url_for`` (about 25 calls a link). The link is built once with a
    stand-in id, and each row's link puts its id in the stand-in's place: the same text
    ``url_for`` gives, since an integer is written as its digits in a path or a query.
    """
    build = current_app.url_for
    mark = str(_ID_MARK)
    pattern = build(endpoint, **values, **{name: _ID_MARK})
    if pattern.count(mark) != 1:
        return lambda value: build(endpoint, **values, **{name: value})
    head, tail = pattern.split(mark)

    def link(value: int) -> str:
        return f"{head}{operator.index(value)}{tail}"

    return link


@bp.get("/")
@login_required
def index():
    # The user itself, not the proxy: each provider reads several of its attributes.
    cards = cards_for(current_user._get_current_object())
    refresh_on = sorted({prefix for card in cards for prefix in card.refresh_on})
    return render_template("main/index.html", cards=cards, refresh_on=refresh_on)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; send them to the real icon."""
    return redirect(flask_url_for("static", filename="favicon.svg"), code=301)
