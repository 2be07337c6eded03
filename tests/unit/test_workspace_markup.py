"""The workspace page's Python-written parts give what WTForms and Jinja gave."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from markupsafe import escape

CHOICES = [
    ("", "Choose <one>", None),
    ("3", 'Kim "K" & Co', "Sha <Tin> (HK)"),
    ("12", "Lee", "Sha <Tin> (HK)"),
    ("7", "x'y", "Macao (MO)"),
]


@pytest.mark.parametrize("grouped", [True, False])
@pytest.mark.parametrize("sent", [None, "12", "", "bogus", "99"])
def test_one_pass_picker_writes_what_wtforms_writes(app, grouped, sent):
    """Grouped or not, nothing or something chosen, with and without error attributes."""
    from werkzeug.datastructures import MultiDict
    from wtforms import Form, SelectField
    from wtforms.fields.choices import SelectChoice
    from wtforms.widgets import Select

    from app.workspaces.forms import OnePassPicker, optional_int

    choices = [
        SelectChoice(value, label, optgroup=group if grouped else None)
        for value, label, group in CHOICES
    ]

    class Fast(Form):
        pick = SelectField(coerce=optional_int, validate_choice=False, widget=OnePassPicker())

    class Stock(Form):
        pick = SelectField(coerce=optional_int, validate_choice=False, widget=Select())

    formdata = MultiDict({} if sent is None else {"pick": sent})
    with app.test_request_context():
        fast, stock = Fast(formdata=formdata), Stock(formdata=formdata)
        fast.pick.choices = stock.pick.choices = choices
        for extra in ({}, {"aria-invalid": "true", "aria-describedby": 'pick-hint "x"'}):
            assert str(fast.pick(**extra)) == str(stock.pick(**extra))


def test_one_pass_picker_writes_the_role_select_as_wtforms_does(app):
    from werkzeug.datastructures import MultiDict
    from wtforms.widgets import Select

    from app.workspaces.forms import AddMemberForm

    with app.test_request_context():
        for formdata in (None, MultiDict({"role": "lead"}), MultiDict({"role": "nobody"})):
            form = AddMemberForm(formdata=formdata, meta={"csrf": False})
            assert str(form.role()) == str(Select()(form.role))


def _row(**values):
    row = dict(
        user_id=5,
        display_name="<b>Kim %(workspace)s & Co</b>",
        active=True,
        department_name="Sha <Tin>",
        role="member",
        expires_at=None,
    )
    row.update(values)
    from app.workspaces.browse import MemberRow

    return MemberRow(**row)


def test_member_rows_escape_every_value_in_every_place(app):
    from app.workspaces.markup import MemberRows

    with app.test_request_context():
        rows = MemberRows(
            workspace_id=9, workspace_name="Flood <i>100%(name)s</i>", viewer_id=1, can_manage=True
        )
        html = str(rows.html([_row()]))
    name = str(escape("<b>Kim %(workspace)s & Co</b>"))
    assert f"<td>{name}</td>" in html and "<td>Sha &lt;Tin&gt;</td>" in html
    assert f'<label for="role-5">Role of {name}</label>' in html
    assert f"Remove {name} from Flood &lt;i&gt;100%(name)s&lt;/i&gt;? They stop" in html
    assert '<option value="member" selected>Member</option>' in html
    assert "<b>" not in html and "<i>" not in html


def test_a_refused_member_row_opens_with_what_was_sent_and_why(app):
    from app.workspaces.markup import MemberRows

    sent = SimpleNamespace(
        role=SimpleNamespace(data="<bogus>", errors=["Not a <valid> choice."]),
        expires_on=SimpleNamespace(data=None, errors=["Not a valid date value."]),
    )
    with app.test_request_context():
        rows = MemberRows(
            workspace_id=9,
            workspace_name="W",
            viewer_id=5,
            can_manage=True,
            failed=sent,
            failed_member=5,
        )
        html = str(rows.html([_row(), _row(user_id=6, display_name="Lee")]))
    assert html.count('<details class="row-edit" open>') == 1
    assert 'id="role-5" name="role" aria-invalid="true" aria-describedby="role-5-error"' in html
    assert '<p class="error" id="role-5-error">Not a &lt;valid&gt; choice.</p>' in html
    assert "selected>" not in html.split('id="role-6"')[0]
    assert '<span class="muted">(you)</span>' in html


def test_the_feed_escapes_event_texts_in_the_readers_language(app):
    from datetime import datetime

    from app.workspaces.markup import feed_items

    events = [
        SimpleNamespace(
            seq=2,
            created_at=datetime(2026, 11, 30, 12, 0),
            payload={"text": "<i>x</i> & 'y'", "texts": {"en": "Kim's <b>note</b>"}},
        ),
        SimpleNamespace(seq=1, created_at=datetime(2026, 11, 30, 11, 0), payload={}),
    ]
    with app.test_request_context():
        html = str(feed_items(events))
    assert '<li data-seq="2"><time datetime="2026-11-30T12:00:00Z">' in html
    assert "Kim&#39;s &lt;b&gt;note&lt;/b&gt;</span></li>" in html
    assert '<li data-seq="1">' in html and '<span class="text"></span>' in html


def test_page_helpers_write_what_the_shared_macros_write(app):
    """``form_errors``, ``csrf_field``, ``when`` and ``state_badge`` as the macros of
    ``_macros.html`` and ``workspaces/_format.html`` write them."""
    from datetime import datetime

    from flask import render_template_string

    from app.workspaces import markup

    macros = (
        '{% from "_macros.html" import csrf, form_errors %}'
        '{% from "workspaces/_format.html" import when, state_badge %}'
    )
    moments = [datetime(2026, 11, 30, 12, 5, 7, 31), None]
    states = ("active", "ended", "archived")
    workspaces = [SimpleNamespace(state=lambda state=state: state) for state in states]
    with app.test_request_context():
        for errors in ([], ["Taken <b>&</b> 'x'", "Again"]):
            form = SimpleNamespace(form_errors=errors)
            by_macro = render_template_string(macros + "{{ form_errors(form) }}", form=form)
            assert str(markup.form_errors(form)) == by_macro
        assert str(markup.csrf_field()) == render_template_string(macros + "{{ csrf() }}")
        for value in moments:
            by_macro = render_template_string(macros + "{{ when(value) }}", value=value)
            assert str(markup.when(value)) == by_macro
        for workspace in workspaces:
            by_macro = render_template_string(macros + "{{ state_badge(ws) }}", ws=workspace)
            assert str(markup.state_badge(workspace)) == by_macro
