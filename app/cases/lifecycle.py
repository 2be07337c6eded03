"""A case's life: opening it, editing it, moving it between statuses, overdue reminders.

Each change is one action. Its event goes on the case's stream (the timeline, with the
before and after of every changed field) and on the workspace's stream (the activity
feed and every open board), and the case's assignees are told.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from app.accounts.models import Department, Region, User
from app.actions import Action, LiveText, action, render_texts
from app.cases.access import (
    UNSET,
    board_stream,
    case_path,
    case_stream,
    check_description,
    check_due_on,
    check_priority,
    check_status,
    check_title,
    clean,
    ensure_writable,
    for_change,
    key_prefix,
    label,
    workspace_for_cases,
    write_refusal,
)
from app.cases.models import ACTIVE_STATUSES, Case, CaseCounter, CasePriority, CaseStatus
from app.cases.policy import WRITER_ROLES
from app.cases.rows import CaseRow, row_of
from app.common import utcnow
from app.errors import Invalid
from app.extensions import db
from app.i18n import DEFAULT_LOCALE
from app.policy import require
from app.workspaces.models import Workspace

# Field names as the feed's sentences say them.
FIELD_LABELS = {
    "title": _l("title"),
    "description": _l("description"),
    "status": _l("status"),
    "priority": _l("priority"),
    "region": _l("region"),
    "due_on": _l("due date"),
    "departments": _l("departments"),
    "assignees": _l("assignees"),
}
STATUS_LABELS = {
    "open": _l("Open"),
    "in_progress": _l("In progress"),
    "blocked": _l("Blocked"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
}


# Creating -------------------------------------------------------------------------------


def ensure_may_create(actor: User, workspace_id: int) -> Workspace:
    """The workspace, if the actor may open cases in it now (before showing the form).

    Raises:
        NotFound: the workspace is missing or not visible.
        Conflict: the workspace is read-only.
        Forbidden: the actor is an observer or oversees without taking part.
    """
    workspace = workspace_for_cases(actor, workspace_id)
    ensure_writable(workspace)
    require(actor, "case.create", workspace, write_refusal(actor, workspace))
    return workspace


def create_case(
    actor: User,
    workspace_id: int,
    *,
    title: str,
    description: str = "",
    priority: str = CasePriority.NORMAL.value,
    region_id: int | None = None,
    due_on: date | None = None,
    department_ids: Iterable[int] | None = None,
    assignee_ids: Iterable[int] | None = None,
) -> Case:
    """Open a case in a workspace; it is numbered next in that workspace.

    Involved departments default to the actor's own. Assignees must be current leads or
    members of the workspace from an involved department.

    Raises:
        NotFound: the workspace is missing or not visible.
        Conflict: the workspace is read-only.
        Forbidden: the actor is an observer or oversees without taking part.
        Invalid: every problem with the fields, at once.
    """
    with action(actor, "case.created") as act:
        workspace = ensure_may_create(actor, workspace_id)
        fields: dict[str, list[str]] = {}
        title, description = clean(title), clean(description)
        check_title(title, fields)
        check_description(description, fields)
        check_priority(priority, fields)
        check_due_on(due_on, fields)
        region = _region(region_id, fields)
        ids = list(department_ids) if department_ids else [actor.department_id]
        departments = _departments(workspace, ids, fields)
        assignees = _assignees(workspace, departments, assignee_ids or [], fields)
        if fields:
            raise Invalid(_("The case was not created."), fields=fields)
        case = _new_case(actor, workspace, title, description, priority, region, due_on)
        case.departments = departments
        case.assignees = assignees
        db.session.flush()
        act.target("case", case)
        act.workspace_id = workspace.id
        act.detail.update(key=case.key, title=title, priority=priority)
        text = _l(
            "%(actor)s opened %(key)s: %(title)s", actor=label(actor), key=case.key, title=title
        )
        _announce(act, case, text)
        _tell_assignees(act, case, actor, _l("%(key)s was assigned to you", key=case.key), text)
    case.content_visible = True
    return case


def _next_number(workspace: Workspace) -> tuple[str, int]:
    """The next case number of the workspace, with its key prefix, under a row lock.

    The counter row is created with "insert unless present" (which waits for a
    concurrent creator) and then locked, so concurrent creators queue on it.
    """
    locked = (
        select(CaseCounter)
        .where(CaseCounter.workspace_id == workspace.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter = db.session.scalar(locked)
    if counter is None:
        dialect = db.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        db.session.execute(
            insert(CaseCounter)
            .values(workspace_id=workspace.id, prefix=key_prefix(workspace.name), last_number=0)
            .on_conflict_do_nothing(index_elements=["workspace_id"])
        )
        counter = db.session.scalar(locked)
    counter.last_number += 1
    return counter.prefix, counter.last_number


def _new_case(actor, workspace, title, description, priority, region, due_on) -> Case:
    prefix, number = _next_number(workspace)
    now = utcnow()
    case = Case(
        workspace_id=workspace.id,
        number=number,
        key=f"{prefix}-{number}",
        title=title,
        description=description,
        status=CaseStatus.OPEN.value,
        priority=priority,
        region_id=region.id if region else None,
        due_on=due_on,
        version=1,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    case.workspace = workspace
    db.session.add(case)
    return case


def _region(region_id: Any, fields: dict) -> Region | None:
    if region_id in (None, ""):
        return None
    region = db.session.get(Region, region_id) if isinstance(region_id, int) else None
    if region is None:
        fields["region_id"] = [_("Choose a region from the list.")]
    return region


def _departments(workspace: Workspace, ids: list, fields: dict) -> list[Department]:
    """The involved departments: each must take part in the workspace (accepted)."""
    taking_part = {p.department_id: p.department for p in workspace.participations if p.is_accepted}
    chosen = []
    for department_id in dict.fromkeys(ids):
        if department_id not in taking_part:
            fields["department_ids"] = [_("Choose departments that take part in this workspace.")]
            return []
        chosen.append(taking_part[department_id])
    if not chosen:
        fields["department_ids"] = [_("Choose at least one involved department.")]
    return chosen


def _assignees(
    workspace: Workspace, departments: list[Department], ids: Iterable[Any], fields: dict
) -> list[User]:
    """Assignees: current leads or members of the workspace from an involved department."""
    involved = {department.id for department in departments}
    members = {
        m.user_id: m.user
        for m in workspace.memberships
        if m.is_current() and m.role in WRITER_ROLES and m.user.active
    }
    chosen = []
    for user_id in dict.fromkeys(ids):
        user = members.get(user_id)
        if user is None or user.department_id not in involved:
            fields["assignee_ids"] = [
                _("Assign members of the workspace from the involved departments only.")
            ]
            return []
        chosen.append(user)
    return chosen


# Editing and moving ---------------------------------------------------------------------


def update_case(
    actor: User,
    case_id: int,
    *,
    version: int,
    title: Any = UNSET,
    description: Any = UNSET,
    status: Any = UNSET,
    priority: Any = UNSET,
    region_id: Any = UNSET,
    due_on: Any = UNSET,
    department_ids: Any = UNSET,
    assignee_ids: Any = UNSET,
    as_row: bool = False,
) -> Case | CaseRow:
    """Change a case's fields; ``version`` is the one the edit was based on.

    Only the given fields change; the same values again change nothing (no event).
    ``as_row`` answers with the case's :class:`~app.cases.browse.CaseRow` as it was
    committed, for the API, which would otherwise read it all again to show it.

    Raises:
        NotFound, Forbidden (observer), Conflict (read-only; ``stale`` version),
        Invalid (every problem with the fields, at once).
    """
    with action(actor, "case.updated") as act:
        case = for_change(actor, case_id, "case.update", version)
        act.target("case", case)
        act.workspace_id = case.workspace_id
        given = {
            "title": title,
            "description": description,
            "status": status,
            "priority": priority,
            "region_id": region_id,
            "due_on": due_on,
            "department_ids": department_ids,
            "assignee_ids": assignee_ids,
        }
        changes, before_assignees = _apply(case, {k: v for k, v in given.items() if v is not UNSET})
        case.content_visible = True
        if not changes:
            act.nothing_changed()
            return row_of(case) if as_row else case
        case.version += 1
        case.updated_at = utcnow()
        if set(changes) == {"status"}:
            act.name = "case.moved"
        act.detail.update(key=case.key, changes=changes)
        text = _describe(actor, case, changes)
        _announce(act, case, text, changes=changes)
        newly = [u for u in case.assignees if u.id not in before_assignees]
        _tell_assignees(act, case, actor, _l("%(key)s changed", key=case.key), text, exclude=newly)
        if newly:
            act.notify(
                [u for u in newly if u.id != actor.id],
                subject=_l("%(key)s was assigned to you", key=case.key),
                text=text,
                link=case_path(case.id),
            )
        row = row_of(case) if as_row else None
    return row or case


def _apply(case: Case, given: dict[str, Any]) -> tuple[dict[str, dict], set[int]]:
    """Validate the given fields together, then set those that differ.

    Returns the changes as ``{field: {"from": shown, "to": shown}}`` and the ids of the
    assignees before the change.

    Raises:
        Invalid: every problem with the fields.
    """
    fields: dict[str, list[str]] = {}
    wanted: dict[str, Any] = {}
    if "title" in given:
        wanted["title"] = clean(given["title"])
        check_title(wanted["title"], fields)
    if "description" in given:
        wanted["description"] = clean(given["description"])
        check_description(wanted["description"], fields)
    if "status" in given:
        wanted["status"] = given["status"]
        check_status(given["status"], fields)
    if "priority" in given:
        wanted["priority"] = given["priority"]
        check_priority(given["priority"], fields)
    if "due_on" in given:
        wanted["due_on"] = given["due_on"]
        check_due_on(given["due_on"], fields, previous=case.due_on)
    if "region_id" in given:
        wanted["region"] = _region(given["region_id"], fields)
    departments = case.departments
    if "department_ids" in given:
        departments = _departments(case.workspace, list(given["department_ids"] or []), fields)
        wanted["departments"] = departments
    if "assignee_ids" in given or "department_ids" in given:
        ids = given.get("assignee_ids", [u.id for u in case.assignees]) or []
        wanted["assignees"] = _assignees(case.workspace, departments, ids, fields)
    if fields:
        raise Invalid(_("The case was not changed."), fields=fields)
    before_assignees = {user.id for user in case.assignees}
    changes = {}
    for name, value in wanted.items():
        old = getattr(case, name)
        if _same(old, value):
            continue
        changes[name] = {"from": _shown(old), "to": _shown(value)}
        setattr(case, name, value)
    return changes, before_assignees


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, list):
        return {item.id for item in old} == {item.id for item in new}
    if hasattr(new, "id") or hasattr(old, "id"):
        return getattr(old, "id", None) == getattr(new, "id", None)
    return old == new


def _shown(value: Any) -> Any:
    """A value as the timeline shows it: names for people and places, ISO dates."""
    if isinstance(value, list):
        return [getattr(item, "display_name", None) or item.name for item in value]
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "name"):
        return value.name
    return value


def _describe(actor: User, case: Case, changes: dict[str, dict]) -> LazyString:
    """The feed's sentence for a change, in whichever language it is read."""
    params = {"actor": label(actor), "key": case.key}
    if set(changes) == {"status"}:
        change = changes["status"]
        return _l(
            "%(actor)s moved %(key)s from %(before)s to %(after)s",
            before=STATUS_LABELS[change["from"]],
            after=STATUS_LABELS[change["to"]],
            **params,
        )
    parts = []
    for name, change in changes.items():
        if name == "description":
            parts.append(_l("the description"))
            continue
        before, after = _words(name, change["from"]), _words(name, change["to"])
        parts.append(
            _l(
                "%(field)s from %(before)s to %(after)s",
                field=FIELD_LABELS[name],
                before=before,
                after=after,
            )
        )
    return _l(
        "%(actor)s changed %(key)s: %(changes)s", changes=LazyString(_joined, parts), **params
    )


def _joined(parts: list) -> str:
    # Translators: what separates the changes listed in one feed sentence.
    return _("; ").join(str(part) for part in parts)


def _words(name: str, value: Any) -> Any:
    if value in (None, [], ""):
        return _l("none")
    if name == "status":
        return STATUS_LABELS.get(value, value)
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


# Telling people -------------------------------------------------------------------------


def case_card(case: Case) -> dict[str, Any]:
    """What a board or case page needs to show the case's current state live."""
    return {
        "case_id": case.id,
        "key": case.key,
        "title": case.title,
        "status": case.status,
        "priority": case.priority,
        "due_on": case.due_on.isoformat() if case.due_on else None,
        "overdue": case.is_overdue(),
        "version": case.version,
        "region": case.region.name if case.region else None,
        "departments": [department.name for department in case.departments],
        "assignees": [user.display_name for user in case.assignees],
        "url": case_path(case.id),
    }


def _announce(act: Action, case: Case, text: LiveText, **data: Any) -> None:
    """Publish the change on the case's timeline and on its workspace's case boards."""
    card = case_card(case)
    # Rendered in every language once for both events (the action would render each).
    texts = render_texts(text)
    english = texts[DEFAULT_LOCALE]
    act.publish(case_stream(case.id), text=english, texts=texts, case=card, **data)
    act.publish(board_stream(case.workspace_id), text=english, texts=texts, case=card)


def _tell_assignees(
    act: Action,
    case: Case,
    actor: User | None,
    subject: LiveText,
    text: LiveText,
    exclude: Iterable[User] = (),
) -> None:
    skip = {user.id for user in exclude} | ({actor.id} if actor is not None else set())
    people = [user for user in case.assignees if user.id not in skip]
    if people:
        act.notify(people, subject=subject, text=text, link=case_path(case.id))


# Overdue reminders ----------------------------------------------------------------------


def remind_overdue(today: date | None = None) -> int:
    """Tell the assignees of every overdue case, once per due date; return how many cases.

    Idempotent: a case is reminded again only when its due date changed since. The
    system acts, so the audit log shows the reminder with no person behind it.
    """
    today = today or utcnow().date()
    with action(None, "case.overdue_reminded", actor_name="system") as act:
        overdue = list(
            db.session.scalars(
                select(Case)
                .where(
                    Case.status.in_(ACTIVE_STATUSES),
                    Case.due_on < today,
                    (Case.reminded_due_on.is_(None)) | (Case.reminded_due_on != Case.due_on),
                )
                .options(selectinload(Case.assignees))
                .order_by(Case.id)
                .with_for_update(of=Case)
            )
        )
        act.target("system", None)
        if not overdue:
            act.nothing_changed()
            return 0
        for case in overdue:
            case.reminded_due_on = case.due_on
            text = _l(
                "%(key)s (%(title)s) was due on %(due)s and is still open.",
                key=case.key,
                title=case.title,
                due=f"{case.due_on:%d %b %Y}",
            )
            act.publish(case_stream(case.id), text=text, case=case_card(case), overdue=True)
            _tell_assignees(act, case, None, _l("%(key)s is overdue", key=case.key), text)
        act.detail["cases"] = [case.key for case in overdue]
    return len(overdue)
