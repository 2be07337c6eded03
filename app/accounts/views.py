"""Signing in and out, and each user's own account pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import service
from app.accounts.forms import LoginForm
from app.errors import form_status, run_form

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow ``next`` to a path on this site, never to another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.index")


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
            login_user(user)
            flash(f"Welcome, {user.display_name}.", "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form), form_status(form)


@bp.post("/logout")
@login_required
def logout():
    service.record_logout(current_user)
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"))


@bp.get("/profile")
@login_required
def profile():
    return render_template("accounts/profile.html")
