"""The notifications page, and the bell's unread count for every page's header."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.common import BadCursor
from app.notifications import service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def _bell():
    """``notification_bell()`` in templates: the signed-in user's unread count, or ``None``."""
    return {"notification_bell": _request_bell}


def _request_bell():
    """The bell, asked of the database once per request however often a page shows it."""
    if "notification_bell" not in g:
        g.notification_bell = service.bell(current_user._get_current_object())
    return g.notification_bell


@bp.before_request
@login_required
def _signed_in():
    """Every notifications page needs a signed-in user."""


def _list_args(*, position: bool = True) -> dict:
    """The list's filter and where in it the reader is (cursor or page), carried through
    the mark-read forms; ``position=False`` leaves the position out (the newest page)."""
    args = {}
    if request.args.get("unread") == "1":
        args["unread"] = "1"
    if not position:
        return args
    cursor = request.args.get("cursor")
    page = request.args.get("page", 1, type=int)
    if cursor:
        args["cursor"] = cursor
    elif page and page > 1:
        args["page"] = page
    return args


@bp.get("/")
def index():
    unread = request.args.get("unread") == "1"
    page, bad_link = None, None
    try:
        page = service.list_notifications(
            current_user,
            unread=unread,
            cursor=request.args.get("cursor"),
            page=max(1, request.args.get("page", 1, type=int) or 1),
        )
    except BadCursor as exc:
        bad_link = exc.message
    return render_template(
        "notifications/index.html",
        page=page,
        unread=unread,
        bad_link=bad_link,
        list_args=_list_args(position=bad_link is None),
        newest_args=_list_args(position=False),
    ), 400 if bad_link else 200


@bp.post("/<int:notification_id>/read")
def mark_read(notification_id: int):
    service.mark_read(current_user, [notification_id])
    flash(_("Marked read."), "success")
    return redirect(url_for(".index", **_list_args()))


@bp.post("/<int:notification_id>/open")
def open_notification(notification_id: int):
    """Follow a notification's link, marking it read on the way (a form, so it is a POST)."""
    notification = service.open_notification(current_user, notification_id)
    return redirect(notification.link or url_for(".index", **_list_args()))


@bp.post("/read-all")
def mark_all_read():
    result = service.mark_all_read(current_user)
    if result.marked:
        message = ngettext(
            "%(num)s notification marked read.", "%(num)s notifications marked read.", result.marked
        )
    else:
        message = _("Nothing was unread.")
    flash(message, "success")
    return redirect(url_for(".index", **_list_args()))
