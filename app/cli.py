"""Command-line commands: ``flask --app wsgi <command>``. Each calls a service."""

from __future__ import annotations

import click
from flask import Flask, current_app

from app.errors import Invalid


def register(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(audit_group)
    app.cli.add_command(cases_group)


def _fail_invalid(exc: Invalid) -> None:
    details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.fields.items())
    raise click.ClickException(f"{exc.message} {details}".strip())


@click.command("create-admin")
@click.option("--username", required=True)
@click.option("--password", required=True, help="At least PASSWORD_MIN_LENGTH characters.")
def create_admin(username: str, password: str) -> None:
    """Create a platform administrator."""
    from app.accounts.service import bootstrap_admin

    try:
        user = bootstrap_admin(username, password)
    except Invalid as exc:
        _fail_invalid(exc)
    click.echo(f"Created admin {user.username} in {user.department.name}.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when users already exist.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo: Hong Kong and Greater Bay Area departments, users, a flood response."""
    from app.demo import DEMO_PASSWORD, database_has_users, seed

    if current_app.config["ENV_NAME"] != "development":
        raise click.ClickException("seed-demo only runs with BRIDGEWORK_ENV=development.")
    if if_empty and database_has_users():
        click.echo("Demo data already present; leaving it as it is.")
        return
    users = seed()
    click.echo(f"Demo data loaded. Every demo account uses the password {DEMO_PASSWORD!r}:")
    for user in users:
        roles = ", ".join(sorted(link.role for link in user.role_links))
        click.echo(f"  {user.username:<12} {roles:<22} {user.department.name}")


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.File("r"),
    help="Check against this checkpoint (a copy kept off-site) instead of the latest stored one.",
)
def audit_verify(checkpoint_file) -> None:
    """Check the chain with the audit key and against the latest signed checkpoint.

    Exits 1 and names the first broken entry if it is broken.
    """
    from app.audit.checkpoints import CheckpointError, parse
    from app.audit.service import verify_chain

    checkpoint = None
    if checkpoint_file is not None:
        try:
            checkpoint = parse(checkpoint_file.read(), checkpoint_file.name)
        except CheckpointError as exc:
            raise click.ClickException(str(exc)) from exc
    result = verify_chain(checkpoint)
    if result.ok:
        against = (
            f" up to the signed checkpoint at entry #{result.checkpoint_seq}"
            if result.checkpoint_seq is not None
            else "; no checkpoint to check against yet"
        )
        click.echo(f"Audit chain intact: {result.checked} entries verified{against}.")
        return
    where = f" at entry #{result.first_broken_seq}" if result.first_broken_seq else ""
    click.echo(
        f"Audit chain BROKEN{where}: {result.reason} "
        f"({result.checked} entries verified before it).",
        err=True,
    )
    raise SystemExit(1)


@audit_group.command("checkpoint")
def audit_checkpoint() -> None:
    """Verify the chain, then sign and store a checkpoint of its head, and print it.

    Keep the printed line somewhere the server cannot reach (a ticket, a mail to the
    auditor): ``audit verify --checkpoint FILE`` checks the chain against it even if the
    checkpoint directory was emptied too. A broken chain gets no checkpoint.
    """
    from app.audit.checkpoints import checkpoint_head
    from app.audit.service import verify_chain

    result = verify_chain()
    if not result.ok:
        raise click.ClickException(
            f"The audit chain is broken ({result.reason}); no checkpoint written. "
            "Run 'flask --app wsgi audit verify' for details."
        )
    checkpoint = checkpoint_head()
    click.echo(checkpoint.as_line())


@click.group("cases")
def cases_group() -> None:
    """Joint cases."""


@cases_group.command("remind-overdue")
def cases_remind_overdue() -> None:
    """Notify the assignees of overdue cases (once per due date; safe to run repeatedly)."""
    from app.cases.service import remind_overdue

    count = remind_overdue()
    click.echo(f"Reminded the assignees of {count} overdue case(s).")
