"""What a request remembers is not used while the session holds unflushed changes, and is
forgotten when it flushes, commits or rolls back."""

from __future__ import annotations

from app.accounts.models import Department
from app.common import RequestMemo
from app.extensions import db as _db
from tests.factories import make_department, make_region, make_user

MEMO = RequestMemo("test_memo")


def _remembered():
    memo = MEMO.values()
    return None if memo is None else memo.setdefault("answer", object())


def test_a_memo_holds_while_the_session_is_unchanged(app, db):
    with app.test_request_context("/"):
        first = _remembered()
        assert first is not None and _remembered() is first
    assert MEMO.values() is None  # outside a request


def test_a_memo_is_not_used_with_a_new_object_pending(app, db):
    region = make_region()
    with app.test_request_context("/"):
        first = _remembered()
        _db.session.add(Department(code="NEW", name="New", region_id=region.id))
        assert MEMO.values() is None
        _db.session.flush()
        assert _remembered() is not first


def test_a_memo_is_not_used_with_a_changed_or_deleted_object_pending(app, db):
    user = make_user("officer")
    department = make_department()
    with app.test_request_context("/"):
        first = _remembered()
        user.display_name = "Renamed"
        assert MEMO.values() is None
        _db.session.flush()
        second = _remembered()
        assert second is not None and second is not first
        _db.session.delete(department)
        assert MEMO.values() is None
        _db.session.rollback()
        assert _remembered() is not second
