"""The audit log pages: browse the chain with filters, and verify it."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app.audit import service, verification
from app.audit.forms import AuditFilterForm
from app.audit.sentences import EntryWords, object_link
from app.common import BadCursor
from app.html import HTML_ESCAPES, keyset_pager_html, moment_formatter, per_language

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
        page = service.list_entry_rows(
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
        rows_html=_rows_html(page.items if page else [], {d.id: d.name for d in departments}),
        pager=keyset_pager_html(page, "audit.log") if page and page.items else "",
    ), status


_ROW = """
    <tr>
      <td>{seq}</td>
      <td><time datetime="{at}Z">{at_text}</time></td>
      <td>{sentence}<br><code class="muted">{action}</code></td>
      <td>{object}</td>
      <td>{department}</td>
      <td>{detail}</td>
    </tr>
    """


@per_language
def _log_words() -> tuple[str, str]:
    return _("Recorded detail"), _("Department %(id)s")


class _LogWords:
    """The texts every row of a page repeats, translated once (markup, as the catalog's
    own text is in a template); entries' sentences and objects come from :class:`EntryWords`."""

    def __init__(self) -> None:
        self.entries = EntryWords()
        self.recorded_detail, self.department_of = _log_words()
        self.moment = moment_formatter(seconds=True)


def _rows_html(entries: list[Any], department_names: dict[int, str]) -> Markup:
    """The page's table rows, written here rather than by the template.

    Drawn by Jinja, fifty rows cost several thousand calls (an escape and a Markup object
    for every value); here a row is one ``str.format`` with every value escaped.
    """
    words = _LogWords()
    return Markup(  # noqa: S704 (every value in it is escaped)
        "".join([_row_html(entry, words, department_names) for entry in entries])
    )


def _row_html(entry: Any, words: _LogWords, department_names: dict[int, str]) -> str:
    entry_words = words.entries
    link = object_link(entry)
    object_text = entry_words.object(entry).translate(HTML_ESCAPES)
    if link:
        object_text = f'<a href="{link.translate(HTML_ESCAPES)}">{object_text}</a>'
    detail = audit_detail(entry.detail)
    return _ROW.format(
        seq=entry.seq,
        at=entry.created_at.isoformat(),
        at_text=words.moment(entry.created_at).translate(HTML_ESCAPES),
        sentence=entry_words.sentence(entry).translate(HTML_ESCAPES),
        action=entry.action.translate(HTML_ESCAPES),
        object=object_text,
        department=_department_html(entry.department_id, words, department_names),
        detail=(
            f"<details><summary>{words.recorded_detail}</summary>"
            f'<code class="detail">{detail.translate(HTML_ESCAPES)}</code></details>'
            if detail
            else ""
        ),
    )


def _department_html(department_id, words: _LogWords, department_names: dict[int, str]) -> str:
    """The entry's department by name, by id once it is gone, or a dash for none."""
    if not department_id:
        return '<span class="muted">—</span>'
    name = department_names.get(department_id)
    if name is None:
        return words.department_of % {"id": department_id}
    return name.translate(HTML_ESCAPES)


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
