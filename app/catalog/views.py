"""Catalog pages: the searchable list, registering and editing, a dataset's page with its
upload form, and the coverage view.

Each route parses a form, calls one service function and redirects or renders; when the
service refuses, the form is shown again with the refusal next to the field.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2.filters import do_truncate
from markupsafe import Markup

from app.catalog import service
from app.catalog.charts import coverage_chart
from app.catalog.forms import FREQUENCY_LABELS, DatasetEditForm, DatasetForm, UploadForm
from app.errors import form_status, run_form
from app.html import (
    HTML_ESCAPES,
    escape_text,
    number_formatter,
    options_html,
    pager_html,
    per_language,
)

bp = Blueprint("catalog", __name__, url_prefix="/catalog")


@bp.before_request
@login_required
def _signed_in():
    """Every catalog page needs a signed-in user."""


def _filters() -> dict:
    args = request.args
    personal = args.get("personal")
    return {
        "q": (args.get("q") or "").strip() or None,
        "department_id": args.get("department_id", type=int),
        "region_id": args.get("region_id", type=int),
        "classification": args.get("classification") or None,
        "personal": {"yes": True, "no": False}.get(personal or ""),
    }


@bp.get("/")
def index():
    filters = _filters()
    page = service.list_dataset_rows(
        current_user, **filters, page=request.args.get("page", 1, type=int)
    )
    options = service.filter_options()
    words = _list_words()
    return render_template(
        "catalog/index.html",
        page=page,
        filters=filters,
        department_options=options_html(
            [(d.id, d.name.translate(HTML_ESCAPES)) for d in options.departments],
            filters["department_id"],
        ),
        region_options=options_html(
            [(r.id, _region_label(r)) for r in options.regions], filters["region_id"]
        ),
        classification_names=words.classifications,
        rows_html=_rows_html(page.items, words),
        pager=pager_html(page, "catalog.index") if page.items else "",
    )


def _region_label(region) -> str:
    return f"{region.name.translate(HTML_ESCAPES)} ({region.jurisdiction.translate(HTML_ESCAPES)})"


@per_language
def _list_words() -> _ListWords:
    return _ListWords()


class _ListWords:
    """The list's fixed words, translated once a language: markup, as a template's own text is."""

    def __init__(self) -> None:
        self.classifications = {
            "public": Markup(_("Public")),  # noqa: S704 (the catalog's text)
            "internal": Markup(_("Internal")),  # noqa: S704
            "restricted": Markup(_("Restricted")),  # noqa: S704
            "personal": Markup(_("Personal")),  # noqa: S704
        }
        self.personal_columns = _("Personal columns")
        self.no_version = _("No version yet")
        self.version_rows = _("Version %(number)s, %(rows)s rows")


_DATASET_ROW = """
    <tr>
      <td>
        <a href="{catalog_url}{id}">{title}</a>
        <p class="muted summary">{description}</p>
      </td>
      <td>{department} <span class="muted">({jurisdiction})</span></td>
      <td><span class="badge classification-{classification}">{classification_name}</span>\
{personal}</td>
      <td>{columns}</td>
      <td>{version}</td>
    </tr>
    """


def _rows_html(datasets: list, words: _ListWords) -> Markup:
    """The table's rows, written here rather than by the template (about 150 calls a row
    there). User text is escaped, and shortened first as the ``truncate`` filter does."""
    environment = current_app.jinja_env
    catalog_url = escape_text(url_for("catalog.index"))
    personal = f' <span class="badge warn">{words.personal_columns}</span>'
    no_version = f'<span class="muted">{words.no_version}</span>'
    number = number_formatter()

    def row(dataset) -> str:
        version = dataset.latest_version
        classification = dataset.classification
        name = words.classifications.get(classification)
        return _DATASET_ROW.format(
            catalog_url=catalog_url,
            id=dataset.id,
            title=dataset.title.translate(HTML_ESCAPES),
            description=escape_text(do_truncate(environment, dataset.description, 160)),
            department=dataset.department.translate(HTML_ESCAPES),
            jurisdiction=dataset.jurisdiction.translate(HTML_ESCAPES),
            classification=classification.translate(HTML_ESCAPES),
            classification_name=name if name is not None else escape_text(classification),
            personal=personal if dataset.has_personal_columns else "",
            columns=escape_text(do_truncate(environment, ", ".join(dataset.column_names), 80)),
            version=(
                words.version_rows
                % {"number": version.number, "rows": escape_text(number(version.row_count))}
                if version
                else no_version
            ),
        )

    return Markup("".join([row(dataset) for dataset in datasets]))  # noqa: S704 (escaped)


def _choices(form: DatasetForm, department_id: int) -> None:
    form.residency_jurisdiction.choices = [(code, code) for code in service.jurisdictions()]
    form.steward_id.choices = [
        (person.id, person.display_name) for person in service.department_people(department_id)
    ]


def _dataset_fields(form: DatasetForm) -> dict:
    """The form's values as the service takes them; the columns text is parsed first.

    Raises:
        Invalid: a column line without a name.
    """
    return {
        "title": form.title.data,
        "description": form.description.data or "",
        "classification": form.classification.data,
        "update_frequency": form.update_frequency.data,
        "residency_jurisdiction": form.residency_jurisdiction.data,
        "cross_border_allowed": bool(form.cross_border_allowed.data),
        "steward_id": form.steward_id.data,
        "columns": service.parse_column_lines(form.columns.data),
    }


@bp.route("/new", methods=["GET", "POST"])
def new():
    service.ensure_may_create(current_user)
    form = DatasetForm()
    _choices(form, current_user.department_id)
    if request.method == "GET":
        form.residency_jurisdiction.data = current_user.department.region.jurisdiction
        form.steward_id.data = current_user.id
    elif form.validate_on_submit():
        dataset = run_form(
            form, lambda: service.create_dataset(current_user, **_dataset_fields(form))
        )
        if dataset is not None:
            flash(
                _("Dataset “%(title)s” registered. Upload its first version.", title=dataset.title),
                "success",
            )
            return redirect(url_for(".show", dataset_id=dataset.id))
    return render_template("catalog/new.html", form=form), form_status(form)


@bp.route("/<int:dataset_id>/edit", methods=["GET", "POST"])
def edit(dataset_id: int):
    dataset = service.editable_dataset(current_user, dataset_id)
    if request.method == "GET":
        form = DatasetEditForm(obj=dataset)
        form.columns.data = service.format_column_lines(dataset)
    else:
        form = DatasetEditForm()
    _choices(form, dataset.owner_department_id)
    if request.method == "POST" and form.validate_on_submit():
        saved = run_form(
            form,
            lambda: service.update_dataset(
                current_user, dataset_id, version=form.version.data, **_dataset_fields(form)
            ),
        )
        if saved is not None:
            flash(_("The dataset was saved."), "success")
            return redirect(url_for(".show", dataset_id=dataset_id))
    return render_template("catalog/edit.html", form=form, dataset=dataset), form_status(form)


@bp.get("/<int:dataset_id>")
def show(dataset_id: int):
    return _show(dataset_id, UploadForm(formdata=None))


def _show(dataset_id: int, upload: UploadForm, status: int = 200):
    page = service.dataset_page(current_user, dataset_id)
    preview = service.preview(current_user, dataset_id) if page.may_preview else None
    return render_template(
        "catalog/show.html",
        p=page,
        preview=preview,
        upload=upload,
        max_upload=service.max_upload_bytes(),
        frequency_labels=FREQUENCY_LABELS,
    ), status


@bp.post("/<int:dataset_id>/versions")
def upload(dataset_id: int):
    form = UploadForm()
    if form.validate_on_submit():
        file = form.file.data
        if file is None or not getattr(file, "filename", ""):
            form.file.errors = [_("Choose a CSV file to upload.")]
        else:
            version = run_form(
                form,
                lambda: service.upload_version(
                    current_user, dataset_id, file.stream, file.filename
                ),
            )
            if version is not None:
                flash(
                    _(
                        "Version %(number)s stored: %(rows)s rows.",
                        number=version.number,
                        rows=version.row_count,
                    ),
                    "success",
                )
                return redirect(url_for(".show", dataset_id=dataset_id))
    return _show(dataset_id, form, form_status(form) if form.errors or form.form_errors else 422)


@bp.get("/coverage")
def coverage():
    found = service.coverage(current_user)
    return render_template("catalog/coverage.html", c=found, chart=coverage_chart(found))
