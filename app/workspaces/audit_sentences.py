"""How the workspaces domain's audit entries read, and where their objects are shown."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SENTENCES = {
    "workspace.created": _l("%(actor)s created the workspace %(name)s, ending on %(ends_on)s"),
    "workspace.updated": _l("%(actor)s changed %(object)s: %(changes)s"),
    "workspace.archived": _l("%(actor)s archived %(object)s"),
    "workspace.department_invited": _l("%(actor)s invited %(department)s to %(workspace)s"),
    "workspace.invitation_withdrawn": _l(
        "%(actor)s withdrew the invitation of %(department)s to %(workspace)s"
    ),
    "workspace.department_accepted": _l(
        "%(actor)s accepted the invitation of %(department)s to %(workspace)s"
    ),
    "workspace.department_declined": _l(
        "%(actor)s declined the invitation of %(department)s to %(workspace)s: %(reason)s"
    ),
    "workspace.member_added": _l("%(actor)s added user #%(user_id)s to %(workspace)s as %(role)s"),
    "workspace.member_updated": _l(
        "%(actor)s changed the membership of user #%(user_id)s in %(workspace)s: %(changes)s"
    ),
    "workspace.member_removed": _l("%(actor)s removed user #%(user_id)s from %(workspace)s"),
}


def _workspace_page(entry):
    return f"/workspaces/{entry.workspace_id}" if entry.workspace_id else None


LINKS = {
    "workspace": lambda entry: f"/workspaces/{entry.object_id}",
    "workspace_department": _workspace_page,
    "membership": _workspace_page,
}
