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

from datetime import date, datetime, tzinfo
from functools import cache, lru_cache
from urllib.parse import urlsplit

from babel import Locale, dates
from babel import numbers as babel_numbers
from babel.dates import match_skeleton
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import (
    Babel,
    Domain,
    get_locale,
    get_timezone,
    get_translations,
    to_user_timezone,
)
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
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
    babel.domain_instance = _RequestDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    # `{% trans %}` blocks lose the line breaks and indentation of the template source, so
    # the catalog's msgids read as sentences (babel.cfg extracts them the same way).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    # Flask-Babel's own callables find the request's catalog anew for every string (several
    # context look-ups and the locale's name each time): a page of 300 strings paid more
    # for that than for the rest of its template. These find it once per request and locale;
    # they serve the templates that see no render context (macros imported without it).
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: request_catalog().ugettext(string),
        ngettext=lambda s, p, n: request_catalog().ungettext(s, p, n),
        pgettext=lambda c, s: request_catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_catalog().unpgettext(c, s, p, n),
        newstyle=True,
    )
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
    app.context_processor(_rendering_helpers)


_CATALOG_KEY = "bridgework_catalog"


def request_catalog() -> NullTranslations:
    """The translations of the request's current locale, looked up once per request and locale.

    Keyed on the locale object Flask-Babel selected for the request, so ``force_locale``
    (an action rendering its text in every language) and ``refresh()`` (a language just
    changed) get the right catalog: either hands Flask-Babel another locale object. The
    application's domain (:class:`_RequestDomain`) keeps it in the same place.
    """
    locale = kept_locale()
    if locale is None:  # outside a request: Flask-Babel's untranslated fallback
        return get_translations()
    cached = g.get(_CATALOG_KEY)
    if cached is not None and cached[0] is locale:
        return cached[1]
    return get_translations()


class _RequestDomain(Domain):
    """Flask-Babel's message domain, finding the request's catalog once per request and locale.

    Python's ``gettext`` (forms' labels, flash messages, the home page's cards) goes through
    the domain, which looked the locale up and named it for every string: about fifty
    calls a string. The catalog is the same as :func:`request_catalog`'s.
    """

    def get_translations(self):
        locale = kept_locale()
        if locale is None:
            return super().get_translations()
        cached = g.get(_CATALOG_KEY)
        if cached is not None and cached[0] is locale:
            return cached[1]
        translations = super().get_translations()
        setattr(g, _CATALOG_KEY, (locale, translations))
        return translations


def _rendering_helpers() -> dict:
    """Translating and formatting functions of one rendering, bound to the request's
    language and time zone.

    A template looks its names up in its render context before the environment's globals,
    so these serve the page and the templates it includes (not macros imported without
    context, which keep the globals, with the same results): the catalog, the language
    and the zone are found once per rendering, under the language in force when it starts
    (so ``force_locale`` around a rendering applies), instead of once per string or time.
    """
    callables = template_gettext(request_catalog())
    locale = current_locale()
    zone = kept_timezone()
    lang = locale.replace("_", "-")

    def format_moment(value: datetime, seconds: bool = False) -> str:
        return _moment(value, locale, zone, seconds)

    def format_day(value: date) -> str:
        if isinstance(value, datetime):
            value = to_user_timezone(value).date()
        return _day(value, locale)

    def format_number(number) -> str:
        return _number(number, locale)

    return {
        "_": callables["gettext"],
        **callables,
        "format_moment": format_moment,
        "format_day": format_day,
        "format_number": format_number,
        "current_locale": lambda: locale,
        "html_lang": lambda: lang,
        "current_timezone": lambda: str(zone),
    }


_PLAIN_TEXTS = 4096
"""How many argument-free translations one catalog's functions remember (templates name
their strings literally, so this bounds a memory that never needs to grow past it)."""


@lru_cache(maxsize=16)
def template_gettext(catalog: NullTranslations) -> dict:
    """Jinja's "newstyle" gettext functions over ``catalog``, with the same results.

    As Jinja's own: the translation is marked safe where the template autoescapes, and the
    keyword arguments are formatted into it (and so escaped); ``num`` and ``context`` are
    arguments too. A translation with no arguments and no ``%`` is returned as it is,
    which is what formatting it with no arguments would give. Made once per catalog, and
    ``gettext`` remembers its marked texts without arguments: most of a page's strings.
    """
    plain: dict[str, str] = {}

    def finish(context, text: str, variables: dict) -> str:
        if context.eval_ctx.autoescape:
            # A catalog's text (the template's own words), never user text: as Jinja does.
            text = Markup(text)  # noqa: S704
        if variables or "%" in text:
            return text % variables
        return text

    @pass_context
    def gettext(__context, __string: str, **variables) -> str:
        if variables or not __context.eval_ctx.autoescape:
            return finish(__context, catalog.ugettext(__string), variables)
        text = plain.get(__string)
        if text is None:
            text = finish(__context, catalog.ugettext(__string), variables)
            if len(plain) < _PLAIN_TEXTS:
                plain[__string] = text
        return text

    @pass_context
    def ngettext(__context, __singular: str, __plural: str, __num: int, **variables) -> str:
        variables.setdefault("num", __num)
        return finish(__context, catalog.ungettext(__singular, __plural, __num), variables)

    @pass_context
    def pgettext(__context, __string_ctx: str, __string: str, **variables) -> str:
        variables.setdefault("context", __string_ctx)
        return finish(__context, catalog.upgettext(__string_ctx, __string), variables)

    @pass_context
    def npgettext(
        __context, __string_ctx: str, __singular: str, __plural: str, __num: int, **variables
    ) -> str:
        variables.setdefault("context", __string_ctx)
        variables.setdefault("num", __num)
        text = catalog.unpgettext(__string_ctx, __singular, __plural, __num)
        return finish(__context, text, variables)

    return {"gettext": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}


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


_BABEL_STATE = "_flask_babel"


def kept_locale() -> Locale | None:
    """What Flask-Babel's ``get_locale()`` answers, read where it keeps its answer.

    ``get_locale()`` looks its per-request namespace up on ``g`` three times on every call
    (a page asked it hundreds of times). Once it has chosen, it keeps the locale on that
    namespace, where ``force_locale()`` and ``refresh()`` change or drop it: reading it
    there gives the same answer. While nothing is kept, ``get_locale()`` decides.
    """
    try:
        kept = getattr(g.get(_BABEL_STATE), "babel_locale", None)
    except RuntimeError:  # no application context, where get_locale() answers None
        return None
    return kept if kept is not None else get_locale()


def kept_timezone() -> tzinfo:
    """What Flask-Babel's ``get_timezone()`` answers, read as :func:`kept_locale` reads."""
    try:
        kept = getattr(g.get(_BABEL_STATE), "babel_tzinfo", None)
    except RuntimeError:
        kept = None
    return kept if kept is not None else get_timezone()


def current_locale() -> str:
    """The request's locale identifier: ``en``, ``zh_Hant`` or ``zh_Hans``."""
    return str(kept_locale() or DEFAULT_LOCALE)


def current_timezone() -> str:
    """The name of the time zone the request's times are shown in, e.g. Asia/Hong_Kong."""
    return str(kept_timezone())


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
    return _moment(value, current_locale(), kept_timezone(), seconds)


def format_day(value: date) -> str:
    """A calendar day (a date, not a moment: no time zone applies) in the reader's language.

    Given a moment instead, the day is the one it falls on in the reader's time zone.
    """
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    return _day(value, current_locale())


def format_number(number) -> str:
    """A number in the reader's language, as Flask-Babel's ``format_number`` writes it."""
    return _number(number, current_locale())


def _number(number, locale: str) -> str:
    if type(number) is int:
        return _whole_number(number, locale)
    return babel_numbers.format_decimal(number, locale=_parsed(locale))


@lru_cache(maxsize=4096)
def _whole_number(number: int, locale: str) -> str:
    """A count's text (Babel takes some thirty calls for one): counts repeat on every page."""
    return babel_numbers.format_decimal(number, locale=_parsed(locale))


# A moment's text depends only on the moment, the language and the zone, and pages show the
# same moments again and again (an activity feed, a list's dates): formatting one with Babel
# takes about as long as rendering the rest of its table row, so the texts are remembered.
@lru_cache(maxsize=8192)
def _moment(value: datetime, locale: str, zone: tzinfo, seconds: bool) -> str:
    pattern = _pattern(locale, seconds)
    return dates.format_datetime(value, pattern, tzinfo=zone, locale=_parsed(locale))


@lru_cache(maxsize=4096)
def _day(value: date, locale: str) -> str:
    return dates.format_date(value, _day_pattern(locale), locale=_parsed(locale))


_parsed = cache(Locale.parse)
"""The babel ``Locale`` of a locale identifier, parsed once."""


@cache
def _day_pattern(locale: str) -> str:
    """The locale's pattern for a day with month abbreviated ("Nov 30, 2026")."""
    skeletons = Locale.parse(locale).datetime_skeletons
    return skeletons[match_skeleton("yMMMd", skeletons)].pattern
