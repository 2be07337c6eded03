"""The audit log pages: browse the chain with filters, and verify it."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from app.audit import service, verification
from app.audit.forms import AuditFilterForm

bp = Blueprint("audit", __name__, url_prefix="/audit")

PER_PAGE = 50


_department_options: dict[str, Callable[[], list]] = {"all": list}


def register_department_options(provider: Callable[[], list]) -> None:
    """Name where the log's department filter finds its departments (accounts does)."""
    _department_options["all"] = provider


@bp.app_template_filter("audit_detail")
def audit_detail(detail) -> str:
    """An entry's detail as compact JSON; the template escapes it like any user text."""
    if not detail:
        return ""
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@bp.get("/")
@login_required
def log():
    departments = _department_options["all"]()
    filters = AuditFilterForm(formdata=request.args)
    filters.set_departments(departments)
    filters.validate()
    page = service.list_entries(
        current_user,
        filters.filters(),
        page=max(1, request.args.get("page", 1, type=int) or 1),
        per_page=PER_PAGE,
    )
    return render_template(
        "audit/log.html",
        page=page,
        filters=filters,
        department_names={d.id: d.name for d in departments},
    ), (422 if filters.errors else 200)


@bp.post("/verify")
@login_required
def verify():
    result = verification.verify(current_user)
    return render_template("audit/verify.html", result=result)
