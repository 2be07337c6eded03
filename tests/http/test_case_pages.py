"""Case pages: my cases, a workspace's list and board, opening, editing (with conflicts),
moving, commenting, attaching and downloading. Refusals show on the page and change nothing."""

from __future__ import annotations

import io
import re

import pytest

from app.cases import service
from app.cases.models import Case
from app.extensions import db as _db
from tests.case_world import build_world
from tests.conftest import csrf_token, login


@pytest.fixture
def world(db):
    return build_world()


def _open(world, **fields):
    fields.setdefault("title", "Sha Tin flooding, typhoon signal No. 8")
    return service.create_case(world["people"]["lead"], world["workspace"].id, **fields)


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def post(client, path: str, data: dict, *, token_from: str, **kwargs):
    return client.post(path, data=dict(data, csrf_token=csrf_token(client, token_from)), **kwargs)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get("/cases/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_my_cases_lists_what_is_assigned_to_me_and_has_an_empty_state(client, world):
    member = world["people"]["member"]
    login(client, member)
    assert "No case is assigned to you yet" in page(client, "/cases/")
    _open(world, assignee_ids=[member.id], title="Blocked gully at Lok Ma Chau")
    html = page(client, "/cases/")
    assert "FLOOD-1" in html and "Blocked gully at Lok Ma Chau" in html
    assert "None of your cases match" in page(client, "/cases/?status=closed")


@pytest.mark.parametrize("query", ["", "?q=gully", "?assignee_id="])
def test_filters_left_unset_show_no_error(client, world, query):
    """An unset status, priority or due filter means "any", not an invalid choice."""
    _open(world)
    login(client, world["people"]["member"])
    for path in ("/cases/", f"/cases/workspace/{world['workspace'].id}/"):
        html = page(client, path + query)
        assert "Not a valid choice" not in html
        assert 'aria-invalid="true"' not in html


def test_an_unknown_status_filter_is_shown_as_an_error(client, world):
    login(client, world["people"]["member"])
    html = page(client, f"/cases/workspace/{world['workspace'].id}/?status=sideways")
    assert "Not a valid choice" in html


def test_board_shows_columns_and_a_move_control_per_card(client, world):
    _open(world, due_on=None)
    login(client, world["people"]["member"])
    html = page(client, f"/cases/workspace/{world['workspace'].id}/board")
    for heading in ("Open", "In progress", "Blocked", "Resolved", "Closed"):
        assert f">{heading} <span" in html
    assert "Move FLOOD-1 to" in html and 'data-live-stream="cases:' in html


def test_moving_a_card_without_javascript_changes_the_status(client, world):
    case = _open(world)
    login(client, world["people"]["member"])
    board = f"/cases/workspace/{world['workspace'].id}/board"
    response = post(
        client,
        f"/cases/{case.id}/move",
        {"status": "blocked", "version": "1", "next": "board"},
        token_from=board,
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"board#case-{case.id}"
    )
    assert _db.session.get(Case, case.id).status == "blocked"
    assert "FLOOD-1 is now Blocked." in page(client, board)


def test_observers_see_the_board_without_move_controls(client, world):
    _open(world)
    login(client, world["people"]["observer"])
    html = page(client, f"/cases/workspace/{world['workspace'].id}/board")
    assert "FLOOD-1" in html and "Move FLOOD-1 to" not in html
    page(client, f"/cases/workspace/{world['workspace'].id}/new", 403)


def test_opening_a_case_through_the_form(client, world):
    lead = world["people"]["lead"]
    login(client, lead)
    new = f"/cases/workspace/{world['workspace'].id}/new"
    response = post(
        client,
        new,
        {
            "title": "Landslip warning, Shing Mun Road",
            "priority": "high",
            "department_ids": [str(world["drainage"].id)],
            "assignee_ids": [str(world["people"]["member"].id)],
        },
        token_from=new,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    html = page(client, response.headers["Location"])
    assert "FLOOD-1" in html and "Landslip warning" in html


def test_a_refused_case_form_shows_the_errors(client, world):
    login(client, world["people"]["lead"])
    new = f"/cases/workspace/{world['workspace'].id}/new"
    response = post(
        client,
        new,
        {"title": "Flooding", "assignee_ids": [str(world["people"]["outsider"].id)]},
        token_from=new,
    )
    assert response.status_code == 422
    assert "Assign members of the workspace" in response.get_data(as_text=True)


def test_a_stale_edit_shows_both_versions_and_can_be_applied_again(client, world):
    case = _open(world)
    lead, member = world["people"]["lead"], world["people"]["member"]
    login(client, member)
    edit = f"/cases/{case.id}/edit"
    form = {
        "title": "Sha Tin flooding",
        "description": "",
        "status": "open",
        "priority": "high",
        "region_id": "",
        "department_ids": [str(world["drainage"].id)],
        "version": "1",
    }
    token = csrf_token(client, edit)
    service.update_case(lead, case.id, version=1, priority="urgent")
    response = client.post(edit, data=dict(form, csrf_token=token))
    assert response.status_code == 409
    text = text_of(response.get_data(as_text=True))
    assert "Someone else changed this case first" in text
    assert "Urgent High" in text  # their priority beside mine
    assert re.search(r'name="version" type="hidden" value="2"', response.get_data(as_text=True))
    again = client.post(edit, data=dict(form, version="2", csrf_token=token))
    assert again.status_code == 302
    stored = _db.session.get(Case, case.id)
    assert (stored.priority, stored.title, stored.version) == ("high", "Sha Tin flooding", 3)


def test_comment_attach_and_download(client, world):
    case = _open(world)
    login(client, world["people"]["member"])
    show = f"/cases/{case.id}"
    response = post(
        client, f"/cases/{case.id}/comments", {"body": "@tom please close"}, token_from=show
    )
    assert response.status_code == 302
    response = post(
        client,
        f"/cases/{case.id}/attachments",
        {"file": (io.BytesIO(b"station,level\nShing Mun,4.2\n"), "levels.csv")},
        token_from=show,
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    html = page(client, show)
    assert "@tom please close" in html and "levels.csv" in html
    link = re.search(r'href="(/cases/\d+/attachments/\d+)"', html).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.data.startswith(b"station,level")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == "text/csv"
    outsider = client.application.test_client()
    login(outsider, world["people"]["outsider"])
    assert outsider.get(link).status_code == 404


def test_a_refused_attachment_is_shown_on_the_case_page(client, world):
    case = _open(world)
    login(client, world["people"]["member"])
    response = post(
        client,
        f"/cases/{case.id}/attachments",
        {"file": (io.BytesIO(b"MZ\x90\x00binary"), "report.pdf")},
        token_from=f"/cases/{case.id}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Attach a PDF, PNG, JPEG, CSV or plain text file." in response.get_data(as_text=True)


def test_oversight_sees_metadata_only_and_outsiders_get_not_found(client, world):
    case = _open(world, description="Shing Mun River at 4.2 m.")
    login(client, world["people"]["auditor"])
    html = page(client, f"/cases/{case.id}")
    assert "FLOOD-1" in html and "Shing Mun River at 4.2 m." not in html
    assert "for oversight" in html
    outsider = client.application.test_client()
    login(outsider, world["people"]["outsider"])
    page(outsider, f"/cases/{case.id}", 404)
    page(outsider, f"/cases/workspace/{world['workspace'].id}/board", 404)


def test_pages_are_translated(client, world):
    case = _open(world)
    lead = world["people"]["lead"]
    lead.locale = "zh_Hant"
    _db.session.commit()
    login(client, lead)
    assert "個案看板" in page(client, f"/cases/workspace/{world['workspace'].id}/board")
    assert "時間線" in page(client, f"/cases/{case.id}")


@pytest.mark.parametrize(
    "path",
    ["/cases/", "/cases/workspace/{ws}/", "/cases/workspace/{ws}/board"],
)
def test_list_pages_run_the_same_statements_for_10_and_100_cases(
    client, world, count_queries, path
):
    people = world["people"]
    assignees = [people["lead"].id, people["member"].id]
    path = path.format(ws=world["workspace"].id)
    login(client, people["lead"])

    def statements() -> int:
        _db.session.expire_all()
        with count_queries() as counter:
            page(client, path)
        return counter.count

    for n in range(10):
        _open(world, title=f"Case {n}", assignee_ids=assignees)
    few = statements()
    for n in range(90):
        _open(world, title=f"More {n}", assignee_ids=assignees, priority="high")
    assert statements() == few


def test_an_invited_head_sees_the_workspace_but_no_case_in_its_activity(client, world):
    """Case events go to the case boards' stream, not the workspace's feed, which the
    head of a department invited (and not yet answered) reads to decide."""
    from tests.factories import make_department, make_participation, make_user

    case = _open(world, title="Sha Tin flooding")
    service.add_comment(world["people"]["lead"], case.id, "Debris at Tai Wai.")
    invited = make_department()
    make_participation(world["workspace"], invited, status="invited")
    head = make_user("head", "officer", department=invited)
    login(client, head)
    html = page(client, f"/workspaces/{world['workspace'].id}")
    assert "Sha Tin flooding" not in html and case.key not in html
    page(client, f"/cases/workspace/{world['workspace'].id}/board", 404)
    catch_up = client.get(f"/api/v1/cases/boards/{world['workspace'].id}/events?after=0")
    assert catch_up.status_code == 404


def test_the_boards_catch_up_gives_a_member_every_case_event(client, world):
    case = _open(world)
    service.update_case(world["people"]["lead"], case.id, version=1, status="blocked")
    login(client, world["people"]["member"])
    response = client.get(f"/api/v1/cases/boards/{world['workspace'].id}/events?after=0")
    assert response.status_code == 200
    body = response.get_json()
    assert [m["type"] for m in body["items"]] == ["case.created", "case.moved"]
    assert body["last_seq"] == 2 and body["items"][1]["data"]["case"]["status"] == "blocked"


HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;quoted&#39;"


@pytest.mark.parametrize("who", ["lead", "observer"])
def test_user_text_is_escaped_on_every_case_page(client, world, who):
    """Cards, rows and the case page are written in Python: titles and names stay text."""
    lead, member = world["people"]["lead"], world["people"]["member"]
    member.display_name = HOSTILE
    _db.session.commit()
    case = _open(world, title=HOSTILE, assignee_ids=[lead.id, member.id])
    service.add_comment(lead, case.id, HOSTILE)
    login(client, world["people"][who])
    workspace_id = world["workspace"].id
    pages = [
        f"/cases/workspace/{workspace_id}/board",
        f"/cases/workspace/{workspace_id}/",
        f"/cases/{case.id}",
    ]
    if who == "lead":
        pages.append("/cases/")
    for path in pages:
        html = page(client, path)
        assert HOSTILE not in html and "<script>alert" not in html, path
        assert ESCAPED in html, path
