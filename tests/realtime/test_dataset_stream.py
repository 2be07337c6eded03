"""Dataset streams: anyone signed in may follow a dataset, and hears of versions and edits."""

from __future__ import annotations

import io

import pytest

from app.catalog import service
from app.errors import Invalid
from app.realtime import events_after, last_seq
from tests.conftest import login
from tests.factories import make_dataset, make_user

COLUMNS = [{"name": "station", "type": "text"}, {"name": "level_m", "type": "decimal"}]


@pytest.fixture(autouse=True)
def own_storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "storage"))


def test_open_dataset_page_receives_a_new_version_and_an_edit(db, connect_socket, client):
    owner = make_user("officer")
    dataset = make_dataset(owner, columns=COLUMNS, classification="internal")
    stream = f"dataset:{dataset.id}"
    reader = make_user("officer")
    login(client, reader)
    socket = connect_socket(flask_client=client)
    assert socket.subscribe(stream) == {"ok": True, "last_seq": last_seq(stream)}
    socket.received()
    service.upload_version(owner, dataset.id, io.BytesIO(b"station,level_m\nTM-01,1.5\n"), "a.csv")
    service.update_dataset(owner, dataset.id, version=1, title="Levels")
    received = socket.events(stream)
    assert [m["type"] for m in received] == ["dataset.version_uploaded", "dataset.updated"]
    assert received[0]["data"]["number"] == 1 and received[0]["data"]["row_count"] == 1
    assert "uploaded version 1" in received[0]["data"]["text"]
    assert received == [event.as_message() for event in events_after(stream, 0)]


def test_refused_upload_sends_nothing(db, connect_socket, token_auth):
    owner = make_user("officer")
    dataset = make_dataset(owner, columns=COLUMNS)
    stream = f"dataset:{dataset.id}"
    socket = connect_socket(auth=token_auth(make_user("auditor")))
    assert socket.subscribe(stream)["ok"] is True
    socket.received()
    with pytest.raises(Invalid):
        service.upload_version(owner, dataset.id, io.BytesIO(b"wrong,header\n"), "a.csv")
    assert socket.events(stream) == []


def test_missing_dataset_cannot_be_followed(db, connect_socket, token_auth):
    socket = connect_socket(auth=token_auth(make_user("officer")))
    ack = socket.subscribe("dataset:999999")
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
