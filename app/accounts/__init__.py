"""Accounts: people, departments and regions, sign-in, API tokens and deputies."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register what the core needs from accounts: rules, and how callers are identified."""
    from app.accounts import policy  # noqa: F401  (registers the rules)
    from app.accounts.acting import NAMING_HEAD_FIGURE, naming_head_figure
    from app.accounts.directory import department_names
    from app.accounts.identity import (
        active_user,
        load_session_user,
        record_token_use,
        register_page_figure,
        session_caller,
        session_holds,
        session_parameters,
        token_caller,
        token_holder,
        token_holds,
        token_parameters,
        token_user,
        user_for_token,
    )
    from app.accounts.signin import AccountError
    from app.api import register_token_user
    from app.audit.views import register_department_options
    from app.errors import register_error_codes
    from app.extensions import login_manager
    from app.realtime import register_identity

    login_manager.user_loader(load_session_user)
    register_page_figure(NAMING_HEAD_FIGURE, naming_head_figure)
    register_token_user(user_for_token, token_user)
    register_identity(
        session_caller=session_caller,
        token_caller=token_caller,
        token_holder=token_holder,
        session_holds=session_holds,
        session_parameters=session_parameters,
        token_holds=token_holds,
        token_parameters=token_parameters,
        user=active_user,
    )
    register_department_options(department_names)
    app.after_request(record_token_use)
    register_error_codes("accounts", AccountError)
    from app.accounts.audit_sentences import LINKS, SENTENCES
    from app.audit.sentences import register_audit_sentences, register_object_link

    register_audit_sentences(SENTENCES)
    for object_type, link in LINKS.items():
        register_object_link(object_type, link)
    from app.accounts.session_cookie import RememberingSessionInterface

    app.session_interface = RememberingSessionInterface()
