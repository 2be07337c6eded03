"""The workspace list's table rows and filter options, written out in Python.

Drawn by Jinja, a row cost a few hundred calls (a macro call for its day and its state
badge, an escape and a Markup object for every value) and the department filter's twenty
options as many again. Here each is one ``str.format``: user text escaped with the tested
escape of ``app.html``, the page's fixed words translated once and kept as the catalog's
own text (as a template shows it), and the link to each workspace built once.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from jinja2.filters import do_truncate
from markupsafe import Markup

from app.html import HTML_ESCAPES, escape_text, number_formatter, options_html, per_language
from app.i18n import format_day
from app.main import _url_for_ids as url_for_ids
from app.workspaces.models import WorkspaceState

_ROW = """
    <tr>
      <td>
        <a href="{link}">{name}</a>
        {invited}
        <p class="muted summary">{purpose}</p>
      </td>
      <td>{owner}</td>
      <td>
        {departments}
      </td>
      <td>{members}</td>
      <td><time datetime="{ends_on}">{ends_on_text}</time></td>
      <td>
{state}</td>
    </tr>
    """


@per_language
def _row_words() -> tuple[str, dict[WorkspaceState, str]]:
    """The invitation badge and each state's badge, as the rows show them."""
    return f'<span class="badge warn">{_("Your department is invited")}</span>', {
        WorkspaceState.ARCHIVED: f'<span class="badge off">{_("Archived")}</span>',
        WorkspaceState.ENDED: f'<span class="badge warn">{_("Ended")}</span>',
        WorkspaceState.ACTIVE: f'<span class="badge ok">{_("Active")}</span>',
    }


def rows_html(workspaces: list) -> Markup:
    """The list's table rows (``WorkspaceRow``s), as ``workspaces/index.html`` wrote them."""
    environment = current_app.jinja_env
    link = url_for_ids("workspaces.show", "workspace_id")
    number = number_formatter()
    invited, state_badges = _row_words()

    def row(workspace) -> str:
        return _ROW.format(
            link=escape_text(link(workspace.id)),
            name=workspace.name.translate(HTML_ESCAPES),
            invited=invited if workspace.own_invited else "",
            purpose=escape_text(do_truncate(environment, workspace.purpose, 160)),
            owner=workspace.owner.translate(HTML_ESCAPES),
            departments=", ".join(
                [_taking_part(department) for department in workspace.departments]
            ),
            members=escape_text(number(workspace.member_count)),
            ends_on=workspace.ends_on.isoformat(),
            ends_on_text=escape_text(format_day(workspace.ends_on)),
            state=state_badges[workspace.state()],
        )

    return Markup("".join([row(workspace) for workspace in workspaces]))  # noqa: S704 (escaped)


def _taking_part(department) -> str:
    """A department taking part, with its jurisdiction."""
    jurisdiction = department.jurisdiction.translate(HTML_ESCAPES)
    return f'{department.name.translate(HTML_ESCAPES)} <span class="muted">({jurisdiction})</span>'


def region_options(regions: list, selected: int | None) -> Markup:
    """The region filter's options: each region with its jurisdiction."""
    return options_html([(region.id, escape_text(region)) for region in regions], selected)


def department_options(departments: list, selected: int | None) -> Markup:
    """The department filter's options: each department with its region (names repeat)."""
    return options_html(
        [
            (department.id, f"{escape_text(department.name)} — {escape_text(department.region)}")
            for department in departments
        ],
        selected,
    )
