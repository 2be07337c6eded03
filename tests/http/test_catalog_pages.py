"""Catalog pages: the list with search and filters, registering, editing, the dataset page
with its upload form, and the coverage view."""

from __future__ import annotations

import io

import pytest

from app.catalog import service
from app.catalog.coverage import UnmetDemand, register_unmet_demand, unregister_unmet_demand
from app.extensions import db as _db
from app.sharing.browse import unmet_demand
from tests.conftest import csrf_token, login
from tests.factories import make_dataset, make_department, make_user

COLUMNS = [{"name": "station", "type": "text"}, {"name": "level_m", "type": "decimal"}]


@pytest.fixture(autouse=True)
def own_storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "storage"))


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_catalog_is_in_the_navigation_and_has_an_empty_state(client, db):
    login(client, make_user("officer"))
    html = page(client, "/catalog/")
    assert 'href="/catalog/" aria-current="page"' in html
    assert "No department has registered a dataset yet." in html


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    assert client.get("/catalog/").status_code == 302


def test_list_searches_and_filters(client, db):
    police = make_department(name="Hong Kong Police Force")
    make_dataset(
        make_user("officer", department=police),
        title="Crime black spots",
        classification="personal",
        columns=[{"name": "victim_name", "type": "text", "sensitivity": "personal_identifier"}],
    )
    make_dataset(make_user("officer"), title="Traffic counts", classification="internal")
    login(client, make_user("officer"))
    html = page(client, "/catalog/")
    assert "Crime black spots" in html and "Traffic counts" in html
    html = page(client, "/catalog/?q=victim")
    assert "Crime black spots" in html and "Traffic counts" not in html
    html = page(client, "/catalog/?personal=no")
    assert "Crime black spots" not in html and "Traffic counts" in html
    html = page(client, f"/catalog/?department_id={police.id}&classification=personal")
    assert "Crime black spots" in html
    assert "No datasets match this search." in page(client, "/catalog/?q=nothing-like-this")
    assert page(client, "/catalog/?classification=secret", status=422)


def test_list_rows_show_department_columns_personal_badge_and_latest_version(client, db):
    police = make_department(name="Hong Kong Police Force")
    owner = make_user("officer", department=police)
    columns = [
        {"name": "a<b>&c", "type": "text", "sensitivity": "personal"},
        *({"name": f"reading_number_{n}", "type": "text"} for n in range(8)),
    ]
    dataset = make_dataset(
        owner, title="<i>Levels</i>", classification="restricted", columns=COLUMNS
    )
    service.upload_version(owner, dataset.id, io.BytesIO(b"station,level_m\nA,1\n"), "a.csv")
    service.upload_version(
        owner, dataset.id, io.BytesIO(b"station,level_m\nA,1\nB,2\nC,3\n"), "b.csv"
    )
    wide = make_dataset(owner, title="Wide", classification="personal", columns=columns)
    login(client, make_user("officer"))
    html = page(client, "/catalog/")
    row = html[html.index(f'href="/catalog/{dataset.id}"') :].split("</tr>")[0]
    assert "&lt;i&gt;Levels&lt;/i&gt;</a>" in row
    assert 'Hong Kong Police Force <span class="muted">(' in row
    assert '<span class="badge classification-restricted">Restricted</span></td>' in row
    assert "<td>station, level_m</td>" in row
    assert "<td>Version 2, 3 rows</td>" in row
    row = html[html.index(f'href="/catalog/{wide.id}"') :].split("</tr>")[0]
    assert '<span class="badge warn">Personal columns</span>' in row
    assert "<td>a&lt;b&gt;&amp;c, reading_number_0, reading_number_1," in row
    assert "...</td>" in row
    assert '<span class="muted">No version yet</span>' in row


def test_list_page_statement_count_is_the_same_for_10_and_50_datasets(client, db, count_queries):
    login(client, make_user("officer"))

    def statements() -> int:
        _db.session.expire_all()
        with count_queries() as counter:
            page(client, "/catalog/")
        return counter.count

    for _ in range(10):
        make_dataset(make_user("officer"))
    few = statements()
    for _ in range(40):
        make_dataset(make_user("officer"))
    assert statements() == few


def test_officer_registers_a_dataset_with_column_lines(client, db):
    officer = make_user("officer")
    login(client, officer)
    form = page(client, "/catalog/new")
    assert 'name="columns"' in form
    response = client.post(
        "/catalog/new",
        data={
            "csrf_token": csrf_token(client, "/catalog/new"),
            "title": "Flood sensor readings",
            "description": "Levels",
            "classification": "public",
            "update_frequency": "real-time",
            "residency_jurisdiction": officer.department.region.jurisdiction,
            "steward_id": str(officer.id),
            "columns": "station, text, none, Station code\nlevel_m, decimal\n",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    html = page(client, response.headers["Location"])
    assert (
        "Flood sensor readings" in html
        and "Station code" in html
        and "Upload a new version" in html
    )


def test_register_form_shows_column_errors_next_to_the_field(client, db):
    officer = make_user("officer")
    login(client, officer)
    response = client.post(
        "/catalog/new",
        data={
            "csrf_token": csrf_token(client, "/catalog/new"),
            "title": "Flood",
            "classification": "public",
            "update_frequency": "daily",
            "residency_jurisdiction": officer.department.region.jurisdiction,
            "steward_id": str(officer.id),
            "columns": "station, money\n",
        },
    )
    assert response.status_code == 422
    assert "Column 1 (station): the type must be one of" in response.get_data(as_text=True)


def test_people_who_may_not_register_get_403(client, db):
    login(client, make_user("auditor"))
    page(client, "/catalog/new", status=403)


def test_edit_form_round_trips_columns_and_refuses_others(client, db):
    owner = make_user("officer")
    dataset = make_dataset(owner, columns=COLUMNS)
    login(client, owner)
    form = page(client, f"/catalog/{dataset.id}/edit")
    assert "station, text, none\nlevel_m, decimal, none" in form
    response = client.post(
        f"/catalog/{dataset.id}/edit",
        data={
            "csrf_token": csrf_token(client, f"/catalog/{dataset.id}/edit"),
            "version": "1",
            "title": "Levels",
            "classification": "public",
            "update_frequency": "daily",
            "residency_jurisdiction": dataset.residency_jurisdiction,
            "steward_id": str(owner.id),
            "columns": "station, text\nlevel_m, decimal, none, Metres\n",
        },
    )
    assert response.status_code == 302
    assert "Metres" in page(client, f"/catalog/{dataset.id}")
    other = client.application.test_client()
    login(other, make_user("officer", "head"))
    page(other, f"/catalog/{dataset.id}/edit", status=403)


def test_dataset_page_uploads_without_javascript_and_shows_line_errors(client, db):
    owner = make_user("officer")
    dataset = make_dataset(owner, columns=COLUMNS)
    login(client, owner)
    url = f"/catalog/{dataset.id}"

    def send(content: bytes):
        return client.post(
            f"{url}/versions",
            data={
                "csrf_token": csrf_token(client, url),
                "file": (io.BytesIO(content), "levels.csv"),
            },
            content_type="multipart/form-data",
        )

    refused = send(b"station,level_m\nTM-01,high\n")
    assert refused.status_code == 422
    assert "Line 2: level_m must be a number, found &#39;high&#39;." in refused.get_data(
        as_text=True
    )
    assert send(b"station,level_m\nTM-01,3.5\n").status_code == 302
    html = page(client, url)
    assert "TM-01" in html and "3.5" in html
    assert f'data-live-stream="dataset:{dataset.id}"' in html


def test_contents_of_non_public_datasets_are_not_shown(client, db):
    owner = make_user("officer")
    dataset = make_dataset(owner, columns=COLUMNS, classification="restricted")
    service.upload_version(
        owner, dataset.id, io.BytesIO(b"station,level_m\nSECRET-STATION,1\n"), "x.csv"
    )
    login(client, owner)
    html = page(client, f"/catalog/{dataset.id}")
    assert "SECRET-STATION" not in html
    assert "The contents of non-public datasets are not shown" in html


def test_other_departments_see_no_upload_or_edit(client, db):
    dataset = make_dataset(make_user("officer"), columns=COLUMNS)
    login(client, make_user("officer"))
    html = page(client, f"/catalog/{dataset.id}")
    assert "Upload a new version" not in html and "Edit dataset" not in html
    assert page(client, "/catalog/999999", status=404)


def test_coverage_draws_chart_and_table_and_waits_for_a_demand_provider(client, db):
    owner = make_user("officer")
    make_dataset(owner, classification="public")
    make_dataset(owner, classification="personal")
    login(client, make_user("officer"))
    unregister_unmet_demand()  # the requests domain registers one when the app is created
    try:
        html = page(client, "/catalog/coverage")
        assert "<svg" in html and "<table" in html
        assert html.count("<rect") >= 2
        assert "once data-sharing requests are in use" in html
        register_unmet_demand(
            lambda: [UnmetDemand("Real-time rainfall", None, ["Fire Services"], 3)]
        )
        assert "Real-time rainfall" in page(client, "/catalog/coverage")
    finally:
        register_unmet_demand(unmet_demand)
