"""Which language a browser's Accept-Language asks for, and how times are formatted."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from unittest.mock import patch

import pytest
from flask import session
from flask_babel import force_locale, refresh
from werkzeug.datastructures import LanguageAccept

from app.i18n import format_day, format_moment, locale_for_tag, locale_from_header

pytestmark = pytest.mark.one_pass("sqlite")


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("zh-HK", "zh_Hant"),
        ("zh-MO", "zh_Hant"),
        ("zh-TW", "zh_Hant"),
        ("zh-Hant", "zh_Hant"),
        ("zh-Hant-HK", "zh_Hant"),
        ("zh_hk", "zh_Hant"),
        ("yue-HK", "zh_Hant"),
        ("zh-CN", "zh_Hans"),
        ("zh-SG", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-Hans-HK", "zh_Hans"),
        ("en", "en"),
        ("en-GB", "en"),
        ("fr-FR", None),
        ("*", None),
    ],
)
def test_language_tag_maps_to_supported_locale(tag, locale):
    assert locale_for_tag(tag) == locale


def test_header_gives_the_best_quality_supported_language():
    header = LanguageAccept([("fr", 1), ("zh-CN", 0.5), ("zh-HK", 0.8), ("en", 0.3)])
    assert locale_from_header(header) == "zh_Hant"


def test_header_without_a_supported_language_gives_none():
    assert locale_from_header(LanguageAccept([("fr", 1), ("de", 0.9)])) is None


def test_header_ignores_languages_refused_with_quality_zero():
    assert locale_from_header(LanguageAccept([("zh-HK", 0), ("zh-CN", 0.5)])) == "zh_Hans"


@pytest.mark.parametrize(
    ("language", "moment", "moment_seconds", "day"),
    [
        ("en", "Jan 6, 2026, 07:30", "Jan 6, 2026, 07:30:09", "Mar 1, 2026"),
        ("zh-HK", "2026年1月6日 07:30", "2026年1月6日 07:30:09", "2026年3月1日"),
        ("zh-CN", "2026年1月6日 07:30", "2026年1月6日 07:30:09", "2026年3月1日"),
    ],
)
def test_times_are_shown_in_hong_kong_time_in_the_readers_language(
    app, language, moment, moment_seconds, day
):
    stored = datetime(2026, 1, 5, 23, 30, 9)  # UTC, as every timestamp column stores it
    with app.test_request_context("/", headers={"Accept-Language": language}):
        refresh()
        assert format_moment(stored) == moment
        assert format_moment(stored, seconds=True) == moment_seconds
        assert format_day(date(2026, 3, 1)) == day


def test_remembered_times_follow_each_language_and_zone_of_one_request(app):
    """Formatted moments are remembered across requests, never across languages or zones."""
    stored = datetime(2026, 7, 1, 11, 0)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        refresh()
        assert format_moment(stored) == "Jul 1, 2026, 19:00"
        with force_locale("zh_Hant"):
            assert format_moment(stored) == "2026年7月1日 19:00"
            assert format_day(date(2026, 7, 1)) == "2026年7月1日"
        assert format_moment(stored) == "Jul 1, 2026, 19:00"
        assert format_day(date(2026, 7, 1)) == "Jul 1, 2026"
    london = SimpleNamespace(is_authenticated=True, locale="en", timezone="Europe/London")
    with app.test_request_context("/"), patch("app.i18n.current_user", london):
        refresh()
        assert format_moment(stored) == "Jul 1, 2026, 12:00"  # summer time, UTC+1
        assert format_moment(datetime(2026, 1, 1, 11, 0)) == "Jan 1, 2026, 11:00"


def test_templates_translate_in_the_language_in_force_at_each_string(app):
    """The request's catalog is found once, and found again when the language changes."""
    template = app.jinja_env.from_string("{{ _('Sign out') }}")
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        refresh()
        assert template.render() == "Sign out"
        with force_locale("zh_Hans"):
            assert template.render() == "退出登录"
        with force_locale("zh_Hant"):
            assert template.render() == "登出"
        assert template.render() == "Sign out"
        session["locale"] = "zh_Hant"
        assert template.render() == "Sign out"  # the request's language holds until refreshed
        refresh()
        assert template.render() == "登出"


def test_rendered_templates_translate_in_the_language_of_each_rendering(app):
    """``render_template_string`` binds its strings to the catalog in force when it starts."""
    from flask import render_template_string

    source = "{{ _('Sign out') }}|{% trans %}Sign out{% endtrans %}"
    with app.test_request_context("/", headers={"Accept-Language": "zh-HK"}):
        refresh()
        assert render_template_string(source) == "登出|登出"
        with force_locale("zh_Hans"):
            assert render_template_string(source) == "退出登录|退出登录"
        with force_locale("en"):
            assert render_template_string(source) == "Sign out|Sign out"


@pytest.mark.parametrize(
    "source",
    [
        "{{ _('Sign out') }}",
        "{{ _('100%% sure') }}",
        "{{ _('Hello %(name)s', name=name) }}",
        "{{ gettext('Hello %(name)s', name=name) }}",
        "{% trans %}Hello {{ name }}{% endtrans %}",
        "{{ ngettext('%(num)s item', '%(num)s items', 1) }}",
        "{{ ngettext('%(num)s item for %(name)s', '%(num)s items for %(name)s', 3, name=name) }}",
        "{% trans count=2 %}{{ count }} item{% pluralize %}{{ count }} items{% endtrans %}",
        "{{ pgettext('menu', 'Open %(name)s', name=name) }}",
        "{{ npgettext('menu', '%(num)s file', '%(num)s files', 2) }}",
        "{% autoescape false %}{{ _('Hello %(name)s', name=name) }}{% endautoescape %}",
    ],
)
def test_rendered_templates_format_and_escape_as_jinja_does(app, source):
    """The per-rendering functions give what Jinja's own newstyle gettext gives, escaping
    included: the arguments are escaped, the translation is not, ``%%`` becomes ``%``."""
    from flask import render_template_string

    name = "<b>Ann</b> & co"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        refresh()
        expected = app.jinja_env.from_string(source).render(name=name)  # environment globals
        assert render_template_string(source, name=name) == expected
    assert "<b>" not in expected or "autoescape false" in source


def test_rendered_templates_format_times_and_name_the_language_as_the_globals_do(app):
    """The per-rendering helpers give what the environment's globals give, in the
    language and zone in force when the rendering starts."""
    from flask import render_template_string

    source = (
        "{{ html_lang() }}|{{ current_locale() }}|{{ current_timezone() }}|"
        "{{ format_moment(moment) }}|{{ format_moment(moment, seconds=True) }}|"
        "{{ format_day(day) }}|{{ format_day(moment) }}"
    )
    values = {"moment": datetime(2026, 7, 1, 23, 30, 5), "day": date(2026, 3, 1)}
    london = SimpleNamespace(is_authenticated=True, locale="zh_Hant", timezone="Europe/London")
    with app.test_request_context("/"), patch("app.i18n.current_user", london):
        refresh()
        rendered = render_template_string(source, **values)
        assert rendered == app.jinja_env.from_string(source).render(**values)
        assert rendered == (
            "zh-Hant|zh_Hant|Europe/London|2026年7月2日 00:30|2026年7月2日 00:30:05|"
            "2026年3月1日|2026年7月2日"
        )
        with force_locale("en"):
            assert render_template_string(source, **values) == (
                "en|en|Europe/London|Jul 2, 2026, 00:30|Jul 2, 2026, 00:30:05|"
                "Mar 1, 2026|Jul 2, 2026"
            )


def test_the_kept_language_and_zone_follow_force_locale_and_refresh(app):
    """current_locale() and current_timezone() read Flask-Babel's kept answer: the same as
    get_locale() and get_timezone() before it is chosen, under force_locale and after
    refresh()."""
    from flask_babel import get_locale, get_timezone

    from app.i18n import current_locale, current_timezone, kept_locale, kept_timezone

    assert kept_locale() is None  # no application context, as get_locale()
    with app.test_request_context("/", headers={"Accept-Language": "zh-HK"}):
        refresh()
        assert current_locale() == "zh_Hant" and kept_locale() is get_locale()
        assert current_timezone() == "Asia/Hong_Kong" and kept_timezone() is get_timezone()
        with force_locale("zh_Hans"):
            assert current_locale() == "zh_Hans" and kept_locale() is get_locale()
        assert current_locale() == "zh_Hant"
        session["locale"] = "en"
        assert current_locale() == "zh_Hant"  # the request's language holds until refreshed
        refresh()
        assert current_locale() == "en"
        london = SimpleNamespace(is_authenticated=True, locale="en", timezone="Europe/London")
        with patch("app.i18n.current_user", london):
            refresh()
            assert current_timezone() == "Europe/London" and kept_timezone() is get_timezone()


def test_python_gettext_translates_in_the_language_in_force_at_each_string(app):
    """Python's gettext remembers the request's catalog, and finds it again when the
    language changes, as the templates' does."""
    from flask_babel import gettext, lazy_gettext

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        refresh()
        assert gettext("Sign out") == "Sign out"
        with force_locale("zh_Hans"):
            assert gettext("Sign out") == "退出登录"
            assert str(lazy_gettext("Sign out")) == "退出登录"
        with force_locale("zh_Hant"):
            assert gettext("Sign out") == "登出"
        assert gettext("Sign out") == "Sign out"
        session["locale"] = "zh_Hant"
        assert gettext("Sign out") == "Sign out"  # the request's language holds until refreshed
        refresh()
        assert gettext("Sign out") == "登出"
    assert gettext("Sign out") == "Sign out"  # outside a request: untranslated
