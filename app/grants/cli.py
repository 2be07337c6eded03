"""``flask --app wsgi grants expire``: mark ended grants, remind grantees of those ending soon."""

from __future__ import annotations

import click
from flask.cli import AppGroup

grants_cli = AppGroup("grants", help="Grants: expiry notices and reminders.")


@grants_cli.command("expire")
def expire_command() -> None:
    """Mark and notify expired grants; remind grantees GRANT_EXPIRY_REMINDER_DAYS ahead.

    Idempotent: each grant is told once of each, so it is safe to run from cron.
    """
    from app.grants.revoking import expire_grants

    counts = expire_grants()
    click.echo(
        f"{counts['expired']} grant(s) marked expired, {counts['reminded']} reminder(s) sent."
    )
