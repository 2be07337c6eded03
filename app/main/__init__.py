"""The home page: what needs the signed-in user's attention, from every domain's card."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.main.cards import cards_for

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def index():
    cards = cards_for(current_user)
    refresh_on = sorted({prefix for card in cards for prefix in card.refresh_on})
    return render_template("main/index.html", cards=cards, refresh_on=refresh_on)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; send them to the real icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)
