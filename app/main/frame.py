"""The frame of every page: the head's links, the scripts' settings and the site header.

Every server-rendered page showed the same frame through Jinja: about sixty holes, each
a look-up in the render context, a call, an escape and a yield, and a dozen of them read
the signed-in user through Flask-Login's proxy. That was a third of a light page's Python
calls. Here the frame is written with Python's string formatting instead: what depends
only on the language and the site root (translations, links, the scripts' settings) is
built once for each, and a request adds only its own values, each escaped. base.html
shows the results (:func:`init_app` makes them template globals); the HTML is the one
base.html, _nav.html and _language.html wrote before.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from babel.support import NullTranslations
from flask import Flask, current_app, request
from flask_wtf.csrf import generate_csrf
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from app.i18n import LANGUAGES, current_locale, current_timezone, format_number, request_catalog
from app.i18n import return_path as language_return_path
from app.main import site_root
from app.policy import can

_BELL_ICON = (
    '<svg class="bell-icon" aria-hidden="true" focusable="false" viewBox="0 0 24 24" '
    'width="18" height="18"><path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5'
    " 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2"
    ' 2v1h18v-1l-2-2Z"/></svg>'
)
_FILED = ("sharing.filed", "sharing.new")

# The frame's links: (name, endpoint, values) built once per site root.
_LINKS = (
    ("favicon", "static", {"filename": "favicon.svg"}),
    ("css", "static", {"filename": "css/app.css"}),
    ("app_js", "static", {"filename": "js/app.js"}),
    ("socket_js", "static", {"filename": "vendor/socket.io/socket.io.min.js"}),
    ("live_js", "static", {"filename": "js/live.js"}),
    ("requests_js", "static", {"filename": "js/requests.js"}),
    ("grants_js", "static", {"filename": "js/grants.js"}),
    ("home", "main.index", {}),
    ("session", "accounts.session_state", {}),
    ("counts", "api.data_request_counts", {}),
    ("notifications", "notifications.index", {}),
    ("events", "api.notification_events", {}),
    ("profile", "accounts.profile", {}),
    ("logout", "accounts.logout", {}),
    ("language", "accounts.set_language", {}),
    ("workspaces", "workspaces.index", {}),
    ("catalog", "catalog.index", {}),
    ("filed", "sharing.filed", {}),
    ("waiting", "sharing.waiting", {}),
    ("cases", "cases.mine", {}),
    ("grants", "grants.index", {}),
    ("admin", "admin.users", {}),
    ("audit", "audit.log", {}),
)


def N_(text: str) -> str:
    """Mark ``text`` for the catalog (``make translations`` extracts ``N_``); it is
    translated where it is shown."""
    return text


# The frame's words (each translated once per catalog).
_WORDS = (
    N_("Bridgework"),
    N_("Skip to content"),
    N_("Menu"),
    N_("Main"),
    N_("unread notifications"),
    N_("Connecting…"),
    N_("Sign out"),
    N_("Home"),
    N_("Workspaces"),
    N_("Catalog"),
    N_("Requests I filed"),
    N_("Waiting for my decision"),
    N_("My cases"),
    N_("Grants"),
    N_("Administration"),
    N_("Audit log"),
    N_("Language"),
    N_("Change language"),
)


def _links() -> dict[str, str]:
    """The frame's links for this request's site root, escaped, built once per root."""
    by_root = current_app.extensions.setdefault("bridgework_frame_links", {})
    root = site_root()
    links = by_root.get(root)
    if links is None:
        build = current_app.url_for
        links = by_root[root] = {
            name: escape(build(endpoint, **values)) for name, endpoint, values in _LINKS
        }
    return links


@lru_cache(maxsize=16)
def _words(catalog: NullTranslations) -> dict[str, str]:
    """The frame's words in ``catalog``'s language: translations written as they are, as
    Jinja's ``_`` writes them (a catalog's text is the site's own markup, not user text)."""
    words = {text: catalog.ugettext(text) for text in _WORDS}
    for key, text in (
        ("bell", N_("Notifications, %(num)s unread")),
        ("waiting_announcement", N_("%(num)s data requests wait for your decision")),
    ):
        words[key] = Markup(catalog.ugettext(text)) % {"num": "{num}"}  # noqa: S704
    words["bell_label"] = catalog.ugettext("Notifications, %(num)s unread")
    return words


def _template_words() -> dict[str, str]:
    return _words(request_catalog())


@lru_cache(maxsize=64)
def _page_config(
    catalog: NullTranslations, lang: str, zone: str, dumps: Callable, options: tuple
) -> Markup:
    """The scripts' settings (language, zone, their strings), as ``tojson`` writes them."""
    words = _words(catalog)
    config = {
        "locale": lang,
        "timeZone": zone,
        "strings": {
            "connecting": words["Connecting…"],
            "live": catalog.ugettext(N_("Live")),
            "reconnecting": catalog.ugettext(N_("Reconnecting…")),
            "offline": catalog.ugettext(N_("Offline")),
            "bell": words["bell"],
            "signIn": catalog.ugettext(N_("Sign in")),
        },
    }
    return htmlsafe_json_dumps(config, dumps=dumps, **dict(options))


def page_config() -> Markup:
    """What the page's scripts say and how they write times, in the reader's language and zone."""
    policies = current_app.jinja_env.policies
    return _page_config(
        request_catalog(),
        current_locale().replace("_", "-"),
        current_timezone(),
        policies["json.dumps_function"],
        tuple(policies["json.dumps_kwargs"].items()),
    )


def _signed_in(user: Any) -> Any:
    """The session's user (the template's ``current_user``), or ``None`` for a visitor."""
    return user if user is not None and user.is_authenticated else None


def frame_head(current_user: Any) -> Markup:
    """The head's icon, style sheet and scripts (the live ones only for a signed-in user)."""
    links = _links()
    head = (
        f'<link rel="icon" href="{links["favicon"]}" type="image/svg+xml">\n'
        f'  <link rel="stylesheet" href="{links["css"]}">\n'
        f'  <script src="{links["app_js"]}" defer></script>\n  '
    )
    if _signed_in(current_user) is not None:
        head += "".join(
            f'\n  <script src="{links[name]}" defer></script>'
            for name in ("socket_js", "live_js", "requests_js", "grants_js")
        )
        head += "\n  "
    return Markup(head)  # noqa: S704 (escaped links only)


def body_attributes(current_user: Any) -> Markup:
    """The body's data attributes for a signed-in user's scripts (none for a visitor)."""
    user = _signed_in(current_user)
    if user is None:
        return Markup("")
    links = _links()
    words = _template_words()
    return Markup(  # noqa: S704 (escaped values, the catalog's own text)
        f'data-user-id="{escape(user.id)}" data-session-url="{links["session"]}" '
        f'data-request-counts-url="{links["counts"]}" '
        f'data-waiting-announcement="{words["waiting_announcement"]}"'
    )


def site_header(current_user: Any, notification_bell: Callable, request_counts: Callable) -> Markup:
    """The skip link and the site header: brand, navigation, account and language switcher.

    ``notification_bell`` and ``request_counts`` are the domains' template helpers: the
    bell's figures and the navigation's request counts of the signed-in user.
    """
    links = _links()
    words = _template_words()
    user = _signed_in(current_user)
    parts = [
        f'<a class="skip-link" href="#main">{words["Skip to content"]}</a>\n'
        '  <header class="site-header">\n'
        f'    <a class="brand" href="{links["home"]}">{words["Bridgework"]}</a>\n    '
    ]
    endpoint = request.endpoint or ""
    if user is not None:
        parts.append(
            "\n    \n"
            '    <details class="site-menu" open>\n'
            f"    <summary>{words['Menu']}</summary>\n"
            '    <div class="site-menu-body">\n'
            f'    <nav aria-label="{words["Main"]}">\n'
            "      <ul>\n        "
        )
        parts.append(_navigation(user, endpoint, links, words, request_counts()))
        parts.append("\n      </ul>\n    </nav>\n")
        parts.append(_account(user, endpoint, links, words, notification_bell()))
    parts.append("\n    ")
    parts.append(_language_switcher(links, words))
    parts.append("\n  </header>")
    return Markup("".join(parts))  # noqa: S704 (escaped values, the catalog's own text)


def _item(link: str, text: str, current: bool, after: str = "") -> str:
    """One navigation item; its link marked when it is the page's own section."""
    mark = 'aria-current="page"' if current else ""
    return f'<li><a href="{link}" {mark}>{text}{after}</a></li>'


def _navigation(user: Any, endpoint: str, links: dict, words: dict, counts: Any) -> str:
    """The main navigation's items, the page's own section marked current."""
    section = endpoint.startswith
    filed = (
        f' <span class="count" data-request-count="filed_open">{escape(counts.filed_open)}</span>'
    )
    nav = (
        f"\n{_item(links['home'], words['Home'], endpoint == 'main.index')}"
        f"\n{_item(links['workspaces'], words['Workspaces'], section('workspaces.'))}"
        f"\n{_item(links['catalog'], words['Catalog'], section('catalog.'))}"
        "\n"
        f"\n{_item(links['filed'], words['Requests I filed'], endpoint in _FILED, filed)}\n"
    )
    if counts.decides:
        attention = " attention" if counts.waiting else ""
        waiting = (
            f' <span class="count{attention}" data-request-count="waiting">'
            f"{escape(counts.waiting)}</span>"
        )
        current = endpoint == "sharing.waiting"
        nav += f"\n{_item(links['waiting'], words['Waiting for my decision'], current, waiting)}\n"
    nav += (
        f"\n{_item(links['cases'], words['My cases'], section('cases.'))}"
        f"\n{_item(links['grants'], words['Grants'], section('grants.'))}\n"
    )
    if can(user, "user.list"):
        nav += f"\n{_item(links['admin'], words['Administration'], section('admin.'))}\n"
    nav += "\n"
    if can(user, "audit.read"):
        nav += f"\n{_item(links['audit'], words['Audit log'], section('audit.'))}\n"
    return nav


def _account(user: Any, endpoint: str, links: dict, words: dict, bell: Any) -> str:
    """The bell, the live status, the user's name and department, and signing out."""
    unread = escape(bell.unread)
    current = ' aria-current="page"' if endpoint.startswith("notifications.") else ""
    label = Markup(words["bell_label"]) % {"num": format_number(bell.unread)}  # noqa: S704
    return (
        '    <div class="account">\n      \n'
        f'      <a class="bell" href="{links["notifications"]}" '
        f'data-live-stream="user:{escape(user.id)}"\n'
        f'         data-last-seq="{escape(bell.last_seq)}" '
        f'data-catch-up-url="{links["events"]}"\n'
        f'         aria-label="{label}"{current}>\n'
        f"        {_BELL_ICON}\n"
        f'        <span class="bell-count" data-unread="{unread}">{unread}</span>\n'
        f'        <span class="visually-hidden">{words["unread notifications"]}</span>\n'
        "      </a>\n"
        '      <span id="request-counts-announcer" class="visually-hidden" role="status" '
        'aria-live="polite"></span>\n'
        '      <span id="live-status" class="live-status" role="status" aria-live="polite" '
        f'data-state="connecting">{words["Connecting…"]}</span>\n'
        f'      <a href="{links["profile"]}">{escape(user.display_name)}</a>\n'
        f'      <span class="muted">{escape(user.department.name)}</span>\n'
        f'      <form method="post" action="{links["logout"]}" class="inline">\n'
        f'        <input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">\n'
        f'        <button type="submit" class="link">{words["Sign out"]}</button>\n'
        "      </form>\n    </div>\n    </div>\n    </details>\n    "
    )


def _language_switcher(links: dict, words: dict) -> str:
    """The language switcher: a plain form with a button, so it works without JavaScript."""
    reading = current_locale()
    options = "".join(
        f'<option value="{code}" lang="{code.replace("_", "-")}"'
        f"{' selected' if code == reading else ''}>{name}</option>"
        for code, name in LANGUAGES.items()
    )
    return (
        f'\n<form method="post" action="{links["language"]}" class="language-switcher">\n'
        f'  <input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">\n'
        f'  <input type="hidden" name="next" value="{escape(language_return_path())}">\n'
        f'  <label for="language-select">{words["Language"]}</label>\n'
        '  <select id="language-select" name="locale">\n'
        f"    {options}\n"
        "  </select>\n"
        f'  <button type="submit">{words["Change language"]}</button>\n'
        "</form>"
    )


def init_app(app: Flask) -> None:
    """Give base.html the frame's parts."""
    app.jinja_env.globals.update(
        frame_head=frame_head,
        page_config=page_config,
        body_attributes=body_attributes,
        site_header=site_header,
    )
