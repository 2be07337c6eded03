"""Data request pages: the queues with their counts, filing, and the request page showing
its scope plainly with exactly the actions its viewer may take."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.common import utcnow
from app.extensions import db
from app.sharing import service
from app.sharing.models import DataRequest
from tests.conftest import csrf_token, login
from tests.request_world import request_world, scope


@pytest.fixture
def world(db):
    return request_world()


def _filed(w, **overrides):
    return service.file_request(
        w.requester, w.workspace.id, dataset_id=w.flood.id, **scope(**overrides)
    )


def _submitted(w, **overrides):
    request = _filed(w, **overrides)
    return service.submit_request(w.requester, request.id)


def _buttons(html: str) -> set[str]:
    return set(re.findall(r'<form method="post" action="/requests/\d+/([a-z-]+)"', html))


def test_requester_sees_the_scope_in_words(client, world):
    request = _filed(world)
    login(client, world.requester)
    html = client.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "Water levels in Kowloon during typhoons" in html
    assert "Only rows whose district is one of: Kowloon City, Wong Tai Sin" in html
    assert "90 days from approval" in html
    assert "water_level_m" in html
    assert _buttons(html) == {"submit", "withdraw", "comments"}


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("requester", {"withdraw", "comments"}),
        ("td_head", {"endorse", "reject", "request-changes", "comments"}),
        ("td_deputy", {"endorse", "reject", "request-changes", "comments"}),
        ("dsd_head", {"comments"}),
        ("member", {"comments"}),
        ("observer", set()),
        ("auditor", set()),
    ],
)
def test_request_page_offers_only_what_the_viewer_may_do(client, world, person, expected):
    request = _submitted(world)
    login(client, getattr(world, person))
    html = client.get(f"/requests/{request.id}").get_data(as_text=True)
    assert _buttons(html) == expected


def test_deputy_is_told_they_decide_on_behalf_of_the_head(client, world):
    request = _submitted(world)
    login(client, world.td_deputy)
    html = client.get(f"/requests/{request.id}").get_data(as_text=True)
    assert f"You decide as the deputy of {world.td_head.display_name}" in html


def test_outsider_gets_not_found(client, world):
    request = _filed(world)
    login(client, world.outsider)
    assert client.get(f"/requests/{request.id}").status_code == 404


def test_queue_lists_waiting_requests_and_the_navigation_counts_them(client, world):
    _submitted(world)
    _submitted(world, title="Rainfall by district")
    login(client, world.td_head)
    html = client.get("/requests/waiting").get_data(as_text=True)
    assert "Rainfall by district" in html and "Water levels in Kowloon" in html
    assert re.search(r'data-request-count="waiting">2<', html)
    home = client.get("/").get_data(as_text=True)
    assert "Waiting for you" in home
    assert re.search(r'data-request-count="waiting">2<', home)


def test_queue_is_empty_for_the_requester_and_says_so(client, world):
    _submitted(world)
    login(client, world.requester)
    html = client.get("/requests/").get_data(as_text=True)
    assert "Water levels in Kowloon" in html
    assert re.search(r'data-request-count="filed_open">1<', html)
    assert "Waiting for my decision" not in html


def test_filing_through_the_form_submits_the_request(client, world):
    login(client, world.requester)
    page = client.get(
        f"/requests/new?workspace_id={world.workspace.id}&dataset_id={world.flood.id}"
    )
    html = page.get_data(as_text=True)
    assert 'name="columns" value="water_level_m"' in html
    response = client.post(
        "/requests/new",
        data={
            "csrf_token": csrf_token(client, "/requests/new"),
            "workspace_id": world.workspace.id,
            "dataset_id": world.flood.id,
            "title": "Water levels",
            "purpose": "Divert buses.",
            "legal_basis": "Cap. 374",
            "duration_days": "30",
            "columns": ["station", "water_level_m"],
            "filter-district": "Kowloon City, Sha Tin",
            "intent": "submit",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    created = service.list_requests(world.requester, box="filed").items[0]
    assert created.status == "submitted"
    assert created.row_filter == {"district": ["Kowloon City", "Sha Tin"]}


def test_filing_a_cross_border_refused_dataset_says_why(client, world):
    login(client, world.sz_officer)
    response = client.post(
        "/requests/new",
        data={
            "csrf_token": csrf_token(client, "/requests/new"),
            "workspace_id": world.workspace.id,
            "dataset_id": world.hk_only.id,
            "title": "Drain blockages",
            "purpose": "Plan cross-boundary drainage works.",
            "legal_basis": "Cooperation arrangement",
            "duration_days": "30",
            "columns": ["station"],
            "intent": "draft",
        },
    )
    assert response.status_code == 422
    assert "does not allow cross-border use" in response.get_data(as_text=True)


def test_reject_without_reason_shows_the_form_error(client, world):
    request = _submitted(world)
    login(client, world.td_head)
    response = client.post(
        f"/requests/{request.id}/reject",
        data={"csrf_token": csrf_token(client, f"/requests/{request.id}"), "reason": ""},
    )
    assert response.status_code == 422
    assert "Say why the request is rejected." in response.get_data(as_text=True)


def test_approving_a_narrower_scope_through_the_form(client, world):
    request = _submitted(world)
    service.endorse_request(world.td_head, request.id)
    login(client, world.dsd_head)
    response = client.post(
        f"/requests/{request.id}/approve",
        data={
            "csrf_token": csrf_token(client, f"/requests/{request.id}"),
            "columns": ["station", "water_level_m"],
            "filter-district": "Kowloon City",
            "duration_days": "30",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    html = client.get(f"/requests/{request.id}").get_data(as_text=True)
    assert 'data-status="approved"' in html
    assert "Only rows whose district is one of: Kowloon City<" in html


def test_request_list_runs_a_fixed_number_of_statements(client, world, count_queries):
    login(client, world.td_head)
    _submitted(world)
    with count_queries() as few:
        client.get("/requests/waiting")
    for n in range(8):
        _submitted(world, title=f"Readings {n}")
    with count_queries() as many:
        client.get("/requests/waiting")
    assert many.count == few.count


def test_the_workspace_page_offers_filing_to_those_who_may(client, world):
    login(client, world.member)
    html = client.get(f"/workspaces/{world.workspace.id}").get_data(as_text=True)
    assert f"/requests/new?workspace_id={world.workspace.id}" in html
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, world.observer)
    html = client.get(f"/workspaces/{world.workspace.id}").get_data(as_text=True)
    assert "/requests/new" not in html


def test_odd_ids_in_the_filing_form_are_not_an_error(client, world):
    login(client, world.requester)
    assert client.get("/requests/new?workspace_id=abc&dataset_id=x").status_code == 200
    response = client.post(
        "/requests/new",
        data={"csrf_token": csrf_token(client, "/requests/new"), "workspace_id": "abc"},
    )
    assert response.status_code == 422


def test_editing_a_submitted_request_sends_back_to_it_with_why(client, world):
    request = _submitted(world)
    login(client, world.requester)
    response = client.get(f"/requests/{request.id}/edit", follow_redirects=True)
    assert response.status_code == 200
    assert "only as a draft or when changes were asked for" in response.get_data(as_text=True)


def _home_counts(html: str) -> dict[str, int]:
    return {
        name: int(value) for name, value in re.findall(r'data-request-count="(\w+)">(\d+)<', html)
    }


def _service_counts(user) -> dict[str, int]:
    counts = service.request_counts(user)
    found = {"filed_open": counts.filed_open}
    if counts.decides:
        found |= {"waiting": counts.waiting, "waiting_overdue": counts.waiting_overdue}
    return found


@pytest.mark.parametrize("person", ["requester", "td_head", "td_deputy", "dsd_head", "dpo"])
def test_the_header_counts_what_the_service_counts(client, world, person):
    """The home page reads its counts with the session's user; the service asks apart."""
    _submitted(world)
    overdue = _submitted(world, title="Rainfall by district")
    personal = service.file_request(
        world.requester,
        world.workspace.id,
        dataset_id=world.reports.id,
        submit=True,
        **scope(
            title="Flooding reports by district",
            columns=["report_id", "district", "reporter_phone"],
            row_filter={"district": ["Kowloon City"]},
            reveal_columns=["reporter_phone"],
        ),
    )
    service.endorse_request(world.td_head, personal.id)
    for request in (overdue, db.session.get(DataRequest, personal.id)):
        request.due_on = utcnow().date() - timedelta(days=1)
    db.session.commit()
    user = getattr(world, person)
    expected = _service_counts(user)
    login(client, user)
    assert _home_counts(client.get("/").get_data(as_text=True)) == expected


def test_a_deputy_who_moved_department_counts_nothing_for_either(client, world):
    """Their delegation is for the department they left: they act for neither."""
    _submitted(world)
    service.endorse_request(world.td_head, _submitted(world, title="Rainfall by district").id)
    world.td_deputy.department_id = world.dsd.id
    db.session.commit()
    expected = _service_counts(world.td_deputy)
    assert expected.get("waiting", 0) == 0
    login(client, world.td_deputy)
    assert _home_counts(client.get("/").get_data(as_text=True)) == expected
