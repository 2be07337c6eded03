"""The audit log pages: browse the chain with filters, and verify it."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any, NamedTuple

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.audit import service, verification
from app.audit.forms import AuditFilterForm
from app.audit.sentences import EntryWords, object_link
from app.common import BadCursor
from app.i18n import format_moment

bp = Blueprint("audit", __name__, url_prefix="/audit")

PER_PAGE = 50


_department_options: dict[str, Callable[[], list]] = {"all": list}


def register_department_options(provider: Callable[[], list]) -> None:
    """Name where the log's department filter finds its departments (accounts does)."""
    _department_options["all"] = provider


@bp.app_template_filter("audit_detail")
def audit_detail(detail) -> str:
    """An entry's detail as compact JSON; the template escapes it like any user text."""
    if not detail:
        return ""
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@bp.get("/")
@login_required
def log():
    departments = _department_options["all"]()
    filters = AuditFilterForm(formdata=request.args)
    filters.set_departments(departments)
    filters.validate()
    page, bad_link = None, None
    try:
        page = service.list_entries(
            current_user,
            filters.filters(),
            cursor=request.args.get("cursor"),
            page=max(1, request.args.get("page", 1, type=int) or 1),
            per_page=PER_PAGE,
        )
    except BadCursor as exc:
        bad_link = exc.message
    status = 400 if bad_link else 422 if filters.errors else 200
    return render_template(
        "audit/log.html",
        page=page,
        bad_link=bad_link,
        filters=filters,
        newest_args=_without_position(request.args),
        rows=_rows(page.items if page else [], {d.id: d.name for d in departments}),
    ), status


class LogRow(NamedTuple):
    """One entry as the log's table shows it, every cell's text ready."""

    seq: int
    at: str
    at_text: str
    sentence: str
    action: str
    link: str | None
    object: str
    department_id: int | None
    department: str | None
    detail: str


def _rows(entries: list[Any], department_names: dict[int, str]) -> list[LogRow]:
    """The page's rows, formatted here rather than by a call per cell from the template:
    fifty rows made three hundred such calls, a third of the page's time."""
    words = EntryWords()
    return [
        LogRow(
            entry.seq,
            entry.created_at.isoformat() + "Z",
            format_moment(entry.created_at, True),
            words.sentence(entry),
            entry.action,
            object_link(entry),
            words.object(entry),
            entry.department_id,
            department_names.get(entry.department_id),
            audit_detail(entry.detail),
        )
        for entry in entries
    ]


def _without_position(args) -> dict:
    """The query string's filters, without where in the list it points (cursor, page)."""
    return {k: v for k, v in args.items() if k not in ("cursor", "page")}


@bp.get("/export.csv")
@login_required
def export():
    """The filtered entries as CSV, streamed row by row, sentences in the reader's language."""
    departments = {d.id: d.name for d in _department_options["all"]()}
    filters = AuditFilterForm(formdata=request.args)
    filters.set_departments([])
    filters.validate()
    entries = service.export_entries(current_user, filters.filters())
    headers = [
        _("Sequence"),
        _("Time (UTC)"),
        _("Actor"),
        _("Action"),
        _("What happened"),
        _("Object type"),
        _("Object id"),
        _("Department"),
        _("Detail"),
        _("Entry hash"),
    ]

    def rows():
        words = EntryWords()
        yield _csv_line(headers)
        for entry in entries:
            yield _csv_line(
                [
                    entry.seq,
                    entry.created_at.isoformat(timespec="seconds") + "Z",
                    entry.actor_name or "",
                    entry.action,
                    words.sentence(entry),
                    entry.object_type,
                    entry.object_id or "",
                    departments.get(entry.department_id, entry.department_id or ""),
                    audit_detail(entry.detail),
                    entry.entry_hash,
                ]
            )

    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="bridgework-audit.csv"'},
    )


def _csv_line(values: list) -> str:
    """One CSV line; cells that a spreadsheet would run as a formula are quoted as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_cell(value) for value in values])
    return buffer.getvalue()


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@bp.post("/verify")
@login_required
def verify():
    result = verification.verify(current_user)
    return render_template("audit/verify.html", result=result)
