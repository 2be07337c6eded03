"""HTML forms of the grant domain (CSRF comes with FlaskForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from app.forms import Form
from app.grants.access import REASON_MAX


class RevokeForm(Form):
    reason = TextAreaField(
        _l("Why you revoke it (the grantees are told)"),
        validators=[InputRequired(), Length(max=REASON_MAX)],
    )
    confirm = BooleanField(
        _l("I understand that every grantee loses access at once"),
        validators=[DataRequired(message=_l("Tick the box to confirm the revocation."))],
    )


class ExtendForm(Form):
    """Files a draft request prefilled from the grant: only the CSRF token travels."""
