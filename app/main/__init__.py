"""The home page: what needs the signed-in user's attention, from every domain's card."""

from flask import Blueprint, current_app, has_request_context, redirect, render_template, request
from flask import url_for as flask_url_for
from flask_login import current_user, login_required

from app.main.cards import cards_for

bp = Blueprint("main", __name__)


@bp.app_context_processor
def _remembered_urls() -> dict:
    """``url_for`` for every rendering of a request, remembering the links with no values.

    Every page's header links to the same dozen pages and static files, and building a
    link took about twenty function calls: those without values, and the static files,
    are built once per application and site root. Links with other values, and
    blueprint-relative ones (``.index``), are built by the application's ``url_for``.
    """
    if not has_request_context():
        return {}
    build = current_app.url_for
    by_root = current_app.extensions.setdefault("bridgework_template_urls", {})
    remembered = by_root.setdefault(request.url_root, {})

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

    return {"url_for": url_for}


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
