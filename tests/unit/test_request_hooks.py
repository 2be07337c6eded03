"""What the app does on every request: only the hooks that have work to do, asked once."""

from __future__ import annotations

from flask import Blueprint
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from app import Bridgework, drop_idle_limiter_hooks
from app.extensions import limiter


def _limiter_hooks(app, limiter: Limiter = limiter) -> list:
    hooks = [
        *app.before_request_funcs.get(None, []),
        *app.after_request_funcs.get(None, []),
        *app.teardown_request_funcs.get(None, []),
    ]
    return [
        hook
        for hook in hooks
        if getattr(hook, "__self__", None) is limiter or limiter in getattr(hook, "args", ())
    ]


def test_no_limiter_hook_runs_while_no_limit_is_declared(app):
    assert _limiter_hooks(app) == []
    assert limiter.limiter is not None  # the sign-in counters' store is still there


def test_a_declared_limit_keeps_the_limiter_hooks():
    app = Bridgework(__name__)
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    own = Limiter(key_func=get_remote_address, default_limits=[])
    limited = Blueprint("limited", __name__)
    own.limit("10 per minute")(limited)
    app.register_blueprint(limited)
    own.init_app(app)
    drop_idle_limiter_hooks(app, own)
    assert len(_limiter_hooks(app, own)) == 3


def test_without_a_limit_the_hooks_go():
    app = Bridgework(__name__)
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    own = Limiter(key_func=get_remote_address, default_limits=[])
    own.init_app(app)
    assert len(_limiter_hooks(app, own)) == 3
    drop_idle_limiter_hooks(app, own)
    assert _limiter_hooks(app, own) == []


def test_ensure_sync_answers_the_same_once_asked():
    app = Bridgework(__name__)

    def plain():
        return 1

    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(plain) is plain
