"""One way to change state: the action.

A service opens an action with the actor, the action name (``domain.verb_ed``) and its
target, does its work inside the ``with`` block, and says what else the change means:
events on live streams, notifications, people whose live access must be checked again.
When the block ends without an exception the action writes the audit entry and stores
the events under that one name, adds the notifications, and, if it is the outermost
action, commits once. Only after that commit do events, notifications and evictions go
out. Any exception rolls everything back and nothing is emitted::

    with action(actor, "workspace.member_removed", workspace_id=ws.id) as act:
        ws.memberships.remove(membership)
        act.target("membership", membership.id)
        act.publish(f"workspace:{ws.id}", text="...", user_id=user.id)
        act.notify([user], subject="...", text="...")
        act.recheck_access(user.id)

Live text is read by many people in their own languages, so a service passes it as a lazy
string (``lazy_gettext("%(actor)s removed %(member)s", actor=..., member=...)``) or a
``(msgid, params)`` pair, never as a finished sentence. The action renders it once per
language with :func:`render_texts`: an event carries ``texts`` (locale to sentence) beside
``text`` (English, for API clients), and the notifier receives every rendering. A value
that should follow the reader's language too (a role name, a date) is itself lazy.

A nested action (a service called by another service) only flushes and records its own
audit entry, so composite operations are one transaction. Catching a nested action's
failure and carrying on is refused: the outermost action then rolls back.

The core knows no domain: notifications are delivered by whatever sink a domain
registers with :func:`register_notifier`, and access is re-checked through the stream
kinds that domains register with :mod:`app.realtime.rooms`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale, gettext
from flask_babel.speaklater import LazyString
from sqlalchemy import Column, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import MANYTOONE, Session
from sqlalchemy.orm.exc import UnmappedColumnError

from app import audit
from app.extensions import db
from app.i18n import DEFAULT_LOCALE, LANGUAGES
from app.realtime import disconnect_user, publish, publishing_together, recheck_users
from app.sqlite import claim_write_lock

logger = logging.getLogger(__name__)

_STACK_KEY = "bridgework_actions"

Notifier = Callable[..., Any]
_notifier: Notifier | None = None

# What a service may pass as live text: a lazy string, a (msgid, params) pair, or a plain
# string (the same in every language: names, or text the service has no words of its own in).
LiveText = str | LazyString | tuple[str, dict[str, Any]]


def render_texts(text: LiveText) -> dict[str, str]:
    """The text in every supported language: ``{"en": ..., "zh_Hant": ..., "zh_Hans": ...}``.

    Each rendering runs under that language (``force_locale``), so lazy parameters (role
    names, dates) are rendered in it too.
    """
    rendered = {}
    for locale in LANGUAGES:
        with force_locale(locale):
            if isinstance(text, tuple):
                msgid, params = text
                rendered[locale] = gettext(msgid, **params)
            else:
                rendered[locale] = str(text)
    return rendered


def register_notifier(notifier: Notifier) -> None:
    """Name the function that stores and pushes notifications (the notifications domain).

    It is called as ``notifier(users, kind, subject, text, link, actor=actor,
    translations={"subject": {locale: ...}, "text": {locale: ...}})`` inside the action's
    transaction; ``subject`` and ``text`` are the English renderings.
    """
    global _notifier
    _notifier = notifier


class NestedActionFailed(RuntimeError):
    """A nested action failed and its caller carried on as if nothing had happened."""


@dataclass
class _Notice:
    users: list[Any]
    kind: str
    subject: LiveText
    text: LiveText
    link: str | None


@dataclass
class Action:
    """What one state change is: who, what, on which object, and what it sets in motion."""

    actor: Any
    name: str
    object_type: str | None = None
    object_id: Any = None
    workspace_id: int | None = None
    department_id: int | None = None
    actor_name: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    changed: bool = True
    failed_inside: bool = False
    _target_obj: Any = None
    _events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _notices: list[_Notice] = field(default_factory=list)
    _rechecks: set[int] = field(default_factory=set)
    _disconnects: set[int] = field(default_factory=set)
    _callbacks: list[tuple[Callable[..., Any], tuple]] = field(default_factory=list)
    _post_commit: list[tuple[Callable[..., Any], tuple]] = field(default_factory=list)

    def target(self, object_type: str, obj_or_id: Any) -> None:
        """Name the object the audit entry is about; a model's id is read at the end."""
        self.object_type = object_type
        if hasattr(obj_or_id, "id"):
            self._target_obj, self.object_id = obj_or_id, None
        else:
            self._target_obj, self.object_id = None, obj_or_id

    def publish(self, stream: str, **data: Any) -> None:
        """Store an event of this action's name on ``stream`` (emitted after commit).

        A ``text`` that is live text (lazy, or a ``(msgid, params)`` pair) is stored as its
        English rendering plus ``texts``, every language's rendering.
        """
        self._events.append((stream, data))

    def notify(
        self,
        users: Iterable[Any],
        *,
        subject: LiveText,
        text: LiveText,
        link: str | None = None,
        kind: str | None = None,
    ) -> None:
        """Tell ``users`` (inactive and repeated ones are skipped by the notifier).

        ``subject`` and ``text`` are live text (see the module's docstring), rendered in
        every language so each recipient reads their own.
        """
        self._notices.append(_Notice(list(users), kind or self.name, subject, text, link))

    def recheck_access(self, *user_ids: int) -> None:
        """After commit, end whatever live streams these users may no longer follow."""
        self._rechecks.update(user_ids)

    def disconnect(self, user_id: int) -> None:
        """After commit, close every live connection of a user (on every process)."""
        self._disconnects.add(user_id)

    def after_commit(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback(*args)`` once the outermost transaction committed."""
        self._callbacks.append((callback, args))

    def nothing_changed(self) -> None:
        """The request asked for what already is: no audit entry, no event, no notice."""
        self.changed = False

    def _finish(self) -> None:
        if not self.changed:
            return
        db.session.flush()
        if self._target_obj is not None:
            self.object_id = self._target_obj.id
        audit.record(
            self.actor,
            self.name,
            self.object_type or "none",
            self.object_id,
            detail=self.detail,
            department_id=self.department_id,
            workspace_id=self.workspace_id,
            actor_name=self.actor_name,
        )
        if self._notices and _notifier is None:
            raise RuntimeError("no notifier registered; call register_notifier at start-up")
        # The action's events and its notifications' events are stored in one go.
        with publishing_together():
            for stream, data in self._events:
                publish(stream, self.name, self._event_payload(data))
            for notice in self._notices:
                subjects, texts = render_texts(notice.subject), render_texts(notice.text)
                _notifier(  # type: ignore[misc]
                    notice.users,
                    notice.kind,
                    subjects[DEFAULT_LOCALE],
                    texts[DEFAULT_LOCALE],
                    notice.link,
                    actor=self.actor,
                    translations={"subject": subjects, "text": texts},
                )
        outermost = _stack()[0]
        if self._rechecks:
            outermost._post_commit.append((recheck_users, (sorted(self._rechecks),)))
        for user_id in sorted(self._disconnects):
            outermost._post_commit.append((disconnect_user, (user_id,)))
        outermost._post_commit.extend(self._callbacks)

    def _event_payload(self, data: dict[str, Any]) -> dict[str, Any]:
        payload = dict(data)
        text = payload.get("text")
        if text is not None and not isinstance(text, str):
            payload["texts"] = render_texts(text)
            payload["text"] = payload["texts"][DEFAULT_LOCALE]
        if self.actor is not None:
            payload.setdefault("actor", getattr(self.actor, "display_name", None))
            payload.setdefault("actor_id", getattr(self.actor, "id", None))
        if self.workspace_id is not None:
            payload.setdefault("workspace_id", self.workspace_id)
        return payload


def _stack() -> list[Action]:
    return db.session().info.setdefault(_STACK_KEY, [])


def current_action() -> Action | None:
    """The innermost open action of this session, if any."""
    stack = _stack()
    return stack[-1] if stack else None


@contextmanager
def action(
    actor: Any,
    name: str,
    *,
    target: tuple[str, Any] | None = None,
    workspace_id: int | None = None,
    department_id: int | None = None,
    actor_name: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Iterator[Action]:
    """Open an action; see the module's docstring.

    Raises:
        NestedActionFailed: a nested action failed and the block swallowed its error.
        Whatever the block raises, after rolling the outermost transaction back.
    """
    stack = _stack()
    outermost = not stack
    act = Action(
        actor=actor,
        name=name,
        workspace_id=workspace_id,
        department_id=department_id,
        actor_name=actor_name,
        detail=dict(detail or {}),
    )
    if target is not None:
        act.target(*target)
    if outermost:
        claim_write_lock(db.session)
    stack.append(act)
    try:
        yield act
        if act.failed_inside:
            raise NestedActionFailed(f"a nested action failed inside {name!r}")
        act._finish()
    except BaseException:
        stack.pop()
        if outermost:
            db.session.rollback()
        else:
            stack[-1].failed_inside = True
        raise
    stack.pop()
    if outermost:
        _commit_keeping_state()
        _run_post_commit(act)
    else:
        db.session.flush()


def _commit_keeping_state() -> None:
    """Commit, keeping what the session holds instead of expiring all of it.

    At this commit the objects the action loaded and changed hold what the database now
    holds for their rows: the action locked what it changes and flushed every change.
    Expiring them made the response read them all again (the changed object, its
    department, its people and their roles: three to six statements per write). Only
    values the database computed when they were loaded (SQL column properties such as a
    workspace's member count) may be outdated by the change, so they alone are expired.
    The session is the request's, so nothing kept outlives the request.
    """
    session = db.session()
    session.flush()
    out_of_step = session.info.pop(_OUT_OF_STEP_KEY, [])
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
    for obj in list(session.identity_map.values()):
        computed = _computed_attributes(type(obj))
        if computed:
            session.expire(obj, computed)
    for obj, key in out_of_step:
        if sa_inspect(obj).persistent:
            session.expire(obj, [key])


_OUT_OF_STEP_KEY = "bridgework_out_of_step"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_out_of_step(session: Session, *_args) -> None:
    """Any other commit expires everything anyway, and a rollback drops the changes."""
    session.info.pop(_OUT_OF_STEP_KEY, None)


@event.listens_for(Session, "before_flush")
def _note_out_of_step(session: Session, _context, _instances) -> None:
    """Note the loaded relationships that the changes being flushed leave out of step.

    Setting a foreign key (``participation.responded_by_id = 5``) does not change the
    loaded relationship beside it (``participation.responded_by``); adding a row by its
    parent's id, or deleting one, does not change the parent's loaded collection unless
    the change went through it. Expiring everything at commit used to hide that; since an
    action keeps what it loaded (:func:`_commit_keeping_state`), it expires these
    attributes alone after its commit.
    """
    noted = session.info.setdefault(_OUT_OF_STEP_KEY, [])
    for obj in (*session.new, *session.dirty, *session.deleted):
        state = sa_inspect(obj)
        deleted = obj in session.deleted
        for rel in state.mapper.relationships:
            if rel.direction is not MANYTOONE:
                continue
            through_relationship = state.attrs[rel.key].history.has_changes()
            try:
                keys = [state.mapper.get_property_by_column(c).key for c in rel.local_columns]
            except UnmappedColumnError:
                continue
            keys_changed = any(state.attrs[key].history.has_changes() for key in keys)
            if not (deleted or (keys_changed and not through_relationship)):
                continue
            if not deleted and rel.key in state.dict:
                noted.append((obj, rel.key))
            for parent in _parents(session, state, rel, keys):
                for reverse in rel._reverse_property:
                    collection = parent.__dict__.get(reverse.key)
                    if reverse.uselist and collection is not None:
                        if not (deleted and obj not in collection):
                            noted.append((parent, reverse.key))


def _parents(session: Session, state, rel, keys: list[str]) -> list[Any]:
    """The loaded objects ``rel`` of ``state`` pointed at before and after the change."""
    found = []
    loaded = state.dict.get(rel.key)
    if loaded is not None:
        found.append(loaded)
    pairs = {remote: local for local, remote in rel.local_remote_pairs}
    primary_key = rel.mapper.primary_key
    if set(pairs) != set(primary_key):
        return found
    key_of = dict(zip(rel.local_columns, keys, strict=True))
    for side in ("added", "unchanged", "deleted"):
        values = []
        for column in primary_key:
            seen = getattr(state.attrs[key_of[pairs[column]]].history, side) or ()
            values.append(seen[0] if seen else None)
        if None not in values:
            parent = session.identity_map.get(rel.mapper.identity_key_from_primary_key(values))
            if parent is not None and parent not in found:
                found.append(parent)
    return found


_COMPUTED: dict[type, list[str]] = {}


def _computed_attributes(model: type) -> list[str]:
    """The attributes of ``model`` mapped to SQL expressions rather than to table columns."""
    if model not in _COMPUTED:
        mapper = sa_inspect(model)
        _COMPUTED[model] = [
            prop.key
            for prop in mapper.column_attrs
            if not all(isinstance(column, Column) for column in prop.columns)
        ]
    return _COMPUTED[model]


def _run_post_commit(act: Action) -> None:
    """Evictions, disconnections and callbacks, once the change is safely stored.

    They run after the commit has finished (not inside the session's commit hook), so
    they may query; a failure is logged, since the change itself stands.
    """
    for callback, args in act._post_commit:
        try:
            callback(*args)
        except Exception:
            logger.exception("After-commit work of %s failed", act.name)
