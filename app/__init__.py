"""Bridgework: the application factory."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from importlib import import_module
from inspect import iscoroutinefunction
from pathlib import Path

from flask import Flask, request
from flask.templating import Environment
from flask_babel import lazy_gettext
from flask_limiter import Limiter

from app import security, sqlite  # noqa: F401  (sqlite: connection hooks)
from app.config import load_config
from app.extensions import csrf, db, limiter, login_manager, migrate, socketio
from app.jsontext import SplicingJSONProvider

_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class TemplateEnvironment(Environment):
    """Flask's Jinja environment, giving each template its globals as a plain dict.

    Jinja chains a template's globals over the environment's (a ``ChainMap``), and every
    rendering, include and import with context copied that chain into the render context
    key by key: two Python calls for each of some forty globals. Bridgework registers
    its globals while it creates the app, before any template loads, as Jinja asks
    ("avoid modifying any globals after a template is loaded"), so a template takes a
    copy of them when it loads: the same names and values, copied at C speed.
    """

    def make_globals(self, d):
        return {**self.globals, **(d or {})}


class Bridgework(Flask):
    """Flask, asking once per view and hook whether it is a coroutine function.

    Flask asks it of every hook and the view on every request (``ensure_sync``); with a
    dozen hooks that was a tenth of a light API request's Python calls, for an answer
    that never changes.
    """

    jinja_environment = TemplateEnvironment

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._synchronous: dict[Callable, Callable] = {}

    def ensure_sync(self, func: Callable) -> Callable:
        known = self._synchronous.get(func)
        if known is None:
            known = self.async_to_sync(func) if iscoroutinefunction(func) else func
            self._synchronous[func] = known
        return known


def create_app(config: dict | None = None) -> Flask:
    """Build an app: settings, extensions, blueprints, commands, error pages, headers.

    Nothing here touches the database; the schema comes from ``flask db upgrade``.
    """
    app = Bridgework(__name__, instance_path=None)
    app.json = SplicingJSONProvider(app)
    app.config.update(load_config(config))
    _ensure_instance_dir(app)
    register_extensions(app)
    security.init_app(app)
    register_domains(app)
    register_blueprints(app)
    register_commands(app)
    register_request_hooks(app)
    from app.errors import register_error_handlers

    register_error_handlers(app)
    drop_idle_limiter_hooks(app, limiter)
    return app


def _ensure_instance_dir(app: Flask) -> None:
    """The embedded SQLite file and uploads live under INSTANCE_DIR; SQLite cannot create it."""
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    from app import i18n, postgres_plans

    i18n.init_app(app)
    db.init_app(app)
    postgres_plans.init_app(app)
    migrate.init_app(
        app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True
    )
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("Sign in to continue.")
    # The message is flashed into the session, which stores text, not a lazy string.
    login_manager.localize_callback = str
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    limiter.init_app(app)
    socketio.init_app(
        app,
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        channel=app.config["SOCKETIO_CHANNEL"],
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        manage_session=False,
        # None lets Engine.IO accept only the app's own origin; a list names the others.
        cors_allowed_origins=app.config["SOCKETIO_CORS_ORIGINS"] or None,
    )


def drop_idle_limiter_hooks(app: Flask, limiter: Limiter) -> None:
    """Take Flask-Limiter's request hooks off again while no route has a limit.

    The limiter is the store of the sign-in counters (app.accounts.signin), which ask
    it directly; no route, blueprint or default limit is declared, yet its hooks looked
    for limits, and for headers to add, on every request. Should a limit be declared,
    the hooks stay and enforce it.
    """
    manager = limiter.limit_manager
    if (
        manager.application_limits
        or manager.default_limits
        or any(manager._decorated_limits.values())  # noqa: SLF001 (no public reader)
        or any(manager._blueprint_limits.values())  # noqa: SLF001
    ):
        return

    def is_limiters(hook) -> bool:
        if isinstance(hook, partial):
            return bool(hook.args) and hook.args[0] is limiter
        return getattr(hook, "__self__", None) is limiter

    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        hooks[None] = [hook for hook in hooks.get(None, []) if not is_limiters(hook)]


def _migrations_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "migrations"


# Domain packages: each ``init_app`` registers its policy rules, stream kinds, error codes
# and whatever the core asks of it. The core itself never imports a domain.
DOMAINS = (
    "app.accounts",
    "app.notifications",
    "app.workspaces",
    "app.cases",
    "app.catalog",
    "app.sharing",
    "app.grants",
)


def register_domains(app: Flask) -> None:
    for name in DOMAINS:
        import_module(name).init_app(app)


# Modules whose ``bp`` is an HTML blueprint, and modules that add routes to the API blueprint.
HTML_BLUEPRINTS = (
    "app.main",
    "app.accounts.views",
    "app.accounts.admin_views",
    "app.audit.views",
    "app.workspaces.views",
    "app.cases.views",
    "app.catalog.views",
    "app.sharing.views",
    "app.grants.views",
    "app.notifications.views",
)
API_MODULES = (
    "app.accounts.api",
    "app.audit.api",
    "app.workspaces.api",
    "app.cases.api",
    "app.catalog.api",
    "app.sharing.api",
    "app.grants.api",
    "app.notifications.api",
    "app.api.openapi",
)
SOCKET_MODULES = ("app.realtime.events",)


def register_blueprints(app: Flask) -> None:
    for name in HTML_BLUEPRINTS:
        app.register_blueprint(import_module(name).bp)
    for name in API_MODULES + SOCKET_MODULES:
        import_module(name)
    from app.api import bp as api_bp

    app.register_blueprint(api_bp)
    from app.main import frame

    frame.init_app(app)


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)


def register_request_hooks(app: Flask) -> None:
    from app.policy import can

    app.jinja_env.globals["can"] = can

    @app.before_request
    def protect_forms():
        """Every browser write carries a CSRF token; the API checks its own (see app.api)."""
        if request.method in _UNSAFE_METHODS and not request.path.startswith(
            ("/api/", "/socket.io")
        ):
            csrf.protect()
