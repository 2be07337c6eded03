"""Administration pages: users, regions, departments."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.accounts import service

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@login_required
def users():
    page = service.list_users(current_user)
    return render_template("admin/users.html", page=page)
