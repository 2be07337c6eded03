"""The data request state machine, exhaustively: every (state, action, person) either moves
the request to the state defined below or is refused, leaving the request, its timeline, its
stream, the audit log and the notifications exactly as they were.

The request asks Drainage Services for flooding reports with personal columns, from the
Transport Department, so both the owner's head and a dpo must approve it. ``owner_approved``
is ``endorsed`` with the owner's approval in and the dpo's still missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.common import utcnow
from app.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from app.extensions import db
from app.grants.models import Grant
from app.notifications.models import Notification
from app.realtime import events_after
from app.sharing import service
from app.sharing.models import DataRequest
from tests.conftest import rolled_back_connection, savepoint_for_one_test, session_joined_to
from tests.factories import make_membership
from tests.request_world import REPORT_COLUMNS, request_world, scope, snapshot

PERSONAL_SCOPE = {
    "columns": ["report_id", "district", "reporter_hkid", "reporter_phone"],
    "row_filter": {"district": ["Kowloon City"]},
    "reveal_columns": ["reporter_phone"],
}
STATES = [
    "draft",
    "submitted",
    "endorsed",
    "owner_approved",
    "changes_requested",
    "approved",
    "rejected",
    "withdrawn",
]
ACTIONS = ["edit", "submit", "endorse", "approve", "reject", "request_changes", "withdraw"]
PEOPLE = [
    "requester",
    "td_head",
    "td_deputy",
    "member",
    "dsd_head",
    "dsd_deputy",
    "dpo",
    "outsider",
    "auditor",
]
ENDORSERS = ("td_head", "td_deputy")
APPROVERS = ("dsd_head", "dsd_deputy", "dpo")

LEGAL: dict[tuple[str, str, str], str] = {}
for _state in ("draft", "changes_requested"):
    LEGAL[(_state, "edit", "requester")] = _state
    LEGAL[(_state, "submit", "requester")] = "submitted"
for _state in ("draft", "submitted", "endorsed", "owner_approved", "changes_requested"):
    LEGAL[(_state, "withdraw", "requester")] = "withdrawn"
for _person in ENDORSERS:
    LEGAL[("submitted", "endorse", _person)] = "endorsed"
    LEGAL[("submitted", "reject", _person)] = "rejected"
    LEGAL[("submitted", "request_changes", _person)] = "changes_requested"
for _person in APPROVERS:
    LEGAL[("endorsed", "approve", _person)] = "endorsed"
    LEGAL[("endorsed", "reject", _person)] = "rejected"
    LEGAL[("endorsed", "request_changes", _person)] = "changes_requested"
LEGAL[("owner_approved", "approve", "dpo")] = "approved"
LEGAL[("owner_approved", "reject", "dpo")] = "rejected"
LEGAL[("owner_approved", "request_changes", "dpo")] = "changes_requested"


def bring_to(w, state: str) -> DataRequest:
    """A request for the flooding reports, driven through the services into ``state``."""
    request = service.file_request(
        w.requester, w.workspace.id, dataset_id=w.reports.id, **scope(**PERSONAL_SCOPE)
    )
    rid = request.id
    if state == "withdrawn":
        service.withdraw_request(w.requester, rid)
    if state in ("submitted", "endorsed", "owner_approved", "approved", "rejected"):
        service.submit_request(w.requester, rid)
    if state == "changes_requested":
        service.submit_request(w.requester, rid)
        service.request_changes(w.td_head, rid, note="Say which districts.")
    if state == "rejected":
        service.reject_request(w.td_head, rid, reason="We already have these reports.")
    if state in ("endorsed", "owner_approved", "approved"):
        service.endorse_request(w.td_head, rid)
    if state in ("owner_approved", "approved"):
        service.approve_request(w.dsd_head, rid)
    if state == "approved":
        service.approve_request(w.dpo, rid)
    return db.session.get(DataRequest, rid)


def perform(action: str, actor, request_id: int):
    calls = {
        "edit": lambda: service.update_request(actor, request_id, title="Flooding reports, 2026"),
        "submit": lambda: service.submit_request(actor, request_id),
        "endorse": lambda: service.endorse_request(
            actor, request_id, note="Needed for diversions."
        ),
        "approve": lambda: service.approve_request(actor, request_id),
        "reject": lambda: service.reject_request(actor, request_id, reason="Not proportionate."),
        "request_changes": lambda: service.request_changes(actor, request_id, note="Fewer rows."),
        "withdraw": lambda: service.withdraw_request(actor, request_id),
    }
    return calls[action]()


def _audit_names() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture(scope="class")
def state_world(request, app) -> Iterator[tuple]:
    """A request world with its request brought into ``request.param``, built once per state.

    Building it (twenty people, a workspace, three datasets, the request's way through the
    services) costs far more than the action under test, and all 63 (action, person) tests
    of a state start from the same world: they run on top of it, each in a SAVEPOINT rolled
    back at its end (see tests/conftest.py).
    """
    with app.app_context(), rolled_back_connection() as connection:
        with session_joined_to(connection):
            w = request_world()
            built = bring_to(w, request.param)
            keys = {name: (type(obj), obj.id) for name, obj in vars(w).items()}
            request_id = built.id
        yield connection, request.param, keys, request_id


class LoadedOnUse:
    """A world's rows by name, each loaded in the current session when first asked for."""

    def __init__(self, keys: dict[str, tuple]) -> None:
        self._keys = keys

    def __getattr__(self, name: str):
        return db.session.get(*self._keys[name])


@pytest.fixture
def in_state(app, state_world) -> Iterator[tuple]:
    """``(state, world, request)`` of :func:`state_world`, in this test's session."""
    connection, state, keys, request_id = state_world
    with savepoint_for_one_test(app, connection):
        yield state, LoadedOnUse(keys), db.session.get(DataRequest, request_id)


class TestStateMachine:
    """The matrix of (state, action, person), grouped by state to share its world."""

    @pytest.mark.parametrize("person", PEOPLE)
    @pytest.mark.parametrize("action", ACTIONS)
    @pytest.mark.parametrize("state_world", STATES, indirect=True)
    def test_state_machine_matrix(self, in_state, action, person):
        state, w, request = in_state
        before = snapshot(request.id)
        audit_before = len(_audit_names())
        expected = LEGAL.get((state, action, person))
        if expected is None:
            with pytest.raises(DomainError):
                perform(action, getattr(w, person), request.id)
            assert snapshot(request.id) == before
            return
        perform(action, getattr(w, person), request.id)
        db.session.expire_all()
        assert db.session.get(DataRequest, request.id).status == expected
        names = _audit_names()[audit_before:]
        assert f"data_request.{_past(action)}" in names


def _past(action: str) -> str:
    return {
        "edit": "edited",
        "submit": "submitted",
        "endorse": "endorsed",
        "approve": "approved",
        "reject": "rejected",
        "request_changes": "changes_requested",
        "withdraw": "withdrawn",
    }[action]


def test_matrix_covers_every_transition_rule():
    from app.policy import known_actions

    rules = {
        name.removeprefix("data_request.")
        for name in known_actions()
        if name.startswith("data_request.")
    }
    transitions = rules - {"file", "view", "read_details", "list", "decide", "comment"}
    assert transitions - {"link_dataset"} == set(ACTIONS)


# Illegal transitions are conflicts with codes --------------------------------------------------


@pytest.fixture
def w(db):
    return request_world()


def test_approving_a_withdrawn_request_is_a_conflict(w):
    request = bring_to(w, "withdrawn")
    with pytest.raises(Conflict) as refused:
        service.approve_request(w.dsd_head, request.id)
    assert refused.value.code == "already_decided"


def test_endorsing_twice_is_a_conflict(w):
    request = bring_to(w, "endorsed")
    with pytest.raises(Conflict) as refused:
        service.endorse_request(w.td_deputy, request.id)
    assert refused.value.code == "already_endorsed"


def test_approving_twice_for_the_owner_is_a_conflict(w):
    request = bring_to(w, "owner_approved")
    with pytest.raises(Conflict) as refused:
        service.approve_request(w.dsd_deputy, request.id)
    assert refused.value.code == "already_approved"


def test_approving_before_endorsement_is_a_conflict(w):
    request = bring_to(w, "submitted")
    with pytest.raises(Conflict) as refused:
        service.approve_request(w.dsd_head, request.id)
    assert refused.value.code == "not_endorsed"


# Separation of duties ------------------------------------------------------------------------


def test_a_deputy_cannot_endorse_their_own_request(w):
    _member(w, w.td_deputy)
    request = service.file_request(w.td_deputy, w.workspace.id, dataset_id=w.flood.id, **scope())
    service.submit_request(w.td_deputy, request.id)
    with pytest.raises(Forbidden) as refused:
        service.endorse_request(w.td_deputy, request.id)
    assert refused.value.code == "own_request"
    service.endorse_request(w.td_head, request.id)


def test_an_owner_cannot_approve_their_own_request(w):
    _member(w, w.dsd_head)
    request = service.file_request(w.dsd_head, w.workspace.id, dataset_id=w.flood.id, **scope())
    request = service.submit_request(w.dsd_head, request.id)
    assert request.status == "endorsed"
    with pytest.raises(Forbidden) as refused:
        service.approve_request(w.dsd_head, request.id)
    assert refused.value.code == "own_request"
    approved = service.approve_request(w.dsd_deputy, request.id)
    assert approved.status == "approved"


def _member(w, user) -> bool:
    make_membership(w.workspace, user, role="member")
    return True


def test_a_head_filing_endorses_implicitly_and_it_is_recorded(w):
    request = service.file_request(w.td_head, w.workspace.id, dataset_id=w.flood.id, **scope())
    request = service.submit_request(w.td_head, request.id)
    assert request.status == "endorsed"
    assert request.endorsed_by_id == w.td_head.id
    endorsed = [e for e in request.entries if e.kind == "endorsed"]
    assert endorsed and endorsed[0].detail == {"implicit": True}
    assert "data_request.endorsed" in _audit_names()


# Deputies, dpos, scope --------------------------------------------------------------------------


def test_a_deputy_endorses_on_behalf_of_the_head(w):
    request = bring_to(w, "submitted")
    request = service.endorse_request(w.td_deputy, request.id)
    assert request.endorsed_by_id == w.td_deputy.id
    assert request.endorsed_on_behalf_of_id == w.td_head.id
    entry = request.entries[-1]
    assert (entry.kind, entry.on_behalf_of_id) == ("endorsed", w.td_head.id)
    audit = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "data_request.endorsed")
    )
    assert audit.detail["on_behalf_of"] == w.td_head.id


def test_a_deputy_whose_delegation_ended_cannot_decide(w):
    from app.accounts.models import Delegation

    db.session.execute(
        Delegation.__table__.update()
        .where(Delegation.deputy_id == w.dsd_deputy.id)
        .values(ends_on=utcnow().date() - timedelta(days=1))
    )
    request = bring_to(w, "endorsed")
    with pytest.raises(NotFound):
        service.approve_request(w.dsd_deputy, request.id)


def test_no_dpo_for_non_personal_data_within_the_jurisdiction(w):
    request = service.file_request(
        w.requester, w.workspace.id, dataset_id=w.flood.id, submit=True, **scope()
    )
    assert not request.needs_dpo
    service.endorse_request(w.td_head, request.id)
    assert service.approve_request(w.dsd_head, request.id).status == "approved"


def test_a_dpo_approves_personal_data_too(w):
    request = bring_to(w, "owner_approved")
    assert request.needs_dpo and request.status == "endorsed"
    assert service.approve_request(w.dpo, request.id).status == "approved"


def test_a_dpo_approves_a_request_from_another_jurisdiction(w):
    request = service.file_request(
        w.sz_officer, w.workspace.id, dataset_id=w.flood.id, submit=True, **scope()
    )
    assert request.needs_dpo


def test_the_dpo_and_the_owner_approval_need_two_people(w):
    from app.accounts.models import UserRole

    w.dsd_head.role_links.append(UserRole(role="dpo"))
    db.session.commit()
    request = bring_to(w, "owner_approved")
    with pytest.raises(Conflict):
        service.approve_request(w.dsd_head, request.id)


def test_residency_refuses_a_cross_border_request_at_filing(w):
    with pytest.raises(Invalid) as refused:
        service.file_request(w.sz_officer, w.workspace.id, dataset_id=w.hk_only.id, **scope())
    assert refused.value.code == "cross_border_refused"
    assert "does not allow cross-border use" in refused.value.fields["dataset_id"][0]
    assert db.session.scalar(select(func.count()).select_from(DataRequest)) == 0


def test_a_narrower_approval_replaces_the_scope_and_the_grant_follows_it(w):
    request = bring_to(w, "endorsed")
    service.approve_request(
        w.dsd_head,
        request.id,
        columns=["district", "reporter_hkid"],
        row_filter={"district": ["Kowloon City"], "report_id": ["R-1", "R-2"]},
        reveal_columns=[],
        duration_days=30,
    )
    request = service.approve_request(w.dpo, request.id)
    grant = db.session.scalar(select(Grant).where(Grant.request_id == request.id))
    assert grant.columns == ["district", "reporter_hkid"]
    assert grant.row_filter == {"district": ["Kowloon City"], "report_id": ["R-1", "R-2"]}
    assert grant.masking == {"district": "none", "reporter_hkid": "pseudonymise"}
    assert (grant.expires_at - grant.valid_from).days == 30
    narrowed = [e for e in request.entries if e.detail.get("narrowed")]
    assert narrowed[0].detail["narrowed"]["from"]["duration_days"] == 90


@pytest.mark.parametrize(
    ("wider", "field"),
    [
        ({"columns": [*PERSONAL_SCOPE["columns"], "reported_at"]}, "columns"),
        ({"row_filter": {}}, "row_filter"),
        ({"row_filter": {"district": ["Kowloon City", "Sha Tin"]}}, "row_filter"),
        ({"duration_days": 120}, "duration_days"),
    ],
)
def test_a_wider_approval_is_refused(w, wider, field):
    request = bring_to(w, "endorsed")
    before = snapshot(request.id)
    with pytest.raises(Invalid) as refused:
        service.approve_request(w.dsd_head, request.id, **wider)
    assert refused.value.code == "wider_scope"
    assert field in refused.value.fields
    assert snapshot(request.id) == before


def test_masking_defaults_redact_personal_columns_unless_named(w):
    request = bring_to(w, "approved")
    grant = db.session.scalar(select(Grant).where(Grant.request_id == request.id))
    assert grant.masking == {
        "report_id": "none",
        "district": "none",
        "reporter_hkid": "pseudonymise",
        "reporter_phone": "none",
    }
    assert [c[0] for c in REPORT_COLUMNS if c[2] == "personal"] == ["reporter_phone"]


# Due dates, unpublished data, streams and notifications ----------------------------------------


def test_submitting_sets_the_due_date_from_the_service_level(w, app):
    request = bring_to(w, "submitted")
    assert request.due_on == utcnow().date() + timedelta(days=app.config["REQUEST_SLA_DAYS"])


def test_the_queue_flags_overdue_requests(w):
    request = bring_to(w, "submitted")
    request.due_on = utcnow().date() - timedelta(days=1)
    db.session.commit()
    counts = service.request_counts(w.td_head)
    assert (counts.waiting, counts.waiting_overdue) == (1, 1)
    assert service.list_requests(w.td_head, box="waiting", overdue=True).total == 1


def test_a_request_for_unpublished_data_proceeds_once_a_dataset_is_linked(w):
    request = service.file_request(
        w.requester,
        w.workspace.id,
        owner_department_id=w.dsd.id,
        submit=True,
        **scope(columns=[], row_filter={}),
    )
    service.endorse_request(w.td_head, request.id)
    with pytest.raises(Conflict) as refused:
        service.approve_request(w.dsd_head, request.id)
    assert refused.value.code == "dataset_missing"
    request = service.link_dataset(w.dsd_head, request.id, w.flood.id, note="Published today.")
    assert (request.status, request.dataset_id) == ("changes_requested", w.flood.id)
    service.update_request(w.requester, request.id, columns=["station", "water_level_m"])
    service.submit_request(w.requester, request.id)
    service.endorse_request(w.td_head, request.id)
    assert service.approve_request(w.dsd_head, request.id).status == "approved"


def test_linking_another_departments_dataset_is_refused(w):
    other = request_world_dataset_of(w.td_head)
    request = service.file_request(
        w.requester,
        w.workspace.id,
        owner_department_id=w.dsd.id,
        submit=True,
        **scope(columns=[], row_filter={}),
    )
    with pytest.raises(Invalid):
        service.link_dataset(w.dsd_head, request.id, other.id)


def request_world_dataset_of(owner):
    from tests.request_world import make_dataset

    return make_dataset(owner, title="Bus routes")


def test_each_change_reaches_the_request_and_workspace_streams(w):
    request = bring_to(w, "endorsed")
    request_types = [e.type for e in events_after(f"request:{request.id}", 0)]
    assert request_types == [
        "data_request.filed",
        "data_request.submitted",
        "data_request.endorsed",
    ]
    feed = [e.type for e in events_after(f"workspace:{w.workspace.id}", 0)]
    assert feed[-3:] == request_types
    texts = [e.payload["text"] for e in events_after(f"request:{request.id}", 0)]
    assert texts[-1].startswith(f"{w.td_head.display_name} ")
    queue_news = [e.type for e in events_after(f"user:{w.dsd_head.id}", 0)]
    assert "data_request.endorsed" in queue_news


def test_the_people_who_act_next_are_notified(w):
    request = bring_to(w, "submitted")
    notified = set(
        db.session.scalars(
            select(Notification.user_id).where(Notification.kind == "data_request.submitted")
        )
    )
    assert notified == {w.td_head.id, w.td_deputy.id}
    service.endorse_request(w.td_head, request.id)
    notified = set(
        db.session.scalars(
            select(Notification.user_id).where(Notification.kind == "data_request.endorsed")
        )
    )
    assert {w.dsd_head.id, w.dsd_deputy.id, w.dpo.id, w.requester.id} <= notified


def test_comments_join_the_timeline_and_observers_only_read(w):
    request = bring_to(w, "submitted")
    service.comment_on_request(w.dsd_head, request.id, text="We publish hourly.")
    assert request.entries[-1].note == "We publish hourly."
    with pytest.raises(Forbidden):
        service.comment_on_request(w.observer, request.id, text="Me too")
    with pytest.raises(NotFound):
        service.comment_on_request(w.outsider, request.id, text="Hello")


def test_requests_for_unpublished_data_are_the_catalogs_unmet_demand(w):
    from app.catalog.coverage import coverage

    for _ in range(2):
        service.file_request(
            w.requester,
            w.workspace.id,
            owner_department_id=w.dsd.id,
            submit=True,
            **scope(title="Real-time flood readings", columns=[], row_filter={}),
        )
    service.file_request(
        w.requester,
        w.workspace.id,
        owner_department_id=w.dsd.id,
        **scope(title="A draft nobody saw", columns=[], row_filter={}),
    )
    unmet = coverage(w.requester).unmet
    assert [(u.description, u.requested_from, u.times_asked) for u in unmet] == [
        ("Real-time flood readings", "Drainage Services Department", 2)
    ]
    assert unmet[0].requesting_departments == ["Transport Department"]


def test_narrowing_out_of_personal_data_needs_no_dpo_and_ends_their_view(w):
    request = bring_to(w, "endorsed")
    assert request.needs_dpo
    request = service.approve_request(w.dsd_head, request.id, columns=["report_id", "district"])
    assert (request.status, request.needs_dpo) == ("approved", False)
    from app.policy import can

    assert not can(w.dpo, "data_request.view", request)
