"""Workspace pages: the list, creating and editing, and the workspace page with its forms.

Each route parses a form, calls one service function and redirects; when the service
refuses, the workspace page is shown again with the refusal next to the form that
caused it and in a summary at the top.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app.errors import Conflict, form_status, run_form
from app.html import pager_html
from app.i18n import current_locale
from app.workspaces import list_markup, service
from app.workspaces.forms import (
    ROLE_CHOICES,
    AddMemberForm,
    ConfirmForm,
    DeclineForm,
    InviteForm,
    MemberForm,
    WorkspaceEditForm,
    WorkspaceForm,
    grouped_choices,
)
from app.workspaces.markup import (
    DepartmentRows,
    MemberRows,
    csrf_field,
    feed_items,
    form_errors,
    form_field,
    state_badge,
    when,
    workspace_facts,
)

bp = Blueprint("workspaces", __name__, url_prefix="/workspaces")

ROLE_LABELS = {choice.value: choice.label for choice in ROLE_CHOICES}


@bp.before_request
@login_required
def _signed_in():
    """Every workspace page needs a signed-in user."""


def _filters() -> dict:
    args = request.args
    return {
        "q": (args.get("q") or "").strip() or None,
        "region_id": args.get("region_id", type=int),
        "department_id": args.get("department_id", type=int),
        "status": args.get("status") or None,
        "scope": args.get("scope") or "mine",
    }


@bp.get("/")
def index():
    filters = _filters()
    page = service.list_workspace_rows(
        current_user, **filters, page=request.args.get("page", 1, type=int)
    )
    options = service.filter_options(current_user)
    return render_template(
        "workspaces/index.html",
        page=page,
        filters=filters,
        options=options,
        rows_html=list_markup.rows_html(page.items),
        pager=pager_html(page, "workspaces.index") if page.items else "",
        region_options=list_markup.region_options(options.regions, filters["region_id"]),
        department_options=list_markup.department_options(
            options.departments, filters["department_id"]
        ),
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = WorkspaceForm()
    if request.method == "GET":
        service.ensure_may_create(current_user)
    elif form.validate_on_submit():
        workspace = run_form(
            form,
            lambda: service.create_workspace(
                current_user,
                name=form.name.data,
                purpose=form.purpose.data,
                ends_on=form.ends_on.data,
            ),
        )
        if workspace is not None:
            flash(
                _(
                    "Workspace “%(name)s” created. Invite the departments you will work with.",
                    name=workspace.name,
                ),
                "success",
            )
            return redirect(url_for(".show", workspace_id=workspace.id))
    return render_template("workspaces/new.html", form=form), form_status(form)


@bp.route("/<int:workspace_id>/edit", methods=["GET", "POST"])
def edit(workspace_id: int):
    if request.method == "GET":
        workspace = service.editable_workspace(current_user, workspace_id)
        form = WorkspaceEditForm(obj=workspace)
        return render_template("workspaces/edit.html", form=form, workspace_id=workspace_id)
    form = WorkspaceEditForm()
    if form.validate_on_submit():
        workspace = run_form(
            form,
            lambda: service.update_workspace(
                current_user,
                workspace_id,
                version=form.version.data,
                name=form.name.data,
                purpose=form.purpose.data,
                ends_on=form.ends_on.data,
            ),
        )
        if workspace is not None:
            flash(_("The workspace was saved."), "success")
            return redirect(url_for(".show", workspace_id=workspace_id))
    return render_template(
        "workspaces/edit.html", form=form, workspace_id=workspace_id
    ), form_status(form)


@bp.get("/<int:workspace_id>")
def show(workspace_id: int):
    return _page(workspace_id)


def _page(workspace_id: int, failed=None, failed_member: int | None = None, **bound):
    """Render the workspace page; ``failed`` is a refused form whose errors are summarised.

    ``failed_member`` names the member whose row form was refused: that row opens, with
    what was sent and the reasons next to its fields.
    """
    overview = service.workspace_overview(
        current_user, workspace_id, members_page=request.args.get("members_page", 1, type=int)
    )
    forms = _forms(overview, bound)
    member_terms = (
        _member_terms(forms["add_member"])
        if "add_member" in bound
        else _fresh_member_terms(current_locale())
    )
    status = form_status(failed) if failed is not None else 200
    departments = DepartmentRows(overview.workspace, can_manage=overview.can_manage)
    member_rows = MemberRows(
        workspace_id=workspace_id,
        workspace_name=overview.workspace.name,
        viewer_id=current_user.id,
        can_manage=overview.can_manage,
        failed=failed,
        failed_member=failed_member,
    )
    return (
        render_template(
            "workspaces/show.html",
            o=overview,
            facts=workspace_facts(overview.workspace, overview.viewer_membership),
            department_head=departments.head(),
            department_rows=departments.html(),
            member_head=member_rows.head(),
            member_rows=member_rows.html(overview.members.items),
            feed=feed_items(overview.events),
            form_field=form_field,
            form_errors=form_errors,
            csrf_field=csrf_field(),
            state_badge=state_badge,
            when=when,
            member_terms=member_terms,
            forms=forms,
            failed=failed,
            failed_member=failed_member,
        ),
        status,
    )


def _forms(overview, bound: dict) -> dict:
    """The page's forms: those sent back refused (``bound``), and the empty ones the
    reader is shown (a lead's invite and add-member forms, an invited head's decline)."""
    forms = dict(bound)
    if overview.can_manage:
        forms.setdefault("invite", InviteForm(formdata=None))
        forms.setdefault("add_member", AddMemberForm(formdata=None))
    if overview.respondable:
        forms.setdefault("decline", DeclineForm(formdata=None))
    if "invite" in forms:
        forms["invite"].department_id.choices = grouped_choices(
            overview.invitable_departments, lambda d: str(d.region), _("Choose a department…")
        )
    if "add_member" in forms:
        forms["add_member"].user_id.choices = grouped_choices(
            overview.member_candidates,
            lambda u: u.department_name,
            _("Choose a person…"),
            label=lambda u: f"{u.display_name} — {u.department_name}",
        )
    return forms


def _member_terms(form: AddMemberForm) -> Markup:
    """The add-member form's role and end-date fields, with their hints (catalog text,
    marked safe as the template's ``_()`` marks it)."""
    role_hint = _("Observers read only; leads manage departments and members.")
    end_hint = _("Optional. Access ends at the end of this day (UTC).")
    role = form_field(form.role, Markup(role_hint))  # noqa: S704
    ends = form_field(form.expires_on, Markup(end_hint))  # noqa: S704
    return role + Markup("\n    ") + ends


@lru_cache(maxsize=8)
def _fresh_member_terms(locale: str) -> Markup:
    """:func:`_member_terms` of a form nothing was sent to, in ``locale`` (the request's).

    Before anything is sent the two fields are the same on every workspace page in a
    language (member, no end date; no token in them), and rendering them took about a
    thousand calls: they are written once per language.
    """
    return _member_terms(AddMemberForm(formdata=None))


def _succeeded(form) -> bool:
    return not form.errors and not form.form_errors


def _back(workspace_id: int, anchor: str | None = None):
    return redirect(url_for(".show", workspace_id=workspace_id, _anchor=anchor))


@bp.get("/<int:workspace_id>/archive")
@bp.get("/<int:workspace_id>/departments")
@bp.get("/<int:workspace_id>/departments/<int:department_id>/<any(accept,decline,withdraw):verb>")
@bp.get("/<int:workspace_id>/members")
@bp.get("/<int:workspace_id>/members/<int:user_id>")
@bp.get("/<int:workspace_id>/members/<int:user_id>/remove")
def form_address(workspace_id: int, **_place):
    """A form's own address fetched with GET: the workspace page, where the form is.

    A refused form is shown again at the address it was sent to; reloading that page, or
    switching language on it, asks for the address with GET, which must not be a 405.
    """
    section = request.path.split("/")[3] if request.path.count("/") >= 3 else ""
    anchor = section if section in ("members", "departments") else None
    return _back(workspace_id, anchor)


@bp.post("/<int:workspace_id>/archive")
def archive(workspace_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        run_form(form, lambda: service.archive_workspace(current_user, workspace_id))
        if _succeeded(form):
            flash(
                _("The workspace is archived. It stays readable, but nothing can change."),
                "success",
            )
            return _back(workspace_id)
    return _page(workspace_id, failed=form)


@bp.post("/<int:workspace_id>/departments")
def invite(workspace_id: int):
    form = InviteForm()
    if form.validate_on_submit():
        participation = run_form(
            form,
            lambda: service.invite_department(current_user, workspace_id, form.department_id.data),
        )
        if participation is not None:
            flash(
                _(
                    "%(department)s is invited. Its head (or deputy) decides.",
                    department=participation.department.name,
                ),
                "success",
            )
            return _back(workspace_id, "departments")
    return _page(workspace_id, failed=form, invite=form)


@bp.post("/<int:workspace_id>/departments/<int:department_id>/withdraw")
def withdraw(workspace_id: int, department_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        run_form(
            form, lambda: service.withdraw_invitation(current_user, workspace_id, department_id)
        )
        if _succeeded(form):
            flash(_("The invitation was withdrawn."), "success")
            return _back(workspace_id, "departments")
    return _page(workspace_id, failed=form)


def _answer_refused(form):
    """An answer refused because the invitation changed (withdrawn, already answered, read-only).

    The workspace page may no longer be visible to the person answering (a withdrawn
    invitation hides it), so the refusal gets a page of its own.
    """
    return render_template("workspaces/answer_refused.html", form=form), form_status(form)


@bp.post("/<int:workspace_id>/departments/<int:department_id>/accept")
def accept(workspace_id: int, department_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        run_form(form, lambda: service.accept_invitation(current_user, workspace_id, department_id))
        if _succeeded(form):
            flash(_("Your department now takes part in this workspace."), "success")
            return _back(workspace_id, "departments")
    return _answer_refused(form)


@bp.post("/<int:workspace_id>/departments/<int:department_id>/decline")
def decline(workspace_id: int, department_id: int):
    form = DeclineForm()
    if form.validate_on_submit():
        run_form(
            form,
            lambda: service.decline_invitation(
                current_user, workspace_id, department_id, reason=form.reason.data
            ),
        )
        if _succeeded(form):
            flash(_("The invitation was declined; the workspace's leads are told why."), "success")
            if not service.can_view_workspace(current_user, workspace_id):
                # Declining hides the workspace from whoever is not a member of it.
                return redirect(url_for(".index"))
            return _back(workspace_id, "departments")
    if form_status(form) == Conflict.status:
        return _answer_refused(form)
    return _page(workspace_id, failed=form, decline=form)


@bp.post("/<int:workspace_id>/members")
def add_member(workspace_id: int):
    form = AddMemberForm()
    if form.validate_on_submit():
        membership = run_form(
            form,
            lambda: service.add_member(
                current_user,
                workspace_id,
                user_id=form.user_id.data,
                role=form.role.data,
                expires_at=form.expires_on.data,
            ),
        )
        if membership is not None:
            flash(
                _(
                    "%(name)s was added as %(role)s.",
                    name=membership.user.display_name,
                    role=ROLE_LABELS.get(membership.role, membership.role),
                ),
                "success",
            )
            return _back(workspace_id, "members")
    return _page(workspace_id, failed=form, add_member=form)


@bp.post("/<int:workspace_id>/members/<int:user_id>")
def change_member(workspace_id: int, user_id: int):
    form = MemberForm()
    if form.validate_on_submit():
        membership = run_form(
            form,
            lambda: service.update_member(
                current_user,
                workspace_id,
                user_id,
                role=form.role.data,
                expires_at=form.expires_on.data,
            ),
        )
        if membership is not None:
            flash(
                _("The membership of %(name)s was saved.", name=membership.user.display_name),
                "success",
            )
            return _back(workspace_id, "members")
    return _page(workspace_id, failed=form, failed_member=user_id)


@bp.post("/<int:workspace_id>/members/<int:user_id>/remove")
def remove_member(workspace_id: int, user_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        run_form(form, lambda: service.remove_member(current_user, workspace_id, user_id))
        if _succeeded(form):
            flash(_("The member was removed."), "success")
            return _back(workspace_id, "members")
    return _page(workspace_id, failed=form)
