"""Languages and time zones: which ones a request gets, and how templates format for them.

Bridgework speaks English, Traditional Chinese (Hong Kong, Macao) and Simplified Chinese
(the Mainland). A request's language is, in this order: the signed-in user's saved
preference, the choice made with the header's switcher in this browser session, the
browser's ``Accept-Language``, and English. Its time zone is the user's saved one, else
``DEFAULT_TIMEZONE`` (Hong Kong). Timestamps are stored as naive UTC; Flask-Babel turns
them into the reader's zone as it formats them.

A catalog that was not compiled (no ``.mo`` file) is not an error: its language then
shows the English text, which is better than a page that fails.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from urllib.parse import urlsplit

from babel import Locale
from babel.dates import match_skeleton
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import (
    Babel,
    format_date,
    format_datetime,
    format_number,
    get_locale,
    get_timezone,
)
from flask_login import current_user
from pytz import all_timezones_set

from app.config import ConfigError

# Locale identifiers and each language's name in that language (a switcher must show
# "繁體中文" to someone who cannot read the current page's language).
LANGUAGES: dict[str, str] = {"en": "English", "zh_Hant": "繁體中文", "zh_Hans": "简体中文"}
DEFAULT_LOCALE = "en"
SESSION_KEY = "locale"

_TRADITIONAL_REGIONS = {"hk", "mo", "tw"}

babel = Babel()


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with Bridgework's selectors and give templates the helpers below.

    Raises:
        ConfigError: ``DEFAULT_TIMEZONE`` is not a known time zone name.
    """
    if app.config["DEFAULT_TIMEZONE"] not in all_timezones_set:
        raise ConfigError(
            f"DEFAULT_TIMEZONE must be a time zone name such as Asia/Hong_Kong, "
            f"got {app.config['DEFAULT_TIMEZONE']!r}"
        )
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["DEFAULT_TIMEZONE"])
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # `{% trans %}` blocks lose the line breaks and indentation of the template source, so
    # the catalog's msgids read as sentences (babel.cfg extracts them the same way).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.globals.update(
        html_lang=html_lang,
        current_locale=current_locale,
        LANGUAGES=LANGUAGES,
        format_moment=format_moment,
        format_day=format_day,
        format_number=format_number,
        return_path=return_path,
        current_timezone=current_timezone,
        live_text=live_text,
    )


# Choosing the language ---------------------------------------------------------------------


def locale_for_tag(tag: str) -> str | None:
    """The supported locale for one ``Accept-Language`` tag, or ``None`` when none fits.

    The script subtag decides first (zh-Hans-HK is Simplified), then the region: Hong Kong,
    Macao and Taiwan write Traditional characters, everywhere else Simplified. Cantonese
    (``yue``) is written in Traditional characters in Hong Kong and Macao.
    """
    parts = tag.strip().lower().replace("_", "-").split("-")
    language, rest = parts[0], parts[1:]
    if language == "en":
        return "en"
    if language == "yue":
        return "zh_Hant"
    if language != "zh":
        return None
    if "hans" in rest:
        return "zh_Hans"
    if "hant" in rest or _TRADITIONAL_REGIONS.intersection(rest):
        return "zh_Hant"
    return "zh_Hans"


def locale_from_header(accept_languages) -> str | None:
    """The first supported language of an ``Accept-Language`` header, best quality first."""
    for tag, quality in accept_languages:
        if quality > 0 and tag != "*":
            found = locale_for_tag(tag)
            if found:
                return found
    return None


def _reader():
    """Whoever the request acts for: the session's user, or an API token's user."""
    if current_user and current_user.is_authenticated:
        return current_user
    return g.get("api_user")


def select_locale() -> str:
    """Flask-Babel's locale selector: preference, session choice, browser, English."""
    if not has_request_context():
        return DEFAULT_LOCALE
    reader = _reader()
    saved = getattr(reader, "locale", None)
    if saved in LANGUAGES:
        return saved
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    return locale_from_header(request.accept_languages) or DEFAULT_LOCALE


def select_timezone() -> str:
    """Flask-Babel's time zone selector: the reader's saved zone, else the default."""
    saved = getattr(_reader(), "timezone", None) if has_request_context() else None
    if saved in all_timezones_set:
        return saved
    return current_app.config["DEFAULT_TIMEZONE"]


def current_locale() -> str:
    """The request's locale identifier: ``en``, ``zh_Hant`` or ``zh_Hans``."""
    return str(get_locale() or DEFAULT_LOCALE)


def current_timezone() -> str:
    """The name of the time zone the request's times are shown in, e.g. Asia/Hong_Kong."""
    return str(get_timezone())


def html_lang() -> str:
    """The request's language as a BCP 47 tag for ``<html lang>``: en, zh-Hant, zh-Hans."""
    return current_locale().replace("_", "-")


def return_path() -> str:
    """Where the language switcher sends the reader back to: this page, if it can be reloaded.

    A page shown in answer to a POST (a form sent back with its errors) cannot be fetched
    again with GET, so the switcher goes back to the page the form was on instead.
    """
    if request.method == "GET":
        return request.full_path if request.query_string else request.path
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path:
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return ""


def live_text(payload: dict) -> str:
    """An event's text in the reader's language (``texts``), else its English ``text``."""
    texts = payload.get("texts") or {}
    return texts.get(current_locale()) or payload.get("text") or ""


def is_supported(locale: str | None) -> bool:
    return locale in LANGUAGES


def is_timezone(name: str | None) -> bool:
    return name in all_timezones_set


# Formatting --------------------------------------------------------------------------------


@cache
def _pattern(locale: str, seconds: bool) -> str:
    """The locale's own pattern for a day with month abbreviated, plus a 24-hour time.

    CLDR has skeletons for dates and for times but none for both, so the two are joined
    with the locale's date-time glue ("Nov 30, 2026, 18:05"; "2026年11月30日 18:05").
    """
    parsed = Locale.parse(locale)
    skeletons = parsed.datetime_skeletons

    def pattern(skeleton: str) -> str:
        return skeletons[match_skeleton(skeleton, skeletons)].pattern

    glue = parsed.datetime_formats["medium"]
    return glue.replace("{1}", pattern("yMMMd")).replace("{0}", pattern("Hms" if seconds else "Hm"))


def format_moment(value: datetime, seconds: bool = False) -> str:
    """A stored (naive UTC) time in the reader's language and time zone."""
    return format_datetime(value, _pattern(current_locale(), seconds))


def format_day(value: date) -> str:
    """A calendar day (a date, not a moment: no time zone applies) in the reader's language."""
    locale = Locale.parse(current_locale())
    skeletons = locale.datetime_skeletons
    return format_date(value, skeletons[match_skeleton("yMMMd", skeletons)].pattern)
