"""REST API of the accounts domain: tokens, the caller, regions, departments, users, deputies.

Each route parses its input through a schema, calls one service function and dumps the
result; authorization and validation live in :mod:`app.accounts.service`.
"""

from __future__ import annotations

from flask import request

from app.accounts import schemas, service
from app.api import api_user, endpoint
from app.api.schemas import PageQuerySchema

ACCOUNT = "Account"
DIRECTORY = "Regions and departments"
USERS = "Users"
DEPUTIES = "Delegations"


# Tokens and the caller --------------------------------------------------------------------


@endpoint(
    "/tokens",
    "POST",
    summary="Sign in with a password and create an API token (shown once)",
    tag=ACCOUNT,
    auth=False,
    body=schemas.TokenCreateSchema(),
    response=schemas.IssuedTokenSchema(),
    status=201,
    errors=(401, 429),
)
def create_token(body: dict):
    api_token, secret = service.issue_token_for_credentials(
        body["username"],
        body["password"],
        request.remote_addr or "unknown",
        body["name"],
        expires_in_days=body["expires_in_days"],
    )
    return {"api_token": api_token, "secret": secret}


@endpoint(
    "/tokens",
    summary="List your own API tokens (never their secrets)",
    tag=ACCOUNT,
    query=PageQuerySchema(),
    response=schemas.TokenSchema(),
    paginated=True,
)
def list_tokens(query: dict):
    return service.token_page(api_user(), **query)


@endpoint(
    "/tokens/<int:token_id>/revoke",
    "POST",
    summary="Revoke an API token; it stops working at once",
    tag=ACCOUNT,
    response=schemas.TokenSchema(),
    errors=(404, 409),
)
def revoke_token(token_id: int):
    return service.revoke_token(api_user(), token_id)


@endpoint(
    "/me",
    summary="Who you are: account, department and region, roles, and whom you deputise for",
    tag=ACCOUNT,
    response=schemas.MeSchema(),
)
def me():
    return service.account_summary(api_user())


# Regions ----------------------------------------------------------------------------------


@endpoint(
    "/regions",
    summary="List regions",
    tag=DIRECTORY,
    query=schemas.RegionQuerySchema(),
    response=schemas.RegionSchema(),
    paginated=True,
)
def list_regions(query: dict):
    return service.list_regions(
        api_user(), search=query.get("q"), page=query["page"], per_page=query["per_page"]
    )


@endpoint(
    "/regions",
    "POST",
    summary="Create a region (admin)",
    tag=DIRECTORY,
    body=schemas.RegionCreateSchema(),
    response=schemas.RegionSchema(),
    status=201,
    errors=(403,),
)
def create_region(body: dict):
    return service.create_region(api_user(), **body)


@endpoint(
    "/regions/<int:region_id>",
    summary="Show a region",
    tag=DIRECTORY,
    response=schemas.RegionSchema(),
    errors=(404,),
)
def get_region(region_id: int):
    return service.get_region(api_user(), region_id)


@endpoint(
    "/regions/<int:region_id>",
    "PATCH",
    summary="Change a region (admin)",
    tag=DIRECTORY,
    body=schemas.RegionUpdateSchema(),
    response=schemas.RegionSchema(),
    errors=(403, 404),
)
def update_region(region_id: int, body: dict):
    return service.update_region(api_user(), region_id, **body)


# Departments ------------------------------------------------------------------------------


@endpoint(
    "/departments",
    summary="List departments",
    tag=DIRECTORY,
    query=schemas.DepartmentQuerySchema(),
    response=schemas.DepartmentSchema(),
    paginated=True,
)
def list_departments(query: dict):
    return service.list_departments(
        api_user(),
        search=query.get("q"),
        region_id=query.get("region_id"),
        page=query["page"],
        per_page=query["per_page"],
    )


@endpoint(
    "/departments",
    "POST",
    summary="Create a department (admin)",
    tag=DIRECTORY,
    body=schemas.DepartmentCreateSchema(),
    response=schemas.DepartmentSchema(),
    status=201,
    errors=(403,),
)
def create_department(body: dict):
    return service.create_department(api_user(), **body)


@endpoint(
    "/departments/<int:department_id>",
    summary="Show a department",
    tag=DIRECTORY,
    response=schemas.DepartmentSchema(),
    errors=(404,),
)
def get_department(department_id: int):
    return service.get_department(api_user(), department_id)


@endpoint(
    "/departments/<int:department_id>",
    "PATCH",
    summary="Change a department (admin); parent_id null makes it top-level",
    tag=DIRECTORY,
    body=schemas.DepartmentUpdateSchema(),
    response=schemas.DepartmentSchema(),
    errors=(403, 404),
)
def update_department(department_id: int, body: dict):
    return service.update_department(api_user(), department_id, **body)


# Users ------------------------------------------------------------------------------------


@endpoint(
    "/users",
    summary="List users (admin)",
    tag=USERS,
    query=schemas.UserQuerySchema(),
    response=schemas.UserSchema(),
    paginated=True,
    errors=(403,),
    plain_caller=True,
)
def list_users(query: dict):
    return service.list_user_answers(
        api_user(),
        search=query.get("q"),
        department_id=query.get("department_id"),
        role=query.get("role"),
        active=query.get("active"),
        page=query["page"],
        per_page=query["per_page"],
    )


@endpoint(
    "/users",
    "POST",
    summary="Create a user (admin)",
    tag=USERS,
    body=schemas.UserCreateSchema(),
    response=schemas.UserSchema(),
    status=201,
    errors=(403,),
)
def create_user(body: dict):
    return service.create_user(api_user(), **body)


@endpoint(
    "/users/<int:user_id>",
    summary="Show a user (admins and auditors: anyone; others: themselves)",
    tag=USERS,
    response=schemas.UserSchema(),
    errors=(404,),
)
def get_user(user_id: int):
    return service.get_user(api_user(), user_id)


@endpoint(
    "/users/<int:user_id>",
    "PATCH",
    summary="Change a user (admin); active=false deactivates and ends sessions and tokens",
    tag=USERS,
    body=schemas.UserUpdateSchema(),
    response=schemas.UserSchema(),
    errors=(403, 404),
)
def update_user(user_id: int, body: dict):
    return service.update_user(api_user(), user_id, **body)


# Delegations ------------------------------------------------------------------------------


@endpoint(
    "/delegations",
    summary="List the delegations you gave as head or received as deputy",
    tag=DEPUTIES,
    query=PageQuerySchema(),
    response=schemas.DelegationSchema(),
    paginated=True,
)
def list_delegations(query: dict):
    return service.delegation_page(api_user(), **query)


@endpoint(
    "/delegations",
    "POST",
    summary="Name a deputy from your own department for a period (heads)",
    tag=DEPUTIES,
    body=schemas.DelegationCreateSchema(),
    response=schemas.DelegationSchema(),
    status=201,
    errors=(403,),
)
def create_delegation(body: dict):
    return service.create_delegation(api_user(), **body)


@endpoint(
    "/delegations/<int:delegation_id>/revoke",
    "POST",
    summary="End a delegation now (its head, or an admin)",
    tag=DEPUTIES,
    response=schemas.DelegationSchema(),
    errors=(404, 409),
)
def revoke_delegation(delegation_id: int):
    return service.revoke_delegation(api_user(), delegation_id)
