"""The board's cards and the case lists' rows, written out in Python.

A board shows up to 500 cards and a list 25 rows. Drawn by Jinja, every value a card
shows costs an attribute lookup, an escape and a Markup object, and every helper it
calls goes through the template context: the board took over 100,000 Python calls. Here
a card is one ``str.format`` of a fixed pattern, with the page's words, links and day
formats worked out once (:class:`CaseWords`).

Escaping: every value that comes from a user or the database (keys, titles, names,
statuses, priorities) is escaped with ``_HTML_ESCAPES`` (:func:`escape_text`), which gives
exactly what ``markupsafe.escape`` gives; so are the translated words. Only the finished cards and
rows are marked safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.cases import service
from app.cases.models import ACTIVE_STATUSES
from app.common import utcnow
from app.html import HTML_ESCAPES as _HTML_ESCAPES
from app.html import escape_text
from app.i18n import current_locale, current_timezone, format_day, format_moment

_PLACEHOLDER_ID = 987654321


def _day_html(value: date) -> str:
    """A day as the ``day`` macro shows it, in the request's language."""
    return str(Markup('<time datetime="{}">{}</time>').format(value.isoformat(), format_day(value)))


class _Memo(dict):
    """A dict that computes a missing value once with ``make`` (a page's days, labels)."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key):
        value = self[key] = self._make(key)
        return value


def _around(pattern: str, name: str) -> tuple[str, str]:
    """The escaped text before and after ``%(name)s`` in a translated ``pattern``."""
    before, after = (pattern % {name: "\0"}).split("\0")
    return escape_text(before), escape_text(after)


@lru_cache(maxsize=8)
def vocabulary(locale: str) -> dict[str, Any]:
    """The case pages' fixed words and days in ``locale``, the request's language.

    They depend on the language alone, and asking the catalog costs dozens of calls a
    word, so they are looked up once per language rather than once a page.
    """
    day_html = _Memo(_day_html)
    due_before, due_after = _around(_("Due %(due)s"), "due")
    return {
        "status": {value: str(label) for value, label in service.STATUS_LABELS.items()},
        "priority": {
            "low": _("Low"),
            "normal": _("Normal"),
            "high": _("High"),
            "urgent": _("Urgent"),
        },
        "overdue": _("Overdue"),
        "nobody": _("Nobody yet"),
        # Days as lists and cards show them: a page shows hundreds, a year has 365.
        "day_html": day_html,
        "due_html": _Memo(lambda value: f"{due_before}{day_html[value]}{due_after}"),
        "move_to": _around(_("Move %(key)s to"), "key"),
        "move": _("Move"),
        "labels": Markup(render_template("cases/_labels.html")),  # noqa: S704 (autoescaped)
    }


def labels_script(locale: str) -> Markup:
    """The ``case-labels`` data block the live script reads, in ``locale``."""
    return vocabulary(locale)["labels"]


class CaseWords:
    """The words, links and day formats of the case lists and the board, once a page."""

    def __init__(self) -> None:
        self.locale = current_locale()
        words = vocabulary(self.locale)
        self.status = words["status"]
        self.priority = words["priority"]
        self.overdue = words["overdue"]
        self.nobody = words["nobody"]
        self.due_html = words["due_html"]
        self.move_to_around = words["move_to"]
        self.move = words["move"]
        self.labels = words["labels"]
        # Links are built once with a placeholder id, which each case's id replaces.
        self.show_url = _split_url("cases.show")
        # Escaped once: a value's label, or the value itself when it has none.
        self.status_html = _Memo(lambda value: escape_text(self.status.get(value, value)))
        self.priority_html = _Memo(lambda value: escape_text(self.priority.get(value, value)))
        self.day_html = words["day_html"]


def _split_url(endpoint: str) -> tuple[str, str]:
    """The endpoint's URL for a case, cut where the case's id goes."""
    before, after = url_for(endpoint, case_id=_PLACEHOLDER_ID).split(str(_PLACEHOLDER_ID))
    return escape_text(before), escape_text(after)


# The board's cards -----------------------------------------------------------------------

_CARD = """
<li class="case-card" id="case-{id}" data-case-id="{id}" data-version="{version}"{draggable}>
  <a class="case-title" href="{show[0]}{id}{show[1]}"><strong data-field="key">{key}</strong> \
<span data-field="title">{title}</span></a>
  <p class="case-meta"><span class="badge priority-{priority}" data-field="priority">\
{priority_label}</span> <span class="badge warn overdue-flag" data-field="overdue"{hidden}>\
{overdue}</span>
    <span class="due" data-field="due_on">{due}</span></p>
  <p class="case-people muted" data-field="assignees">{people}</p>
  {form}
</li>
"""

_MOVE_FORM = """
  <form method="post" action="{move[0]}{id}{move[1]}" class="move-form row-form">
    <input type="hidden" name="csrf_token" value="{token}">
    <input type="hidden" name="version" value="{version}">
    <input type="hidden" name="next" value="board">
    <label for="move-{id}" class="visually-hidden">{move_to[0]}{key}{move_to[1]}</label>
    <select id="move-{id}" name="status">
      {options}
    </select>
    <button type="submit">{move_word}<span class="visually-hidden"> {key}</span></button>
  </form>
  """


class BoardCards:
    """Writes a board's cards: for those who may move them, each with its move form."""

    def __init__(self, words: CaseWords, *, can_write: bool, today: date | None = None) -> None:
        self.words = words
        self.can_write = can_write
        self.today = today or utcnow().date()
        self.draggable = ' draggable="true"' if can_write else ""
        self.overdue = escape_text(words.overdue)
        self.nobody = f'<span class="muted">{escape_text(words.nobody)}</span>'
        self.priority_class = _Memo(escape_text)
        if can_write:
            self.move = _split_url("cases.move")
            self.move_to = words.move_to_around
            self.move_word = escape_text(words.move)
            self.token = escape_text(generate_csrf())
            self.options = _Memo(self._status_options)

    def _status_options(self, selected: str) -> str:
        """The status select's options with ``selected`` chosen."""
        return "".join(
            f'<option value="{escape_text(value)}" {"selected" if value == selected else ""}>'
            f"{escape_text(label)}</option>"
            for value, label in self.words.status.items()
        )

    def html(self, cards: Iterable[service.Card]) -> Markup:
        """The cards, one ``<li>`` each, in order."""
        cards_html = "".join([self._card(card) for card in cards])
        return Markup(cards_html)  # noqa: S704 (each card escapes every value it shows)

    def _card(self, card: service.Card) -> str:
        key = card.key.translate(_HTML_ESCAPES)
        form = ""
        if self.can_write:
            form = _MOVE_FORM.format(
                id=card.id,
                version=card.version,
                key=key,
                move=self.move,
                move_to=self.move_to,
                move_word=self.move_word,
                token=self.token,
                options=self.options[card.status],
            )
        overdue = (
            card.due_on is not None and card.status in ACTIVE_STATUSES and card.due_on < self.today
        )
        return _CARD.format(
            id=card.id,
            version=card.version,
            draggable=self.draggable,
            show=self.words.show_url,
            key=key,
            title=card.title.translate(_HTML_ESCAPES),
            priority=self.priority_class[card.priority],
            priority_label=self.words.priority_html[card.priority],
            hidden="" if overdue else " hidden",
            overdue=self.overdue,
            due=self.words.due_html[card.due_on] if card.due_on else "",
            people=", ".join(card.assignees).translate(_HTML_ESCAPES)
            if card.assignees
            else self.nobody,
            form=form,
        )


# The lists' rows -------------------------------------------------------------------------

_ROW = """
    <tr>
      <td><a href="{show[0]}{id}{show[1]}"><strong>{key}</strong> {title}</a></td>
      {workspace}
      <td>{status}</td>
      <td><span class="badge priority-{priority}" data-field="priority">{priority_label}</span></td>
      <td>{people}</td>
      <td>{departments}</td>
      <td>{due}</td>
    </tr>
    """


class CaseRows:
    """Writes the rows of a case list's table (``CaseRow`` values), the workspace optional."""

    def __init__(self, words: CaseWords, *, show_workspace: bool = False) -> None:
        self.words = words
        self.show_workspace = show_workspace
        self.nobody = f'<span class="muted">{escape_text(words.nobody)}</span>'
        self.priority_class = _Memo(escape_text)
        flag = '<span class="badge warn overdue-flag" data-field="overdue"{}>{}</span>'
        self.flag = (
            flag.format("", escape_text(words.overdue)),
            flag.format(" hidden", escape_text(words.overdue)),
        )

    def html(self, rows: Iterable[Any]) -> Markup:
        """The rows, one ``<tr>`` each, in order."""
        today = utcnow().date()
        rows_html = "".join([self._row(row, today) for row in rows])
        return Markup(rows_html)  # noqa: S704 (each row escapes every value it shows)

    def _row(self, row, today: date) -> str:
        if row.due_on:
            overdue = row.status in ACTIVE_STATUSES and row.due_on < today
            due = f"{self.words.day_html[row.due_on]} {self.flag[0 if overdue else 1]}"
        else:
            due = '<span class="muted">—</span>'
        return _ROW.format(
            id=row.id,
            show=self.words.show_url,
            key=row.key.translate(_HTML_ESCAPES),
            title=row.title.translate(_HTML_ESCAPES),
            workspace=f"<td>{row.workspace_name.translate(_HTML_ESCAPES)}</td>"
            if self.show_workspace
            else "",
            status=self.words.status_html[row.status],
            priority=self.priority_class[row.priority],
            priority_label=self.words.priority_html[row.priority],
            people=", ".join([user.display_name for user in row.assignees]).translate(_HTML_ESCAPES)
            if row.assignees
            else self.nobody,
            departments=", ".join([d.name for d in row.departments]).translate(_HTML_ESCAPES),
            due=due,
        )


# The case page's timeline and comments ---------------------------------------------------


@lru_cache(maxsize=8192)
def _moment_html(value: datetime, locale: str, zone: str) -> str:
    """A moment as the ``when`` macro shows it, in ``locale`` and ``zone`` (the request's).

    Timeline entries never change, so their moments are formatted once, not once a view.
    """
    return f'<time datetime="{value.isoformat()}Z">{escape_text(format_moment(value))}</time>'


_TIMELINE_ENTRY = """
      <li data-seq="{seq}">{when} <span class="text">{text}</span></li>
      """

_COMMENT = """
    <li><p class="comment-meta"><strong>{author}</strong> {when}</p>\
<p class="purpose">{body}</p></li>
    """


class CaseEntries:
    """Writes a case page's timeline entries and comments (plain rows, see ``case_page``)."""

    def __init__(self) -> None:
        self.locale = current_locale()
        self.zone = current_timezone()

    def when(self, value: datetime) -> str:
        return _moment_html(value, self.locale, self.zone)

    def timeline(self, entries: Iterable[Any]) -> Markup:
        """One ``<li>`` per entry: when, and its English text (as the live script adds it)."""
        entries_html = "".join(
            [
                _TIMELINE_ENTRY.format(
                    seq=entry.seq,
                    when=self.when(entry.created_at),
                    text=escape_text(entry.payload.get("text", "")),
                )
                for entry in entries
            ]
        )
        return Markup(entries_html)  # noqa: S704 (every value in it is escaped)

    def comments(self, comments: Iterable[Any]) -> Markup:
        """One ``<li>`` per comment: its author, when, and its text."""
        comments_html = "".join(
            [
                _COMMENT.format(
                    author=comment.author_name.translate(_HTML_ESCAPES),
                    when=self.when(comment.created_at),
                    body=comment.body.translate(_HTML_ESCAPES),
                )
                for comment in comments
            ]
        )
        return Markup(comments_html)  # noqa: S704 (every value in it is escaped)
