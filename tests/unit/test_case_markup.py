"""The case pages' Python-written markup escapes exactly as Jinja does."""

from __future__ import annotations

import pytest
from markupsafe import escape

from app.html import escape_text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain",
        "<script>alert('x')</script>",
        'a "quoted" & <b>bold</b> name',
        "&amp; already &lt;escaped&gt;",
        "香港 渠務署 <>&'\"",
        "\0\n\t",
    ],
)
def test_escape_text_matches_markupsafe(text):
    assert escape_text(text) == str(escape(text))


def test_escape_text_takes_every_character_markupsafe_escapes():
    every = "".join(chr(code) for code in range(0x250))
    assert escape_text(every) == str(escape(every))


def test_plain_select_writes_what_wtforms_writes(app):
    """The case forms' selects give WTForms' own HTML, attributes and escaping included."""
    from wtforms import Form, SelectField
    from wtforms.fields.choices import SelectChoice
    from wtforms.widgets import Select

    from app.cases.forms import PlainSelect

    choices = [
        SelectChoice("", "Any <one>"),
        SelectChoice(3, 'Team "A" & B'),
        SelectChoice("x'y", "x'y"),
        SelectChoice("empty", ""),
    ]

    class Plain(Form):
        pick = SelectField(choices=choices, widget=PlainSelect(), validate_choice=False)

    class Stock(Form):
        pick = SelectField(choices=choices, widget=Select(), validate_choice=False)

    for data in ({}, {"pick": "3"}, {"pick": "x'y"}):
        with app.test_request_context():
            plain, stock = Plain(data=data), Stock(data=data)
            for extra in ({}, {"aria-invalid": "true", "aria-describedby": 'a "b"'}):
                assert str(plain.pick(**extra)) == str(stock.pick(**extra))


def test_plain_select_options_of_every_kind_match_wtforms(app):
    """Choices read straight (str and int values and labels) and those left to WTForms
    (Markup labels, booleans, render_kw, tuples) give WTForms' own HTML, coerced values
    selected as it selects them."""
    from markupsafe import Markup
    from wtforms import Form, SelectField
    from wtforms.fields.choices import SelectChoice
    from wtforms.widgets import Select

    from app.cases.forms import PlainSelect

    straight = [SelectChoice("", "Any <one>"), SelectChoice(3, 'Team "A" & B'), SelectChoice(4, 4)]
    mixed = [*straight, SelectChoice(5, Markup("<b>bold</b>")), SelectChoice(6, "x", {"x": 1})]
    for choices in (straight, mixed, [("", "Any"), (3, "<three>")]):

        class Plain(Form):
            pick = SelectField(
                choices=choices, coerce=_int_or_none, widget=PlainSelect(), validate_choice=False
            )

        class Stock(Form):
            pick = SelectField(
                choices=choices, coerce=_int_or_none, widget=Select(), validate_choice=False
            )

        for data in ({}, {"pick": 3}, {"pick": 5}):
            with app.test_request_context():
                assert str(Plain(data=data).pick()) == str(Stock(data=data).pick())


def _int_or_none(value):
    return int(value) if value not in ("", None) else None


def test_plain_select_escapes_with_the_markup_table():
    from app.cases import forms, markup

    assert forms._HTML_ESCAPES == markup._HTML_ESCAPES


@pytest.mark.parametrize(
    "query",
    ["", "?status=open&priority=bogus", "?q=%3Cb%3E%22x%22+%26+'y'&overdue=1&region_id=7"],
)
def test_filter_fields_write_what_the_field_macro_writes(app, query):
    """The case lists' filters give the shared ``field`` macro's HTML, errors included."""
    from flask import render_template_string, request

    from app.cases.forms import CaseFilterForm
    from app.forms import filter_fields

    with app.test_request_context(f"/cases/{query}"):
        form = CaseFilterForm(formdata=request.args)
        form.region_id.choices = [("", "Any region"), (7, "Sha <Tin>")]
        form.validate()
        by_macro = render_template_string(
            '{% from "_macros.html" import field %}{% for f in form %}{{ field(f) }}{% endfor %}',
            form=form,
        )
        assert str(filter_fields(form)) == by_macro


@pytest.mark.parametrize("body", ["", "A <b>comment</b> & more"])
@pytest.mark.parametrize("hint", [None, "Write @username & <more>."])
def test_form_field_writes_what_the_field_macro_writes(app, body, hint):
    """With and without a hint or errors, as the case page's forms are shown."""
    from flask import render_template_string
    from werkzeug.datastructures import MultiDict

    from app.cases.forms import CommentForm, LinkForm
    from app.forms import form_field

    with app.test_request_context("/cases/1", method="POST"):
        comment = CommentForm(formdata=MultiDict({"body": body}), meta={"csrf": False})
        comment.validate()
        link = LinkForm(formdata=MultiDict({"kind": "bogus"}), meta={"csrf": False})
        link.validate()
        for field in (comment.body, link.kind, link.target_id):
            by_macro = render_template_string(
                '{% from "_macros.html" import field %}{{ field(f, hint=hint) }}',
                f=field,
                hint=hint,
            )
            assert str(form_field(field, hint=hint)) == by_macro
