"""Case pages: "My cases", a workspace's list and board, opening, editing, moving, and the
case page with its comments, files and links.

Each route parses a form, calls one service function and redirects or renders. An edit
refused because someone else changed the case first shows their values beside the
user's, with the user's edit ready to be saved again on top of the current version.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from app.cases import service
from app.cases.forms import (
    STATUS_CHOICES,
    AttachmentForm,
    CaseEditForm,
    CaseFilterForm,
    CaseForm,
    CommentForm,
    LinkForm,
    MoveForm,
)
from app.cases.markup import (
    BoardCards,
    CaseEntries,
    CaseRows,
    CaseWords,
    labels_script,
    vocabulary,
)
from app.errors import Conflict, Forbidden, form_status, run_form
from app.forms import Form, filter_fields, form_field, id_choices
from app.i18n import current_locale

bp = Blueprint("cases", __name__, url_prefix="/cases")

PER_PAGE = 25


@bp.before_request
@login_required
def _signed_in():
    """Every case page needs a signed-in user."""


# Lists and the board ---------------------------------------------------------------------


def _filters(form: CaseFilterForm) -> service.CaseFilters:
    form.validate()

    def value(name: str):
        return form.value(name) if name in form else None

    return service.CaseFilters(
        status=value("status"),
        priority=value("priority"),
        assignee_id=value("assignee_id"),
        department_id=value("department_id"),
        region_id=value("region_id"),
        overdue=value("overdue") == "1",
        q=value("q"),
    )


def _filter_form(options: service.ListOptions | None) -> CaseFilterForm:
    form = CaseFilterForm(formdata=request.args)
    if options is not None:
        anyone, any_department, any_region = _filter_words(current_locale())
        form.assignee_id.choices = id_choices(options.assignees, anyone, lambda u: u.display_name)
        form.department_id.choices = id_choices(options.departments, any_department)
        form.region_id.choices = id_choices(options.regions, any_region)
    else:
        for name in ("assignee_id", "department_id", "region_id"):
            del form[name]
    return _in_language(form)


@lru_cache(maxsize=8)
def _filter_words(locale: str) -> tuple[str, str, str]:
    """The empty choices of the filters with options, in ``locale`` (the request's)."""
    return _("Anyone"), _("Any department"), _("Any region")


def _in_language(form: Form) -> Form:
    """``form`` with its labels and fixed choices in the reader's language, as plain text.

    They are lazy strings, which ask the catalog anew each time a widget reads them
    (several times an option): that was a sixth of a list page's calls.
    """
    labels, choices = _form_texts(type(form), current_locale())
    for field in form:
        field.label.text = labels[field.name]
        if field.name in choices:
            field.choices = list(choices[field.name])
    return form


@lru_cache(maxsize=32)
def _form_texts(form_class: type[Form], locale: str) -> tuple[dict, dict]:
    """The labels and fixed choices of ``form_class``'s fields in ``locale``, once a language."""
    form = form_class(formdata=None)
    labels = {field.name: str(field.label.text) for field in form}
    choices = {
        field.name: tuple(SelectChoice(c.value, str(c.label)) for c in field.choices)
        for field in form
        if field.type == "SelectField" and field.choices
    }
    return labels, choices


@bp.get("/")
def mine():
    form = _filter_form(None)
    page = service.my_cases(
        current_user, _filters(form), page=request.args.get("page", 1, type=int)
    )
    rows = CaseRows(CaseWords(), show_workspace=True)
    return render_template(
        "cases/mine.html", page=page, filters=form, rows=rows, filter_fields=filter_fields
    )


@bp.get("/workspace/<int:workspace_id>/")
def index(workspace_id: int):
    options = service.list_options(current_user, workspace_id)
    form = _filter_form(options)
    page = service.list_cases(
        current_user,
        workspace_id,
        _filters(form),
        page=request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
    )
    return render_template(
        "cases/index.html",
        page=page,
        filters=form,
        filter_fields=filter_fields,
        options=options,
        rows=CaseRows(CaseWords()),
    )


@bp.get("/workspace/<int:workspace_id>/board")
def board(workspace_id: int):
    board = service.board(current_user, workspace_id)
    cards = BoardCards(CaseWords(), can_write=board.can_write, today=board.today)
    return render_template("cases/board.html", board=board, blank=service.blank_card(), cards=cards)


# Opening and editing ---------------------------------------------------------------------


def _case_choices(form: CaseForm, options: service.ListOptions, assignable) -> None:
    form.region_id.choices = id_choices(options.regions, _("No particular region"))
    form.department_ids.choices = [(d.id, d.name) for d in options.departments]
    form.assignee_ids.choices = [
        (u.id, f"{u.display_name} ({u.department.name})") for u in assignable
    ]


@bp.route("/workspace/<int:workspace_id>/new", methods=["GET", "POST"])
def new(workspace_id: int):
    options = service.list_options(current_user, workspace_id)
    form = CaseForm()
    _case_choices(form, options, service.assignable_members(options.workspace))
    if request.method == "GET":
        service.ensure_may_create(current_user, workspace_id)
        form.department_ids.data = [current_user.department_id]
    elif form.validate_on_submit():
        case = run_form(
            form,
            lambda: service.create_case(
                current_user,
                workspace_id,
                title=form.title.data,
                description=form.description.data or "",
                priority=form.priority.data,
                region_id=form.region_id.data,
                due_on=form.due_on.data,
                department_ids=form.department_ids.data,
                assignee_ids=form.assignee_ids.data,
            ),
        )
        if case is not None:
            flash(_("Case %(key)s opened.", key=case.key), "success")
            return redirect(url_for(".show", case_id=case.id))
    return render_template("cases/new.html", form=form, options=options), form_status(form)


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
def edit(case_id: int):
    page = service.case_page(current_user, case_id, for_edit=True)
    if not page.may_write:
        raise Forbidden(_("You can read this case but not edit it."))
    options = service.list_options(current_user, page.case.workspace_id)
    if request.method == "GET":
        form = CaseEditForm(obj=page.case)
        form.department_ids.data = [d.id for d in page.case.departments]
        form.assignee_ids.data = [u.id for u in page.case.assignees]
        _case_choices(form, options, page.assignable)
        return render_template("cases/edit.html", form=form, page=page)
    form = CaseEditForm()
    _case_choices(form, options, page.assignable)
    conflict = None
    if form.validate_on_submit():
        case = run_form(form, lambda: _save(case_id, form))
        if case is not None:
            flash(_("%(key)s saved.", key=case.key), "success")
            return redirect(url_for(".show", case_id=case_id))
        if form.error_status == Conflict.status and form.version.data != page.case.version:
            conflict = page.case
            form.form_errors.clear()
            form.version.data = page.case.version
            form.version.raw_data = [str(page.case.version)]
    status = Conflict.status if conflict is not None else form_status(form)
    return render_template("cases/edit.html", form=form, page=page, conflict=conflict), status


def _save(case_id: int, form: CaseEditForm):
    return service.update_case(
        current_user,
        case_id,
        version=form.version.data,
        title=form.title.data,
        description=form.description.data or "",
        status=form.status.data,
        priority=form.priority.data,
        region_id=form.region_id.data,
        due_on=form.due_on.data,
        department_ids=form.department_ids.data,
        assignee_ids=form.assignee_ids.data,
    )


@bp.post("/<int:case_id>/move")
def move(case_id: int):
    """Move a card to another status: from the board (``next=board``) or the case page."""
    form = MoveForm()
    back = request.form.get("next")
    case = None
    if form.validate_on_submit():
        case = run_form(
            form,
            lambda: service.update_case(
                current_user, case_id, version=form.version.data, status=form.status.data
            ),
        )
    if case is not None:
        flash(
            _("%(key)s is now %(status)s.", key=case.key, status=_status_label(case.status)),
            "success",
        )
    else:
        for error in form.form_errors or [_("The case was not moved.")]:
            flash(error, "error")
    if back == "board":
        workspace_id = service.get_case(current_user, case_id).workspace_id
        return redirect(url_for(".board", workspace_id=workspace_id, _anchor=f"case-{case_id}"))
    return redirect(url_for(".show", case_id=case_id))


def _status_label(status: str) -> str:
    return str(next((c.label for c in STATUS_CHOICES if c.value == status), status))


# The case page and its parts -------------------------------------------------------------


@bp.get("/<int:case_id>")
def show(case_id: int):
    return _page(case_id)


def _page(case_id: int, failed=None, **bound):
    page = service.case_page(current_user, case_id)
    forms = {
        "move": MoveForm(formdata=None, status=page.case.status, version=page.case.version),
        "comment": CommentForm(formdata=None),
        "attachment": AttachmentForm(formdata=None),
        "link": LinkForm(formdata=None),
        **bound,
    }
    for form in forms.values():
        _in_language(form)
    locale = current_locale()
    status = form_status(failed) if failed is not None else 200
    return render_template(
        "cases/show.html",
        p=page,
        forms=forms,
        failed=failed,
        max_kib=service.max_bytes() // 1024,
        entries=CaseEntries(),
        labels=labels_script(locale),
        words=vocabulary(locale),
        form_field=form_field,
    ), status


def _succeeded(form) -> bool:
    return not form.errors and not form.form_errors


@bp.post("/<int:case_id>/comments")
def comment(case_id: int):
    form = CommentForm()
    if form.validate_on_submit():
        run_form(form, lambda: service.add_comment(current_user, case_id, form.body.data))
        if _succeeded(form):
            flash(_("Your comment was added."), "success")
            return redirect(url_for(".show", case_id=case_id, _anchor="comments"))
    return _page(case_id, failed=form, comment=form)


@bp.post("/<int:case_id>/attachments")
def attach(case_id: int):
    form = AttachmentForm()
    if form.validate_on_submit():
        upload = form.file.data
        run_form(
            form,
            lambda: service.add_attachment(
                current_user, case_id, upload.stream, upload.filename or ""
            ),
        )
        if _succeeded(form):
            flash(_("The file was attached."), "success")
            return redirect(url_for(".show", case_id=case_id, _anchor="attachments"))
    return _page(case_id, failed=form, attachment=form)


@bp.get("/<int:case_id>/attachments/<int:attachment_id>")
def download(case_id: int, attachment_id: int):
    found = service.attachment_for_download(current_user, case_id, attachment_id)
    response = send_file(
        found.path,
        mimetype=found.attachment.content_type,
        as_attachment=True,
        download_name=found.attachment.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<int:case_id>/links")
def link(case_id: int):
    form = LinkForm()
    if form.validate_on_submit():
        run_form(
            form,
            lambda: service.add_link(
                current_user, case_id, kind=form.kind.data, target_id=form.target_id.data
            ),
        )
        if _succeeded(form):
            flash(_("The link was added."), "success")
            return redirect(url_for(".show", case_id=case_id, _anchor="links"))
    return _page(case_id, failed=form, link=form)
