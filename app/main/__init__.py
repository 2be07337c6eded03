"""The home page: what needs the signed-in user's attention."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import login_required

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def index():
    return render_template("main/index.html")


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; send them to the real icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)
