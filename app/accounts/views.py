"""Signing in and out, and each user's own account pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import preferences, service
from app.accounts.forms import (
    ROLE_LABELS,
    ActionForm,
    ChangePasswordForm,
    DelegationForm,
    LanguageForm,
    LoginForm,
    PreferencesForm,
    TokenForm,
)
from app.accounts.identity import session_end_reason
from app.common import utcnow
from app.errors import form_status, run_form
from app.i18n import SESSION_KEY, format_day
from app.policy import require

bp = Blueprint("accounts", __name__)

# What someone who must replace an administrator's password may still reach.
_BEFORE_NEW_PASSWORD = {
    "accounts.change_password",
    "accounts.session_state",
    "accounts.logout",
    "accounts.set_language",
    "static",
}


@bp.before_app_request
def _require_own_password():
    """Send a person whose password an administrator chose to the password form first.

    The initial password was seen by someone else, so nothing else of the site (pages or
    API) opens until its owner has chosen their own.
    """
    if request.path.startswith("/api/"):
        return None
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in _BEFORE_NEW_PASSWORD
    ):
        return redirect(url_for("accounts.change_password"))
    return None


@bp.app_template_global()
def role_label(role: str) -> str:
    """A role's name in the reader's language (a global, so imported macros see it too)."""
    return str(ROLE_LABELS.get(role, role))


@bp.app_template_global()
def role_labels() -> dict[str, str]:
    """Every role's name in the reader's language, for a table that names roles on each row."""
    return {str(role): str(label) for role, label in ROLE_LABELS.items()}


def _safe_next(target: str | None) -> str:
    """Only follow ``next`` to a path on this site, never to another host.

    Browsers read a backslash as a slash (``/\\evil.example`` is ``//evil.example``) and
    drop tabs and line breaks, so any of those makes the target unsafe too.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not any(char == "\\" or ord(char) < 32 for char in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.index")


def flash_refusal(form) -> None:
    """Show a service's refusal of a button (no fields to attach it to) as a flash."""
    for message in form.form_errors:
        flash(message, "error")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = run_form(
            form,
            lambda: service.authenticate(
                form.username.data, form.password.data, request.remote_addr or "unknown"
            ),
        )
        if user is not None:
            # A new CSRF secret for the signed-in session: one planted before sign-in
            # (a shared computer, a fixated cookie) must not carry over.
            session.pop("csrf_token", None)
            login_user(user)
            refresh()  # the language may have been chosen before the user was known
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            if user.must_change_password:
                return redirect(url_for("accounts.change_password"))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form), form_status(form)


@bp.get("/session")
def session_state():
    """Whether this browser is still signed in, and if not why, for a live page to say so."""
    if current_user.is_authenticated:
        return {"signed_in": True}
    reason = session_end_reason(session.get("_user_id"))
    message = (
        _(
            "Your account was deactivated, so this page no longer shows its data. "
            "Ask a Bridgework administrator (or your department's head) if this is a mistake."
        )
        if reason == "deactivated"
        else _("You were signed out, so this page no longer shows its data. Sign in again.")
    )
    return {
        "signed_in": False,
        "reason": reason,
        "message": message,
        "sign_in_url": url_for("accounts.login"),
    }


@bp.post("/logout")
@login_required
def logout():
    service.record_logout(current_user)
    if current_user.locale:
        # The sign-in page that follows stays in the language the person was using.
        session[SESSION_KEY] = current_user.locale
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.post("/language")
def set_language():
    """The header's switcher: save the language, then go back to the page it was sent from.

    A signed-in user's choice is saved in their profile, so it follows them to every
    browser; an anonymous visitor's lives in this browser's session.
    """
    form = LanguageForm()
    if not form.validate():
        flash(_("Choose one of the languages offered."), "error")
    elif current_user.is_authenticated:
        preferences.update_preferences(current_user, locale=form.locale.data)
    else:
        session[SESSION_KEY] = form.locale.data
    return redirect(_safe_next(form.next.data))


def _profile_page(form: PreferencesForm):
    delegations = service.list_delegations(current_user)
    return render_template(
        "accounts/profile.html", delegations=delegations, today=utcnow().date(), form=form
    ), form_status(form)


@bp.get("/profile")
@login_required
def profile():
    return _profile_page(PreferencesForm(obj=current_user))


@bp.post("/profile/preferences")
@login_required
def save_preferences():
    form = PreferencesForm()
    if form.validate_on_submit():
        saved = run_form(
            form,
            lambda: preferences.update_preferences(
                current_user, locale=form.locale.data, timezone=form.timezone.data
            ),
        )
        if saved is not None:
            refresh()
            flash(_("Your language and time zone are saved."), "success")
            return redirect(url_for("accounts.profile"))
    return _profile_page(form)


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        run_form(
            form,
            lambda: service.change_password(
                user,
                form.current_password.data,
                form.new_password.data,
                keep_tokens=form.keep_tokens.data,
            ),
        )
        if not form.errors:
            # The new session version ended every session; this browser signs in again.
            login_user(user)
            flash(
                _("Your password is changed. Any other sessions have been signed out."), "success"
            )
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form), form_status(form)


# API tokens -------------------------------------------------------------------------------


def _tokens_page(form: TokenForm, secret: str | None = None):
    tokens = service.list_tokens(current_user)
    response = render_template(
        "accounts/tokens.html", form=form, tokens=tokens, secret=secret, now=utcnow()
    )
    return response, form_status(form), {"Cache-Control": "no-store"}


@bp.get("/profile/tokens")
@login_required
def tokens():
    return _tokens_page(TokenForm())


@bp.post("/profile/tokens")
@login_required
def create_token():
    """Create a token and show its secret in this response only; it is never stored."""
    form = TokenForm()
    if form.validate_on_submit():
        created = run_form(
            form,
            lambda: service.create_token(
                current_user, name=form.name.data, expires_in_days=form.expires_in_days.data
            ),
        )
        if created is not None:
            token, secret = created
            return _tokens_page(TokenForm(formdata=None), secret=secret)
    return _tokens_page(form)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    form = ActionForm()
    token = run_form(form, lambda: service.revoke_token(current_user, token_id))
    if token is not None:
        flash(_("Token “%(name)s” is revoked; it no longer works.", name=token.name), "success")
    flash_refusal(form)
    return redirect(url_for("accounts.tokens"))


# Delegations ------------------------------------------------------------------------------


@bp.route("/profile/delegation", methods=["GET", "POST"])
@login_required
def delegation():
    require(current_user, "delegation.create", None, _("Only a department head can name a deputy."))
    form = DelegationForm()
    form.set_candidates(service.deputy_candidates(current_user))
    if form.validate_on_submit():
        created = run_form(
            form,
            lambda: service.create_delegation(
                current_user,
                deputy_id=form.deputy_id.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
            ),
        )
        if created is not None:
            flash(
                _(
                    "%(name)s is your deputy from %(first)s to %(last)s.",
                    name=created.deputy.display_name,
                    first=format_day(created.starts_on),
                    last=format_day(created.ends_on),
                ),
                "success",
            )
            return redirect(url_for("accounts.delegation"))
    delegations = service.list_delegations(current_user)
    return render_template(
        "accounts/delegation.html",
        form=form,
        delegations=[d for d in delegations if d.head_id == current_user.id],
        today=utcnow().date(),
    ), form_status(form)


@bp.post("/profile/delegation/<int:delegation_id>/end")
@login_required
def end_delegation(delegation_id: int):
    form = ActionForm()
    ended = run_form(form, lambda: service.revoke_delegation(current_user, delegation_id))
    if ended is not None:
        flash(_("%(name)s no longer acts for you.", name=ended.deputy.display_name), "success")
    flash_refusal(form)
    return redirect(url_for("accounts.delegation"))
