"""The cheaper widgets of app/forms.py write exactly what WTForms' own widgets write."""

from __future__ import annotations

import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import DateField, Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import DateInput, Select, TextInput
from wtforms.widgets.core import html_params

from app.forms import PickerSelect, PlainDateInput, PlainTextInput, plain_html_params

pytestmark = pytest.mark.one_pass("sqlite")

ATTRIBUTES = [
    {"id": "a", "name": "b", "type": "text", "value": "x\"<&>'", "maxlength": 64},
    {"required": True, "disabled": False, "aria_describedby": "x-hint ", "class_": "c"},
    {"data_live_id": "1", "aria-invalid": "true", "aria-describedby": "q-hint q-error"},
    {"value": Markup('a"b<i>')},
    {"value": None},
    {"value": 0},
    {"value": ""},
    {"odd<key": "1"},
]


@pytest.mark.parametrize("attributes", ATTRIBUTES)
def test_plain_html_params_writes_what_wtforms_writes(attributes):
    assert plain_html_params(**attributes) == html_params(**attributes)
    assert isinstance(plain_html_params(**attributes), Markup)


def _form(text_widget, date_widget, select_widget):
    class Filters(Form):
        q = StringField("Search", validators=[Optional(), Length(max=20)], widget=text_widget)
        needed = StringField("Needed", validators=[InputRequired()], widget=text_widget)
        day = DateField("Day", validators=[Optional()], widget=date_widget)
        person = SelectField("Person", validate_choice=False, widget=select_widget)

    return Filters


CHOICES = [
    SelectChoice("", "Choose…"),
    SelectChoice("1", "Kim <b>& Co</b>", optgroup='Drainage "East"'),
    SelectChoice("2", "Lee", optgroup='Drainage "East"'),
    SelectChoice("3", "", optgroup="Transport"),
    SelectChoice("4", "Wu", render_kw={"data-x": "1"}),
]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"q": 'a "quoted" <tag>', "needed": "x", "day": "2026-12-01", "person": "2"},
        {"day": "not a day", "person": "4"},
    ],
)
@pytest.mark.parametrize(
    "kwargs", [{}, {"aria-describedby": "f-hint f-error", "aria-invalid": "true"}]
)
def test_plain_widgets_render_fields_as_wtforms_does(data, kwargs):
    wtforms_form = _form(TextInput(), DateInput(), Select())(MultiDict(data))
    plain_form = _form(PlainTextInput(), PlainDateInput(), PickerSelect())(MultiDict(data))
    for form in (wtforms_form, plain_form):
        form.person.choices = CHOICES
        form.validate()
    for name in ("q", "needed", "day", "person"):
        assert plain_form[name](**kwargs) == wtforms_form[name](**kwargs)
