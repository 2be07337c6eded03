"""The only way data leaves the platform: reading through a grant.

:func:`read_through_grant` checks, extracts, then decides: the grant must be active
(started, not revoked, not expired, checked now, at every read), the reader a grantee
with an active account; the latest version's file goes through the grant's projection,
row filter and masking (:mod:`app.grants.engine`) into a temporary file; and one action
re-checks the grant under lock and records the :class:`AccessEvent` with its audit entry.
Only once that action has committed does a byte go out. A version whose file went
missing is refused clearly, after an alert entry is recorded as its own action.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _

from app.accounts.models import User
from app.actions import action
from app.catalog.models import Sensitivity
from app.common import utcnow
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from app.grants import engine
from app.grants.access import GrantError, ensure_readable, get_grant, grant_stream
from app.grants.models import AccessEvent, AccessKind, Grant, Masking

PREVIEW_ROWS = 20


@dataclass
class Extract:
    """A served extract: its file (at offset 0), what it holds and how to label it."""

    grant: Grant
    file: IO[bytes]
    rows: int
    size: int
    media_type: str
    filename: str
    headers: dict[str, str]

    def chunks(self, size: int = 256 * 1024):
        """The file in chunks, closed (and so deleted) once sent or abandoned."""
        try:
            while chunk := self.file.read(size):
                yield chunk
        finally:
            self.file.close()


def formats() -> list[str]:
    return sorted(engine.FORMATS)


def check_format(output_format: Any) -> str:
    if output_format not in engine.FORMATS:
        raise Invalid(
            _(
                "Unknown format %(format)s; choose one of: %(choices)s.",
                format=repr(output_format),
                choices=", ".join(formats()),
            ),
            code=GrantError.UNKNOWN_FORMAT,
            fields={"format": [_("Choose one of: %(choices)s.", choices=", ".join(formats()))]},
        )
    return output_format


def check_limit(limit: Any) -> int | None:
    """``None`` (everything) or a whole number from 1 to ``GRANT_EXTRACT_LIMIT_MAX``."""
    if limit is None:
        return None
    ceiling = int(current_app.config["GRANT_EXTRACT_LIMIT_MAX"])
    if isinstance(limit, bool):
        raise _bad_limit(ceiling)
    try:
        value = limit if isinstance(limit, int) else int(str(limit).strip())
    except ValueError:
        raise _bad_limit(ceiling) from None
    if not 1 <= value <= ceiling:
        raise _bad_limit(ceiling)
    return value


def _bad_limit(ceiling: int) -> Invalid:
    message = f"The limit must be a whole number from 1 to {ceiling:,}."
    return Invalid(message, code=GrantError.BAD_LIMIT, fields={"limit": [message]})


def plan_for(grant: Grant) -> engine.Plan:
    """The grant's scope as the engine needs it; personal identifiers are never shown plain.

    A column the grant does not say how to mask is redacted: the engine fails closed.
    """
    sensitivity = {column.name: column.sensitivity for column in grant.dataset.columns}
    masking = {}
    for name in grant.columns:
        rule = grant.masking.get(name, Masking.REDACT.value)
        if sensitivity.get(name) == Sensitivity.PERSONAL_IDENTIFIER and rule == Masking.NONE:
            rule = Masking.PSEUDONYMISE.value
        masking[name] = rule
    key = engine.pseudonym_key(current_app.config["SECRET_KEY"], grant.id)
    return engine.Plan(list(grant.columns), dict(grant.row_filter), masking, key)


def read_through_grant(
    actor: User,
    grant_id: Any,
    *,
    kind: str = AccessKind.DOWNLOAD.value,
    output_format: str = "csv",
    limit: Any = None,
) -> Extract:
    """Serve the grant's extract to ``actor``, or refuse without a byte of data.

    Raises:
        Invalid: unknown format or a bad limit (422).
        NotFound: no such grant, or not one the actor may see.
        Forbidden: revoked, expired, not yet started, not a grantee, account inactive.
        Conflict: no version yet, the version's file is missing (an alert is recorded
            first), or the file lacks a granted column.
    """
    output_format = check_format(output_format)
    limit = check_limit(limit)
    if kind == AccessKind.PREVIEW:
        limit = min(limit or PREVIEW_ROWS, PREVIEW_ROWS)
    if not actor.active:
        raise Forbidden(_("Your account is deactivated."), code=GrantError.ACCOUNT_INACTIVE)
    grant = get_grant(actor, grant_id)
    ensure_readable(actor, grant, utcnow())
    version = grant.dataset.latest_version
    if version is None:
        raise Conflict(_("The dataset has no version to read yet."), code=GrantError.NO_VERSION)
    path = Path(current_app.config["STORAGE_DIR"]) / version.storage_path
    try:
        result = engine.run(path, plan_for(grant), output_format, limit)
    except engine.VersionFileMissing:
        _record_missing_file(actor, grant, version)
        raise Conflict(
            _(
                "The file of this dataset's latest version is missing; the data owners have "
                "been alerted. Try again later."
            ),
            code=GrantError.FILE_MISSING,
        ) from None
    except engine.ColumnsMissing as exc:
        raise Conflict(
            _(
                "The dataset no longer has the granted columns %(columns)s; ask for a new grant.",
                columns=", ".join(exc.names),
            ),
            code=GrantError.COLUMNS_CHANGED,
        ) from None
    try:
        _record_read(actor, grant.id, version.id, kind, output_format, result.rows)
    except BaseException:
        result.file.close()
        raise
    writer = engine.FORMATS[output_format]
    return Extract(
        grant=grant,
        file=result.file,
        rows=result.rows,
        size=result.size,
        media_type=writer.media_type,
        filename=extract_filename(grant, writer.extension),
        headers=extract_headers(grant),
    )


def _record_read(
    actor: User, grant_id: int, version_id: int, kind: str, output_format: str, rows: int
) -> None:
    """The decision to serve: the grant checked again under lock, the read recorded."""
    with action(actor, "grant.data_read") as act:
        grant = get_grant(actor, grant_id, lock=True)
        ensure_readable(actor, grant, utcnow())
        db.session.add(
            AccessEvent(
                grant_id=grant.id,
                user_id=actor.id,
                kind=kind,
                output_format=output_format,
                version_id=version_id,
                rows_returned=rows,
                created_at=utcnow(),
            )
        )
        act.target("grant", grant)
        act.workspace_id = grant.grantee_workspace_id
        act.department_id = grant.dataset.owner_department_id
        act.detail.update(kind=kind, format=output_format, rows=rows, version_id=version_id)
        act.publish(
            grant_stream(grant.id),
            text=f"{actor.display_name} read {rows} rows ({kind}).",
            grant_id=grant.id,
            rows=rows,
            kind=kind,
        )


def _record_missing_file(actor: User, grant: Grant, version: Any) -> None:
    """An alert in the audit log and to the steward, committed before the refusal."""
    with action(actor, "grant.read_failed") as act:
        act.target("grant", grant)
        act.workspace_id = grant.grantee_workspace_id
        act.department_id = grant.dataset.owner_department_id
        act.detail.update(
            alert=True,
            reason="version file missing",
            version_id=version.id,
            storage_path=version.storage_path,
        )
        act.notify(
            [grant.dataset.steward],
            subject=f"File missing: {grant.dataset.title}",
            text=(
                f"A read through grant {grant.id} was refused: the file of version "
                f"{version.number} of {grant.dataset.title} is missing from storage."
            ),
            link=f"/catalog/{grant.dataset_id}",
        )


def extract_filename(grant: Grant, extension: str) -> str:
    """``grant-<id>-<dataset>-until-<date>.<ext>``: a copied file still says where it came from."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in grant.dataset.title.lower()).strip("-")
    slug = "-".join(part for part in slug.split("-") if part)[:60] or "dataset"
    return f"grant-{grant.id}-{slug}-until-{grant.expires_at:%Y-%m-%d}.{extension}"


def extract_headers(grant: Grant) -> dict[str, str]:
    """Response headers that carry the grant's id, purpose and expiry (ASCII-safe)."""
    purpose = " ".join(grant.purpose.split())[:300]
    return {
        "X-Grant-Id": str(grant.id),
        "X-Grant-Purpose": purpose.encode("ascii", "backslashreplace").decode(),
        "X-Grant-Expires": grant.expires_at.isoformat() + "Z",
        "Cache-Control": "no-store",
    }
