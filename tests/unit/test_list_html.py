"""The list pages' Python-written parts write what the templates and WTForms wrote.

The filter bars, the fixed choices translated once a language, the options of the
catalog's and the workspace list's filters, and the per-page time and number formatters
each stand in for something Jinja, WTForms or Flask-Babel did; these hold them equal in
every language.
"""

from __future__ import annotations

from datetime import datetime

import pytest

pytestmark = pytest.mark.one_pass("sqlite")

LANGUAGES = {"en": "en", "zh_Hant": "zh-Hant", "zh_Hans": "zh-Hans"}
BY_MACRO = '{% from "_macros.html" import field %}{% for f in form %}{{ field(f) }}{% endfor %}'


def _request(app, locale: str, query: str = ""):
    return app.test_request_context(f"/{query}", headers={"Accept-Language": LANGUAGES[locale]})


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?department=3&date_from=2026-01-02&actor=%3Cb%3E%22x%22+%26+'y'",
        "?date_from=bad&date_to=x&department=zzz",
        "?date_from=2026-12-01&date_to=2020-01-01&object_id=" + "a" * 70,
    ],
)
def test_audit_filter_bar_writes_what_the_field_macro_writes(app, locale, query):
    from flask import render_template_string, request

    from app.accounts.directory import DepartmentName
    from app.audit.forms import AuditFilterForm

    with _request(app, locale, query):
        form = AuditFilterForm(formdata=request.args)
        form.set_departments(
            [DepartmentName(3, 'Drainage <&> "Services"'), DepartmentName(4, "HA")]
        )
        form.validate()
        assert str(form.fields_html()) == render_template_string(BY_MACRO, form=form)


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize(
    "query", ["", "?q=kim&role=admin&status=inactive&department=3", "?role=bogus&status=zz"]
)
def test_user_filter_bar_writes_what_the_field_macro_writes(app, locale, query):
    """Its role and status choices, translated once a language, read as the lazy ones did."""
    from flask import render_template_string, request
    from wtforms.widgets import Select

    from app.accounts.directory import DepartmentName
    from app.accounts.forms import UserFilterForm

    with _request(app, locale, query):
        form = UserFilterForm(formdata=request.args)
        form.set_departments([DepartmentName(3, "Drainage & <Co>")])
        form.validate()
        if "bogus" in query:
            assert form.role.errors and form.status.errors  # "Not a valid choice"
        assert str(form.fields_html()) == render_template_string(BY_MACRO, form=form)
        for name in ("role", "status"):
            assert str(form[name]()) == str(Select()(form[name]))


@pytest.mark.parametrize("locale", LANGUAGES)
def test_translated_choices_keep_the_lazy_labels_text_per_language(app, locale):
    from flask_babel import lazy_gettext as _l
    from wtforms.fields.choices import SelectChoice

    from app.forms import TranslatedChoices

    lazy = [SelectChoice("", _l("Any status")), SelectChoice("active", _l("Active"))]
    choices = TranslatedChoices(lazy)
    with _request(app, locale):
        assert [str(choice.label) for choice in choices()] == [str(c.label) for c in lazy]
        assert choices() is choices()


@pytest.mark.parametrize("locale", LANGUAGES)
def test_page_formatters_write_what_the_template_functions_write(app, locale):
    from app.html import moment_formatter, number_formatter
    from app.i18n import format_moment, format_number

    moments = [datetime(2026, 1, 2, 3, 4, 5), datetime(2026, 12, 31, 23, 59, 59, 999)]
    numbers = [0, 7, 999, 1000, 1234567, -42]
    with _request(app, locale):
        for seconds in (False, True):
            moment = moment_formatter(seconds)
            assert [moment(m) for m in moments] == [format_moment(m, seconds) for m in moments]
        number = number_formatter()
        assert [number(n) for n in numbers] == [format_number(n) for n in numbers]


@pytest.mark.parametrize("selected", [None, 2, 99])
def test_options_write_what_the_filters_loop_wrote(app, selected):
    from flask import render_template_string

    from app.html import escape_text, options_html

    options = [(1, 'Hong <Kong> & "Co"'), (2, "Macao's")]
    with app.test_request_context():
        by_loop = render_template_string(
            '{% for id, name in options %}<option value="{{ id }}" '
            "{% if selected == id %}selected{% endif %}>{{ name }}</option>{% endfor %}",
            options=options,
            selected=selected,
        )
        written = options_html([(value, escape_text(label)) for value, label in options], selected)
    assert str(written) == by_loop


def _pages():
    from app.common import Page

    yield Page(items=[1], page=1, per_page=25, total=0)
    yield Page(items=[1], page=1, per_page=25, total=7)
    yield Page(items=[1], page=1, per_page=25, total=1234)
    yield Page(items=[1], page=3, per_page=25, total=1234)
    yield Page(items=[1], page=50, per_page=25, total=1234)


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("query", ["", "?q=a+%3Cb%3E&page=3&status=active", "?page=x&q=%26"])
def test_pager_writes_what_the_pager_macro_writes(app, locale, query):
    from flask import render_template_string

    from app.html import pager_html

    macro = '{% from "_macros.html" import pager %}{{ pager(page, endpoint, **values) }}'
    for page in _pages():
        for endpoint, values in (("catalog.index", {}), ("cases.index", {"workspace_id": 3})):
            with _request(app, locale, query):
                by_macro = render_template_string(
                    macro, page=page, endpoint=endpoint, values=values
                )
                assert str(pager_html(page, endpoint, **values)) == by_macro


def _keyset_pages():
    from app.common import Cursor, KeysetPage

    yield KeysetPage([], 50, 0, False, None, None)
    yield KeysetPage([1], 50, 12, False, None, None)
    yield KeysetPage([1], 50, 1000, True, Cursor("before", 951), None)
    yield KeysetPage([1], 50, 1000, False, Cursor("before", 901), Cursor("after", 950))
    yield KeysetPage([1], 50, 1000, False, None, Cursor("after", 50))


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("query", ["", "?cursor=before:951&action=a%3Cb&page=2", "?unread=1"])
def test_keyset_pager_writes_what_the_keyset_pager_macro_writes(app, locale, query):
    from flask import render_template_string

    from app.html import keyset_pager_html

    macro = '{% from "_macros.html" import keyset_pager %}{{ keyset_pager(page, endpoint) }}'
    for page in _keyset_pages():
        with _request(app, locale, query):
            by_macro = render_template_string(macro, page=page, endpoint="audit.log")
            assert str(keyset_pager_html(page, "audit.log")) == by_macro
