"""The accounts service: signing in, passwords, users, directory, tokens, deputies.

Every change is checked for the audit action it writes; every refusal for the fields
it names, all at once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from app.accounts import service, signin
from app.accounts.models import ApiToken, Delegation, UserSession
from app.accounts.passwords import check_password, password_problems
from app.accounts.signin import ACCOUNT_DEACTIVATED
from app.audit.models import AuditEntry
from app.common import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthorized
from tests.factories import PASSWORD, make_department, make_region, make_user

GOOD_PASSWORD = "a-much-longer-passphrase"


def entries(db, action: str | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.seq)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt))


def last_action(db) -> str:
    return entries(db)[-1].action


def audit_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


@pytest.fixture
def admin(db):
    return make_user("admin", "officer")


# Signing in ---------------------------------------------------------------------------------


def test_sign_in_returns_the_user_notes_the_time_and_is_audited(db):
    user = make_user("officer")
    assert user.last_login_at is None
    signed_in = service.authenticate(user.username, PASSWORD, "10.0.0.1")
    assert signed_in.id == user.id
    assert signed_in.last_login_at is not None
    (entry,) = entries(db, "auth.login")
    assert entry.actor_id == user.id and entry.detail == {"address": "10.0.0.1"}


@pytest.mark.parametrize("case", ["unknown", "wrong_password", "inactive"])
def test_every_refused_sign_in_verifies_exactly_one_password_hash(db, monkeypatch, case):
    """Finding 2 of issue 14: the answer time must not tell unknown names from known ones."""
    user = make_user("officer", active=case != "inactive")
    username = "nobody.here" if case == "unknown" else user.username
    password = "wrong-password-1" if case == "wrong_password" else PASSWORD
    verifications = []
    real_verify = PasswordHasher.verify

    def counting_verify(hasher, hash_, secret):
        verifications.append(hash_)
        return real_verify(hasher, hash_, secret)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    with pytest.raises(Unauthorized):
        service.authenticate(username, password, "10.0.0.3")
    assert len(verifications) == 1


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("wrong_password", "wrong_password"),
        ("inactive", "inactive_user"),
    ],
)
def test_failed_sign_in_is_refused_with_one_message_and_audited_with_the_reason(db, case, reason):
    user = make_user("officer", active=case != "inactive")
    password = "wrong-password-1" if case == "wrong_password" else PASSWORD
    with pytest.raises(Unauthorized) as refused:
        service.authenticate(user.username, password, "10.0.0.2")
    # Only the owner of a deactivated account (the right password) hears that it is one.
    expected = ACCOUNT_DEACTIVATED if case == "inactive" else service.SIGN_IN_REFUSED
    assert refused.value.message == expected
    (entry,) = entries(db, "auth.login_failed")
    assert entry.actor_name == user.username and entry.object_id == str(user.id)
    assert entry.detail == {"address": "10.0.0.2", "reason": reason}


def test_a_refused_unknown_name_gets_the_same_message_and_a_summary_entry(app, db):
    with pytest.raises(Unauthorized) as refused:
        service.authenticate("nobody.here", PASSWORD, "10.0.0.2")
    assert refused.value.message == service.SIGN_IN_REFUSED
    (entry,) = entries(db, "auth.login_failed_summary")
    assert entry.actor_name == "nobody.here"
    window = app.config["LOGIN_FAILURE_WINDOW_MINUTES"]
    assert entry.detail == {
        "address": "10.0.0.2",
        "reason": "unknown_user",
        "count": 1,
        "window_minutes": window,
    }


def test_refusals_naming_no_account_are_audited_in_summary(app, db):
    """Finding 7 of issue 14: 500 blocked attempts wrote 500 entries to the serialized chain."""
    for _ in range(app.config["LOGIN_FAILURES_PER_USERNAME"]):
        with pytest.raises(Unauthorized):
            service.authenticate("ghost", "wrong-password-1", "10.7.0.1")
    for _ in range(500):
        with pytest.raises(RateLimited):
            service.authenticate("ghost", "wrong-password-1", "10.7.0.1")
    summaries = entries(db, "auth.login_failed_summary")
    assert [(e.detail["reason"], e.detail["count"]) for e in summaries] == [
        ("unknown_user", 1),
        ("blocked", 1),
        ("blocked", 10),
        ("blocked", 100),
    ]
    assert audit_count(db) == len(summaries)


def test_failures_from_one_address_refuse_that_address_only_even_the_right_password(app, db):
    """Finding 6 of issue 14: a stranger must not lock the owner out of the right password."""
    user = make_user("officer")
    for _ in range(app.config["LOGIN_FAILURES_PER_USERNAME"]):
        with pytest.raises(Unauthorized):
            service.authenticate(user.username, "wrong-password-1", "10.3.0.1")
    with pytest.raises(RateLimited) as blocked:
        service.authenticate(user.username, PASSWORD, "10.3.0.1")
    assert "Too many failed sign-in attempts" in blocked.value.message
    assert last_action(db) == "auth.login_failed_summary"
    assert user.last_login_at is None
    assert service.authenticate(user.username, PASSWORD, "10.3.0.2").id == user.id


def test_failures_from_everywhere_slow_the_username_down_but_never_lock_it(app, db, monkeypatch):
    user = make_user("officer")
    waits: list[float] = []
    monkeypatch.setattr(signin, "pause", waits.append)
    limit = app.config["LOGIN_FAILURES_PER_USERNAME"]
    for n in range(limit + 4):
        with pytest.raises(Unauthorized):
            service.authenticate(user.username, "wrong-password-1", f"10.6.{n}.1")
    assert waits == [1, 2, 4, 8]
    waits.clear()
    assert service.authenticate(user.username, PASSWORD, "10.6.99.1").id == user.id
    assert waits == [min(16, app.config["LOGIN_SLOWDOWN_MAX_SECONDS"])]


def test_rate_limit_per_username_ignores_letter_case(app, db):
    user = make_user("officer", username="case.person")
    for _ in range(app.config["LOGIN_FAILURES_PER_USERNAME"]):
        with pytest.raises(Unauthorized):
            service.authenticate("CASE.person", "wrong-password-1", "10.4.0.1")
    with pytest.raises(RateLimited):
        service.authenticate(user.username, PASSWORD, "10.4.0.1")


def test_rate_limit_per_address_refuses_that_address_only(app, db):
    user = make_user("officer")
    for n in range(app.config["LOGIN_FAILURES_PER_ADDRESS"]):
        with pytest.raises(Unauthorized):
            service.authenticate(f"guess{n}", "wrong-password-1", "10.5.0.1")
    with pytest.raises(RateLimited):
        service.authenticate(user.username, PASSWORD, "10.5.0.1")
    assert service.authenticate(user.username, PASSWORD, "10.5.0.2").id == user.id


def signed_in(user, address: str = "10.9.0.1"):
    """``user`` after signing in through the service: a server-side session is open."""
    return service.authenticate(user.username, PASSWORD, address)


def test_sessions_of_a_stale_version_or_inactive_user_do_not_load(db):
    user = signed_in(make_user("officer"))
    identity = user.get_id()
    key = identity.split(":")[2]
    assert service.load_session_user(identity) is user
    version = user.session_version
    for bad in (
        "",
        "x:y",
        f"{user.id}",
        f"{user.id}:{version}",
        f"{user.id}:{version}:",
        f"{user.id}:{version}:not-the-key",
        f"{user.id}:{version + 1}:{key}",
        f"999999:1:{key}",
        f"{2**40}:1:{key}",
    ):
        assert service.load_session_user(bad) is None
    user.active = False
    assert service.load_session_user(identity) is None


def test_a_session_signs_its_user_in_with_roles_in_one_statement(db, count_queries):
    """Every signed-in page checks its session: user, roles and session come together."""
    user = signed_in(make_user("head", "officer"))
    identity = user.get_id()
    db.session.expire_all()
    with count_queries() as counter:
        loaded = service.load_session_user(identity)
        assert loaded is user
        assert sorted(loaded.roles) == ["head", "officer"]
    assert counter.count == 1, counter.statements


def test_ended_idle_and_old_sessions_do_not_load(app, db):
    user = signed_in(make_user("officer"))
    identity = user.get_id()
    record = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    now = utcnow()
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    record.last_seen_at = now - idle
    assert service.load_session_user(identity) is None
    record.last_seen_at = now
    record.created_at = now - timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"] + 1)
    assert service.load_session_user(identity) is None
    record.created_at = now
    assert service.load_session_user(identity) is user
    record.ended_at = now
    assert service.load_session_user(identity) is None


def test_signing_out_ends_that_session_only(db):
    """Finding 3 of issue 14: the old cookie opened /profile again after sign-out."""
    user = make_user("officer")
    first = signed_in(user).get_id()
    second = signed_in(user).get_id()
    assert first != second
    user.session_key = first.split(":")[2]
    service.record_logout(user)
    assert service.load_session_user(first) is None
    assert service.load_session_user(second) is user
    assert last_action(db) == "auth.logout"


@pytest.mark.parametrize(
    ("column", "setting", "unit"),
    [
        ("last_seen_at", "SESSION_IDLE_MINUTES", "minutes"),
        ("created_at", "SESSION_ABSOLUTE_HOURS", "hours"),
    ],
)
def test_sessions_end_when_idle_or_too_old(app, db, column, setting, unit):
    user = signed_in(make_user("officer"))
    identity = user.get_id()
    record = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    limit = timedelta(**{unit: app.config[setting]})
    setattr(record, column, utcnow() - limit + timedelta(minutes=1))
    db.session.commit()
    assert service.load_session_user(identity) is user
    setattr(record, column, utcnow() - limit - timedelta(minutes=1))
    db.session.commit()
    assert service.load_session_user(identity) is None


# Passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least"),
        ("x" * 257, "at most"),
        ("my-henry.wong-password", "username"),
        ("MY-HENRY.WONG-PASSWORD", "username"),
    ],
)
def test_password_rules(app, password, problem):
    with app.app_context():
        problems = password_problems(password, "henry.wong")
    assert any(problem in p for p in problems)


def test_a_good_password_has_no_problems(app):
    with app.app_context():
        assert password_problems(GOOD_PASSWORD, "henry.wong") == []


def test_change_password_gathers_every_problem(db):
    user = make_user("officer")
    with pytest.raises(Invalid) as refused:
        service.change_password(user, "not-the-current", "short")
    assert set(refused.value.fields) == {"current_password", "new_password"}
    with pytest.raises(Invalid) as same:
        service.change_password(user, PASSWORD, PASSWORD)
    assert set(same.value.fields) == {"new_password"}
    assert audit_count(db) == 0


def test_change_password_ends_every_other_session(db):
    user = signed_in(make_user("officer"))
    old_identity = user.get_id()
    service.change_password(user, PASSWORD, GOOD_PASSWORD)
    assert check_password(user.password_hash, GOOD_PASSWORD)
    assert not check_password(user.password_hash, PASSWORD)
    assert service.load_session_user(old_identity) is None
    assert service.load_session_user(user.get_id()) is user
    assert last_action(db) == "user.password_changed"


@pytest.mark.parametrize("keep_tokens", [False, True])
def test_change_password_revokes_api_tokens_unless_kept(db, keep_tokens):
    """Finding 5 of issue 14: API tokens survived a password change."""
    user = make_user("officer")
    _token, secret = service.create_token(user, name="script")
    service.change_password(user, PASSWORD, GOOD_PASSWORD, keep_tokens=keep_tokens)
    assert (service.user_for_token(secret) is user) is keep_tokens
    (entry,) = entries(db, "user.password_changed")
    assert entry.detail["tokens_kept"] is keep_tokens
    assert entry.detail.get("tokens_revoked") == (None if keep_tokens else 1)


def test_deactivated_user_cannot_change_password(db):
    user = make_user("officer", active=False)
    with pytest.raises(Forbidden):
        service.change_password(user, PASSWORD, GOOD_PASSWORD)


# Users --------------------------------------------------------------------------------------


def _new_user(department_id: int, **overrides) -> dict:
    values = {
        "username": "patrick.ng",
        "display_name": "Patrick Ng",
        "email": "Patrick.Ng@police.gov.hk",
        "department_id": department_id,
        "password": GOOD_PASSWORD,
    }
    values.update(overrides)
    return values


def test_admin_creates_a_user_with_the_officer_role_by_default(db, admin):
    department = make_department()
    user = service.create_user(admin, **_new_user(department.id))
    assert user.email == "patrick.ng@police.gov.hk"
    assert [link.role for link in user.role_links] == ["officer"]
    assert check_password(user.password_hash, GOOD_PASSWORD)
    entry = entries(db, "user.created")[-1]
    assert entry.actor_id == admin.id and entry.object_id == str(user.id)
    assert entry.detail == {
        "username": "patrick.ng",
        "department_id": department.id,
        "roles": ["officer"],
    }


def test_user_creation_gathers_every_problem(db, admin):
    with pytest.raises(Invalid) as refused:
        service.create_user(
            admin,
            username="no spaces!",
            display_name="   ",
            email="not-an-email",
            department_id=999999,
            password="short",
            roles=["officer", "emperor"],
        )
    assert set(refused.value.fields) == {
        "username",
        "display_name",
        "email",
        "department_id",
        "password",
        "roles",
    }
    assert audit_count(db) == 0


def test_username_and_email_must_be_unique(db, admin):
    taken = make_user("officer")
    with pytest.raises(Invalid) as refused:
        service.create_user(
            admin,
            **_new_user(taken.department_id, username=taken.username, email=taken.email.upper()),
        )
    assert set(refused.value.fields) == {"username", "email"}


@pytest.mark.parametrize("role", ["officer", "head", "dpo", "auditor"])
def test_only_admins_create_list_and_change_users(db, role):
    actor = make_user(role)
    with pytest.raises(Forbidden):
        service.create_user(actor, **_new_user(actor.department_id))
    with pytest.raises(Forbidden):
        service.list_users(actor)
    with pytest.raises(Forbidden):
        service.update_user(actor, actor.id, display_name="Me")
    with pytest.raises(Forbidden):
        service.set_user_active(actor, actor.id, False)


def test_update_user_records_what_changed(db, admin):
    user = make_user("officer")
    department = make_department()
    service.update_user(
        admin,
        user.id,
        display_name="  Olivia Ho ",
        email="OLIVIA@dsd.gov.hk",
        department_id=department.id,
        roles=["officer", "head"],
    )
    assert user.display_name == "Olivia Ho" and user.email == "olivia@dsd.gov.hk"
    entry = entries(db, "user.updated")[-1]
    changes = entry.detail["changes"]
    assert set(changes) == {"display_name", "email", "department_id", "roles"}
    assert changes["roles"] == {"from": ["officer"], "to": ["head", "officer"]}


def test_update_user_without_changes_writes_nothing(db, admin):
    user = make_user("officer")
    service.update_user(admin, user.id, display_name=user.display_name, roles=["officer"])
    assert audit_count(db) == 0


def test_update_user_gathers_every_problem_and_changes_nothing(db, admin):
    user = make_user("officer")
    other = make_user("officer")
    name = user.display_name
    with pytest.raises(Invalid) as refused:
        service.update_user(
            admin,
            user.id,
            display_name="Renamed",
            email=other.email,
            department_id=999999,
            roles=["officer", "emperor"],
        )
    assert set(refused.value.fields) == {"email", "department_id", "roles"}
    assert user.display_name == name
    assert audit_count(db) == 0


def test_admin_cannot_remove_their_own_admin_role_or_deactivate_themselves(db, admin):
    with pytest.raises(Invalid) as refused:
        service.update_user(admin, admin.id, roles=["officer"], active=False)
    assert set(refused.value.fields) == {"roles", "active"}
    with pytest.raises(Invalid) as direct:
        service.set_user_active(admin, admin.id, False)
    assert "active" in direct.value.fields
    assert admin.active and admin.has_role("admin")


def test_update_or_deactivate_a_missing_user_is_not_found(db, admin):
    with pytest.raises(NotFound):
        service.update_user(admin, 999999, display_name="X")
    with pytest.raises(NotFound):
        service.set_user_active(admin, 999999, False)


@pytest.mark.parametrize("through", ["set_user_active", "update_user"])
def test_deactivation_revokes_tokens_and_ends_sessions(db, admin, through):
    user = signed_in(make_user("officer"))
    _first, secret = service.create_token(user, name="one")
    service.create_token(user, name="two")
    identity = user.get_id()
    version = user.session_version
    if through == "set_user_active":
        service.set_user_active(admin, user.id, False)
    else:
        service.update_user(admin, user.id, active=False)
    assert user.active is False
    assert user.session_version == version + 1
    assert service.load_session_user(identity) is None
    assert service.user_for_token(secret) is None
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert len(tokens) == 2 and all(t.revoked_at is not None for t in tokens)
    assert last_action(db) == "user.deactivated"


def test_reactivation_is_audited_and_does_not_revive_old_tokens(db, admin):
    user = make_user("officer")
    _token, secret = service.create_token(user, name="old")
    service.set_user_active(admin, user.id, False)
    service.set_user_active(admin, user.id, True)
    assert user.active and last_action(db) == "user.activated"
    assert service.user_for_token(secret) is None


def test_setting_the_same_active_state_writes_nothing(db, admin):
    user = make_user("officer")
    service.set_user_active(admin, user.id, True)
    assert audit_count(db) == 0


def test_people_see_only_themselves_unless_admin_or_auditor(db, admin):
    officer = make_user("officer")
    colleague = make_user("officer", department=officer.department)
    assert service.get_user(officer, officer.id) is officer
    with pytest.raises(NotFound):
        service.get_user(officer, colleague.id)
    with pytest.raises(NotFound):
        service.get_user(officer, 999999)
    assert service.get_user(make_user("auditor"), colleague.id) is colleague
    assert service.get_user(admin, colleague.id) is colleague


def test_list_users_filters_and_pages(db, admin):
    department = make_department()
    make_user("head", department=department, username="helen.kwok")
    make_user("officer", department=department, username="ivan.tse")
    make_user("officer", department=department, username="gone.away", active=False)
    page = service.list_users(admin, department_id=department.id, per_page=2)
    assert [u.username for u in page.items] == ["gone.away", "helen.kwok"]
    assert page.total == 3 and page.pages == 2
    assert [u.username for u in service.list_users(admin, role="head").items] == ["helen.kwok"]
    assert [
        u.username
        for u in service.list_users(admin, department_id=department.id, active=False).items
    ] == ["gone.away"]
    assert [u.username for u in service.list_users(admin, search="IVAN").items] == ["ivan.tse"]


def test_account_summary_names_where_the_user_deputises_today(db):
    department = make_department()
    head = make_user("head", department=department)
    deputy = make_user("officer", department=department)
    today = utcnow().date()
    current = service.create_delegation(
        head, deputy_id=deputy.id, starts_on=today, ends_on=today + timedelta(days=2)
    )
    service.create_delegation(
        head,
        deputy_id=deputy.id,
        starts_on=today + timedelta(days=5),
        ends_on=today + timedelta(days=9),
    )
    summary = service.account_summary(deputy)
    assert summary.user is deputy and summary.department is department
    assert summary.roles == ["officer"]
    assert summary.acting_for == [current]


# Regions and departments --------------------------------------------------------------------


def test_region_is_created_with_an_upper_case_unique_code(db, admin):
    region = service.create_region(admin, code=" mo ", name="Macao", jurisdiction="MO")
    assert region.code == "MO"
    assert last_action(db) == "region.created"
    with pytest.raises(Invalid) as refused:
        service.create_region(admin, code="mo", name=" ", jurisdiction=" ")
    assert set(refused.value.fields) == {"code", "name", "jurisdiction"}


def test_region_update_records_the_change_and_refuses_a_taken_code(db, admin):
    taken = make_region(code="SZ")
    region = make_region(code="GZ")
    old_name = region.name
    service.update_region(admin, region.id, name="Guangzhou")
    assert region.name == "Guangzhou"
    assert entries(db, "region.updated")[-1].detail == {
        "changes": {"name": {"from": old_name, "to": "Guangzhou"}}
    }
    with pytest.raises(Invalid) as refused:
        service.update_region(admin, region.id, code=taken.code.lower())
    assert set(refused.value.fields) == {"code"}
    with pytest.raises(Forbidden):
        service.update_region(make_user("officer"), region.id, name="Mine")
    with pytest.raises(NotFound):
        service.get_region(admin, 999999)


def test_department_is_created_under_an_existing_region_and_parent(db, admin):
    region = make_region()
    parent = make_department(region=region)
    unit = service.create_department(
        admin, code="dsd-me", name="Mainland East", region_id=region.id, parent_id=parent.id
    )
    assert unit.code == "DSD-ME" and unit.parent is parent
    entry = entries(db, "department.created")[-1]
    assert entry.department_id == unit.id and entry.detail["parent_id"] == parent.id
    with pytest.raises(Invalid) as refused:
        service.create_department(
            admin, code="DSD-ME", name=" ", region_id=999999, parent_id=999999
        )
    assert set(refused.value.fields) == {"code", "name", "region_id", "parent_id"}


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_a_department_cannot_sit_under_itself_or_its_own_units(db, admin, depth):
    top = make_department()
    chain = [top]
    for _ in range(depth):
        chain.append(make_department(parent=chain[-1]))
    with pytest.raises(Invalid) as refused:
        service.update_department(admin, top.id, parent_id=chain[-1].id)
    assert set(refused.value.fields) == {"parent_id"}
    assert top.parent_id is None


def test_department_update_records_the_change_and_can_clear_the_parent(db, admin):
    parent = make_department()
    unit = make_department(parent=parent)
    service.update_department(admin, unit.id, name="Renamed Unit", parent_id=None)
    assert unit.parent_id is None and unit.name == "Renamed Unit"
    changes = entries(db, "department.updated")[-1].detail["changes"]
    assert changes["parent_id"] == {"from": parent.id, "to": None}
    assert changes["name"]["to"] == "Renamed Unit"
    before = audit_count(db)
    service.update_department(admin, unit.id, name="Renamed Unit")
    assert audit_count(db) == before


def test_only_admins_manage_the_directory_but_everyone_reads_it(db):
    officer = make_user("officer")
    with pytest.raises(Forbidden):
        service.create_region(officer, code="X", name="X", jurisdiction="X")
    with pytest.raises(Forbidden):
        service.create_department(officer, code="X", name="X", region_id=1)
    with pytest.raises(Forbidden):
        service.update_department(officer, officer.department_id, name="Mine")
    assert service.get_department(officer, officer.department_id) is officer.department
    assert service.list_departments(officer).total >= 1
    assert service.list_regions(officer).total >= 1


# API tokens ---------------------------------------------------------------------------------


def test_token_secret_is_returned_once_and_only_its_hash_is_stored(db):
    user = make_user("officer")
    token, secret = service.create_token(user, name="laptop", expires_in_days=30)
    assert secret.startswith(f"bw_{token.prefix}_")
    assert secret.split("_", 2)[2] not in token.secret_hash
    assert token.expires_at - utcnow() <= timedelta(days=30)
    assert service.user_for_token(secret) is user
    assert token.last_used_at is None, "looking a token up writes nothing"
    entry = entries(db, "token.created")[-1]
    assert entry.detail == {"name": "laptop", "prefix": token.prefix}
    assert secret not in str(entry.detail)


@pytest.mark.parametrize(
    ("name", "days", "fields"),
    [
        ("", 30, {"name"}),
        ("x" * 101, 30, {"name"}),
        ("ok", 0, {"expires_in_days"}),
        ("ok", 366, {"expires_in_days"}),
        (" ", 999, {"name", "expires_in_days"}),
    ],
)
def test_token_name_and_expiry_are_checked(db, name, days, fields):
    with pytest.raises(Invalid) as refused:
        service.create_token(make_user("officer"), name=name, expires_in_days=days)
    assert set(refused.value.fields) == fields


def test_issuing_a_token_with_bad_options_does_not_sign_in(db):
    user = make_user("officer")
    with pytest.raises(Invalid):
        service.issue_token_for_credentials(user.username, PASSWORD, "10.6.0.1", "x", 0)
    assert audit_count(db) == 0
    token, _secret = service.issue_token_for_credentials(user.username, PASSWORD, "10.6.0.1", "", 5)
    assert token.name == "API token"
    assert [e.action for e in entries(db)] == ["auth.login", "token.created"]


@pytest.mark.parametrize(
    "raw", ["", "garbage", "bw_", "bw__", "xx_abcd_secret", "bw_unknown0_secret"]
)
def test_malformed_or_unknown_tokens_identify_nobody(db, raw):
    assert service.user_for_token(raw) is None


def test_expired_revoked_or_forged_tokens_identify_nobody(db):
    user = make_user("officer")
    expired, expired_secret = service.create_token(user, name="old")
    expired.expires_at = utcnow() - timedelta(seconds=1)
    revoked, revoked_secret = service.create_token(user, name="gone")
    service.revoke_token(user, revoked.id)
    _good, good_secret = service.create_token(user, name="good")
    assert service.user_for_token(expired_secret) is None
    assert service.user_for_token(revoked_secret) is None
    assert (
        service.user_for_token(good_secret[:-1] + ("A" if good_secret[-1] != "A" else "B")) is None
    )
    assert service.user_for_token(good_secret) is user


def test_tokens_are_revoked_by_their_owner_or_an_admin_once(db, admin):
    owner = make_user("officer")
    token, _ = service.create_token(owner, name="mine")
    with pytest.raises(NotFound):
        service.revoke_token(make_user("officer", department=owner.department), token.id)
    with pytest.raises(NotFound):
        service.revoke_token(owner, 999999)
    service.revoke_token(admin, token.id)
    entry = entries(db, "token.revoked")[-1]
    assert entry.actor_id == admin.id and entry.detail["owner_id"] == owner.id
    with pytest.raises(Conflict):
        service.revoke_token(owner, token.id)


def test_token_page_lists_only_the_callers_tokens_newest_first(db):
    owner = make_user("officer")
    first, _ = service.create_token(owner, name="first")
    second, _ = service.create_token(owner, name="second")
    service.create_token(make_user("officer"), name="someone else's")
    page = service.token_page(owner)
    assert [t.id for t in page.items] == [second.id, first.id]


# Delegations --------------------------------------------------------------------------------


@pytest.fixture
def dsd(db):
    department = make_department(code="DSDT", name="Drainage Services")
    return {
        "department": department,
        "head": make_user("head", "officer", department=department),
        "deputy": make_user("officer", department=department),
    }


def _period(start: int = 0, length: int = 7) -> dict:
    today = utcnow().date()
    return {
        "starts_on": today + timedelta(days=start),
        "ends_on": today + timedelta(days=start + length),
    }


def test_head_names_a_deputy_and_it_is_audited(db, dsd):
    delegation = service.create_delegation(dsd["head"], deputy_id=dsd["deputy"].id, **_period())
    assert delegation.department_id == dsd["department"].id
    entry = entries(db, "delegation.created")[-1]
    assert entry.detail["deputy_id"] == dsd["deputy"].id
    assert entry.detail["starts_on"] == utcnow().date().isoformat()


def test_only_a_head_names_a_deputy(db, dsd):
    for role in ("officer", "dpo", "auditor", "admin"):
        actor = make_user(role, department=dsd["department"])
        with pytest.raises(Forbidden):
            service.create_delegation(actor, deputy_id=dsd["deputy"].id, **_period())


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("self", "deputy_id"),
        ("other_department", "deputy_id"),
        ("inactive", "deputy_id"),
        ("missing", "deputy_id"),
        ("ends_before_start", "ends_on"),
        ("ended", "ends_on"),
        ("too_long", "ends_on"),
    ],
)
def test_delegation_rules(db, dsd, case, field):
    deputy_id = {
        "self": dsd["head"].id,
        "other_department": make_user("officer").id,
        "inactive": make_user("officer", department=dsd["department"], active=False).id,
        "missing": 999999,
    }.get(case, dsd["deputy"].id)
    period = {
        "ends_before_start": {**_period(), "ends_on": utcnow().date() - timedelta(days=1)},
        "ended": _period(start=-10, length=3),
        "too_long": _period(length=400),
    }.get(case, _period())
    with pytest.raises(Invalid) as refused:
        service.create_delegation(dsd["head"], deputy_id=deputy_id, **period)
    assert set(refused.value.fields) == {field}


def test_delegation_errors_are_gathered(db, dsd):
    with pytest.raises(Invalid) as refused:
        service.create_delegation(
            dsd["head"],
            deputy_id=dsd["head"].id,
            starts_on=utcnow().date(),
            ends_on=utcnow().date() - timedelta(days=1),
        )
    assert set(refused.value.fields) == {"deputy_id", "ends_on"}


def test_acting_for_names_the_head_during_the_period_only(db, dsd):
    head, deputy, department = dsd["head"], dsd["deputy"], dsd["department"]
    delegation = service.create_delegation(head, deputy_id=deputy.id, **_period(length=5))
    today = utcnow().date()
    assert service.acting_for(head, department.id) is head
    assert service.acting_for(deputy, department.id) is head
    assert service.acting_for(deputy, department.id, on=today + timedelta(days=5)) is head
    assert service.acting_for(deputy, department.id, on=today + timedelta(days=6)) is None
    assert service.acting_for(deputy, department.id, on=today - timedelta(days=1)) is None
    assert service.acting_for(deputy, make_department().id) is None
    assert service.acting_for(make_user("officer", department=department), department.id) is None
    service.revoke_delegation(head, delegation.id)
    assert service.acting_for(deputy, department.id) is None


def test_acting_for_ends_when_the_head_loses_the_role_or_the_account(db, dsd, admin):
    head, deputy, department = dsd["head"], dsd["deputy"], dsd["department"]
    service.create_delegation(head, deputy_id=deputy.id, **_period())
    service.update_user(admin, head.id, roles=["officer"])
    assert service.acting_for(deputy, department.id) is None
    service.update_user(admin, head.id, roles=["head", "officer"])
    assert service.acting_for(deputy, department.id) is head
    service.set_user_active(admin, head.id, False)
    assert service.acting_for(deputy, department.id) is None
    assert service.acting_for(head, department.id) is None


def test_deciders_are_exactly_the_people_acting_for_the_department(db, dsd, admin):
    from app.accounts.acting import deciders

    head, deputy, department = dsd["head"], dsd["deputy"], dsd["department"]
    service.create_delegation(head, deputy_id=deputy.id, **_period())
    officer = make_user("officer", department=department)
    retired_head = make_user("head", "officer", department=department)
    orphan = make_user("officer", department=department)
    service.create_delegation(retired_head, deputy_id=orphan.id, **_period())
    service.set_user_active(admin, retired_head.id, False)
    people = [head, deputy, officer, retired_head, orphan]
    acting = {p.id for p in people if service.acting_for(p, department.id) is not None}
    assert {p.id for p in deciders(department.id)} == acting == {head.id, deputy.id}


def test_a_head_of_another_department_does_not_act_here(db, dsd):
    elsewhere = make_user("head")
    assert service.acting_for(elsewhere, dsd["department"].id) is None


def test_delegation_is_revoked_by_its_head_or_an_admin_once(db, dsd, admin):
    delegation = service.create_delegation(dsd["head"], deputy_id=dsd["deputy"].id, **_period())
    with pytest.raises(NotFound):
        service.revoke_delegation(dsd["deputy"], delegation.id)
    with pytest.raises(NotFound):
        service.revoke_delegation(make_user("head", department=dsd["department"]), delegation.id)
    with pytest.raises(NotFound):
        service.revoke_delegation(dsd["head"], 999999)
    service.revoke_delegation(admin, delegation.id)
    entry = entries(db, "delegation.revoked")[-1]
    assert entry.actor_id == admin.id and entry.detail == {"deputy_id": dsd["deputy"].id}
    with pytest.raises(Conflict):
        service.revoke_delegation(dsd["head"], delegation.id)


def test_delegation_page_shows_what_the_user_gave_or_received(db, dsd):
    delegation = service.create_delegation(dsd["head"], deputy_id=dsd["deputy"].id, **_period())
    assert service.delegation_page(dsd["head"]).items == [delegation]
    assert service.delegation_page(dsd["deputy"]).items == [delegation]
    assert service.delegation_page(make_user("officer", department=dsd["department"])).total == 0
    assert db.session.get(Delegation, delegation.id) is delegation


def test_a_request_asks_who_a_deputy_acts_for_once_until_something_changes(
    app, db, dsd, count_queries
):
    """A page asks it for its navigation and each home card; a change is seen at once."""
    head, deputy, department_id = dsd["head"], dsd["deputy"], dsd["department"].id

    def delegation_lookups(counter) -> int:
        return sum("FROM delegations" in statement for statement in counter.statements)

    with app.test_request_context("/"):
        with count_queries() as counter:
            for _ in range(3):
                assert service.acting_for(deputy, department_id) is None
        assert delegation_lookups(counter) == 1
        delegation = service.create_delegation(head, deputy_id=deputy.id, **_period())
        with count_queries() as counter:
            for _ in range(3):
                assert service.acting_for(deputy, department_id) is head
        assert delegation_lookups(counter) == 1
        delegation.revoked_at = utcnow()  # unflushed: the question is asked of the database
        assert service.acting_for(deputy, department_id) is None
        db.session.rollback()
        assert service.acting_for(deputy, department_id) is head
        service.revoke_delegation(head, delegation.id)
        assert service.acting_for(deputy, department_id) is None
