"""Text typed by people: searches take it literally, names may not hide characters.

Finding 12 of issue 14: ``q=%`` matched every row, and zero-width or right-to-left override
characters were accepted in the names other people read.
"""

from __future__ import annotations

import pytest

from app import audit
from app.accounts import service as accounts
from app.audit import service as audit_service
from app.common import escape_like, name_problem
from app.errors import Invalid
from app.extensions import db as _db
from app.workspaces import service as workspaces
from tests.factories import make_department, make_region, make_user, make_workspace

HIDDEN = ["\u202e", "\u200b", "\u2066", "\ufeff", "\u200f", "\x07"]


@pytest.fixture
def admin(db):
    return make_user("admin", "officer")


def test_escape_like_makes_wildcards_and_the_escape_literal():
    assert escape_like("100%_a\\b") == "100\\%\\_a\\\\b"


@pytest.mark.parametrize("wildcard", ["%", "_", "\\"])
def test_user_region_and_department_searches_take_wildcards_literally(db, admin, wildcard):
    region = make_region(name="Plain region")
    department = make_department(region=region, name="Plain department")
    make_user("officer", department=department, username="plain.person")
    assert accounts.list_users(admin, search=wildcard).total == 0
    assert accounts.list_regions(admin, search=wildcard).total == 0
    assert accounts.list_departments(admin, search=wildcard).total == 0


def test_searches_still_find_a_literal_percent_sign(db, admin):
    region = make_region(name="Region 100% covered")
    make_region(name="Region 1000 covered")
    assert [r.id for r in accounts.list_regions(admin, search="100%").items] == [region.id]


@pytest.mark.parametrize("wildcard", ["%", "_"])
def test_workspace_search_takes_wildcards_literally(db, wildcard):
    lead = make_user("officer")
    make_workspace(lead, name="Flood drill")
    admin = make_user("admin", "officer")
    assert workspaces.list_workspaces(admin, scope="all", q=wildcard).total == 0
    assert workspaces.list_workspaces(admin, scope="all", q="drill").total == 1


def test_audit_filters_take_wildcards_literally(db):
    auditor = make_user("auditor")
    audit.record(None, "region.created", "region", 1, actor_name="someone")
    _db.session.commit()

    def found(**filters):
        query = audit_service.AuditFilters(**filters)
        return audit_service.list_entries(auditor, query).total

    assert found(actor="%") == 0
    assert found(actor="some") == 1
    assert found(action="%") == 0
    assert found(action="_egion.") == 0
    assert found(action="region.") == 1


@pytest.mark.parametrize("char", HIDDEN)
def test_name_problem_names_each_hidden_character(app, char):
    with app.test_request_context():
        problem = name_problem(f"Trans{char}port")
    assert problem is not None and f"U+{ord(char):04X}" in problem


def test_ordinary_names_in_any_script_have_no_problem(app):
    with app.test_request_context():
        for name in ["Drainage Services", "渠務署", "深圳市政务服务数据管理局", "Ōkubo-Tse"]:
            assert name_problem(name) is None


@pytest.mark.parametrize("char", ["\u202e", "\u200b"])
def test_services_refuse_hidden_characters_in_every_kind_of_name(app, db, admin, char):
    bad = f"Police{char}Force"
    region = make_region()
    with app.test_request_context():
        with pytest.raises(Invalid) as user_refused:
            accounts.update_user(admin, make_user("officer").id, display_name=bad)
        assert set(user_refused.value.fields) == {"display_name"}
        with pytest.raises(Invalid) as region_refused:
            accounts.create_region(admin, code="ZZ", name=bad, jurisdiction="HK")
        assert set(region_refused.value.fields) == {"name"}
        with pytest.raises(Invalid) as department_refused:
            accounts.create_department(admin, code="ZZD", name=bad, region_id=region.id)
        assert set(department_refused.value.fields) == {"name"}
        with pytest.raises(Invalid) as workspace_refused:
            workspaces.create_workspace(
                admin, name=bad, purpose="Work together.", ends_on=make_workspace().ends_on
            )
        assert set(workspace_refused.value.fields) == {"name"}


def test_codes_are_measured_after_upper_casing(app, db, admin):
    """``ß`` upper-cases to ``SS``: sixteen of them do not fit a 16-character code."""
    region = make_region()
    with pytest.raises(Invalid) as region_refused:
        accounts.create_region(admin, code="ß" * 16, name="Region", jurisdiction="HK")
    assert "16 characters" in region_refused.value.fields["code"][0]
    with pytest.raises(Invalid) as department_refused:
        accounts.create_department(admin, code="ß" * 17, name="Unit", region_id=region.id)
    assert "32 characters" in department_refused.value.fields["code"][0]
    with pytest.raises(Invalid) as update_refused:
        accounts.update_region(admin, region.id, code="ß" * 9)
    assert list(update_refused.value.fields) == ["code"]
