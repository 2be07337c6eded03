"""Administration pages: users, regions and departments, for platform administrators only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.accounts import service
from app.accounts.models import Department, Region, User
from app.audit.models import AuditEntry
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD, make_department, make_region, make_user

ADMIN_PAGES = [
    "/admin/users",
    "/admin/users/new",
    "/admin/regions",
    "/admin/regions/new",
    "/admin/departments",
    "/admin/departments/new",
]
GOOD_PASSWORD = "a-long-initial-passphrase"


@pytest.fixture
def admin(client):
    user = make_user("admin", "officer")
    login(client, user)
    return user


def text(response) -> str:
    return response.get_data(as_text=True)


def post_form(client, path, data, follow=False):
    return client.post(
        path, data={**data, "csrf_token": csrf_token(client, path)}, follow_redirects=follow
    )


def count(model) -> int:
    from app.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


# Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_administration_sends_anonymous_visitors_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("roles", [("officer",), ("head", "officer"), ("auditor",), ("dpo",)])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_administration_is_forbidden_to_everyone_but_admins(client, roles, path):
    login(client, make_user(*roles))
    response = client.get(path)
    assert response.status_code == 403
    assert "Administration is for platform administrators." in text(response)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admins_open_every_administration_page(client, admin, path):
    assert client.get(path).status_code == 200


def test_non_admin_cannot_create_a_user_by_posting_directly(client, db):
    department = make_department()
    login(client, make_user("officer"))
    response = client.post(
        "/admin/users/new",
        data={
            "username": "sneaky",
            "display_name": "Sneaky",
            "email": "sneaky@example.gov.hk",
            "department_id": str(department.id),
            "roles": ["admin"],
            "password": GOOD_PASSWORD,
            "csrf_token": csrf_token(client, "/profile"),
        },
    )
    assert response.status_code == 403
    assert db.session.scalar(select(User).where(User.username == "sneaky")) is None


@pytest.mark.parametrize(("roles", "shown"), [(("admin",), True), (("officer",), False)])
def test_navigation_shows_administration_to_admins_only(client, roles, shown):
    login(client, make_user(*roles))
    page = text(client.get("/"))
    assert ('<a href="/admin/users"' in page) is shown
    assert (">Administration</a>" in page) is shown


# Users ----------------------------------------------------------------------------------


def test_new_user_form_labels_every_field(client, admin):
    page = text(client.get("/admin/users/new"))
    for label in ("Username", "Display name", "Email", "Department", "Initial password"):
        assert re.search(rf"<label for=\"\w+\">{label}</label>", page), label
    assert "<legend>Roles</legend>" in page
    for role in (
        "officer",
        "department head",
        "data protection officer",
        "auditor",
        "administrator",
    ):
        assert re.search(rf'<label for="roles-\d">{role}</label>', page), role
    assert '<button type="submit" class="primary">Create user</button>' in page


def test_admin_creates_a_user_through_the_form(client, db, admin):
    department = make_department(name="Transport Department")
    page = text(client.get("/admin/users/new"))
    label = f"Transport Department — {department.region}"
    assert f'<option value="{department.id}">{label}</option>' in page
    response = post_form(
        client,
        "/admin/users/new",
        {
            "username": "kelvin.lau",
            "display_name": "Kelvin Lau",
            "email": "Kelvin.Lau@td.gov.hk",
            "department_id": str(department.id),
            "roles": ["officer", "dpo"],
            "password": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/users")
    listing = text(client.get("/admin/users"))
    assert "User kelvin.lau created." in listing
    assert ">kelvin.lau</a>" in listing
    user = db.session.scalar(select(User).where(User.username == "kelvin.lau"))
    assert user.email == "kelvin.lau@td.gov.hk"
    assert user.department_id == department.id
    assert {str(r) for r in user.roles} == {"officer", "dpo"}
    assert service.authenticate("kelvin.lau", GOOD_PASSWORD, "127.0.0.1").id == user.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.created"))
    assert entry.actor_id == admin.id and entry.object_id == str(user.id)


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"username": "taken"}, "That username is taken."),
        ({"email": "taken@example.gov.hk"}, "Another account uses that email address."),
        ({"password": "short"}, "Use at least 10 characters."),
        ({"password": "new.person-secret-words"}, "must not contain the username"),
        ({"roles": []}, "Choose at least one role."),
        ({"roles": ["emperor"]}, "is not a valid choice"),
        ({"department_id": ""}, "Choose a department."),
        ({"email": "not-an-address"}, "Enter an email address like"),
        ({"username": "has space"}, "Use letters, digits, dots, hyphens and underscores only."),
        ({"display_name": ""}, "Enter a name."),
    ],
)
def test_bad_new_user_input_shows_the_error_and_creates_nobody(
    client, db, admin, changes, field_message
):
    department = make_department()
    make_user("officer", username="taken")
    before = count(User)
    data = {
        "username": "new.person",
        "display_name": "New Person",
        "email": "new.person@example.gov.hk",
        "department_id": str(department.id),
        "roles": ["officer"],
        "password": GOOD_PASSWORD,
        **changes,
    }
    if changes.get("email") == "taken@example.gov.hk":
        db.session.scalar(select(User).where(User.username == "taken")).email = changes["email"]
        db.session.commit()
    response = post_form(client, "/admin/users/new", data)
    assert response.status_code == 422
    page = text(response)
    assert field_message in page
    assert 'class="error"' in page
    assert count(User) == before
    assert 'value="correct' not in page and GOOD_PASSWORD not in page


def test_admin_edits_a_users_details_and_roles(client, db, admin):
    user = make_user("officer")
    other = make_department(name="Hospital Authority")
    page = text(client.get(f"/admin/users/{user.id}"))
    assert f'value="{user.display_name}"' in page
    assert re.search(r'<input checked[^>]*value="officer"', page)
    assert not re.search(r'<input checked[^>]*value="admin"', page)
    response = post_form(
        client,
        f"/admin/users/{user.id}",
        {
            "display_name": "Renamed Person",
            "email": user.email,
            "department_id": str(other.id),
            "roles": ["head", "officer"],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert f"User {user.username} saved." in text(response)
    assert user.display_name == "Renamed Person"
    assert user.department_id == other.id
    assert {str(r) for r in user.roles} == {"head", "officer"}


def test_admin_cannot_remove_their_own_admin_role(client, db, admin):
    response = post_form(
        client,
        f"/admin/users/{admin.id}",
        {
            "display_name": admin.display_name,
            "email": admin.email,
            "department_id": str(admin.department_id),
            "roles": ["officer"],
        },
    )
    assert response.status_code == 422
    assert "You cannot remove your own admin role." in text(response)
    assert admin.has_role("admin")


def test_editing_a_missing_user_is_not_found(client, admin):
    assert client.get("/admin/users/999999").status_code == 404


def test_deactivating_a_user_ends_their_session_and_tokens_at_once(app, client, db, admin):
    user = make_user("officer")
    theirs = app.test_client()
    login(theirs, user)
    assert theirs.get("/profile").status_code == 200
    _token, secret = service.create_token(user, name="script")

    page = text(client.get(f"/admin/users/{user.id}"))
    assert f'action="/admin/users/{user.id}/deactivate"' in page
    assert "data-confirm=" in page
    response = post_form(client, f"/admin/users/{user.id}/deactivate", {}, follow=True)
    assert "deactivated. Their sessions and API tokens have ended." in text(response)
    assert "Inactive" in text(response)

    next_request = theirs.get("/profile")
    assert next_request.status_code == 302
    assert "/login" in next_request.headers["Location"]
    assert service.user_for_token(secret) is None
    refused = theirs.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": csrf_token(theirs, "/login"),
        },
    )
    assert refused.status_code == 401


def test_an_admin_signs_a_user_out_everywhere_and_their_tokens_keep_working(app, client, db, admin):
    """Finding 3 of issue 14: an admin's action ends a person's sessions everywhere."""
    user = make_user("officer")
    browsers = [app.test_client(), app.test_client()]
    for browser in browsers:
        login(browser, user)
        assert browser.get("/profile").status_code == 200
    _token, secret = service.create_token(user, name="script")

    page = text(client.get(f"/admin/users/{user.id}"))
    assert f'action="/admin/users/{user.id}/sign-out"' in page
    response = post_form(client, f"/admin/users/{user.id}/sign-out", {}, follow=True)
    assert "is signed out everywhere." in text(response)

    for browser in browsers:
        assert "/login" in browser.get("/profile").headers["Location"]
    assert service.user_for_token(secret).id == user.id
    last = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last.action == "user.sessions_ended" and last.object_id == str(user.id)


def test_only_admins_sign_people_out(client, db):
    user = make_user("officer")
    login(client, make_user("officer"))
    response = client.post(
        f"/admin/users/{user.id}/sign-out", data={"csrf_token": csrf_token(client, "/profile")}
    )
    assert response.status_code in (403, 404)


def test_reactivated_user_can_sign_in_again(app, client, db, admin):
    user = make_user("officer", active=False)
    page = text(client.get(f"/admin/users/{user.id}"))
    assert f'action="/admin/users/{user.id}/reactivate"' in page
    response = post_form(client, f"/admin/users/{user.id}/reactivate", {}, follow=True)
    assert "reactivated" in text(response)
    assert user.active
    login(app.test_client(), user)


def test_admin_cannot_deactivate_themselves(client, db, admin):
    assert "/deactivate" not in text(client.get(f"/admin/users/{admin.id}"))
    response = post_form(client, f"/admin/users/{admin.id}/deactivate", {}, follow=True)
    assert "You cannot deactivate your own account." in text(response)
    assert admin.active


def test_deactivate_without_csrf_token_is_refused(client, db, admin):
    user = make_user("officer")
    response = client.post(f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 400
    assert user.active


def test_users_list_searches_filters_and_pages(client, db, admin):
    police = make_department(name="Hong Kong Police Force")
    transport = make_department(name="Transport Department")
    patrick = make_user("head", "officer", department=police, username="patrick.ng")
    patrick.display_name = "Patrick Ng"
    tina = make_user("officer", department=transport, username="tina.leung")
    tina.email = "tina@td.gov.hk"
    make_user("officer", department=transport, username="retired.clerk", active=False)
    db.session.commit()

    def listed(query: str) -> set[str]:
        page = text(client.get(f"/admin/users?{query}"))
        return set(re.findall(r'/admin/users/\d+">([^<]+)</a>', page))

    assert listed("q=Patrick") == {"patrick.ng"}
    assert listed("q=td.gov") == {"tina.leung"}
    assert listed("q=TINA") == {"tina.leung"}
    assert listed(f"department={transport.id}") == {"tina.leung", "retired.clerk"}
    assert listed("role=head") == {"patrick.ng"}
    assert listed("status=inactive") == {"retired.clerk"}
    assert "retired.clerk" not in listed("status=active")
    assert listed(f"department={transport.id}&status=active") == {"tina.leung"}

    empty = client.get("/admin/users?q=nobody-by-this-name")
    assert "No users match these filters." in text(empty)

    bogus = client.get("/admin/users?role=emperor")
    assert bogus.status_code == 200
    assert "Not a valid choice." in text(bogus)


def test_users_list_pages_through_many_users(client, db, admin):
    department = make_department()
    for n in range(30):
        make_user("officer", department=department, username=f"bulk{n:02d}")
    first = text(client.get(f"/admin/users?department={department.id}"))
    assert "Page 1 of 2 (30 in all)" in first
    assert f'href="/admin/users?department={department.id}&amp;page=2"' in first
    second = text(client.get(f"/admin/users?department={department.id}&page=2"))
    names = re.findall(r'/admin/users/\d+">([^<]+)</a>', second)
    assert names == [f"bulk{n:02d}" for n in range(25, 30)]


def test_users_list_runs_the_same_number_of_queries_for_5_and_30_users(
    client, db, admin, count_queries
):
    department = make_department()

    def statements_for_list() -> int:
        db.session.expunge_all()
        with count_queries() as counter:
            response = client.get("/admin/users")
        assert response.status_code == 200
        return counter.count

    for n in range(5):
        make_user("officer", "dpo", department=department, username=f"few{n}")
    few = statements_for_list()
    for n in range(25):
        make_user("officer", department=make_department(), username=f"many{n}")
    many = statements_for_list()
    assert few == many


def test_users_list_row_shows_department_sorted_roles_status_and_last_sign_in(client, db, admin):
    police = make_department(name="Hong Kong Police Force")
    patrick = make_user("officer", "head", "dpo", department=police, username="patrick.ng")
    retired = make_user("officer", department=police, username="retired.clerk", active=False)
    retired.role_links.clear()
    db.session.commit()
    page = text(client.get(f"/admin/users?department={police.id}"))
    rows = {
        re.search(r'/admin/users/\d+">([^<]+)</a>', row).group(1): row
        for row in re.findall(r"<tr>\s*<td><a (.*?)</tr>", page, re.S)
    }
    assert f'href="/admin/users/{patrick.id}"' in rows["patrick.ng"]
    assert "<td>Hong Kong Police Force</td>" in rows["patrick.ng"]
    badges = re.findall(r'<span class="badge">([^<]+)</span>', rows["patrick.ng"])
    assert badges == ["data protection officer", "department head", "officer"]
    assert '<span class="badge ok">Active</span>' in rows["patrick.ng"]
    assert '<span class="muted">Never</span>' in rows["patrick.ng"]
    assert '<span class="muted">No roles</span>' in rows["retired.clerk"]
    assert '<span class="badge off">Inactive</span>' in rows["retired.clerk"]
    signed_in = text(client.get(f"/admin/users?q={admin.username}"))
    assert f'<td><time datetime="{admin.last_login_at.isoformat()}Z">' in signed_in


def test_users_list_escapes_user_text(client, db, admin):
    user = make_user("officer")
    user.display_name = '<script>alert("x")</script>'
    db.session.commit()
    page = text(client.get("/admin/users"))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    edit = text(client.get(f"/admin/users/{user.id}"))
    assert "<script>alert" not in edit


def test_new_user_without_csrf_token_is_refused(client, db, admin):
    department = make_department()
    response = client.post(
        "/admin/users/new",
        data={
            "username": "no.token",
            "display_name": "No Token",
            "email": "no.token@example.gov.hk",
            "department_id": str(department.id),
            "roles": ["officer"],
            "password": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.username == "no.token")) is None


# Regions --------------------------------------------------------------------------------


def test_admin_creates_and_edits_a_region(client, db, admin):
    response = post_form(
        client,
        "/admin/regions/new",
        {"code": "mo", "name": "Macao", "jurisdiction": "MO"},
        follow=True,
    )
    assert "Region Macao created." in text(response)
    region = db.session.scalar(select(Region).where(Region.code == "MO"))
    assert region.jurisdiction == "MO"

    form = text(client.get(f"/admin/regions/{region.id}"))
    assert 'value="Macao"' in form
    response = post_form(
        client,
        f"/admin/regions/{region.id}",
        {"code": "MO", "name": "Macao SAR", "jurisdiction": "MO"},
        follow=True,
    )
    assert "Region Macao SAR saved." in text(response)
    assert region.name == "Macao SAR"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "HK", "name": "Again", "jurisdiction": "HK"}, "Another region uses that code."),
        ({"code": "", "name": "No code", "jurisdiction": "HK"}, "Enter a short code"),
        ({"code": "X1", "name": "", "jurisdiction": "HK"}, "Enter a name."),
        ({"code": "X1", "name": "Nowhere", "jurisdiction": ""}, "Enter a jurisdiction"),
        ({"code": "A B", "name": "Spaced", "jurisdiction": "HK"}, "Use letters, digits"),
    ],
)
def test_bad_region_input_shows_the_error_and_creates_nothing(client, db, admin, data, message):
    make_region(code="HK")
    before = count(Region)
    response = post_form(client, "/admin/regions/new", data)
    assert response.status_code == 422
    assert message in text(response)
    assert count(Region) == before


def test_region_edit_refuses_a_taken_code_and_keeps_the_old_one(client, db, admin):
    make_region(code="HK")
    region = make_region(code="SZ")
    response = post_form(
        client,
        f"/admin/regions/{region.id}",
        {"code": "HK", "name": region.name, "jurisdiction": "CN"},
    )
    assert response.status_code == 422
    assert "Another region uses that code." in text(response)
    assert region.code == "SZ" and region.jurisdiction == "HK"


def test_regions_list_searches_and_pages(client, db, admin):
    make_region(code="SZ", name="Shenzhen", jurisdiction="CN")
    for n in range(26):
        make_region(code=f"Z{n:02d}", name=f"Zone {n:02d}", jurisdiction="ZZ")
    found = text(client.get("/admin/regions?q=shenz"))
    assert "Shenzhen" in found and "Zone 01" not in found
    assert "No regions match this search." in text(client.get("/admin/regions?q=atlantis"))
    first = text(client.get("/admin/regions"))
    assert f"Page 1 of 2 ({count(Region)} in all)" in first
    second = text(client.get("/admin/regions?page=2"))
    assert "Page 2 of 2" in second


# Departments ----------------------------------------------------------------------------


def test_admin_creates_a_unit_under_a_department_and_edits_it(client, db, admin):
    region = make_region(code="HK", name="Hong Kong")
    parent = make_department(code="DSD", name="Drainage Services Department", region=region)
    form = text(client.get("/admin/departments/new"))
    assert f'<option value="{region.id}">Hong Kong (HK)</option>' in form
    response = post_form(
        client,
        "/admin/departments/new",
        {
            "code": "dsd-me",
            "name": "Mainland East Division",
            "region_id": str(region.id),
            "parent_id": str(parent.id),
        },
        follow=True,
    )
    assert "Department Mainland East Division created." in text(response)
    unit = db.session.scalar(select(Department).where(Department.code == "DSD-ME"))
    assert unit.parent_id == parent.id and unit.region_id == region.id

    edit = text(client.get(f"/admin/departments/{unit.id}"))
    assert f'<option value="{unit.id}"' not in edit  # not offered as its own parent
    response = post_form(
        client,
        f"/admin/departments/{unit.id}",
        {"code": "DSD-ME", "name": "ME Division", "region_id": str(region.id), "parent_id": ""},
        follow=True,
    )
    assert "Department ME Division saved." in text(response)
    assert unit.name == "ME Division" and unit.parent_id is None


def test_department_cannot_sit_under_its_own_unit(client, db, admin):
    parent = make_department()
    unit = make_department(parent=parent, region=parent.region)
    response = post_form(
        client,
        f"/admin/departments/{parent.id}",
        {
            "code": parent.code,
            "name": parent.name,
            "region_id": str(parent.region_id),
            "parent_id": str(unit.id),
        },
    )
    assert response.status_code == 422
    assert "cannot sit under itself or one of its own units" in text(response)
    assert parent.parent_id is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "TAKEN"}, "Another department uses that code."),
        ({"region_id": ""}, "Choose a region."),
        ({"region_id": "999999"}, "Not a valid choice."),
        ({"parent_id": "999999"}, "Choose an existing department."),
        ({"name": ""}, "Enter a name."),
    ],
)
def test_bad_department_input_shows_the_error_and_creates_nothing(
    client, db, admin, changes, message
):
    region = make_region()
    make_department(code="TAKEN", region=region)
    before = count(Department)
    data = {"code": "NEW", "name": "New Bureau", "region_id": str(region.id), "parent_id": ""}
    response = post_form(client, "/admin/departments/new", {**data, **changes})
    assert response.status_code == 422
    assert message in text(response)
    assert count(Department) == before


def test_departments_list_searches_filters_by_region_and_pages(client, db, admin):
    hk = make_region(code="HK", name="Hong Kong")
    sz = make_region(code="SZ", name="Shenzhen", jurisdiction="CN")
    make_department(code="TD", name="Transport Department", region=hk)
    make_department(code="SZDB", name="Shenzhen Municipal Data Bureau", region=sz)

    def listed(query: str) -> set[str]:
        page = text(client.get(f"/admin/departments?{query}"))
        return set(re.findall(r'/admin/departments/\d+">([^<]+)</a>', page))

    assert listed("q=transport") == {"TD"}
    assert listed("q=szdb") == {"SZDB"}
    assert listed(f"region={sz.id}") == {"SZDB"}
    assert "No departments match these filters." in text(
        client.get(f"/admin/departments?region={sz.id}&q=transport")
    )
    for n in range(30):
        make_department(code=f"B{n:02d}", region=sz)
    assert "Page 1 of 2 (31 in all)" in text(client.get(f"/admin/departments?region={sz.id}"))
