"""The list endpoints read plain rows, and answer exactly what dumping the models answered.

Each list endpoint once loaded its rows as models and dumped them through its response
schema; it now reads plain columns and shapes them itself. Here, for several callers
and filters, the answer is compared with marshmallow's dump of the models that the
service (which the HTML pages still use) loads for the same caller and query.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.accounts import service as accounts
from app.accounts.schemas import UserSchema
from app.api import page_envelope
from app.catalog import service as catalog
from app.catalog.models import DatasetVersion
from app.catalog.schemas import DatasetSchema
from app.common import utcnow
from app.extensions import db as _db
from app.notifications import service as notifications
from app.notifications.schemas import NotificationSchema
from app.workspaces import service as workspaces
from app.workspaces.models import WorkspaceRole
from app.workspaces.schemas import WorkspaceSchema
from tests.factories import make_dataset, make_department, make_notification, make_user
from tests.workspace_world import flood_world, in_days

API = "/api/v1"


def _answer(client, path: str, headers: dict) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return json.dumps(response.get_json(), sort_keys=True)


def _expected(page, schema) -> str:
    """What the endpoint answered when it dumped the models through marshmallow."""
    body = {
        "items": schema.dump(page.items, many=True),
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
    }
    return json.dumps(json.loads(json.dumps(body)), sort_keys=True)


# Users ------------------------------------------------------------------------------------


@pytest.fixture
def people(db):
    parent = make_department(name="Development Bureau")
    child = make_department(name="Lands Department", parent=parent)
    admin = make_user("admin")
    crowd = [make_user("officer", department=child) for _ in range(4)]
    crowd.append(make_user("head", "dpo", department=parent))
    crowd.append(make_user("officer", "auditor", department=child, active=False))
    crowd[0].last_login_at = utcnow() - timedelta(days=2)
    crowd[1].role_links.clear()
    _db.session.commit()
    return admin, child


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"per_page": 3},
        {"per_page": 3, "page": 2},
        {"page": 9},
        {"q": "user"},
        {"role": "officer"},
        {"active": False},
        {"department_id": "child"},
    ],
)
def test_users_answer_what_the_models_dumped(client, people, make_token, query):
    admin, child = people
    if query.get("department_id") == "child":
        query = {"department_id": child.id}
    path = f"{API}/users?" + "&".join(f"{k}={str(v).lower()}" for k, v in query.items())
    page = accounts.list_users(
        admin,
        search=query.get("q"),
        department_id=query.get("department_id"),
        role=query.get("role"),
        active=query.get("active"),
        page=query.get("page", 1),
        per_page=query.get("per_page", 25),
    )
    assert _answer(client, path, make_token(admin)) == _expected(page, UserSchema())


def test_users_stay_for_administrators_only(client, people, make_token):
    response = client.get(f"{API}/users", headers=make_token(make_user("officer")))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


# Workspaces -------------------------------------------------------------------------------


@pytest.fixture
def w(db):
    w = flood_world()
    workspaces.add_member(w.lead, w.id, user_id=w.dsd_officer.id)
    workspaces.add_member(w.lead, w.id, user_id=w.td_officer.id, role=WorkspaceRole.OBSERVER.value)
    second = workspaces.create_workspace(
        w.lead, name="Drainage works", purpose="Night works.", ends_on=in_days(10)
    )
    workspaces.invite_department(w.lead, second.id, w.td.id)
    workspaces.accept_invitation(w.td_head, second.id, w.td.id)
    workspaces.invite_department(w.lead, second.id, w.ha.id)
    workspaces.withdraw_invitation(w.lead, second.id, w.ha.id)
    workspaces.invite_department(w.lead, second.id, w.szdb.id)
    workspaces.decline_invitation(w.sz_deputy, second.id, w.szdb.id, reason="Not ours.")
    third = workspaces.create_workspace(
        w.lead, name="Past flood", purpose="Archived.", ends_on=in_days(5)
    )
    workspaces.archive_workspace(w.lead, third.id)
    ended = workspaces.create_workspace(
        w.lead, name="Ended drill", purpose="Over.", ends_on=in_days(5)
    )
    ended.ends_on = in_days(-1)
    _db.session.commit()
    return w


@pytest.mark.parametrize(
    "who", ["lead", "dsd_officer", "td_officer", "td_head", "sz_head", "sz_deputy", "ha_officer"]
)
@pytest.mark.parametrize("query", [{}, {"per_page": 1}, {"per_page": 1, "page": 2}, {"q": "flood"}])
def test_workspaces_answer_what_the_models_dumped(client, w, make_token, who, query):
    caller = getattr(w, who)
    path = f"{API}/workspaces?" + "&".join(f"{k}={v}" for k, v in query.items())
    page = workspaces.list_workspaces(caller, **query)
    assert _answer(client, path, make_token(caller)) == _expected(page, WorkspaceSchema())


@pytest.mark.parametrize("who", ["admin", "auditor"])
@pytest.mark.parametrize(
    "query",
    [
        {"scope": "all"},
        {"scope": "all", "status": "active"},
        {"scope": "all", "status": "ended"},
        {"scope": "all", "status": "archived"},
        {"scope": "all", "region_id": 0},
        {"department_id": 0},
    ],
)
def test_every_workspace_answers_what_the_models_dumped(client, w, make_token, who, query):
    caller = getattr(w, who)
    if "region_id" in query:
        query = {**query, "region_id": w.szdb.region_id}
    if "department_id" in query:
        query = {**query, "department_id": w.td.id}
    path = f"{API}/workspaces?" + "&".join(f"{k}={v}" for k, v in query.items())
    page = workspaces.list_workspaces(caller, **query)
    assert _answer(client, path, make_token(caller)) == _expected(page, WorkspaceSchema())


# Datasets ---------------------------------------------------------------------------------


@pytest.fixture
def catalog_world(db):
    steward = make_user("officer")
    other = make_user("officer")
    uploader = make_user("officer", department=steward.department)
    make_dataset(steward, title="Rainfall", columns=[{"name": "gauge", "type": "text"}])
    levels = make_dataset(
        steward,
        title="Levels",
        classification="restricted",
        cross_border_allowed=True,
        columns=[
            {"name": "station", "type": "text"},
            {"name": "resident_name", "type": "text", "sensitivity": "personal"},
            {"name": "level_m", "type": "decimal"},
        ],
    )
    levels.updated_at = utcnow()
    for number, who in ((1, steward), (2, uploader), (3, steward)):
        _db.session.add(
            DatasetVersion(
                dataset_id=levels.id,
                number=number,
                storage_path=f"x/{number}",
                original_filename=f"levels-{number}.csv",
                size_bytes=1000 * number,
                row_count=10 * number,
                sha256=f"{number:064d}",
                uploaded_by_id=who.id,
            )
        )
    make_dataset(other, title="Abandoned vehicles", columns=[])
    make_dataset(other, title="Levels", classification="internal")
    _db.session.commit()
    return steward, other


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"per_page": 2},
        {"per_page": 2, "page": 2},
        {"page": 5},
        {"q": "level"},
        {"q": "resident_"},
        {"classification": "restricted"},
        {"personal": True},
        {"personal": False},
        {"department_id": "steward"},
        {"region_id": "other"},
    ],
)
def test_datasets_answer_what_the_models_dumped(client, catalog_world, make_token, query):
    steward, other = catalog_world
    if query.get("department_id") == "steward":
        query = {"department_id": steward.department_id}
    if query.get("region_id") == "other":
        query = {"region_id": other.department.region_id}
    path = f"{API}/datasets?" + "&".join(f"{k}={str(v).lower()}" for k, v in query.items())
    page = catalog.list_datasets(steward, **query)
    assert _answer(client, path, make_token(steward)) == _expected(page, DatasetSchema())


# Notifications ----------------------------------------------------------------------------

_TRANSLATIONS = [
    None,
    {"subject": {"zh_Hant": "水浸警告", "zh_Hans": "水浸警告"}, "text": {"zh_Hant": ""}},
    {"subject": {}, "text": {"zh_Hans": "请查看"}},
    {"text": {"zh_Hant": "請查看", "en": "Please look."}},
]


@pytest.fixture
def reader(db):
    user = make_user("officer")
    for n in range(7):
        notification = make_notification(user, read=n % 3 == 0, link=f"/w/{n}" if n % 2 else None)
        notification.translations = _TRANSLATIONS[n % len(_TRANSLATIONS)]
    make_notification(make_user("officer"))
    _db.session.commit()
    return user


@pytest.mark.parametrize("language", ["en", "zh-Hant", "zh-Hans"])
@pytest.mark.parametrize(
    "query",
    [{}, {"unread": True}, {"per_page": 3}, {"per_page": 3, "page": 2}, {"cursor": "before:0"}],
)
def test_notifications_answer_what_the_models_dumped(
    app, client, reader, make_token, language, query
):
    if query.get("cursor") == "before:0":
        newest = notifications.list_notifications(reader, per_page=2)
        query = {"per_page": 2, "cursor": str(newest.older)}
    path = f"{API}/notifications?" + "&".join(f"{k}={str(v).lower()}" for k, v in query.items())
    headers = {**make_token(reader), "Accept-Language": language}
    page = notifications.list_notifications(reader, **query)
    with app.test_request_context(headers={"Accept-Language": language}):
        expected = page_envelope(page, NotificationSchema())
        expected["items"] = NotificationSchema().dump(page.items, many=True)
    assert _answer(client, path, headers) == json.dumps(
        json.loads(json.dumps(expected)), sort_keys=True
    )
