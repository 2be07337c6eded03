"""Administration pages: users, regions, departments (platform administrators only)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app.accounts import service
from app.accounts.forms import (
    ActionForm,
    DepartmentFilterForm,
    DepartmentForm,
    RegionFilterForm,
    RegionForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
)
from app.accounts.views import flash_refusal, role_labels
from app.errors import form_status, run_form
from app.html import HTML_ESCAPES, escape_text, moment_formatter, pager_html, per_language
from app.policy import require

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 25


@bp.before_request
@login_required
def admins_only():
    """Every page here is for administrators; the services check each action again."""
    require(current_user, "user.manage", None, _("Administration is for platform administrators."))


def _page_number() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


@bp.get("/")
def index():
    return redirect(url_for("admin.users"))


# Users ------------------------------------------------------------------------------------


@bp.get("/users")
def users():
    departments = service.department_names()
    filters = UserFilterForm(formdata=request.args)
    filters.set_departments(departments)
    filters.validate()
    page = service.list_user_rows(
        current_user,
        search=filters.value("q"),
        department_id=filters.value("department"),
        role=filters.value("role"),
        active=filters.active(),
        page=_page_number(),
        per_page=PER_PAGE,
    )
    return render_template(
        "admin/users.html",
        page=page,
        filters=filters,
        rows_html=_user_rows_html(page.items),
        pager=pager_html(page, "admin.users") if page.items else "",
    )


_USER_ROW = """
    <tr>
      <td><a href="{users_url}/{id}">{username}</a></td>
      <td>{display_name}</td>
      <td>{email}</td>
      <td>{department}</td>
      <td>{roles}</td>
      <td>{status}</td>
      <td>{last_sign_in}</td>
    </tr>
    """


@per_language
def _user_row_words() -> tuple[str, str, str, str]:
    """The words of the user table's cells, as the cells show them."""
    return (
        f'<span class="muted">{_("No roles")}</span>',
        f'<span class="badge ok">{_("Active")}</span>',
        f'<span class="badge off">{_("Inactive")}</span>',
        f'<span class="muted">{_("Never")}</span>',
    )


def _user_rows_html(users: list) -> Markup:
    """The user table's rows, written here rather than by the template (a row there cost
    over a hundred calls: an escape and a Markup object for every value).

    User text is escaped; the page's fixed words, translated once, are the catalog's own
    text as a template shows it.
    """
    role_badges = {
        role: f'<span class="badge">{escape_text(label)}</span> '
        for role, label in role_labels().items()
    }
    no_roles, active, inactive, never = _user_row_words()
    users_url = escape_text(url_for("admin.users"))
    moment = moment_formatter()
    rows = [
        _USER_ROW.format(
            users_url=users_url,
            id=user.id,
            username=user.username.translate(HTML_ESCAPES),
            display_name=user.display_name.translate(HTML_ESCAPES),
            email=user.email.translate(HTML_ESCAPES),
            department=user.department.translate(HTML_ESCAPES),
            roles="".join(
                [
                    role_badges.get(role) or f'<span class="badge">{escape_text(role)}</span> '
                    for role in user.roles
                ]
            )
            or no_roles,
            status=active if user.active else inactive,
            last_sign_in=(
                f'<time datetime="{user.last_login_at.isoformat()}Z">'
                f"{moment(user.last_login_at).translate(HTML_ESCAPES)}</time>"
                if user.last_login_at
                else never
            ),
        )
        for user in users
    ]
    return Markup("".join(rows))  # noqa: S704 (every value in it is escaped)


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    form = UserCreateForm()
    form.set_departments(service.all_departments())
    if form.validate_on_submit():
        user = run_form(
            form,
            lambda: service.create_user(
                current_user,
                username=form.username.data,
                display_name=form.display_name.data,
                email=form.email.data,
                department_id=form.department_id.data,
                password=form.password.data,
                roles=form.roles.data,
            ),
        )
        if user is not None:
            flash(_("User %(username)s created.", username=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), form_status(form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = service.get_user(current_user, user_id)
    form = UserEditForm(obj=user)
    form.set_departments(service.all_departments())
    if form.validate_on_submit():
        changed = run_form(
            form,
            lambda: service.update_user(
                current_user,
                user.id,
                display_name=form.display_name.data,
                email=form.email.data,
                department_id=form.department_id.data,
                roles=form.roles.data,
            ),
        )
        if changed is not None:
            flash(_("User %(username)s saved.", username=changed.username), "success")
            return redirect(url_for("admin.edit_user", user_id=changed.id))
    return render_template("admin/user_form.html", form=form, user=user), form_status(form)


def _set_active(user_id: int, active: bool):
    form = ActionForm()
    user = run_form(form, lambda: service.set_user_active(current_user, user_id, active))
    if user is not None and active:
        flash(
            _("User %(username)s reactivated. They can sign in again.", username=user.username),
            "success",
        )
    elif user is not None:
        flash(
            _(
                "User %(username)s deactivated. Their sessions and API tokens have ended.",
                username=user.username,
            ),
            "success",
        )
    flash_refusal(form)
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.post("/users/<int:user_id>/sign-out")
def end_user_sessions(user_id: int):
    form = ActionForm()
    user = run_form(form, lambda: service.end_user_sessions(current_user, user_id))
    if user is not None:
        flash(
            _("%(username)s is signed out everywhere.", username=user.username),
            "success",
        )
    flash_refusal(form)
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int):
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id: int):
    return _set_active(user_id, True)


# Regions ----------------------------------------------------------------------------------


@bp.get("/regions")
def regions():
    filters = RegionFilterForm(formdata=request.args)
    filters.validate()
    page = service.list_regions(
        current_user, search=filters.value("q"), page=_page_number(), per_page=PER_PAGE
    )
    return render_template("admin/regions.html", page=page, filters=filters)


@bp.route("/regions/new", methods=["GET", "POST"])
def create_region():
    form = RegionForm()
    if form.validate_on_submit():
        region = run_form(
            form,
            lambda: service.create_region(
                current_user,
                code=form.code.data,
                name=form.name.data,
                jurisdiction=form.jurisdiction.data,
            ),
        )
        if region is not None:
            flash(_("Region %(name)s created.", name=region.name), "success")
            return redirect(url_for("admin.regions"))
    return render_template("admin/region_form.html", form=form, region=None), form_status(form)


@bp.route("/regions/<int:region_id>", methods=["GET", "POST"])
def edit_region(region_id: int):
    region = service.get_region(current_user, region_id)
    form = RegionForm(obj=region)
    if form.validate_on_submit():
        saved = run_form(
            form,
            lambda: service.update_region(
                current_user,
                region.id,
                code=form.code.data,
                name=form.name.data,
                jurisdiction=form.jurisdiction.data,
            ),
        )
        if saved is not None:
            flash(_("Region %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("admin.regions"))
    return render_template("admin/region_form.html", form=form, region=region), form_status(form)


# Departments ------------------------------------------------------------------------------


@bp.get("/departments")
def departments():
    filters = DepartmentFilterForm(formdata=request.args)
    filters.set_regions(service.all_regions())
    filters.validate()
    page = service.list_departments(
        current_user,
        search=filters.value("q"),
        region_id=filters.value("region"),
        page=_page_number(),
        per_page=PER_PAGE,
    )
    return render_template("admin/departments.html", page=page, filters=filters)


@bp.route("/departments/new", methods=["GET", "POST"])
def create_department():
    form = DepartmentForm()
    form.set_choices(service.all_regions(), service.all_departments())
    if form.validate_on_submit():
        department = run_form(
            form,
            lambda: service.create_department(
                current_user,
                code=form.code.data,
                name=form.name.data,
                region_id=form.region_id.data,
                parent_id=form.parent_id.data,
            ),
        )
        if department is not None:
            flash(_("Department %(name)s created.", name=department.name), "success")
            return redirect(url_for("admin.departments"))
    return render_template("admin/department_form.html", form=form, department=None), form_status(
        form
    )


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def edit_department(department_id: int):
    department = service.get_department(current_user, department_id)
    form = DepartmentForm(obj=department)
    form.set_choices(service.all_regions(), service.all_departments(), exclude_id=department.id)
    if form.validate_on_submit():
        saved = run_form(
            form,
            lambda: service.update_department(
                current_user,
                department.id,
                code=form.code.data,
                name=form.name.data,
                region_id=form.region_id.data,
                parent_id=form.parent_id.data,
            ),
        )
        if saved is not None:
            flash(_("Department %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("admin.departments"))
    return render_template(
        "admin/department_form.html", form=form, department=department
    ), form_status(form)
