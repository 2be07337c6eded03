"""Data request pages: the two queues, filing and editing, and the request page with the
actions its viewer may take.

Each route parses a form, calls one service function and redirects; when the service
refuses, the page is shown again with the refusal next to the form that caused it and in
a summary at the top.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import form_status, run_form
from app.sharing import service
from app.sharing.forms import (
    ApproveForm,
    ChangesForm,
    CommentForm,
    ConfirmForm,
    LinkDatasetForm,
    NoteForm,
    RejectForm,
    RequestForm,
    WithdrawForm,
    scope_from_form,
)

bp = Blueprint("sharing", __name__, url_prefix="/requests")


@bp.before_request
@login_required
def _signed_in():
    """Every request page needs a signed-in user."""


# Lists ----------------------------------------------------------------------------------------


def _list(box: str, template_title: str):
    args = request.args
    status = args.get("status") or None
    filters = {
        "status": status if status in service.STATUSES else None,
        "q": (args.get("q") or "").strip() or None,
        "overdue": args.get("overdue") == "1",
    }
    page = service.list_requests(
        current_user, box=box, **filters, page=args.get("page", 1, type=int)
    )
    return render_template(
        "sharing/index.html", page=page, box=box, filters=filters, heading=template_title
    )


@bp.get("/")
def filed():
    return _list("filed", _("Requests I filed"))


@bp.get("/waiting")
def waiting():
    return _list("waiting", _("Waiting for my decision"))


# Filing and editing ---------------------------------------------------------------------------


def _department_choices(options) -> list[tuple[str, str]]:
    return [("", _("Choose a department…"))] + [
        (str(d.id), f"{d.name} ({d.region.jurisdiction})") for d in options.departments
    ]


@bp.route("/new", methods=["GET", "POST"])
def new():
    source = request.form if request.method == "POST" else request.args
    workspace_id = source.get("workspace_id", type=int)
    raw_dataset = source.get("dataset_id") or ""
    dataset_id = source.get("dataset_id", type=int)
    options = service.filing_options(current_user, dataset_id=dataset_id)
    chosen = workspace_id is not None and (raw_dataset == "none" or options.dataset is not None)
    form = RequestForm(formdata=request.form if request.method == "POST" else None)
    form.owner_department_id.choices = _department_choices(options)
    if request.method == "POST" and form.validate_on_submit():
        created = run_form(
            form,
            lambda: service.file_request(
                current_user,
                workspace_id,
                title=form.title.data,
                purpose=form.purpose.data,
                legal_basis=form.legal_basis.data,
                duration_days=form.duration_days.data,
                dataset_id=dataset_id,
                owner_department_id=form.owner_department_id.data,
                submit=request.form.get("intent") == "submit",
                **scope_from_form(request.form, options.dataset),
            ),
        )
        if created is not None:
            flash(_saved_message(created), "success")
            return redirect(url_for(".show", request_id=created.id))
    return render_template(
        "sharing/new.html",
        form=form,
        options=options,
        workspace_id=workspace_id,
        raw_dataset=raw_dataset,
        chosen=chosen,
        scope=scope_from_form(request.form, options.dataset) if request.method == "POST" else None,
    ), form_status(form)


def _saved_message(data_request) -> str:
    if data_request.status == "draft":
        return _("Your request is saved as a draft. Submit it when it is ready.")
    if data_request.status == "endorsed":
        return _("Your request is submitted and endorsed; the owning department decides next.")
    return _("Your request is submitted; your department's head endorses it next.")


@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
def edit(request_id: int):
    overview = service.request_overview(current_user, request_id)
    data_request = overview.request
    if "edit" not in overview.allowed:
        flash(
            _(
                "Only its requester can edit a request, and only as a draft or when changes "
                "were asked for."
            ),
            "error",
        )
        return redirect(url_for(".show", request_id=request_id))
    form = RequestForm(
        formdata=request.form if request.method == "POST" else None, obj=data_request
    )
    form.owner_department_id.choices = []
    if request.method == "POST" and form.validate_on_submit():
        saved = run_form(
            form,
            lambda: service.update_request(
                current_user,
                request_id,
                title=form.title.data,
                purpose=form.purpose.data,
                legal_basis=form.legal_basis.data,
                duration_days=form.duration_days.data,
                **scope_from_form(request.form, data_request.dataset),
            ),
        )
        if saved is not None and request.form.get("intent") == "submit":
            saved = run_form(form, lambda: service.submit_request(current_user, request_id))
            if saved is not None:
                flash(_saved_message(saved), "success")
                return redirect(url_for(".show", request_id=request_id))
        elif saved is not None:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for(".show", request_id=request_id))
    scope = (
        scope_from_form(request.form, data_request.dataset)
        if request.method == "POST"
        else data_request.scope()
    )
    return render_template("sharing/edit.html", form=form, o=overview, scope=scope), form_status(
        form
    )


# The request page -----------------------------------------------------------------------------


@bp.get("/<int:request_id>")
def show(request_id: int):
    return _page(request_id)


def _page(request_id: int, failed=None, **bound):
    """Render the request page; ``failed`` is a refused form whose errors are summarised."""
    overview = service.request_overview(current_user, request_id)
    data_request = overview.request
    forms = {
        "approve": ApproveForm(formdata=None, duration_days=data_request.duration_days),
        "endorse": NoteForm(formdata=None),
        "reject": RejectForm(formdata=None),
        "changes": ChangesForm(formdata=None),
        "withdraw": WithdrawForm(formdata=None),
        "comment": CommentForm(formdata=None),
        "link": LinkDatasetForm(formdata=None),
        **bound,
    }
    forms["link"].dataset_id.choices = [("", _("Choose a dataset…"))] + [
        (str(d.id), d.title) for d in overview.dataset_choices
    ]
    approve_scope = bound.get("approve_scope") or data_request.scope()
    forms.pop("approve_scope", None)
    status = form_status(failed) if failed is not None else 200
    return render_template(
        "sharing/show.html", o=overview, forms=forms, failed=failed, approve_scope=approve_scope
    ), status


def _succeeded(form) -> bool:
    return not form.errors and not form.form_errors


def _done(request_id: int, message: str):
    flash(message, "success")
    return redirect(url_for(".show", request_id=request_id))


@bp.post("/<int:request_id>/submit")
def submit(request_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        saved = run_form(form, lambda: service.submit_request(current_user, request_id))
        if saved is not None:
            return _done(request_id, _saved_message(saved))
    return _page(request_id, failed=form)


@bp.post("/<int:request_id>/endorse")
def endorse(request_id: int):
    form = NoteForm()
    if form.validate_on_submit():
        run_form(
            form, lambda: service.endorse_request(current_user, request_id, note=form.note.data)
        )
        if _succeeded(form):
            return _done(
                request_id, _("You endorsed the request; the owning department decides next.")
            )
    return _page(request_id, failed=form, endorse=form)


@bp.post("/<int:request_id>/approve")
def approve(request_id: int):
    form = ApproveForm()
    overview_request = service.get_request(current_user, request_id)
    scope = scope_from_form(request.form, overview_request.dataset)
    if form.validate_on_submit():
        saved = run_form(
            form,
            lambda: service.approve_request(
                current_user,
                request_id,
                note=form.note.data,
                duration_days=form.duration_days.data,
                **scope,
            ),
        )
        if saved is not None:
            if saved.status == "approved":
                return _done(request_id, _("The request is approved and its grant is created."))
            return _done(request_id, _("Your approval is recorded; one more approval is needed."))
    return _page(
        request_id, failed=form, approve=form, approve_scope={**scope, "duration_days": None}
    )


@bp.post("/<int:request_id>/reject")
def reject(request_id: int):
    form = RejectForm()
    if form.validate_on_submit():
        run_form(
            form,
            lambda: service.reject_request(current_user, request_id, reason=form.reason.data),
        )
        if _succeeded(form):
            return _done(request_id, _("The request is rejected; its requester is told why."))
    return _page(request_id, failed=form, reject=form)


@bp.post("/<int:request_id>/request-changes")
def changes(request_id: int):
    form = ChangesForm()
    if form.validate_on_submit():
        run_form(
            form, lambda: service.request_changes(current_user, request_id, note=form.note.data)
        )
        if _succeeded(form):
            return _done(request_id, _("The request is back with its requester for changes."))
    return _page(request_id, failed=form, changes=form)


@bp.post("/<int:request_id>/withdraw")
def withdraw(request_id: int):
    form = WithdrawForm()
    if form.validate_on_submit():
        run_form(
            form,
            lambda: service.withdraw_request(current_user, request_id, reason=form.reason.data),
        )
        if _succeeded(form):
            return _done(request_id, _("You withdrew the request."))
    return _page(request_id, failed=form, withdraw=form)


@bp.post("/<int:request_id>/comments")
def comment(request_id: int):
    form = CommentForm()
    if form.validate_on_submit():
        run_form(
            form,
            lambda: service.comment_on_request(current_user, request_id, text=form.text.data),
        )
        if _succeeded(form):
            return redirect(url_for(".show", request_id=request_id, _anchor="timeline"))
    return _page(request_id, failed=form, comment=form)


@bp.post("/<int:request_id>/link-dataset")
def link(request_id: int):
    form = LinkDatasetForm()
    form.dataset_id.choices = []
    if form.validate_on_submit():
        run_form(
            form,
            lambda: service.link_dataset(
                current_user, request_id, form.dataset_id.data, note=form.note.data
            ),
        )
        if _succeeded(form):
            return _done(
                request_id, _("The dataset is linked; the requester chooses its columns next.")
            )
    return _page(request_id, failed=form, link=form)
