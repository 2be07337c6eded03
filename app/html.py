"""HTML written in Python: the one escape every such writer uses.

Pages that show many rows write them with ``str.format`` instead of a template, which
costs a row a few calls rather than a few hundred (see ``app/cases/markup.py``). Their
values go through :func:`escape_text`, which gives exactly what ``markupsafe.escape``
gives for text (``tests/unit/test_case_markup.py`` checks every character up to U+024F);
only the finished HTML is marked safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from babel import Locale, numbers
from flask import request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from app.i18n import _moment, current_locale, kept_timezone

T = TypeVar("T")

# What markupsafe.escape replaces, and with what (tests hold the two equal).
HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def escape_text(value: Any) -> str:
    """``value`` as text safe inside HTML, exactly as ``markupsafe.escape`` writes it."""
    return str(value).translate(HTML_ESCAPES)


def html_text(value: Any) -> str:
    """``value`` as Jinja's autoescape writes it: markup as it is, anything else escaped."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return str(value).translate(HTML_ESCAPES)


def per_language(make: Callable[[], T]) -> Callable[[], T]:
    """``make``'s answer in the request's language, made once per language: a page's fixed
    words, which cost some forty calls a text to ask of the catalog on every page.

    ``make`` translates with ``_()``, so the texts are still found by the extraction; they
    are the catalog's own text, written as they are (markup, as in a template).
    """
    made: dict[str, T] = {}

    def in_language() -> T:
        locale = current_locale()
        found = made.get(locale)
        if found is None:
            found = made[locale] = make()
        return found

    return in_language


def moment_formatter(seconds: bool = False) -> Callable[[datetime], str]:
    """``format_moment`` for the rows of one page: the request's language and time zone
    are looked up once, not for every time shown (two thirds of a formatted time's calls).

    The text is ``format_moment``'s own: the same remembered formatting, asked the same way.
    """
    locale, zone = current_locale(), kept_timezone()
    return lambda value: _moment(value, locale, zone, seconds)


def options_html(options: Iterable[tuple[Any, str]], selected: Any) -> Markup:
    """``<option>``s as the list pages' filters write them in their templates: value,
    a space, ``selected`` for the chosen one, and the label (already HTML, escaped by the
    caller). A filter offers a few dozen departments and regions on every page.
    """
    return Markup(  # noqa: S704 (values escaped here, labels by the caller)
        "".join(
            [
                f'<option value="{escape_text(value)}" {"selected" if value == selected else ""}>'
                f"{label}</option>"
                for value, label in options
            ]
        )
    )


def number_formatter() -> Callable[[int], str]:
    """``format_number`` for the rows of one page: the request's locale looked up once, and
    each number's text remembered (a page's counts repeat; each cost Babel some fifty calls).
    """
    locale = get_locale()
    return lambda number: _number(number, locale)


@lru_cache(maxsize=4096, typed=True)
def _number(number: int, locale: Locale | None) -> str:
    """What ``format_number`` writes for ``number`` under ``locale``."""
    return numbers.format_decimal(number, locale=locale)


# Pagers -----------------------------------------------------------------------------------
# The ``pager`` and ``keyset_pager`` macros of ``_macros.html``, written out for the list
# pages (a test holds them equal): the macros cost a page some five hundred calls, most of
# them three numbers formatted and the links built through the template's context.


def pager_html(page: Any, endpoint: str, **values: Any) -> Markup:
    """What ``pager(page, endpoint, **values)`` writes: previous and next links keeping the
    request's query, and where the page is."""
    number = number_formatter()
    if page.pages > 1:
        words = _pager_words()
        previous_word, next_word, where = words["previous"], words["next"], words["where"]
        args = request.args.to_dict()
        previous = following = ""
        if page.has_prev:
            args["page"] = page.page - 1
            link = escape_text(url_for(endpoint, **{**values, **args}))
            previous = f'<a href="{link}" rel="prev">{previous_word}</a>'
        where = where % {
            "page": escape_text(number(page.page)),
            "pages": escape_text(number(page.pages)),
            "total": escape_text(number(page.total)),
        }
        if page.has_next:
            args["page"] = page.page + 1
            link = escape_text(url_for(endpoint, **{**values, **args}))
            following = f'<a href="{link}" rel="next">{next_word}</a>'
        return Markup(  # noqa: S704 (links and numbers escaped; the catalog's own words)
            f'\n\n<nav class="pager" aria-label="{words["pages"]}">\n  \n  {previous}\n'
            f"  <span>{where}</span>\n  {following}\n</nav>\n\n"
        )
    if page.total:
        return Markup(f'\n\n<p class="muted">{_in_all(number, page.total)}</p>\n\n')  # noqa: S704
    return Markup("\n\n")


@per_language
def _pager_words() -> dict[str, str]:
    """The words of both pagers, as ``_macros.html`` has them."""
    return {
        "pages": _("Pages"),
        "previous": _("← Previous"),
        "next": _("Next →"),
        "where": _("Page %(page)s of %(pages)s (%(total)s in all)"),
        "in_all": _("%(total)s in all"),
        "newest_label": _("Newest: the first page"),
        "newest": _("« Newest"),
        "newer_label": _("Newer: the previous page"),
        "newer": _("← Newer"),
        "more_than": _("More than %(total)s in all"),
        "older_label": _("Older: the next page"),
        "older": _("Older →"),
    }


def keyset_pager_html(page: Any, endpoint: str) -> Markup:
    """What ``keyset_pager(page, endpoint)`` writes: links to the newest, newer and older
    pages, keeping the request's filters, and how many in all (the count stops at a cap)."""
    number = number_formatter()
    if page.newer or page.older:
        words = _pager_words()
        args = request.args.to_dict()
        args.pop("page", None)
        args.pop("cursor", None)
        newer = older = ""
        if page.newer:
            newest_link = escape_text(url_for(endpoint, **args))
            newer_link = escape_text(url_for(endpoint, cursor=str(page.newer), **args))
            newer = (
                f'\n  <a href="{newest_link}" aria-label="{words["newest_label"]}">'
                f'{words["newest"]}</a>\n  <a href="{newer_link}" rel="prev" '
                f'aria-label="{words["newer_label"]}">{words["newer"]}</a>\n  '
            )
        if page.total_capped:
            total = words["more_than"] % {"total": escape_text(number(page.total))}
        else:
            total = _in_all(number, page.total)
        if page.older:
            older_link = escape_text(url_for(endpoint, cursor=str(page.older), **args))
            older = (
                f'<a href="{older_link}" rel="next" aria-label="{words["older_label"]}">'
                f"{words['older']}</a>"
            )
        return Markup(  # noqa: S704 (links and numbers escaped; the catalog's own words)
            f'\n\n\n\n\n<nav class="pager" aria-label="{words["pages"]}">\n  {newer}\n'
            f"  <span>{total}</span>\n  {older}\n</nav>\n\n"
        )
    if page.total:
        return Markup(f'\n\n\n\n\n<p class="muted">{_in_all(number, page.total)}</p>\n\n')  # noqa: S704
    return Markup("\n\n\n\n\n")


def _in_all(number: Callable[[int], str], total: int) -> str:
    return _pager_words()["in_all"] % {"total": escape_text(number(total))}
