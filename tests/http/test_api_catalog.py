"""The catalog REST API: list, register, read, edit, upload versions, preview.

Refusals come as the error envelope with a stable code and change nothing.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import current_app

from app.extensions import db as _db
from tests.factories import make_dataset, make_department, make_user

API = "/api/v1"
COLUMNS = [
    {"name": "station", "type": "text"},
    {"name": "level_m", "type": "decimal"},
]
GOOD = b"station,level_m\nTM-01,3.2\nTM-02,4.1\n"


@pytest.fixture(autouse=True)
def own_storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "storage"))


def envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def post_file(client, headers, dataset_id, content: bytes, name="levels.csv"):
    return client.post(
        f"{API}/datasets/{dataset_id}/versions",
        data={"file": (io.BytesIO(content), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_register_read_and_list(client, db, make_token):
    officer = make_user("officer")
    headers = make_token(officer)
    body = {
        "title": "Flood sensor readings",
        "classification": "public",
        "update_frequency": "real-time",
        "columns": COLUMNS,
    }
    created = client.post(f"{API}/datasets", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    data = created.get_json()
    assert data["owner_department"]["id"] == officer.department_id
    assert [c["name"] for c in data["columns"]] == ["station", "level_m"]
    assert data["columns"][0]["sensitivity"] == "none"
    reader = make_token(make_user("auditor"))
    assert (
        client.get(f"{API}/datasets/{data['id']}", headers=reader).get_json()["title"]
        == body["title"]
    )
    listed = client.get(f"{API}/datasets?q=level_m", headers=reader).get_json()
    assert [d["id"] for d in listed["items"]] == [data["id"]] and listed["total"] == 1


def test_register_refusals(client, db, make_token):
    envelope(client.get(f"{API}/datasets"), 401, "unauthorized")
    dpo = make_token(make_user("dpo"))
    body = {
        "title": "x",
        "classification": "public",
        "update_frequency": "daily",
        "columns": COLUMNS,
    }
    envelope(client.post(f"{API}/datasets", json=body, headers=dpo), 403, "forbidden")
    officer = make_token(make_user("officer"))
    error = envelope(
        client.post(
            f"{API}/datasets",
            json={**body, "classification": "secret", "columns": []},
            headers=officer,
        ),
        422,
        "invalid",
    )
    assert set(error["fields"]) == {"classification", "columns"}
    envelope(client.get(f"{API}/datasets?classification=secret", headers=officer), 422, "invalid")
    envelope(client.get(f"{API}/datasets/999999", headers=officer), 404, "not_found")


def test_patch_needs_the_current_version(client, db, make_token):
    owner = make_user("officer")
    dataset = make_dataset(owner, columns=COLUMNS)
    headers = make_token(owner)
    url = f"{API}/datasets/{dataset.id}"
    envelope(client.patch(url, json={"title": "No version"}, headers=headers), 422, "invalid")
    saved = client.patch(url, json={"version": 1, "title": "Levels"}, headers=headers)
    assert saved.status_code == 200 and saved.get_json()["version"] == 2
    envelope(
        client.patch(url, json={"version": 1, "title": "Stale"}, headers=headers), 409, "stale"
    )
    other = make_token(make_user("officer", "head"))
    envelope(
        client.patch(url, json={"version": 2, "title": "Mine"}, headers=other), 403, "forbidden"
    )


def test_upload_stores_a_version_and_preview_shows_it(client, db, make_token):
    owner = make_user("officer")
    dataset = make_dataset(owner, columns=COLUMNS)
    reader = make_token(make_user("officer"))
    empty = client.get(f"{API}/datasets/{dataset.id}/preview", headers=reader).get_json()
    assert empty == {"version": None, "header": ["station", "level_m"], "rows": []}
    response = post_file(client, make_token(owner), dataset.id, GOOD)
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["number"], response.get_json()["row_count"]) == (1, 2)
    preview = client.get(f"{API}/datasets/{dataset.id}/preview", headers=reader).get_json()
    assert preview == {
        "version": 1,
        "header": ["station", "level_m"],
        "rows": [["TM-01", "3.2"], ["TM-02", "4.1"]],
    }


def test_upload_refusals_name_the_line_and_leave_nothing(client, db, make_token, app, monkeypatch):
    owner = make_user("officer")
    dataset = make_dataset(owner, columns=COLUMNS)
    headers = make_token(owner)
    error = envelope(
        post_file(client, headers, dataset.id, GOOD + b"TM-03,high\n"), 422, "bad_file"
    )
    assert error["message"].endswith("Line 4: level_m must be a number, found 'high'.")
    assert error["fields"]["line"] == ["4"]
    envelope(
        client.post(f"{API}/datasets/{dataset.id}/versions", json={}, headers=headers),
        422,
        "invalid",
    )
    monkeypatch.setitem(app.config, "DATASET_MAX_UPLOAD_BYTES", 10)
    envelope(post_file(client, headers, dataset.id, GOOD), 413, "file_too_large")
    monkeypatch.setitem(app.config, "DATASET_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
    too_big = b"station,level_m\n" + b"TM-01,1\n" * (11 * 1024 * 1024 // 8)
    envelope(post_file(client, headers, dataset.id, too_big), 413)
    other = make_token(make_user("officer", department=make_department()))
    envelope(post_file(client, other, dataset.id, GOOD), 403, "forbidden")
    directory = Path(current_app.config["STORAGE_DIR"]) / "datasets" / str(dataset.id)
    assert not directory.exists() or list(directory.iterdir()) == []
    _db.session.expire_all()
    assert dataset.versions == []


def test_preview_of_non_public_dataset_is_forbidden(client, db, make_token):
    owner = make_user("officer")
    dataset = make_dataset(owner, columns=COLUMNS, classification="internal")
    envelope(
        client.get(f"{API}/datasets/{dataset.id}/preview", headers=make_token(owner)),
        403,
        "forbidden",
    )
    envelope(
        client.get(f"{API}/datasets/999999/preview", headers=make_token(owner)), 404, "not_found"
    )


def test_list_endpoint_statement_count_does_not_grow_with_rows(
    client, db, make_token, count_queries
):
    owner = make_user("officer")
    headers = make_token(owner)

    def statements() -> int:
        _db.session.expire_all()
        with count_queries() as counter:
            assert client.get(f"{API}/datasets?per_page=100", headers=headers).status_code == 200
        return counter.count

    for _ in range(10):
        make_dataset(make_user("officer"))
    statements()  # the token's first use is recorded once; measure after it
    few = statements()
    for _ in range(40):
        make_dataset(make_user("officer"))
    assert statements() == few


def test_openapi_describes_the_upload_as_multipart(client, db):
    document = client.get(f"{API}/openapi.json").get_json()
    upload = document["paths"]["/api/v1/datasets/{dataset_id}/versions"]["post"]
    schema = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["file"] == {"type": "string", "format": "binary"}
    assert {"201", "403", "404", "409", "413", "422"} <= set(upload["responses"])


def test_an_upload_larger_than_other_bodies_may_be_is_accepted(
    client, db, make_token, app, monkeypatch
):
    """Dataset versions have their own limit; nothing reads the upload before the endpoint."""
    owner = make_user("officer")
    dataset = make_dataset(owner, columns=COLUMNS)
    rows = b"".join(b"TM-%05d,3.2\n" % i for i in range(2000))
    content = b"station,level_m\n" + rows
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", len(content) // 4)
    response = post_file(client, make_token(owner), dataset.id, content)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["row_count"] == 2000
