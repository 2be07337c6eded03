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
from typing import Any

from babel import Locale, numbers
from flask_babel import get_locale
from markupsafe import Markup

from app.i18n import _moment, current_locale, kept_timezone

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
