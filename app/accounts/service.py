"""Accounts: the operations that views, the API and the command line call.

The work lives in modules along the domain's seams, each readable in one sitting:
:mod:`~app.accounts.signin` (signing in and out, passwords), :mod:`~app.accounts.directory`
(users, roles, regions, departments), :mod:`~app.accounts.tokens` (API tokens) and
:mod:`~app.accounts.delegations` (deputies). :mod:`~app.accounts.identity` and
:mod:`~app.accounts.acting` hold the lookups that other layers need (who is calling, who
answers for a department); they import only models and the database.
"""

from app.accounts.acting import acting_delegations, acting_for, deciders
from app.accounts.delegations import (
    AccountSummary,
    account_summary,
    create_delegation,
    delegation_page,
    deputy_candidates,
    list_delegations,
    revoke_delegation,
)
from app.accounts.directory import (
    all_departments,
    all_regions,
    bootstrap_admin,
    create_department,
    create_region,
    create_user,
    department_names,
    end_user_sessions,
    get_department,
    get_region,
    get_user,
    list_departments,
    list_regions,
    list_user_answers,
    list_user_rows,
    list_users,
    set_user_active,
    update_department,
    update_region,
    update_user,
)
from app.accounts.identity import TOKEN_PREFIX, load_session_user, user_for_token
from app.accounts.signin import SIGN_IN_REFUSED, authenticate, change_password, record_logout
from app.accounts.tokens import (
    create_token,
    issue_token_for_credentials,
    list_tokens,
    revoke_token,
    token_page,
)

__all__ = [
    "SIGN_IN_REFUSED",
    "TOKEN_PREFIX",
    "AccountSummary",
    "account_summary",
    "acting_delegations",
    "acting_for",
    "all_departments",
    "department_names",
    "all_regions",
    "authenticate",
    "bootstrap_admin",
    "change_password",
    "create_delegation",
    "create_department",
    "create_region",
    "create_token",
    "create_user",
    "end_user_sessions",
    "deciders",
    "delegation_page",
    "deputy_candidates",
    "get_department",
    "get_region",
    "get_user",
    "issue_token_for_credentials",
    "list_delegations",
    "list_departments",
    "list_regions",
    "list_tokens",
    "list_user_answers",
    "list_user_rows",
    "list_users",
    "load_session_user",
    "record_logout",
    "revoke_delegation",
    "revoke_token",
    "set_user_active",
    "token_page",
    "update_department",
    "update_region",
    "update_user",
    "user_for_token",
]
