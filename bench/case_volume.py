"""The read benchmark's cases: the volume issue 11 names, part through the services.

At ``scale=1``: 20,000 cases in 200 workspaces, across the five statuses and four
priorities, each with 1-3 involved departments of its workspace, 1-3 assignees from
them, a region for most and a due date for two in three (some overdue), and 200,000
timeline entries (the events of the ``case:<id>`` streams: openings, moves, edits and
comments).

Two parts:

* **Through the services** (``create_case``, ``update_case``, ``add_comment``): the
  measured workspace, ``bench.lead``'s, gets ``BENCH_CASES`` cases opened, moved, edited
  and commented on by its members, so numbering, audit entries, events, board events
  and notifications there are exactly what the services write. The lead is among the
  assignees of about a third of them ("My cases"). Cases cannot be opened with a past
  due date, so afterwards some active ones get one, as if the days had passed.
* **Bulk** (the shortcut): the other workspaces' cases and the rest of the timeline,
  including the long timeline of the measured case, are inserted in batches in the
  shapes those services write: the case rows with their counters, involved departments
  and assignees, comment rows, and for each entry the event on the case's stream (and,
  for an opening, move or edit, the same event on the workspace's board stream,
  ``cases:<id>``) with its every-language text, the card as it was and the before/after
  of a change, and each stream's last sequence number. Not written for them: audit
  entries and notifications (200,000 appends to the hash chain one by one, and no case
  read looks at either).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update

CASE_WORKSPACES = 200
CASES = 20_000
TIMELINE_ENTRIES = 200_000
BENCH_CASES = 300
BENCH_CASE_TIMELINE = 600
BENCH_CASE_COMMENTS = 250
SERVICE_COMMENTS = 100
BATCH_CASES = 500

STATUS_WEIGHTS = {"open": 30, "in_progress": 25, "blocked": 10, "resolved": 20, "closed": 15}
PRIORITY_WEIGHTS = {"low": 20, "normal": 45, "high": 25, "urgent": 10}
ACTIVE = ("open", "in_progress", "blocked")
# What an extra timeline entry is: a move, an edit (priority or due date) or a comment.
ENTRY_WEIGHTS = {"move": 35, "edit": 25, "comment": 40}
TOPICS = (
    "Flooded underpass",
    "Blocked drain",
    "Landslip warning",
    "Traffic signal failure",
    "Hospital bed shortage",
    "Crime black spot",
    "Sensor outage",
    "Road closure",
)
COMMENTS = (
    "Crew on site, pumping started.",
    "Readings attached; the level is falling.",
    "Waiting for the contractor's report.",
    "Police have closed the lane until further notice.",
    "Can someone from the other bureau confirm the figures?",
)


@dataclass(frozen=True)
class Plan:
    workspaces: int
    cases: int
    timeline: int

    @classmethod
    def at(cls, scale: float) -> Plan:
        return cls(
            workspaces=max(5, round(CASE_WORKSPACES * scale)),
            cases=max(BENCH_CASES + 100, round(CASES * scale)),
            timeline=max(BENCH_CASE_TIMELINE + 2_000, round(TIMELINE_ENTRIES * scale)),
        )


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    department_id: int
    label: str  # "Name (Department)", as the feed's sentences name people


@dataclass
class Place:
    """A workspace that gets cases: its key prefix, departments and writing members."""

    id: int
    prefix: str
    departments: dict[int, tuple[str, str]]  # id -> (code, name), accepted only
    writers: list[Person]
    next_number: int = 1


@dataclass
class BulkCase:
    """A case being written in bulk: its state now, and its entries still to be written.

    ``start`` is the state before the entries (status, priority, due date, version);
    ``pending`` holds the entries, oldest first, as ``(kind, at, what)``.
    """

    place: Place
    number: int
    title: str
    priority: str
    region: tuple[int, str] | None
    due_on: date | None
    departments: list[int]
    assignees: list[Person]
    creator: Person
    opened_at: datetime
    status: str = "open"
    version: int = 1
    updated_at: datetime | None = None
    id: int = 0
    start: tuple = ()
    pending: list[tuple[str, datetime, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.place.prefix}-{self.number}"


def build_cases(s, rng: random.Random, scale: float, lead, workspace_id: int, log) -> int:
    """Fill the database with the cases of ``scale``; return the measured case's id."""
    plan = Plan.at(scale)
    started = time.monotonic()
    measured = _through_services(s, rng, lead, workspace_id)
    log(f"  {BENCH_CASES} cases through the services ({time.monotonic() - started:.0f} s)")
    _let_days_pass(s, rng, workspace_id)
    writer = _BulkWriter(s, rng)
    places = _places(s, workspace_id, plan.workspaces - 1)
    bulk_cases = plan.cases - BENCH_CASES
    have = writer.timeline_count()
    long_tail = max(0, BENCH_CASE_TIMELINE - writer.stream_length(measured))
    extras = max(0, plan.timeline - have - bulk_cases - long_tail)
    writer.extend_timeline(measured, long_tail, comments=BENCH_CASE_COMMENTS)
    writer.write_cases(places, bulk_cases, extras, log, started)
    s.db.session.commit()
    log(f"  cases and timeline in bulk ({time.monotonic() - started:.0f} s)")
    return measured


# Through the services --------------------------------------------------------------------


def _writers(s, workspace_id: int) -> list:
    """The workspace's people who may open and change cases."""
    return list(
        s.db.session.scalars(
            select(s.User)
            .join(s.Membership, s.Membership.user_id == s.User.id)
            .where(
                s.Membership.workspace_id == workspace_id,
                _writing(s),
            )
            .order_by(s.User.id)
        )
    )


def _writing(s):
    """SQL: a membership whose person may open and change cases (current lead or member,
    active), as the services check it."""
    return and_(
        s.Membership.role.in_(("lead", "member")),
        or_(s.Membership.expires_at.is_(None), s.Membership.expires_at > s.utcnow()),
        s.User.active.is_(True),
    )


def _through_services(s, rng: random.Random, lead, workspace_id: int) -> int:
    """Cases of the measured workspace, opened, moved, edited and commented on by its members."""
    people = _writers(s, workspace_id)
    departments = sorted({person.department_id for person in people})
    regions = list(s.db.session.scalars(select(s.Region.id)))
    today = s.utcnow().date()
    versions: dict[int, int] = {}
    for number in range(BENCH_CASES):
        actor = rng.choice(people)
        involved = {actor.department_id, *rng.sample(departments, rng.randint(0, 2))}
        if number % 3 == 0:
            involved.add(lead.department_id)
        candidates = [p for p in people if p.department_id in involved]
        assignees = rng.sample(candidates, min(len(candidates), rng.randint(1, 3)))
        if number % 3 == 0 and lead not in assignees:
            assignees[0] = lead
        case = s.create_case(
            actor,
            workspace_id,
            title=f"{rng.choice(TOPICS)} {number + 1}",
            description="Reported through the joint hotline; see the timeline.",
            priority=_weighted(rng, PRIORITY_WEIGHTS),
            region_id=rng.choice(regions) if rng.random() < 0.9 else None,
            due_on=today + timedelta(days=rng.randint(1, 90)) if rng.random() < 0.67 else None,
            department_ids=sorted(involved),
            assignee_ids=[p.id for p in assignees],
        )
        versions[case.id] = 1
    case_ids = sorted(versions)
    for case_id in case_ids:
        target = _weighted(rng, STATUS_WEIGHTS)
        for status in _path_to(target):
            s.update_case(rng.choice(people), case_id, version=versions[case_id], status=status)
            versions[case_id] += 1
    for case_id in rng.sample(case_ids, len(case_ids) // 3):
        priority = _weighted(rng, PRIORITY_WEIGHTS)
        s.update_case(rng.choice(people), case_id, version=versions[case_id], priority=priority)
        versions[case_id] += 1
    for _number in range(SERVICE_COMMENTS):
        s.add_comment(rng.choice(people), rng.choice(case_ids), rng.choice(COMMENTS))
    return case_ids[0]


def _path_to(status: str) -> list[str]:
    """The moves a case makes from "open" to ``status`` on a board."""
    return {
        "open": [],
        "in_progress": ["in_progress"],
        "blocked": ["in_progress", "blocked"],
        "resolved": ["in_progress", "resolved"],
        "closed": ["in_progress", "resolved", "closed"],
    }[status]


def _let_days_pass(s, rng: random.Random, workspace_id: int) -> None:
    """Give a fifth of the measured workspace's active cases with a due date a past one.

    The services refuse a due date in the past, so overdue cases come only from time
    passing; this stands for the weeks the cases would have been open.
    """
    Case = s.Case
    active = list(
        s.db.session.scalars(
            select(Case.id).where(
                Case.workspace_id == workspace_id,
                Case.status.in_(ACTIVE),
                Case.due_on.is_not(None),
            )
        )
    )
    today = s.utcnow().date()
    for case_id in rng.sample(active, len(active) // 5):
        s.db.session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(due_on=today - timedelta(days=rng.randint(1, 30)))
        )
    s.db.session.commit()


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# In bulk ---------------------------------------------------------------------------------


def _places(s, exclude: int, count: int) -> list[Place]:
    """The first ``count`` workspaces (by id) other than ``exclude`` that have writers."""
    from app.cases.access import key_prefix

    workspaces = s.db.session.execute(
        select(s.Workspace.id, s.Workspace.name).where(s.Workspace.id != exclude).order_by("id")
    ).all()
    accepted = s.db.session.execute(
        select(
            s.WorkspaceDepartment.workspace_id,
            s.Department.id,
            s.Department.code,
            s.Department.name,
        )
        .join(s.Department, s.Department.id == s.WorkspaceDepartment.department_id)
        .where(s.WorkspaceDepartment.status == "accepted")
    ).all()
    members = s.db.session.execute(
        select(
            s.Membership.workspace_id,
            s.User.id,
            s.User.display_name,
            s.User.department_id,
            s.Department.name,
        )
        .join(s.User, s.User.id == s.Membership.user_id)
        .join(s.Department, s.Department.id == s.User.department_id)
        .where(_writing(s))
        .order_by(s.Membership.workspace_id, s.User.id)
    ).all()
    departments: dict[int, dict[int, tuple[str, str]]] = {}
    for workspace_id, department_id, code, name in accepted:
        departments.setdefault(workspace_id, {})[department_id] = (code, name)
    writers: dict[int, list[Person]] = {}
    for workspace_id, user_id, name, department_id, department in members:
        if department_id in departments.get(workspace_id, {}):
            person = Person(user_id, name, department_id, f"{name} ({department})")
            writers.setdefault(workspace_id, []).append(person)
    counters = dict(
        s.db.session.execute(select(s.CaseCounter.workspace_id, s.CaseCounter.last_number)).all()
    )
    places = [
        Place(
            workspace_id,
            key_prefix(name),
            departments[workspace_id],
            writers[workspace_id],
            next_number=counters.get(workspace_id, 0) + 1,
        )
        for workspace_id, name in workspaces
        if writers.get(workspace_id)
    ]
    return places[:count]


class _BulkWriter:
    """Writes cases and timeline entries in the shapes the case services write."""

    def __init__(self, s, rng: random.Random) -> None:
        self.s, self.rng = s, rng
        self.now = s.utcnow()
        self.today = self.now.date()
        self.regions = [tuple(r) for r in s.db.session.execute(select(s.Region.id, s.Region.name))]
        self.last_seq = dict(
            s.db.session.execute(select(s.EventStream.stream, s.EventStream.last_seq)).all()
        )
        self.events: list[dict[str, Any]] = []
        self.touched: set[str] = set()

    # Counting --------------------------------------------------------------------------

    def timeline_count(self) -> int:
        Event = self.s.Event
        return (
            self.s.db.session.scalar(
                select(func.count()).select_from(Event).where(Event.stream.like("case:%"))
            )
            or 0
        )

    def stream_length(self, case_id: int) -> int:
        return self.last_seq.get(f"case:{case_id}", 0)

    # The measured case's long timeline -------------------------------------------------

    def extend_timeline(self, case_id: int, entries: int, *, comments: int) -> None:
        """Add ``entries`` to a case made through the services, ``comments`` of them comments.

        Its moves go away and back (two entries each), so it stays in its column.
        """
        if entries <= 0:
            return
        s = self.s
        case = s.db.session.get(s.Case, case_id)
        people = [
            Person(u.id, u.display_name, u.department_id, f"{u.display_name} ({u.department.name})")
            for u in _writers(s, case.workspace_id)
        ]
        place = Place(
            case.workspace_id,
            case.key.rsplit("-", 1)[0],
            {d.id: (d.code, d.name) for d in case.departments},
            people,
        )
        assigned = {u.id for u in case.assignees}
        bulk = BulkCase(
            place=place,
            number=case.number,
            title=case.title,
            priority=case.priority,
            region=(case.region.id, case.region.name) if case.region else None,
            due_on=case.due_on,
            departments=[d.id for d in case.departments],
            assignees=[p for p in people if p.id in assigned],
            creator=people[0],
            opened_at=case.created_at,
            status=case.status,
            version=case.version,
            updated_at=case.updated_at,
            id=case.id,
        )
        kinds = ["comment"] * min(comments, entries)
        left = entries - len(kinds)
        while left > 0:
            kind = _weighted(self.rng, {"move": 35, "edit": 25})
            if kind == "move" and left >= 2:
                kinds.append("move_back")
                left -= 2
            else:
                kinds.append("edit")
                left -= 1
        self.rng.shuffle(kinds)
        self._unfold(bulk, kinds, since=case.updated_at, target=case.status, opening=False)
        self._write_comments([bulk])
        self._flush_events()
        s.db.session.execute(
            update(s.Case)
            .where(s.Case.id == case_id)
            .values(
                priority=bulk.priority,
                due_on=bulk.due_on,
                version=bulk.version,
                updated_at=bulk.updated_at,
            )
        )

    # Other workspaces' cases -----------------------------------------------------------

    def write_cases(self, places: list[Place], count: int, extras: int, log, started) -> None:
        """``count`` cases spread unevenly over ``places``, with ``extras`` entries beyond
        their openings, in batches of ``BATCH_CASES`` cases per commit."""
        weights = [self.rng.uniform(0.3, 1.7) for _ in places]
        homes = self.rng.choices(places, weights=weights, k=count)
        entries = [0] * count
        for index in self.rng.choices(range(count), k=extras):
            entries[index] += 1
        for first in range(0, count, BATCH_CASES):
            batch = []
            for offset, place in enumerate(homes[first : first + BATCH_CASES]):
                case = self._new_case(place)
                kinds = [_weighted(self.rng, ENTRY_WEIGHTS) for _ in range(entries[first + offset])]
                target = _weighted(self.rng, STATUS_WEIGHTS) if "move" in kinds else "open"
                self._unfold(case, kinds, since=case.opened_at, target=target, opening=True)
                batch.append(case)
            self._insert_cases(batch)
            self._write_comments(batch)
            self._flush_events()
            self.s.db.session.commit()
            done = min(first + BATCH_CASES, count)
            if done % 5_000 < BATCH_CASES or done == count:
                log(f"    {done} cases in bulk ({time.monotonic() - started:.0f} s)")
        self._save_counters(places)

    def _new_case(self, place: Place) -> BulkCase:
        rng = self.rng
        creator = rng.choice(place.writers)
        involved = {creator.department_id}
        involved.update(rng.sample(sorted(place.departments), rng.randint(0, 2)))
        candidates = [p for p in place.writers if p.department_id in involved]
        assignees = rng.sample(candidates, min(len(candidates), rng.randint(1, 3)))
        number, place.next_number = place.next_number, place.next_number + 1
        opened_at = self.now - timedelta(days=rng.uniform(1, 365))
        due_on = None
        if rng.random() < 0.67:
            due_on = self.today + timedelta(days=rng.randint(-60, 120))
        return BulkCase(
            place=place,
            number=number,
            title=f"{rng.choice(TOPICS)} {number}",
            priority=_weighted(rng, PRIORITY_WEIGHTS),
            region=rng.choice(self.regions) if rng.random() < 0.9 else None,
            due_on=due_on,
            departments=sorted(involved),
            assignees=sorted(assignees, key=lambda p: (p.name, p.id)),
            creator=creator,
            opened_at=opened_at,
            updated_at=opened_at,
        )

    # A case's timeline -----------------------------------------------------------------

    def _unfold(
        self, case: BulkCase, kinds: list[str], *, since: datetime, target: str, opening: bool
    ) -> None:
        """Plan the case's entries at times after ``since``, changing its state as they go.

        Moves wander between statuses and the last one lands on ``target`` (one that
        would change nothing becomes an edit); a ``move_back`` goes to another column and
        back, as two entries. With ``opening``, the case's opening comes first.
        """
        case.start = (case.status, case.priority, case.due_on, case.version)
        case.pending = [("opened", since, None)] if opening else []
        span = max((self.now - since).total_seconds(), 60.0)
        times = sorted(since + timedelta(seconds=self.rng.uniform(1, span)) for _ in kinds)
        last_move = max((i for i, kind in enumerate(kinds) if kind == "move"), default=-1)
        for index, (kind, at) in enumerate(zip(kinds, times, strict=True)):
            if kind == "move":
                others = [x for x in STATUS_WEIGHTS if x != case.status]
                to = target if index == last_move else self.rng.choice(others)
                if to == case.status:
                    kind = "edit"
                else:
                    self._move(case, at, to)
            elif kind == "move_back":
                back = case.status
                self._move(case, at, self.rng.choice([x for x in STATUS_WEIGHTS if x != back]))
                self._move(case, at + timedelta(seconds=1), back)
            if kind == "edit":
                case.pending.append(("edit", at, self._edit(case)))
                case.version += 1
                case.updated_at = at
            elif kind == "comment":
                case.pending.append(("comment", at, self.rng.choice(COMMENTS)))

    def _move(self, case: BulkCase, at: datetime, to: str) -> None:
        case.pending.append(("move", at, {"status": {"from": case.status, "to": to}}))
        case.status = to
        case.version += 1
        case.updated_at = at

    def _edit(self, case: BulkCase) -> dict[str, dict]:
        """Change the priority or push the due date back; the change as the services
        record it, ``{field: {"from": ..., "to": ...}}``."""
        if self.rng.random() < 0.5:
            to = self.rng.choice([p for p in PRIORITY_WEIGHTS if p != case.priority])
            change = {"priority": {"from": case.priority, "to": to}}
            case.priority = to
            return change
        later = (case.due_on or self.today) + timedelta(days=self.rng.randint(1, 21))
        change = {
            "due_on": {
                "from": case.due_on.isoformat() if case.due_on else None,
                "to": later.isoformat(),
            }
        }
        case.due_on = later
        return change

    # Writing ---------------------------------------------------------------------------

    def _insert_cases(self, batch: list[BulkCase]) -> None:
        s = self.s
        rows = [
            {
                "workspace_id": case.place.id,
                "number": case.number,
                "key": case.key,
                "title": case.title,
                "description": "Reported through the joint hotline; see the timeline.",
                "status": case.status,
                "priority": case.priority,
                "region_id": case.region[0] if case.region else None,
                "due_on": case.due_on,
                "version": case.version,
                "created_by_id": case.creator.id,
                "created_at": case.opened_at,
                "updated_at": case.updated_at,
            }
            for case in batch
        ]
        ids = s.db.session.scalars(
            insert(s.Case).returning(s.Case.id, sort_by_parameter_order=True), rows
        ).all()
        for case, case_id in zip(batch, ids, strict=True):
            case.id = case_id
        s.db.session.execute(
            insert(s.case_departments),
            [{"case_id": c.id, "department_id": d} for c in batch for d in c.departments],
        )
        s.db.session.execute(
            insert(s.case_assignees),
            [{"case_id": c.id, "user_id": p.id} for c in batch for p in c.assignees],
        )

    def _write_comments(self, batch: list[BulkCase]) -> None:
        """Insert the comment rows, then queue every case's events in order."""
        s = self.s
        rows = []
        for case in batch:
            for kind, at, body in case.pending:
                if kind == "comment":
                    author = self.rng.choice(case.place.writers)
                    rows.append(
                        {"case_id": case.id, "author_id": author.id, "body": body, "created_at": at}
                    )
        ids = []
        if rows:
            ids = s.db.session.scalars(
                insert(s.CaseComment).returning(s.CaseComment.id, sort_by_parameter_order=True),
                rows,
            ).all()
        comments = iter(zip(ids, rows, strict=True))
        for case in batch:
            self._queue_events(case, comments)

    def _queue_events(self, case: BulkCase, comments) -> None:
        """Queue the case's events, replaying its entries from its state before them."""
        status, priority, due_on, version = case.start
        for kind, at, what in case.pending:
            if kind == "comment":
                comment_id, row = next(comments)
                author = self._person(case, row["author_id"])
                comment = {"id": comment_id, "author": author.name, "body": what}
                texts = self._texts("commented", author.label, case.key)
                self._event(case, "case.commented", at, author, texts, board=False, comment=comment)
                continue
            actor = case.creator if kind == "opened" else self.rng.choice(case.place.writers)
            extra: dict[str, Any] = {}
            if kind == "opened":
                name = "case.created"
                texts = self._texts("opened", actor.label, case.key, case.title)
            else:
                version += 1
                extra["changes"] = what
                ((field_name, change),) = what.items()
                if field_name == "status":
                    status = change["to"]
                    name = "case.moved"
                    texts = self._texts("moved", actor.label, case.key, change["from"], status)
                else:
                    if field_name == "priority":
                        priority = change["to"]
                    else:
                        due_on = date.fromisoformat(change["to"])
                    name = "case.updated"
                    texts = self._texts(
                        "changed", actor.label, case.key, field_name, change["from"], change["to"]
                    )
            card = self._card(case, status, priority, due_on, version)
            self._event(case, name, at, actor, texts, board=True, case=card, **extra)

    @staticmethod
    def _person(case: BulkCase, user_id: int) -> Person:
        return next(p for p in case.place.writers if p.id == user_id)

    def _card(self, case: BulkCase, status: str, priority: str, due_on: date | None, version: int):
        """The card the services put on events (``app.cases.lifecycle.case_card``)."""
        from app.cases.models import is_overdue

        return {
            "case_id": case.id,
            "key": case.key,
            "title": case.title,
            "status": status,
            "priority": priority,
            "due_on": due_on.isoformat() if due_on else None,
            "overdue": is_overdue(status, due_on, self.today),
            "version": version,
            "region": case.region[1] if case.region else None,
            "departments": sorted(case.place.departments[d][1] for d in case.departments),
            "assignees": [p.name for p in case.assignees],
            "url": f"/cases/{case.id}",
        }

    @staticmethod
    def _texts(what: str, actor: str, key: str, *rest: Any) -> dict[str, str]:
        """The entry's sentence in every language, worded as the case services word it."""
        from flask_babel import lazy_gettext as _l

        from app.actions import render_texts
        from app.cases.lifecycle import FIELD_LABELS, STATUS_LABELS

        if what == "opened":
            text = _l("%(actor)s opened %(key)s: %(title)s", actor=actor, key=key, title=rest[0])
        elif what == "moved":
            text = _l(
                "%(actor)s moved %(key)s from %(before)s to %(after)s",
                actor=actor,
                key=key,
                before=STATUS_LABELS[rest[0]],
                after=STATUS_LABELS[rest[1]],
            )
        elif what == "changed":
            field_name, before, after = rest
            part = _l(
                "%(field)s from %(before)s to %(after)s",
                field=FIELD_LABELS[field_name],
                before=before if before else _l("none"),
                after=after,
            )
            text = _l("%(actor)s changed %(key)s: %(changes)s", actor=actor, key=key, changes=part)
        else:
            text = _l("%(actor)s commented on %(key)s", actor=actor, key=key)
        return render_texts(text)

    def _event(self, bulk: BulkCase, name: str, at, actor: Person, texts, *, board: bool, **data):
        """Queue the event on the case's stream and, for ``board``, on its board stream
        (there without the before/after, as the services publish it)."""
        payload = {
            "text": texts["en"],
            "texts": texts,
            **data,
            "actor": actor.name,
            "actor_id": actor.id,
            "workspace_id": bulk.place.id,
        }
        self._append(f"case:{bulk.id}", name, payload, at)
        if board:
            card_only = {k: v for k, v in payload.items() if k != "changes"}
            self._append(f"cases:{bulk.place.id}", name, card_only, at)

    def _append(self, stream: str, name: str, payload: dict, at: datetime) -> None:
        seq = self.last_seq.get(stream, 0) + 1
        self.last_seq[stream] = seq
        self.touched.add(stream)
        self.events.append(
            {"stream": stream, "seq": seq, "type": name, "payload": payload, "created_at": at}
        )

    def _upsert(self, model):
        """An "insert or update" of ``model`` in the database's own dialect."""
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        dialect = self.s.db.session.get_bind().dialect.name
        return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)

    def _flush_events(self) -> None:
        """Insert the queued events and set their streams' last sequence numbers."""
        s = self.s
        if self.events:
            s.db.session.execute(insert(s.Event), self.events)
            self.events = []
        if self.touched:
            upsert = self._upsert(s.EventStream).values(
                [{"stream": name, "last_seq": self.last_seq[name]} for name in sorted(self.touched)]
            )
            s.db.session.execute(
                upsert.on_conflict_do_update(
                    index_elements=[s.EventStream.stream],
                    set_={"last_seq": upsert.excluded.last_seq},
                )
            )
            self.touched = set()

    def _save_counters(self, places: list[Place]) -> None:
        """Each workspace's case counter: its prefix and the last number handed out."""
        rows = [
            {"workspace_id": p.id, "prefix": p.prefix, "last_number": p.next_number - 1}
            for p in places
            if p.next_number > 1
        ]
        if rows:
            upsert = self._upsert(self.s.CaseCounter).values(rows)
            self.s.db.session.execute(
                upsert.on_conflict_do_update(
                    index_elements=[self.s.CaseCounter.workspace_id],
                    set_={"last_number": upsert.excluded.last_number},
                )
            )
