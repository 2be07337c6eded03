"""The plain token user of read endpoints keeps every rule of the model-loading one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import g

from app.accounts import service
from app.accounts.identity import TOKEN_USE_RESOLUTION, TokenUser, token_user
from app.accounts.models import ApiToken, Role
from app.common import utcnow
from app.extensions import db as sa_db
from tests.factories import make_user

USED_KEY = "bridgework_used_token_id"


@pytest.mark.parametrize(
    "raw", ["", "garbage", "bw_", "bw__", "xx_abcd_secret", "bw_unknown0_secret"]
)
def test_malformed_or_unknown_tokens_identify_nobody(db, raw):
    assert token_user(raw) is None


def test_expired_revoked_forged_or_deactivated_tokens_identify_nobody(db):
    user = make_user("officer")
    expired, expired_secret = service.create_token(user, name="old")
    expired.expires_at = utcnow() - timedelta(seconds=1)
    revoked, revoked_secret = service.create_token(user, name="gone")
    service.revoke_token(user, revoked.id)
    _good, good_secret = service.create_token(user, name="good")
    forged = good_secret[:-1] + ("A" if good_secret[-1] != "A" else "B")
    for secret in (expired_secret, revoked_secret, forged):
        assert token_user(secret) is None
        assert service.user_for_token(secret) is None
    assert token_user(good_secret).id == user.id

    gone = make_user("officer")
    _token, gone_secret = service.create_token(gone, name="cli")
    gone.active = False
    sa_db.session.commit()
    assert token_user(gone_secret) is None
    assert service.user_for_token(gone_secret) is None


def test_a_token_user_reads_as_its_model_does(db):
    user = make_user("head", "dpo")
    user.locale, user.timezone = "zh_Hant", "Asia/Hong_Kong"
    sa_db.session.commit()
    _token, secret = service.create_token(user, name="cli")
    plain = token_user(secret)
    assert isinstance(plain, TokenUser)
    assert (plain.id, plain.username, plain.display_name, plain.department_id) == (
        user.id,
        user.username,
        user.display_name,
        user.department_id,
    )
    assert (plain.locale, plain.timezone) == ("zh_Hant", "Asia/Hong_Kong")
    assert plain.roles == user.roles == {Role.HEAD, Role.DPO}
    assert plain.has_role(Role.HEAD) and plain.has_role("dpo") and not plain.has_role("admin")
    assert plain.active and plain.is_authenticated and not plain.is_anonymous
    assert str(plain) == str(user)


def test_a_user_without_roles_has_none(db):
    user = make_user("officer")
    user.role_links.clear()
    sa_db.session.commit()
    _token, secret = service.create_token(user, name="cli")
    assert token_user(secret).roles == set()


def test_the_use_is_noted_as_the_model_loader_notes_it(app, db):
    user = make_user("officer")
    token, secret = service.create_token(user, name="cli")
    with app.test_request_context("/api/v1/users"):
        token_user(secret)
        assert g.pop(USED_KEY, None) == token.id, "never used: noted"
    sa_db.session.get(ApiToken, token.id).last_used_at = utcnow()
    sa_db.session.commit()
    with app.test_request_context("/api/v1/users"):
        token_user(secret)
        assert g.pop(USED_KEY, None) is None, "used a moment ago: not noted again"
    stale = utcnow() - TOKEN_USE_RESOLUTION - timedelta(seconds=1)
    sa_db.session.get(ApiToken, token.id).last_used_at = stale
    sa_db.session.commit()
    with app.test_request_context("/api/v1/users"):
        token_user(secret)
        assert g.pop(USED_KEY, None) == token.id, "used over a minute ago: noted"
