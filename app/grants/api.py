"""REST API of the grant domain: terms, usage, revocation, extension and the extract itself."""

from __future__ import annotations

from app.api import api_user, endpoint
from app.api.schemas import EventBatchSchema, EventsQuerySchema
from app.grants import schemas, service
from app.grants.models import AccessKind
from app.grants.responses import extract_response
from app.sharing.schemas import DataRequestDetailSchema

TAG = "Grants"


@endpoint(
    "/grants",
    summary="Grants you read through, own, or (auditors) all grants",
    tag=TAG,
    query=schemas.GrantListQuerySchema(),
    response=schemas.GrantSchema(),
    paginated=True,
)
def list_grants(query: dict):
    dataset_id = query.pop("dataset", None)
    return service.list_grants(api_user(), dataset_id=dataset_id, **query)


@endpoint(
    "/grants/<int:grant_id>",
    summary="A grant's terms and state",
    tag=TAG,
    response=schemas.GrantSchema(),
    errors=(404,),
)
def get_grant(grant_id: int):
    return service.get_grant(api_user(), grant_id)


@endpoint(
    "/grants/<int:grant_id>/access-events",
    summary="Reads through a grant (owners and auditors: all; grantees: their own)",
    tag=TAG,
    query=schemas.PageQuerySchema(),
    response=schemas.AccessEventSchema(),
    paginated=True,
    errors=(404,),
)
def list_access_events(grant_id: int, query: dict):
    return service.access_events(api_user(), grant_id=grant_id, **query)


@endpoint(
    "/grants/<int:grant_id>/revoke",
    "POST",
    summary="Revoke a grant with a reason (the owning department's head or the steward)",
    tag=TAG,
    body=schemas.RevokeSchema(),
    response=schemas.GrantSchema(),
    errors=(403, 404, 409),
)
def revoke_grant(grant_id: int, body: dict):
    return service.revoke_grant(api_user(), grant_id, reason=body["reason"])


@endpoint(
    "/grants/<int:grant_id>/extend",
    "POST",
    summary="Ask to extend a grant: files a new data request prefilled from it",
    tag=TAG,
    body=schemas.ExtendSchema(),
    response=DataRequestDetailSchema(),
    status=201,
    errors=(403, 404, 409),
)
def extend_grant(grant_id: int, body: dict):
    return service.extend_grant(api_user(), grant_id, submit=body["submit"])


@endpoint(
    "/grants/<int:grant_id>/extract",
    summary="The grant's data: granted columns and rows, masked, streamed as CSV or JSON",
    tag=TAG,
    query=schemas.ExtractQuerySchema(),
    errors=(403, 404, 409),
)
def extract(grant_id: int, query: dict):
    result = service.read_through_grant(
        api_user(),
        grant_id,
        kind=AccessKind.API.value,
        output_format=query["format"],
        limit=query["limit"],
    )
    return extract_response(result)


@endpoint(
    "/grants/<int:grant_id>/events",
    summary="The grant's live events after a sequence number, for catching up",
    tag=TAG,
    query=EventsQuerySchema(),
    response=EventBatchSchema(),
    errors=(404,),
)
def grant_events(grant_id: int, query: dict):
    return service.grant_events(api_user(), grant_id, query["after"])


@endpoint(
    "/grant-access-events",
    summary="Reads through every grant (auditors), or through those you "
    "answer for and your own reads",
    tag=TAG,
    query=schemas.PageQuerySchema(),
    response=schemas.AccessEventSchema(),
    paginated=True,
)
def list_all_access_events(query: dict):
    return service.access_events(api_user(), **query)
