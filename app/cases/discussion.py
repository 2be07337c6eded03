"""Working together on a case: comments with @mentions, attached files, links to requests
and grants.

Attachments are the one place where a person's bytes reach the server's disk, so they
are checked strictly: a size limit (``CASE_ATTACHMENT_MAX_BYTES``), a type recognised
from the content itself (PDF, PNG, JPEG, CSV, plain text) rather than from the name or
the browser's claim, a file name that cannot point anywhere (no folders, no ``..``) and
a generated name on disk under ``STORAGE_DIR``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.actions import action
from app.cases.access import (
    COMMENT_MAX,
    CaseError,
    TooLarge,
    case_path,
    case_stream,
    for_change,
    label,
    visible_case,
)
from app.cases.lifecycle import _announce, _tell_assignees
from app.cases.models import Case, CaseAttachment, CaseComment, CaseLink, LinkKind
from app.common import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.\-]{1,64})")
NAME_MAX = 200
SNIFF_BYTES = 4096
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
LINK_KINDS = [kind.value for kind in LinkKind]


# Comments -------------------------------------------------------------------------------


def add_comment(actor: User, case_id: int, body: str) -> CaseComment:
    """Comment on a case; ``@username`` of a current workspace member notifies them.

    Raises:
        NotFound, Forbidden (observer), Conflict (read-only), Invalid (empty or too long).
    """
    with action(actor, "case.commented") as act:
        case = for_change(actor, case_id, "case.comment")
        body = body.strip() if isinstance(body, str) else ""
        if not body:
            raise Invalid(_("The comment was not added."), fields={"body": [_("Write a comment.")]})
        if len(body) > COMMENT_MAX:
            raise Invalid(
                _("The comment was not added."),
                fields={"body": [_("Keep a comment within %(max)s characters.", max=COMMENT_MAX)]},
            )
        comment = CaseComment(case_id=case.id, author_id=actor.id, body=body, created_at=utcnow())
        db.session.add(comment)
        db.session.flush()
        mentioned = mentioned_members(case, body, exclude=actor)
        act.target("case", case)
        act.workspace_id = case.workspace_id
        act.detail.update(key=case.key, comment_id=comment.id, mentioned=[u.id for u in mentioned])
        text = _l("%(actor)s commented on %(key)s", actor=label(actor), key=case.key)
        act.publish(
            case_stream(case.id),
            text=text,
            comment={"id": comment.id, "author": actor.display_name, "body": body},
        )
        if mentioned:
            act.notify(
                mentioned,
                kind="case.mentioned",
                subject=_l(
                    "%(actor)s mentioned you on %(key)s", actor=actor.display_name, key=case.key
                ),
                text=body[:500],
                link=case_path(case.id),
            )
        _tell_assignees(
            act, case, actor, _l("New comment on %(key)s", key=case.key), text, exclude=mentioned
        )
    return comment


def mentioned_members(case: Case, body: str, *, exclude: User | None = None) -> list[User]:
    """The current, active workspace members named as ``@username`` in ``body``."""
    names = {name.lower().rstrip(".") for name in MENTION.findall(body)}
    return [
        m.user
        for m in case.workspace.memberships
        if m.is_current()
        and m.user.active
        and m.user.username.lower() in names
        and (exclude is None or m.user_id != exclude.id)
    ]


# Attachments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str


PDF = FileType("application/pdf", "pdf")
PNG = FileType("image/png", "png")
JPEG = FileType("image/jpeg", "jpg")
CSV = FileType("text/csv", "csv")
TEXT = FileType("text/plain", "txt")
ALLOWED_DESCRIPTION = "PDF, PNG, JPEG, CSV or plain text"


def sniff(head: bytes, name: str) -> FileType | None:
    """The file's type from its first bytes; ``None`` for anything not allowed.

    Text is told apart from binary by decoding as UTF-8 with no NUL bytes; a text file
    named ``.csv`` counts as CSV, any other text as plain text.
    """
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sample may end inside a multi-byte character; only that is forgiven.
        if exc.start < len(head) - 3:
            return None
    return CSV if name.lower().endswith(".csv") else TEXT


def safe_file_name(raw: Any) -> str:
    """The name to show and offer on download.

    Raises:
        Invalid: empty, a path (folders, ``..``, a drive), or too long.
    """
    name = unicodedata.normalize("NFC", raw if isinstance(raw, str) else "")
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    problem = None
    if not name or name in (".", ".."):
        problem = _("The file needs a name.")
    elif "/" in name or "\\" in name or ".." in name or re.match(r"^[A-Za-z]:", name):
        problem = _("A file name cannot contain folders or '..'. Rename the file and try again.")
    elif len(name) > NAME_MAX:
        problem = _("Keep the file name within %(max)s characters.", max=NAME_MAX)
    if problem:
        raise Invalid(_("The file was not attached."), fields={"file": [problem]})
    return name


def max_bytes() -> int:
    return int(current_app.config.get("CASE_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def storage_dir() -> Path:
    folder = Path(current_app.config["STORAGE_DIR"]) / "cases"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _read_limited(stream: IO[bytes], limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(
            _("The file is larger than the limit of %(size)s KiB.", size=f"{limit // 1024:,}"),
            fields={
                "file": [_("Attach files of at most %(size)s KiB.", size=f"{limit // 1024:,}")]
            },
        )
    return data


def add_attachment(actor: User, case_id: int, stream: IO[bytes], file_name: str) -> CaseAttachment:
    """Attach a file to a case.

    Raises:
        NotFound, Forbidden (observer), Conflict (read-only), TooLarge (413),
        Invalid (no content, a refused name, a type not allowed: code ``file_type``).
    """
    with action(actor, "case.attachment_added") as act:
        case = for_change(actor, case_id, "case.attach")
        name = safe_file_name(file_name)
        data = _read_limited(stream, max_bytes())
        if not data:
            raise Invalid(
                _("The file was not attached."), fields={"file": [_("The file is empty.")]}
            )
        kind = sniff(data[:SNIFF_BYTES], name)
        if kind is None:
            raise Invalid(
                _("Only %(types)s files can be attached.", types=ALLOWED_DESCRIPTION),
                code=CaseError.FILE_TYPE,
                fields={"file": [_("Attach a %(types)s file.", types=ALLOWED_DESCRIPTION)]},
            )
        stored_name = f"{uuid.uuid4().hex}.{kind.extension}"
        path = storage_dir() / stored_name
        path.write_bytes(data)
        try:
            attachment = _record_attachment(act, actor, case, name, stored_name, kind, data)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return attachment


def _record_attachment(act, actor, case, name, stored_name, kind, data) -> CaseAttachment:
    attachment = CaseAttachment(
        case_id=case.id,
        uploaded_by_id=actor.id,
        original_name=name,
        stored_name=stored_name,
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_at=utcnow(),
    )
    db.session.add(attachment)
    db.session.flush()
    act.target("case", case)
    act.workspace_id = case.workspace_id
    act.detail.update(
        key=case.key,
        attachment_id=attachment.id,
        name=name,
        size=len(data),
        sha256=attachment.sha256,
    )
    text = _l("%(actor)s attached %(name)s to %(key)s", actor=label(actor), name=name, key=case.key)
    act.publish(
        case_stream(case.id),
        text=text,
        attachment={"id": attachment.id, "name": name, "size": len(data)},
    )
    _tell_assignees(act, case, actor, _l("New file on %(key)s", key=case.key), text)
    return attachment


@dataclass
class Download:
    attachment: CaseAttachment
    path: Path


def attachment_for_download(actor: User, case_id: int, attachment_id: int) -> Download:
    """An attachment's file for someone who may read the case; the download is audited.

    Raises:
        NotFound: the case or attachment is missing, not theirs to read, or the file is gone.
    """
    with action(actor, "case.attachment_downloaded") as act:
        case = visible_case(actor, case_id, "case.read")
        attachment = db.session.get(CaseAttachment, attachment_id)
        if attachment is None or attachment.case_id != case.id:
            raise NotFound(_("Attachment not found."))
        path = storage_dir() / attachment.stored_name
        if not path.is_file():
            raise NotFound(_("The file of this attachment is missing from storage."))
        act.target("case_attachment", attachment.id)
        act.workspace_id = case.workspace_id
        act.detail.update(key=case.key, name=attachment.original_name)
    return Download(attachment, path)


# Links ----------------------------------------------------------------------------------


def add_link(actor: User, case_id: int, *, kind: str, target_id: int) -> CaseLink:
    """Link a case to a data request or grant of its workspace, by kind and id.

    Raises:
        NotFound, Forbidden (observer), Conflict (read-only; already linked),
        Invalid (unknown kind, bad id).
    """
    with action(actor, "case.linked") as act:
        case = for_change(actor, case_id, "case.link")
        fields = {}
        if kind not in LINK_KINDS:
            fields["kind"] = [_("Choose one of: %(choices)s.", choices=", ".join(LINK_KINDS))]
        if not isinstance(target_id, int) or isinstance(target_id, bool) or target_id < 1:
            fields["target_id"] = [_("Give the number of the request or grant.")]
        if fields:
            raise Invalid(_("The link was not added."), fields=fields)
        if any(link.kind == kind and link.target_id == target_id for link in case_links(case)):
            params = {"key": case.key, "id": target_id}
            if kind == LinkKind.GRANT:
                raise Conflict(_("%(key)s already links to grant #%(id)s.", **params))
            raise Conflict(_("%(key)s already links to request #%(id)s.", **params))
        link = CaseLink(
            case_id=case.id,
            kind=kind,
            target_id=target_id,
            created_by_id=actor.id,
            created_at=utcnow(),
        )
        db.session.add(link)
        db.session.flush()
        act.target("case", case)
        act.workspace_id = case.workspace_id
        act.detail.update(key=case.key, kind=kind, target_id=target_id)
        params = {"actor": label(actor), "key": case.key, "id": target_id}
        if kind == LinkKind.GRANT:
            text = _l("%(actor)s linked %(key)s to grant #%(id)s", **params)
        else:
            text = _l("%(actor)s linked %(key)s to request #%(id)s", **params)
        _announce(act, case, text, link={"kind": kind, "target_id": target_id})
    return link


def case_links(case: Case) -> list[CaseLink]:
    return list(
        db.session.scalars(
            select(CaseLink).where(CaseLink.case_id == case.id).order_by(CaseLink.id)
        )
    )
