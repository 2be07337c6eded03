"""How the accounts domain's audit entries read, and where their objects are shown."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SENTENCES = {
    "auth.login": _l("%(actor)s signed in from %(address)s"),
    "auth.logout": _l("%(actor)s signed out"),
    "auth.login_failed": _l("Failed sign-in as %(actor)s from %(address)s (%(reason)s)"),
    "auth.login_blocked": _l(
        "Sign-in as %(actor)s from %(address)s blocked after too many failures"
    ),
    "user.created": _l("%(actor)s created the account %(username)s (roles: %(roles)s)"),
    "user.updated": _l("%(actor)s changed %(object)s: %(changes)s"),
    "user.deactivated": _l("%(actor)s deactivated %(object)s"),
    "user.activated": _l("%(actor)s reactivated %(object)s"),
    "user.password_changed": _l("%(actor)s changed their password"),
    "user.preferences_changed": _l("%(actor)s changed their language or time zone"),
    "region.created": _l("%(actor)s created the region %(name)s (%(code)s)"),
    "region.updated": _l("%(actor)s changed %(object)s: %(changes)s"),
    "department.created": _l("%(actor)s created the department %(name)s (%(code)s)"),
    "department.updated": _l("%(actor)s changed %(object)s: %(changes)s"),
    "token.created": _l("%(actor)s created the API token %(name)s (%(prefix)s)"),
    "token.revoked": _l("%(actor)s revoked the API token %(prefix)s"),
    "delegation.created": _l("%(actor)s named a deputy from %(starts_on)s to %(ends_on)s"),
    "delegation.revoked": _l("%(actor)s ended a delegation"),
}


def _admin_page(kind: str):
    return lambda entry: f"/admin/{kind}/{entry.object_id}"


LINKS = {
    "user": _admin_page("users"),
    "region": _admin_page("regions"),
    "department": _admin_page("departments"),
}
