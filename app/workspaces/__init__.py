"""Workspaces: the virtual organisations departments of different regions form together."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the workspace rules, the ``workspace`` stream kind and the error codes."""
    from app.errors import register_error_codes
    from app.workspaces import policy, streams  # noqa: F401  (register on import)
    from app.workspaces.access import WorkspaceError

    register_error_codes("workspaces", WorkspaceError)
    from app.main.cards import register_card
    from app.workspaces.home import invitations_card, workspaces_card

    register_card("invitations", invitations_card, order=10)
    register_card("workspaces", workspaces_card, order=20)
    from app.audit.sentences import register_audit_sentences, register_object_link
    from app.workspaces.audit_sentences import LINKS, SENTENCES

    register_audit_sentences(SENTENCES)
    for object_type, link in LINKS.items():
        register_object_link(object_type, link)
