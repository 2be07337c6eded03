"""Every list page and list endpoint runs a fixed number of SQL statements.

Each test measures one read with 10 rows behind it, adds 990 more, and measures again:
the two counts must be equal (no row is loaded one by one) and within the budget of
issue 13 (at most 6 statements per list endpoint, and per list page with its header,
whatever its length). Rows are added in bulk,
straight into the tables, because only their number matters here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import audit
from app.accounts.models import User
from app.common import utcnow
from app.notifications.models import Notification
from app.realtime.models import Event, EventStream
from app.workspaces.models import Membership, Workspace, WorkspaceDepartment
from tests.conftest import login
from tests.factories import (
    PASSWORD,
    make_dataset,
    make_department,
    make_officers,
    make_user,
    make_workspace,
)

API = "/api/v1"
FEW, MANY = 10, 1000
LIST_BUDGET = 6
PAGE_BUDGET = 6
"""A whole signed-in page, its header included: the header is one statement (the session's
user with their roles, the bell and the navigation's request counts as scalar
subqueries), which leaves five for the page's own lists."""


def _people(db, department, count: int, prefix: str) -> list[int]:
    """Ids of ``count`` new officers of ``department``.

    Ids, not the users: the commit expires them, and reading each one's id again would
    cost a SELECT per person.
    """
    ids = [user.id for user in make_officers(department.id, count, prefix)]
    db.session.commit()
    return ids


def _workspaces_involving(db, head, count: int, start: int) -> None:
    """Workspaces of other departments inviting ``head``'s, each by a different person
    who also answered for it, so every row names people not seen before."""
    other = make_department()
    inviters = _people(db, other, count, f"inviter{start}_")
    now = utcnow()
    for n, inviter_id in enumerate(inviters):
        workspace = Workspace(
            name=f"Bulk workspace {start + n}",
            purpose="Counting statements.",
            owner_department_id=other.id,
            ends_on=now.date() + timedelta(days=30),
            created_by_id=inviter_id,
            created_at=now,
        )
        workspace.participations = [
            WorkspaceDepartment(
                department_id=other.id, status="accepted", invited_by_id=inviter_id
            ),
            WorkspaceDepartment(
                department_id=head.department_id,
                status="declined",
                invited_by_id=inviter_id,
                responded_by_id=inviter_id,
                responded_on_behalf_of_id=inviter_id,
                withdrawn_by_id=inviter_id,
                responded_at=now,
            ),
        ]
        workspace.memberships = [Membership(user_id=head.id, role="member")]
        db.session.add(workspace)
    db.session.commit()


def _members(db, workspace, count: int, start: int) -> None:
    people = _people(db, workspace.owner_department, count, f"member{start}_")
    db.session.add_all(
        Membership(
            workspace_id=workspace.id,
            user_id=person_id,
            role="member",
            added_by_id=person_id,
        )
        for person_id in people
    )
    db.session.commit()


def _notifications(db, user, count: int) -> None:
    db.session.add_all(
        Notification(user_id=user.id, kind="test", subject=f"N{n}", text="Something happened.")
        for n in range(count)
    )
    db.session.commit()


def _events(db, stream: str, count: int) -> None:
    row = db.session.get(EventStream, stream) or EventStream(stream=stream, last_seq=0)
    db.session.add(row)
    start = row.last_seq
    db.session.add_all(
        Event(stream=stream, seq=start + n + 1, type="test.happened", payload={"text": "x"})
        for n in range(count)
    )
    row.last_seq = start + count
    db.session.commit()


def _audit_entries(db, actor, count: int) -> None:
    for n in range(count):
        audit.record(actor, "note.added", "note", n)
    db.session.commit()


def _measure(db, count_queries, read) -> int:
    return len(_statements(db, count_queries, read))


def _statements(db, count_queries, read) -> list[str]:
    with count_queries() as counter:
        response = read()
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return counter.statements


def _listing(statements: list[str]) -> str:
    return "".join(f"\n  {' '.join(statement.split())[:160]}" for statement in statements)


def _assert_flat(db, count_queries, read, grow, budget: int = LIST_BUDGET) -> int:
    """Measure ``read`` at FEW rows (``grow`` already made them) and after growing to MANY."""
    read()  # warm-up: first-request work (token use, caches) is not the list's
    few = _statements(db, count_queries, read)
    grow(MANY - FEW)
    # Again: growing can take over a minute on a busy machine, and a token or session
    # last used that long ago is noted once more (one UPDATE that is not the list's).
    read()
    many = _statements(db, count_queries, read)
    assert len(many) == len(few), (
        f"{len(few)} statements for {FEW} rows but {len(many)} for {MANY}:{_listing(many)}"
    )
    assert len(many) <= budget, (
        f"{len(many)} statements, over the budget of {budget}:{_listing(many)}"
    )
    return len(many)


# Accounts -----------------------------------------------------------------------------------


@pytest.fixture
def crowd(db):
    department = make_department()
    _people(db, department, FEW, "few")
    return department


def test_users_api(client, db, count_queries, make_token, crowd):
    headers = make_token(make_user("admin"))
    _assert_flat(
        db,
        count_queries,
        lambda: client.get(f"{API}/users?per_page=100", headers=headers),
        lambda n: _people(db, crowd, n, "many"),
    )


def test_admin_users_page(client, db, count_queries, crowd):
    login(client, make_user("admin", username="boss"), PASSWORD)
    _assert_flat(
        db,
        count_queries,
        lambda: client.get("/admin/users"),
        lambda n: _people(db, crowd, n, "many"),
        budget=PAGE_BUDGET,
    )


def test_departments_api_and_page(client, db, count_queries, make_token):
    admin = make_user("admin", username="boss")
    headers = make_token(admin)
    login(client, admin, PASSWORD)
    for _ in range(FEW):
        make_department()

    def grow(n: int) -> None:
        for _ in range(n // 10):
            make_department()

    # Departments are few in life; a tenth of MANY keeps the test quick and still long.
    for read, budget in (
        (lambda: client.get(f"{API}/departments?per_page=100", headers=headers), LIST_BUDGET),
        (lambda: client.get("/admin/departments"), PAGE_BUDGET),
    ):
        read()
        few = _measure(db, count_queries, read)
        grow(MANY - FEW)
        many = _measure(db, count_queries, read)
        assert many == few, f"{few} statements for {FEW} departments but {many} for more"
        assert many <= budget, f"{many} statements, over the budget of {budget}"


# Workspaces ---------------------------------------------------------------------------------


@pytest.fixture
def head(db):
    department = make_department()
    head = make_user("head", "officer", department=department, username="the.head")
    _workspaces_involving(db, head, FEW, 0)
    return head


def test_workspace_list_api(client, db, count_queries, make_token, head):
    headers = make_token(head)
    _assert_flat(
        db,
        count_queries,
        lambda: client.get(f"{API}/workspaces?per_page=100", headers=headers),
        lambda n: _workspaces_involving(db, head, n, FEW),
    )


def test_workspace_list_api_every_workspace(client, db, count_queries, make_token, head):
    headers = make_token(make_user("admin"))
    _assert_flat(
        db,
        count_queries,
        lambda: client.get(f"{API}/workspaces?scope=all&per_page=100", headers=headers),
        lambda n: _workspaces_involving(db, head, n, FEW),
    )


def test_workspace_list_page(client, db, count_queries, head):
    login(client, head, PASSWORD)
    _assert_flat(
        db,
        count_queries,
        lambda: client.get("/workspaces/"),
        lambda n: _workspaces_involving(db, head, n, FEW),
        budget=PAGE_BUDGET,
    )


@pytest.fixture
def led(db):
    workspace = make_workspace(make_user("officer", username="the.lead"))
    _members(db, workspace, FEW - 1, 0)
    return workspace


def test_members_api(client, db, count_queries, make_token, led):
    headers = make_token(led.created_by)
    url = f"{API}/workspaces/{led.id}/members?per_page=100"
    _assert_flat(
        db,
        count_queries,
        lambda: client.get(url, headers=headers),
        lambda n: _members(db, led, n, FEW),
    )


def test_workspace_events_api(client, db, count_queries, make_token, led):
    headers = make_token(led.created_by)
    stream = f"workspace:{led.id}"
    url = f"{API}/workspaces/{led.id}/events?after=0"
    _events(db, stream, FEW)
    _assert_flat(
        db,
        count_queries,
        lambda: client.get(url, headers=headers),
        lambda n: _events(db, stream, n),
    )


# Notifications ------------------------------------------------------------------------------


@pytest.fixture
def reader(db):
    user = make_user("officer", username="reader")
    _notifications(db, user, FEW)
    return user


def test_notifications_api(client, db, count_queries, make_token, reader):
    headers = make_token(reader)
    _assert_flat(
        db,
        count_queries,
        lambda: client.get(f"{API}/notifications?per_page=100", headers=headers),
        lambda n: _notifications(db, reader, n),
    )


def test_notifications_page(client, db, count_queries, reader):
    login(client, reader, PASSWORD)
    _assert_flat(
        db,
        count_queries,
        lambda: client.get("/notifications/"),
        lambda n: _notifications(db, reader, n),
        budget=PAGE_BUDGET,
    )


def _oldest_notification_cursor(db, user) -> str:
    """A cursor to the user's ten oldest notifications: the last page of 10, at any size."""
    from sqlalchemy import select

    ids = db.session.scalars(
        select(Notification.id)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id)
        .limit(FEW + 1)
    ).all()
    return f"before:{ids[-1]}"


def test_notifications_api_far_back_by_cursor(client, db, count_queries, make_token, reader):
    """The oldest page costs what the first does, and its count stops at the cap."""
    headers = make_token(reader)
    _notifications(db, reader, 1)
    deep = _oldest_notification_cursor(db, reader)
    url = f"{API}/notifications?per_page=10&cursor={deep}"
    at_few = _assert_flat(
        db,
        count_queries,
        lambda: client.get(url, headers=headers),
        lambda n: _notifications(db, reader, n),
    )
    first = _measure(db, count_queries, lambda: client.get(f"{API}/notifications", headers=headers))
    assert at_few == first
    last = client.get(url, headers=headers).get_json()
    assert len(last["items"]) == 10 and last["next_cursor"] is None
    assert last["total"] == 1000 and last["total_capped"] is True


def test_notifications_page_far_back_by_cursor(client, db, count_queries, reader):
    login(client, reader, PASSWORD)
    _notifications(db, reader, 1)
    url = f"/notifications/?cursor={_oldest_notification_cursor(db, reader)}"
    _assert_flat(
        db,
        count_queries,
        lambda: client.get(url),
        lambda n: _notifications(db, reader, n),
        budget=PAGE_BUDGET,
    )


# Audit --------------------------------------------------------------------------------------


@pytest.fixture
def auditor_with_log(db):
    auditor = make_user("auditor", username="the.auditor")
    _audit_entries(db, auditor, FEW)
    return auditor


def test_audit_api(client, db, count_queries, make_token, auditor_with_log):
    headers = make_token(auditor_with_log)
    _assert_flat(
        db,
        count_queries,
        lambda: client.get(f"{API}/audit?per_page=100", headers=headers),
        lambda n: _audit_entries(db, auditor_with_log, n),
    )


def test_audit_page(client, db, count_queries, auditor_with_log):
    login(client, auditor_with_log, PASSWORD)
    _assert_flat(
        db,
        count_queries,
        lambda: client.get("/audit/"),
        lambda n: _audit_entries(db, auditor_with_log, n),
        budget=PAGE_BUDGET,
    )


DEEP = "before:11"
"""A cursor to the ten oldest entries: the first page of 10 at 10 entries, the 100th at 1,000."""


def test_audit_api_far_back_by_cursor(client, db, count_queries, make_token, auditor_with_log):
    """The last page costs what the first does: no OFFSET, and a count that stops at the cap."""
    headers = make_token(auditor_with_log)
    deep = _assert_flat(
        db,
        count_queries,
        lambda: client.get(f"{API}/audit?per_page=10&cursor={DEEP}", headers=headers),
        lambda n: _audit_entries(db, auditor_with_log, n),
    )
    first = _measure(db, count_queries, lambda: client.get(f"{API}/audit", headers=headers))
    assert deep == first
    last = client.get(f"{API}/audit?per_page=10&cursor={DEEP}", headers=headers).get_json()
    assert len(last["items"]) == 10 and last["next_cursor"] is None
    assert last["total"] == 1000 and last["total_capped"] is True


def test_audit_page_far_back_by_cursor(client, db, count_queries, auditor_with_log):
    login(client, auditor_with_log, PASSWORD)
    _assert_flat(
        db,
        count_queries,
        lambda: client.get(f"/audit/?cursor={DEEP}"),
        lambda n: _audit_entries(db, auditor_with_log, n),
        budget=PAGE_BUDGET,
    )


def test_workspace_page_of_a_lead(client, db, count_queries, led):
    """The members list (50 a page) and the lead's member picker (every candidate)."""
    from tests.factories import make_participation

    lead = led.created_by
    partner = make_department()
    make_participation(led, partner, status="accepted")
    _people(db, partner, FEW, "candidate")
    login(client, lead, PASSWORD)
    url = f"/workspaces/{led.id}"

    def grow(n: int) -> None:
        _members(db, led, n // 2, FEW)
        _people(db, partner, n // 2, "more_candidate")

    _assert_flat(db, count_queries, lambda: client.get(url), grow, budget=PAGE_BUDGET)


# Cases --------------------------------------------------------------------------------------


def _cases(db, workspace, count: int, people: list[User], departments: list[int]) -> None:
    """``count`` more cases across every status and priority, each with two assignees and
    two departments, half of them due (some overdue), a region on every third."""
    from sqlalchemy import func as sql_func
    from sqlalchemy import insert, select

    from app.accounts.models import Region
    from app.cases.models import PRIORITIES, STATUSES, Case, case_assignees, case_departments

    region_id = db.session.scalar(select(Region.id).limit(1))
    start = db.session.scalar(
        select(sql_func.coalesce(sql_func.max(Case.number), 0)).where(
            Case.workspace_id == workspace.id
        )
    )
    today = utcnow().date()
    cases = [
        Case(
            workspace_id=workspace.id,
            number=start + n + 1,
            key=f"FLOOD-{start + n + 1}",
            title=f"Bulk case {start + n + 1}",
            description="Counting statements.",
            status=STATUSES[n % len(STATUSES)],
            priority=PRIORITIES[n % len(PRIORITIES)],
            region_id=region_id if n % 3 == 0 else None,
            due_on=today + timedelta(days=(n % 7) - 3) if n % 2 else None,
            version=1,
            created_by_id=people[n % len(people)].id,
        )
        for n in range(count)
    ]
    db.session.add_all(cases)
    db.session.flush()
    db.session.execute(
        insert(case_assignees),
        [
            {"case_id": case.id, "user_id": people[(n + k) % len(people)].id}
            for n, case in enumerate(cases)
            for k in range(2)
        ],
    )
    db.session.execute(
        insert(case_departments),
        [
            {"case_id": case.id, "department_id": department}
            for case in cases
            for department in departments
        ],
    )
    db.session.commit()


@pytest.fixture
def case_board(db):
    """A workspace of two departments whose lead and members are assigned its cases."""
    from tests.factories import make_membership, make_participation

    lead = make_user("officer", username="case.lead")
    workspace = make_workspace(lead, name="Flood response")
    partner = make_department()
    make_participation(workspace, partner, status="accepted")
    people = [lead] + [
        make_membership(workspace, make_user("officer", department=partner)).user for _ in range(3)
    ]
    departments = [lead.department_id, partner.id]
    _cases(db, workspace, FEW, people, departments)
    return workspace, lambda n: _cases(db, workspace, n, people, departments)


@pytest.mark.parametrize(
    "path",
    [
        "/cases/workspace/{ws}/board",
        "/cases/workspace/{ws}/",
        "/cases/",
    ],
    ids=["board", "list page", "my cases"],
)
def test_case_pages(client, db, count_queries, case_board, path):
    """The board (up to 100 cards a column), a workspace's list and "My cases"."""
    workspace, grow = case_board
    login(client, workspace.created_by, PASSWORD)
    url = path.format(ws=workspace.id)
    _assert_flat(db, count_queries, lambda: client.get(url), grow, budget=PAGE_BUDGET)


@pytest.mark.parametrize(
    "path",
    [f"{API}/cases?workspace={{ws}}&per_page=100", f"{API}/cases?per_page=100"],
    ids=["of a workspace", "of every workspace"],
)
def test_cases_api(client, db, count_queries, make_token, case_board, path):
    workspace, grow = case_board
    headers = make_token(workspace.created_by)
    url = path.format(ws=workspace.id)
    _assert_flat(db, count_queries, lambda: client.get(url, headers=headers), grow)


def test_cases_api_for_oversight(client, db, count_queries, make_token, case_board):
    """An auditor lists every case: which of them they read is part of the same statement."""
    _workspace, grow = case_board
    headers = make_token(make_user("auditor"))
    _assert_flat(
        db, count_queries, lambda: client.get(f"{API}/cases?per_page=100", headers=headers), grow
    )


# Regions, datasets, requests and grants -----------------------------------------------------


def _regions(db, count: int, start: int) -> None:
    from app.accounts.models import Region

    db.session.add_all(
        Region(code=f"BULK{start + n}", name=f"Region {start + n}", jurisdiction=f"J{n % 7}")
        for n in range(count)
    )
    db.session.commit()


def test_admin_regions_page(client, db, count_queries):
    login(client, make_user("admin", username="boss"), PASSWORD)
    _regions(db, FEW, 0)
    grown = [FEW]

    def grow(n: int) -> None:
        _regions(db, n, grown[0])
        grown[0] += n

    _assert_flat(db, count_queries, lambda: client.get("/admin/regions"), grow, budget=PAGE_BUDGET)


def _datasets(db, count: int, owners: list[User], start: int) -> None:
    """``count`` datasets of several departments, each with its columns."""
    from app.catalog.models import Dataset, DatasetColumn

    for n in range(count):
        owner = owners[n % len(owners)]
        dataset = Dataset(
            owner_department_id=owner.department_id,
            steward_id=owner.id,
            title=f"Bulk dataset {start + n}",
            description="Counting statements.",
            classification=("public", "internal", "restricted")[n % 3],
            residency_jurisdiction="HK",
            update_frequency="daily",
            version=1,
            created_by_id=owner.id,
        )
        dataset.columns = [
            DatasetColumn(position=0, name="station", type="text", sensitivity="none"),
            DatasetColumn(position=1, name="level_m", type="decimal", sensitivity="none"),
        ]
        db.session.add(dataset)
    db.session.commit()


def test_dataset_list_page(client, db, count_queries):
    owners = [make_user("officer") for _ in range(3)]
    _datasets(db, FEW, owners, 0)
    login(client, owners[0], PASSWORD)
    grown = [FEW]

    def grow(n: int) -> None:
        _datasets(db, n, owners, grown[0])
        grown[0] += n

    _assert_flat(db, count_queries, lambda: client.get("/catalog/"), grow, budget=PAGE_BUDGET)


@pytest.fixture
def request_traffic(db):
    """A head whose department files requests to another: half by the head (their "filed"
    list), half by a colleague, submitted (the head's "waiting" list)."""
    from app.sharing.models import DataRequest

    head = make_user("head", "officer", username="request.head")
    colleague = make_user("officer", department=head.department)
    owner = make_user("officer")
    dataset = make_dataset(owner)
    workspace = make_workspace(head)
    today = utcnow().date()

    def grow(count: int) -> None:
        db.session.add_all(
            DataRequest(
                workspace_id=workspace.id,
                requester_id=(head if n % 2 else colleague).id,
                requesting_department_id=head.department_id,
                owner_department_id=owner.department_id,
                dataset_id=dataset.id,
                title=f"Bulk request {n}",
                columns=["station"],
                purpose="Counting statements.",
                legal_basis="Ordinance.",
                duration_days=30,
                status="submitted",
                submitted_at=utcnow(),
                due_on=today + timedelta(days=(n % 5) - 2),
            )
            for n in range(count)
        )
        db.session.commit()

    grow(FEW)
    return head, grow


@pytest.mark.parametrize("path", ["/requests/", "/requests/waiting"], ids=["filed", "waiting"])
def test_request_list_pages(client, db, count_queries, request_traffic, path):
    head, grow = request_traffic
    login(client, head, PASSWORD)
    _assert_flat(db, count_queries, lambda: client.get(path), grow, budget=PAGE_BUDGET)


def test_grant_list_page(client, db, count_queries):
    """Grants to a workspace the reader belongs to, each from its own request."""
    from app.grants.models import Grant
    from app.sharing.models import DataRequest

    reader = make_user("officer", username="grant.reader")
    owner = make_user("officer")
    dataset = make_dataset(owner)
    workspace = make_workspace(reader)
    now = utcnow()

    def grow(count: int) -> None:
        requests = [
            DataRequest(
                workspace_id=workspace.id,
                requester_id=reader.id,
                requesting_department_id=reader.department_id,
                owner_department_id=owner.department_id,
                dataset_id=dataset.id,
                title="Granted request",
                columns=["station"],
                purpose="Counting statements.",
                legal_basis="Ordinance.",
                duration_days=30,
                status="approved",
            )
            for _ in range(count)
        ]
        db.session.add_all(requests)
        db.session.flush()
        db.session.add_all(
            Grant(
                request_id=request.id,
                dataset_id=dataset.id,
                grantee_workspace_id=workspace.id,
                columns=["station"],
                purpose="Counting statements.",
                legal_basis="Ordinance.",
                valid_from=now - timedelta(days=1),
                expires_at=now + timedelta(days=30 if n % 3 else -1),
                revoked_at=now if n % 4 == 0 else None,
                revoked_by_id=owner.id if n % 4 == 0 else None,
                created_by_id=owner.id,
            )
            for n, request in enumerate(requests)
        )
        db.session.commit()

    grow(FEW)
    login(client, reader, PASSWORD)
    _assert_flat(db, count_queries, lambda: client.get("/grants/"), grow, budget=PAGE_BUDGET)
