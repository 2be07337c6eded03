"""Notifications: creating them inside other services' transactions, listing, marking read.

:func:`notify` only adds rows and publishes ``notification.created`` on each recipient's
``user:<id>`` stream; the calling service commits, so a notification exists (and is
pushed to the bell) only if the change it reports does. The other public functions are
each one transaction of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    cast,
    func,
    insert,
    literal,
    literal_column,
    select,
    update,
)

from app.accounts.identity import page_figures, register_page_figure
from app.accounts.models import User
from app.actions import action
from app.common import Cursor, KeysetPage, iso_utc, keyset_paginate, utcnow
from app.errors import Invalid, NotFound
from app.extensions import db
from app.i18n import current_locale
from app.notifications.models import Notification
from app.policy import is_signed_in, require
from app.realtime import encoded_messages_after, last_seq, publish, publishing_together
from app.realtime.models import EventStream


def user_stream(user_id: int) -> str:
    return f"user:{user_id}"


def notify(
    users: Iterable[User],
    kind: str,
    subject: str,
    text: str,
    link: str | None = None,
    *,
    actor: User | None = None,
    translations: dict[str, dict[str, str]] | None = None,
) -> list[Notification]:
    """Add a notification for each active user, inside the caller's transaction.

    ``translations`` holds every language's subject and text (``{"subject": {locale: ...},
    "text": {locale: ...}}``); each reader's page and bell then show their own.

    Flushes but never commits: the caller's single commit stores the notifications with
    the change they report, and only then are they pushed live. Inactive and repeated
    users are skipped. ``link`` is a path on this site.
    """
    recipients = {user.id: user for user in users if user is not None and user.active}
    if not recipients:
        return []
    now = utcnow()
    rows = [
        {
            "user_id": user_id,
            "kind": kind,
            "subject": subject[:200],
            "text": text,
            "link": link,
            "translations": translations,
            "created_at": now,
        }
        for user_id in recipients
    ]
    inserted = db.session.execute(
        insert(Notification).values(rows).returning(Notification, _UNREAD_BEFORE)
    ).all()
    position = {user_id: n for n, user_id in enumerate(recipients)}
    created = sorted((row[0] for row in inserted), key=lambda n: position[n.user_id])
    # Each recipient gets one new notification here, so their unread count is one more.
    unread = {notification.user_id: before + 1 for notification, before in inserted}
    with publishing_together():
        for notification in created:
            publish(
                user_stream(notification.user_id),
                "notification.created",
                {
                    "id": notification.id,
                    "kind": kind,
                    "subject": notification.subject,
                    "text": text,
                    "subjects": (translations or {}).get("subject") or {},
                    "texts": (translations or {}).get("text") or {},
                    "link": link,
                    "actor": actor.display_name if actor is not None else None,
                    "unread": unread.get(notification.user_id, 0),
                },
            )
    return created


_UNREAD_BEFORE = literal_column(
    "(SELECT count(*) FROM notifications AS earlier"
    " WHERE earlier.user_id = notifications.user_id AND earlier.read_at IS NULL"
    " AND earlier.id < notifications.id)",
    Integer,
)
"""Returned by the INSERT of a recipient's notification: their unread ones before it.

Asked in the statement that inserts, instead of a count after it (one statement less on
every write that notifies). Written out because SQLAlchemy renders a subquery in
RETURNING uncorrelated, and SQLite's RETURNING would not qualify the columns. Only rows
inserted before this one count: PostgreSQL's subquery sees none of the statement's own
rows anyway, SQLite's sees those inserted so far, and a recipient has one row here.
"""


def _unread_counts(user_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(Notification.user_id, func.count())
        .where(Notification.user_id.in_(user_ids), Notification.read_at.is_(None))
        .group_by(Notification.user_id)
    )
    return {user_id: count for user_id, count in rows}


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread (0 for anonymous callers)."""
    if not is_signed_in(user):
        return 0
    return _unread_counts([user.id]).get(user.id, 0)


@dataclass
class Bell:
    """What the header's bell shows: the unread count and the stream position it reflects."""

    unread: int
    last_seq: int


BELL_UNREAD_FIGURE = "notifications.unread"
BELL_SEQ_FIGURE = "notifications.last_seq"


def _unread_figure(user_id: int):
    """``count(*)``, not of a column: the (user_id, read_at) index alone then answers it."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def _seq_figure(user_id: int):
    return _seq_of(user_stream(user_id))


def _seq_of(stream):
    return select(EventStream.last_seq).where(EventStream.stream == stream).scalar_subquery()


def register_bell_figures() -> None:
    """Have each page read its bell with the signed-in user, in the same statement."""
    register_page_figure(BELL_UNREAD_FIGURE, lambda user, _today: _unread_figure(user))
    register_page_figure(
        BELL_SEQ_FIGURE, lambda user, _today: _seq_of(literal("user:") + cast(user, String))
    )


def bell(user: User) -> Bell | None:
    """The bell of a signed-in user, or ``None`` for anyone else."""
    if not is_signed_in(user):
        return None
    figures = page_figures(user.id)
    if figures is not None:
        count, seq = figures[BELL_UNREAD_FIGURE], figures[BELL_SEQ_FIGURE]
    else:
        # One statement for both figures: the unread count and the stream position it
        # reflects, read in the same snapshot.
        count, seq = db.session.execute(select(_unread_figure(user.id), _seq_figure(user.id))).one()
    return Bell(unread=count or 0, last_seq=seq or 0)


def list_notifications(
    actor: User,
    *,
    unread: bool = False,
    cursor: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> KeysetPage:
    """One page of the actor's own notifications, newest first; only unread ones if asked.

    Paged by key like the audit log (:func:`~app.common.keyset_paginate`): ``cursor`` is
    one a previous page handed out (``before:<id>`` for older notifications, ``after:<id>``
    for newer ones), and a page costs the same however far back it is; the count stops at
    :data:`~app.common.COUNT_CAP`. The key is the id: ids are handed out in the order
    notifications are inserted, and ``created_at`` is the time of that insert, so newest
    first by id is newest first by time (the order the list had by ``created_at``, id).

    Raises:
        BadCursor: ``cursor`` is not one a page hands out.
    """
    require(actor, "notification.read")
    stmt = select(Notification).where(Notification.user_id == actor.id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return keyset_paginate(
        stmt, Notification.id, cursor=Cursor.parse(cursor), page=page, per_page=per_page
    )


def _in_language(part: str, locale: str, english):
    """SQL: the notification's ``part`` in ``locale``, English when it has none in it
    (what :meth:`Notification.subject_in` and ``text_in`` answer)."""
    rendering = Notification.translations[(part, locale)].as_string()
    return func.coalesce(func.nullif(rendering, ""), english)


def _notification_answer(row) -> dict:
    """A row of :func:`list_notification_answers` as ``NotificationSchema`` dumps it."""
    return {
        "id": row[0],
        "kind": row[1],
        "subject": row[2],
        "text": row[3],
        "link": row[4],
        "read": row[5] is not None,
        "read_at": iso_utc(row[5]),
        "created_at": iso_utc(row[6]),
    }


def list_notification_answers(
    actor: User,
    *,
    unread: bool = False,
    cursor: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> KeysetPage:
    """:func:`list_notifications` as the API answers it: plain columns, in the reader's language.

    The subject and text are picked from the translations by the database, so no row's
    translations are decoded here.

    Raises:
        BadCursor: ``cursor`` is not one a page hands out.
    """
    require(actor, "notification.read")
    return keyset_paginate(
        _answer_rows(current_locale(), unread),
        Notification.id,
        cursor=Cursor.parse(cursor),
        page=page,
        per_page=per_page,
        shape=_notification_answer,
        parameters={"reader_id": actor.id},
    )


@cache
def _answer_rows(locale: str, unread: bool) -> Select:
    """The statement of :func:`list_notification_answers` in ``locale``, built once, the
    reader a parameter: with its page and count statements made once from it too
    (:func:`~app.common.keyset_paginate`), SQLAlchemy need not walk new statements to
    work their cache keys out on every request."""
    stmt = select(
        Notification.id,
        Notification.kind,
        _in_language("subject", locale, Notification.subject),
        _in_language("text", locale, Notification.text),
        Notification.link,
        Notification.read_at,
        Notification.created_at,
    ).where(Notification.user_id == bindparam("reader_id"))
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt


def _as_read(row):
    return row


def list_notification_rows(
    actor: User,
    *,
    unread: bool = False,
    cursor: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> KeysetPage:
    """:func:`list_notifications` for the notifications page: plain rows of what it shows
    (``id``, ``subject`` and ``text`` in the reader's language, ``link``, ``read_at``,
    ``created_at``), picked by the database as for the API; no notification object is built.

    Raises:
        BadCursor: ``cursor`` is not one a page hands out.
    """
    require(actor, "notification.read")
    locale = current_locale()
    stmt = select(
        Notification.id,
        _in_language("subject", locale, Notification.subject).label("subject"),
        _in_language("text", locale, Notification.text).label("text"),
        Notification.link,
        Notification.read_at,
        Notification.created_at,
    ).where(Notification.user_id == actor.id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return keyset_paginate(
        stmt,
        Notification.id,
        cursor=Cursor.parse(cursor),
        page=page,
        per_page=per_page,
        shape=_as_read,
    )


@dataclass
class ReadResult:
    """How many notifications a call marked read, and how many stay unread."""

    marked: int
    unread: int


def mark_read(actor: User, notification_ids: Iterable[int]) -> ReadResult:
    """Mark some of the actor's notifications read; those already read stay as they are.

    Raises:
        Invalid: no id given.
        NotFound: an id is missing or names someone else's notification (nothing changes).
    """
    require(actor, "notification.read")
    ids = sorted({i for i in notification_ids if isinstance(i, int) and not isinstance(i, bool)})
    if not ids:
        raise Invalid(
            _("No notification was marked read."),
            fields={"ids": [_("Name at least one notification.")]},
        )
    found = list(db.session.scalars(select(Notification).where(Notification.id.in_(ids))))
    if len(found) != len(ids) or any(n.user_id != actor.id for n in found):
        raise NotFound(_("Notification not found."))
    now = utcnow()
    changed = [n for n in found if n.read_at is None]
    for notification in changed:
        notification.read_at = now
    return _finish_reading(actor, [n.id for n in changed])


def open_notification(actor: User, notification_id: int) -> Notification:
    """The actor's notification, marked read because they are following it.

    Raises:
        NotFound: missing, or someone else's.
    """
    mark_read(actor, [notification_id])
    return db.session.get(Notification, notification_id)


def mark_all_read(actor: User) -> ReadResult:
    """Mark every unread notification of the actor read."""
    require(actor, "notification.read")
    ids = list(
        db.session.scalars(
            select(Notification.id).where(
                Notification.user_id == actor.id, Notification.read_at.is_(None)
            )
        )
    )
    if ids:
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(read_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
    return _finish_reading(actor, ids, everything=True)


def _finish_reading(actor: User, ids: list[int], *, everything: bool = False) -> ReadResult:
    """Audit, publish and commit a change of read flags; nothing at all when none changed."""
    with action(actor, "notification.read", target=("notification", None)) as act:
        if not ids:
            act.nothing_changed()
            return ReadResult(marked=0, unread=unread_count(actor))
        db.session.flush()
        unread = unread_count(actor)
        act.detail.update({"all": True} if everything else {"ids": ids}, count=len(ids))
        act.publish(
            user_stream(actor.id),
            text=_l("1 notification marked read")
            if len(ids) == 1
            else _l("%(num)s notifications marked read", num=len(ids)),
            unread=unread,
            **act.detail,
        )
    return ReadResult(marked=len(ids), unread=unread)


def user_events(actor: User, after: int = 0) -> dict:
    """The actor's own ``user:<id>`` stream after ``after``, for a reconnecting bell."""
    require(actor, "notification.read")
    stream = user_stream(actor.id)
    return {
        "items": encoded_messages_after(stream, after),
        "last_seq": last_seq(stream),
    }
