"""The notifications page, and the bell's unread count for every page's header."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.common import BadCursor
from app.html import HTML_ESCAPES, escape_text, keyset_pager_html, moment_formatter, per_language
from app.main import _url_for_ids as url_for_ids
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
        page = service.list_notification_rows(
            current_user,
            unread=unread,
            cursor=request.args.get("cursor"),
            page=max(1, request.args.get("page", 1, type=int) or 1),
        )
    except BadCursor as exc:
        bad_link = exc.message
    list_args = _list_args(position=bad_link is None)
    return render_template(
        "notifications/index.html",
        page=page,
        unread=unread,
        bad_link=bad_link,
        list_args=list_args,
        newest_args=_list_args(position=False),
        items_html=_items_html(page.items if page else [], list_args),
        pager=keyset_pager_html(page, "notifications.index") if page and page.items else "",
    ), 400 if bad_link else 200


# One notification as the list shows it; ``{state}`` is the unread badge and forms.
_ITEM = """
  <li class="card notification{unread}">
    <div class="page-head">
      <h2 class="subject">
        {badge}
        {subject}
      </h2>
      {mark_read}
    </div>
    <p>{text}</p>
    <p class="muted"><time datetime="{created_at}Z">{created_text}</time>{read}</p>
  </li>
  """

_OPEN_FORM = """
        \n        <form method="post" action="{action}" class="inline">
          {csrf}
          <button type="submit" class="link subject-link">{subject}</button>
        </form>
        """

_MARK_READ_FORM = """
      <form method="post" action="{action}" class="inline">
        {csrf}
        <button type="submit">{mark_read}<span class="visually-hidden">: {subject}</span></button>
      </form>
      """


@per_language
def _item_words() -> tuple[str, str, str]:
    return f'<span class="badge warn">{_("Unread")}</span>', _("Mark read"), _("read %(read)s")


def _items_html(items: list, list_args: dict) -> Markup:
    """The page's notifications, written here rather than by the template (one cost the
    template about 280 calls: every value escaped and a Markup object made on its own).

    Subjects, texts and links are escaped; the page's fixed words, translated once, are
    the catalog's own text as a template shows it. Following an unread notification marks
    it read, so its subject is a form (a POST), as is marking it read.
    """
    if not items:
        return Markup("")
    csrf = f'<input type="hidden" name="csrf_token" value="{escape_text(generate_csrf())}">'
    badge, mark_read, read_at = _item_words()
    open_link = url_for_ids("notifications.open_notification", "notification_id")
    mark_read_link = url_for_ids("notifications.mark_read", "notification_id", **list_args)
    moment = moment_formatter()

    def item(n) -> str:
        subject = n.subject.translate(HTML_ESCAPES)
        if n.read_at is None:
            subject_html = (
                _OPEN_FORM.format(action=escape_text(open_link(n.id)), csrf=csrf, subject=subject)
                if n.link
                else subject
            )
            mark_read_html = _MARK_READ_FORM.format(
                action=escape_text(mark_read_link(n.id)),
                csrf=csrf,
                mark_read=mark_read,
                subject=subject,
            )
            read_html = ""
        else:
            subject_html = (
                f'<a href="{escape_text(n.link)}">{subject}</a>\n        ' if n.link else subject
            )
            mark_read_html = ""
            read_time = (
                f'<time datetime="{n.read_at.isoformat()}Z">'
                f"{moment(n.read_at).translate(HTML_ESCAPES)}</time>"
            )
            read_html = " · " + read_at % {"read": read_time}
        return _ITEM.format(
            unread=" unread" if n.read_at is None else "",
            badge=badge if n.read_at is None else "",
            subject=subject_html,
            mark_read=mark_read_html,
            text=n.text.translate(HTML_ESCAPES),
            created_at=n.created_at.isoformat(),
            created_text=moment(n.created_at).translate(HTML_ESCAPES),
            read=read_html,
        )

    return Markup("".join([item(n) for n in items]))  # noqa: S704 (every value escaped)


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
