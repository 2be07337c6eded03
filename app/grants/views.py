"""Grant pages: "My grants" (and every grant an owner or auditor may see), the grant page
with its preview, download, usage, revocation and extension.

Each route calls one service function; a refusal comes back to the grant page with the
reason, never as a bare error.
"""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.common import utcnow
from app.errors import DomainError, form_status, run_form
from app.grants import service
from app.grants.forms import ExtendForm, RevokeForm
from app.grants.models import AccessKind
from app.grants.responses import extract_response

bp = Blueprint("grants", __name__, url_prefix="/grants")


@bp.before_request
@login_required
def _signed_in():
    """Every grant page needs a signed-in user."""


@bp.get("/")
def index():
    args = request.args
    state = args.get("state") or None
    filters = {
        "state": state if state in service.STATES else None,
        "q": (args.get("q") or "").strip() or None,
    }
    page = service.list_grants(current_user, **filters, page=args.get("page", 1, type=int))
    return render_template("grants/index.html", page=page, filters=filters, now=utcnow())


def _page(grant_id: int, *, preview=None, failed=None, revoke=None, status: int = 200):
    view = service.grant_view(current_user, grant_id)
    usage = None
    if view.sees_usage:
        usage = service.access_events(
            current_user, grant_id=grant_id, page=request.args.get("page", 1, type=int)
        )
    forms = {"revoke": revoke or RevokeForm(formdata=None), "extend": ExtendForm(formdata=None)}
    return render_template(
        "grants/show.html",
        v=view,
        usage=usage,
        preview=preview,
        forms=forms,
        failed=failed,
        now=utcnow(),
    ), status


@bp.get("/<int:grant_id>")
def show(grant_id: int):
    return _page(grant_id)


@bp.get("/<int:grant_id>/preview")
def preview(grant_id: int):
    """The first rows, read through the grant like any other read (and recorded)."""
    try:
        extract = service.read_through_grant(
            current_user, grant_id, kind=AccessKind.PREVIEW.value, output_format="json"
        )
    except DomainError as refusal:
        if refusal.status == 404:
            raise
        flash(refusal.message, "error")
        return redirect(url_for(".show", grant_id=grant_id))
    rows = json.loads(b"".join(extract.chunks()))
    return _page(grant_id, preview={"columns": extract.grant.columns, "rows": rows})


@bp.get("/<int:grant_id>/download")
def download(grant_id: int):
    try:
        extract = service.read_through_grant(
            current_user, grant_id, kind=AccessKind.DOWNLOAD.value, output_format="csv"
        )
    except DomainError as refusal:
        if refusal.status == 404:
            raise
        flash(refusal.message, "error")
        return redirect(url_for(".show", grant_id=grant_id))
    return extract_response(extract)


@bp.post("/<int:grant_id>/revoke")
def revoke(grant_id: int):
    form = RevokeForm()
    if form.validate_on_submit():
        run_form(
            form,
            lambda: service.revoke_grant(current_user, grant_id, reason=form.reason.data),
        )
        if not (form.errors or form.form_errors):
            flash(_("The grant is revoked; its grantees are told and lose access at once."))
            return redirect(url_for(".show", grant_id=grant_id))
    return _page(grant_id, failed=form, revoke=form, status=form_status(form))


@bp.post("/<int:grant_id>/extend")
def extend(grant_id: int):
    form = ExtendForm()
    if form.validate_on_submit():
        saved = run_form(form, lambda: service.extend_grant(current_user, grant_id))
        if saved is not None:
            flash(
                _(
                    "A new request, prefilled from this grant, is saved as a draft: "
                    "check it and submit it."
                )
            )
            return redirect(url_for("sharing.show", request_id=saved.id))
    return _page(grant_id, failed=form, status=form_status(form))
