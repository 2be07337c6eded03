"""Settings read from environment variables, with safe defaults for the embedded set-up.

With no variables at all the app runs in development mode on a SQLite file under
``instance/`` and a single process without a message queue. Outside development a
missing ``SECRET_KEY`` or ``AUDIT_HMAC_KEY`` is a configuration error: the app refuses
to start.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment and explicit overrides.

    Raises:
        ConfigError: ``SECRET_KEY`` or ``AUDIT_HMAC_KEY`` is missing outside development.
    """
    env = os.environ.get("BRIDGEWORK_ENV", "development")
    instance_dir = Path(os.environ.get("INSTANCE_DIR", PROJECT_ROOT / "instance"))
    config: dict = {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance_dir / 'bridgework.sqlite'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SOCKETIO_MESSAGE_QUEUE": os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None,
        "SOCKETIO_CHANNEL": os.environ.get("SOCKETIO_CHANNEL", "bridgework"),
        "SOCKETIO_ASYNC_MODE": os.environ.get("SOCKETIO_ASYNC_MODE", "threading"),
        "STORAGE_DIR": os.environ.get("STORAGE_DIR", str(instance_dir / "storage")),
        "REQUEST_SLA_DAYS": _int("REQUEST_SLA_DAYS", 10),
        "GRANT_EXPIRY_REMINDER_DAYS": _int("GRANT_EXPIRY_REMINDER_DAYS", 7),
        "GRANT_EXTRACT_LIMIT_MAX": _int("GRANT_EXTRACT_LIMIT_MAX", 5_000_000),
        # The largest dataset version (CSV file) accepted; other bodies keep MAX_CONTENT_LENGTH.
        "DATASET_MAX_UPLOAD_BYTES": _int("DATASET_MAX_UPLOAD_BYTES", 512 * 1024 * 1024),
        "REALTIME_RECHECK_SECONDS": _int("REALTIME_RECHECK_SECONDS", 300),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_FAILURES_PER_USERNAME": _int("LOGIN_FAILURES_PER_USERNAME", 5),
        "LOGIN_FAILURES_PER_ADDRESS": _int("LOGIN_FAILURES_PER_ADDRESS", 20),
        "LOGIN_FAILURE_WINDOW_MINUTES": _int("LOGIN_FAILURE_WINDOW_MINUTES", 15),
        "LOGIN_SLOWDOWN_MAX_SECONDS": _int("LOGIN_SLOWDOWN_MAX_SECONDS", 8),
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        "SESSION_IDLE_MINUTES": _int("SESSION_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_HOURS": _int("SESSION_ABSOLUTE_HOURS", 12),
        "PASSWORD_MIN_LENGTH": _int("PASSWORD_MIN_LENGTH", 10),
        "PASSWORD_HASH_TIME_COST": _int("PASSWORD_HASH_TIME_COST", 3),
        "PASSWORD_HASH_MEMORY_KIB": _int("PASSWORD_HASH_MEMORY_KIB", 65536),
        "API_PAGE_MAX": 100,
        # Times are shown in the reader's time zone; this one until they choose another.
        "DEFAULT_TIMEZONE": os.environ.get("DEFAULT_TIMEZONE", "Asia/Hong_Kong"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_CHECK_DEFAULT": False,
        "CASE_ATTACHMENT_MAX_BYTES": _int("CASE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 50 * 1024 * 1024),
        "INSTANCE_DIR": str(instance_dir),
        "AUDIT_HMAC_KEY": os.environ.get("AUDIT_HMAC_KEY"),
        "AUDIT_HMAC_RETIRED_KEYS": _list("AUDIT_HMAC_RETIRED_KEYS"),
        "AUDIT_CHECKPOINT_DIR": os.environ.get(
            "AUDIT_CHECKPOINT_DIR", str(instance_dir / "audit-checkpoints")
        ),
        "AUDIT_CHECKPOINT_EVERY": _int("AUDIT_CHECKPOINT_EVERY", 1000),
        "SOCKETIO_CORS_ORIGINS": _list("SOCKETIO_CORS_ORIGINS"),
        "HSTS_SECONDS": _int("HSTS_SECONDS", 0),
        "API_JSON_MAX_BYTES": _int("API_JSON_MAX_BYTES", 1024 * 1024),
        "API_JSON_MAX_DEPTH": _int("API_JSON_MAX_DEPTH", 32),
    }
    config.update(overrides or {})
    _require_secret(config, "SECRET_KEY", "dev-only-not-secret", "signs sessions and CSRF tokens")
    _require_secret(
        config, "AUDIT_HMAC_KEY", "dev-only-audit-key", "keys the audit chain and its checkpoints"
    )
    return config


def _list(name: str) -> list[str]:
    """A comma-separated setting as a list, without blanks."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _require_secret(config: dict, name: str, development_default: str, purpose: str) -> None:
    """Fill a development default for a secret, or refuse to start without it elsewhere.

    Raises:
        ConfigError: the secret is missing outside development and testing.
    """
    if config.get(name):
        return
    if config["ENV_NAME"] in ("development", "testing"):
        config[name] = development_default
        return
    raise ConfigError(
        f"{name} is not set. Outside development Bridgework needs a long random {name} "
        f"environment variable (it {purpose}), e.g. "
        f"{name}=$(python -c 'import secrets; print(secrets.token_hex(32))')"
    )
