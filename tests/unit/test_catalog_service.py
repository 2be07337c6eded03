"""Catalog services: registering and editing datasets, and their rules.

Each refusal is checked to leave the datasets, the audit log and the event stream as
they were.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.catalog import service
from app.catalog.models import Dataset, DatasetColumn
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db as _db
from app.realtime import events_after
from tests.factories import DEFAULT_COLUMNS, make_dataset, make_department, make_region, make_user


def audit_count() -> int:
    return _db.session.scalar(select(func.count(AuditEntry.seq)))


def last_audit() -> AuditEntry:
    return _db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()


@pytest.fixture
def owner(db):
    department = make_department(
        name="Drainage Services Department", region=make_region(jurisdiction="HK")
    )
    return make_user("officer", department=department)


def register(actor, **overrides):
    values = {
        "title": "Flood sensor readings",
        "description": "Water levels every five minutes",
        "classification": "public",
        "update_frequency": "real-time",
        "columns": [dict(column) for column in DEFAULT_COLUMNS],
    }
    return service.create_dataset(actor, **{**values, **overrides})


def test_officer_registers_dataset_owned_by_own_department(owner):
    dataset = register(owner)
    assert dataset.owner_department_id == owner.department_id
    assert dataset.steward_id == owner.id
    assert dataset.residency_jurisdiction == "HK"
    assert [c.name for c in dataset.columns] == ["station", "measured_at", "level_m"]
    entry = last_audit()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "dataset.created",
        "dataset",
        str(dataset.id),
    )
    event = events_after(f"dataset:{dataset.id}", 0)[-1].as_message()
    assert event["type"] == "dataset.created"
    assert "Flood sensor readings" in event["data"]["text"]


@pytest.mark.parametrize("roles", [("dpo",), ("auditor",), ("admin",)])
def test_people_who_are_not_officers_cannot_register(db, roles):
    before = audit_count()
    with pytest.raises(Forbidden):
        register(make_user(*roles))
    assert audit_count() == before
    assert _db.session.scalar(select(func.count(Dataset.id))) == 0


def test_registering_reports_every_problem_at_once(owner):
    with pytest.raises(Invalid) as refused:
        register(
            owner,
            title=" ",
            classification="secret",
            update_frequency="hourly",
            residency_jurisdiction="XX",
            columns=[
                {"name": "a", "type": "text"},
                {"name": "A", "type": "money"},
                {"name": "", "sensitivity": "secret"},
            ],
        )
    fields = refused.value.fields
    assert set(fields) == {
        "title",
        "classification",
        "update_frequency",
        "residency_jurisdiction",
        "columns",
    }
    assert any("used twice" in message for message in fields["columns"])
    assert any("type must be" in message for message in fields["columns"])
    assert any("Column 3" in message for message in fields["columns"])
    assert _db.session.scalar(select(func.count(Dataset.id))) == 0


def test_steward_must_be_an_active_person_of_the_owning_department(owner):
    stranger = make_user("officer")
    retired = make_user("officer", department=owner.department, active=False)
    for steward in (stranger, retired):
        with pytest.raises(Invalid) as refused:
            register(owner, steward_id=steward.id)
        assert "steward_id" in refused.value.fields
    colleague = make_user("officer", department=owner.department)
    assert register(owner, steward_id=colleague.id).steward_id == colleague.id


def test_edit_changes_fields_and_bumps_version(owner):
    dataset = register(owner)
    head = make_user("officer", "head", department=owner.department)
    saved = service.update_dataset(
        head, dataset.id, version=1, title="Flood levels", cross_border_allowed=True
    )
    assert (saved.title, saved.cross_border_allowed, saved.version) == ("Flood levels", True, 2)
    assert last_audit().action == "dataset.updated"
    event = events_after(f"dataset:{dataset.id}", 0)[-1].as_message()
    assert event["data"]["changed"] == ["title", "cross_border_allowed"]


def test_stale_edit_is_a_conflict_and_changes_nothing(owner):
    dataset = register(owner)
    service.update_dataset(owner, dataset.id, version=1, title="Second title")
    before = audit_count()
    with pytest.raises(Conflict) as refused:
        service.update_dataset(owner, dataset.id, version=1, title="Lost update")
    assert refused.value.code == "stale"
    assert _db.session.get(Dataset, dataset.id).title == "Second title"
    assert audit_count() == before


def test_same_values_record_nothing(owner):
    dataset = register(owner)
    before = audit_count()
    saved = service.update_dataset(owner, dataset.id, version=1, title="Flood sensor readings")
    assert saved.version == 1
    assert audit_count() == before


def test_edit_columns_keeps_ids_of_kept_columns_even_when_reordered(owner):
    dataset = register(owner)
    ids = {c.name: c.id for c in dataset.columns}
    columns = [
        {"name": "level_m", "type": "decimal", "sensitivity": "none"},
        {"name": "station", "type": "text", "sensitivity": "none", "description": "Station code"},
        {"name": "reporter", "type": "text", "sensitivity": "personal_identifier"},
    ]
    saved = service.update_dataset(owner, dataset.id, version=1, columns=columns)
    stored = list(
        _db.session.scalars(
            select(DatasetColumn)
            .where(DatasetColumn.dataset_id == dataset.id)
            .order_by(DatasetColumn.position)
        )
    )
    assert [c.name for c in stored] == ["level_m", "station", "reporter"]
    assert stored[0].id == ids["level_m"] and stored[1].id == ids["station"]
    assert stored[1].description == "Station code"
    assert saved.has_personal_columns


@pytest.mark.parametrize("roles", [("officer",), ("officer", "head"), ("dpo",), ("admin",)])
def test_other_departments_cannot_edit(owner, roles):
    dataset = register(owner)
    with pytest.raises(Forbidden):
        service.update_dataset(make_user(*roles), dataset.id, version=1, title="Mine now")


def test_missing_dataset_is_not_found(owner):
    with pytest.raises(NotFound):
        service.get_dataset(owner, 999_999)
    with pytest.raises(NotFound):
        service.update_dataset(owner, 999_999, version=1, title="x")


def test_column_lines_are_parsed_with_defaults_and_named_line_errors():
    parsed = service.parse_column_lines("district, text, none, District name\n\nlevel\n")
    assert parsed == [
        {"name": "district", "type": "text", "sensitivity": "none", "description": "District name"},
        {"name": "level", "type": "text", "sensitivity": "none", "description": ""},
    ]
    with pytest.raises(Invalid) as refused:
        service.parse_column_lines("a\n, integer\n")
    assert refused.value.fields["columns"] == [
        "Line 2: give the column a name before the first comma."
    ]


def test_list_searches_columns_departments_and_filters_personal(owner):
    register(owner)
    police = make_department(name="Hong Kong Police Force")
    officer = make_user("officer", department=police)
    register(
        officer,
        title="Crime black spots",
        classification="personal",
        columns=[{"name": "victim_name", "type": "text", "sensitivity": "personal_identifier"}],
    )
    titles = lambda page: [d.title for d in page.items]  # noqa: E731
    assert titles(service.list_datasets(owner, q="victim")) == ["Crime black spots"]
    assert titles(service.list_datasets(owner, q="drainage")) == ["Flood sensor readings"]
    assert titles(service.list_datasets(owner, personal=True)) == ["Crime black spots"]
    assert titles(service.list_datasets(owner, personal=False)) == ["Flood sensor readings"]
    assert titles(service.list_datasets(owner, classification="personal")) == ["Crime black spots"]
    assert titles(service.list_datasets(owner, department_id=police.id)) == ["Crime black spots"]
    assert titles(service.list_datasets(owner, q="100%")) == []


def test_coverage_counts_per_department_and_classification_and_reads_the_hook(owner):
    make_dataset(owner, classification="public")
    make_dataset(owner, classification="internal")
    make_dataset(owner, classification="public")
    found = service.coverage(owner)
    assert found.unmet == []  # the requests domain's provider: nothing asked for yet
    [row] = found.rows
    assert row.counts == {"public": 2, "internal": 1}
    assert row.total == 3
    demand = [
        service.UnmetDemand(
            "Real-time flood readings", "Drainage Services Department", ["Fire Services"], 2
        )
    ]
    assert service.coverage(owner, provider=lambda: demand).unmet == demand


def test_demo_datasets_are_registered_and_uploaded_through_the_services(
    db, app, tmp_path, monkeypatch
):
    from app.demo import seed

    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "storage"))
    people = {user.username: user for user in seed()}
    page = service.list_datasets(people["auditor"], per_page=100)
    by_title = {dataset.title: dataset for dataset in page.items}
    flood = by_title["Real-time flood sensor readings"]
    assert flood.classification == "public" and flood.latest_version.row_count > 0
    spots = by_title["Crime black spots"]
    assert (spots.classification, spots.residency_jurisdiction, spots.cross_border_allowed) == (
        "personal",
        "HK",
        False,
    )
    assert spots.has_personal_columns
    assert by_title["Traffic counts on strategic roads"].classification == "internal"
    assert all(dataset.versions for dataset in page.items)
    assert service.preview(people["td.officer"], flood.id).rows
