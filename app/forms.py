"""The base of every HTML form: Flask-WTF's, with WTForms' own messages in the reader's language.

Flask-WTF looks WTForms' built-in messages ("This field is required.", "Not a valid date
value.") up under the request's locale name, and WTForms' catalogs are named ``zh`` and
``zh_TW``: a reader of ``zh_Hant`` would get the Simplified ``zh`` text. Forms built on
:class:`Form` map Bridgework's locales to the right WTForms catalog instead.
"""

from __future__ import annotations

from functools import cache

from babel.support import NullTranslations, Translations
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path

from app.i18n import current_locale

# Bridgework's locale -> the WTForms catalog written for the same readers.
WTFORMS_CATALOGS = {"zh_Hant": "zh_TW", "zh_Hans": "zh"}


@cache
def _wtforms_catalog(catalog: str | None) -> NullTranslations:
    if catalog is None:
        return NullTranslations()
    return Translations.load(messages_path(), [catalog], domain="wtforms")


def wtforms_translations() -> NullTranslations:
    """WTForms' built-in messages for the request's language (English has no catalog)."""
    return _wtforms_catalog(WTFORMS_CATALOGS.get(current_locale()))


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return wtforms_translations()
