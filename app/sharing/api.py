"""REST API of the sharing domain: data requests and their transitions.

Each route parses its input through a schema, calls one service function and dumps the
result; visibility, policy, the state machine and validation live in
:mod:`app.sharing.service`. An illegal transition is 409 with a code saying why.
"""

from __future__ import annotations

from app.api import api_user, endpoint
from app.api.schemas import EventBatchSchema, EventsQuerySchema
from app.sharing import schemas, service

TAG = "Data requests"
_DETAIL = schemas.DataRequestDetailSchema()
_TRANSITION_ERRORS = (403, 404, 409)


def _view(request):
    return service.view_of(api_user(), request)


@endpoint(
    "/data-requests",
    summary="Requests you may see: box=filed (yours), waiting (for your decision) or visible",
    tag=TAG,
    query=schemas.DataRequestListQuerySchema(),
    response=schemas.DataRequestSchema(exclude=("row_filter", "grant_id", "details_hidden")),
    paginated=True,
)
def list_data_requests(query: dict):
    return service.list_requests(api_user(), **query)


@endpoint(
    "/data-requests",
    "POST",
    summary="File a request from a workspace (a draft, or submitted at once with submit=true)",
    tag=TAG,
    body=schemas.DataRequestCreateSchema(),
    response=_DETAIL,
    status=201,
    errors=(403, 404),
)
def file_data_request(body: dict):
    workspace_id = body.pop("workspace_id")
    return _view(service.file_request(api_user(), workspace_id, **body))


@endpoint(
    "/data-requests/counts",
    summary="How many of your requests are open and how many wait for your decision",
    tag=TAG,
    response=schemas.RequestCountsSchema(),
)
def data_request_counts():
    return service.request_counts(api_user())


@endpoint(
    "/data-requests/<int:request_id>",
    summary="A request with its scope, decisions and timeline",
    tag=TAG,
    response=_DETAIL,
    errors=(404,),
)
def get_data_request(request_id: int):
    return service.request_view(api_user(), request_id)


@endpoint(
    "/data-requests/<int:request_id>",
    "PATCH",
    summary="Edit a draft or a request returned for changes (its requester)",
    tag=TAG,
    body=schemas.DataRequestUpdateSchema(),
    response=_DETAIL,
    errors=_TRANSITION_ERRORS,
)
def update_data_request(request_id: int, body: dict):
    return _view(service.update_request(api_user(), request_id, **body))


@endpoint(
    "/data-requests/<int:request_id>/submit",
    "POST",
    summary="Submit for decision; due in REQUEST_SLA_DAYS (its requester)",
    tag=TAG,
    response=_DETAIL,
    errors=_TRANSITION_ERRORS,
)
def submit_data_request(request_id: int):
    return _view(service.submit_request(api_user(), request_id))


@endpoint(
    "/data-requests/<int:request_id>/endorse",
    "POST",
    summary="Endorse for the requesting department (its head or the head's deputy)",
    tag=TAG,
    body=schemas.NoteSchema(),
    response=_DETAIL,
    errors=_TRANSITION_ERRORS,
)
def endorse_data_request(request_id: int, body: dict):
    return _view(service.endorse_request(api_user(), request_id, **body))


@endpoint(
    "/data-requests/<int:request_id>/approve",
    "POST",
    summary="Approve as the owning department or as dpo, optionally for a narrower scope",
    tag=TAG,
    body=schemas.ApproveSchema(),
    response=_DETAIL,
    errors=_TRANSITION_ERRORS,
)
def approve_data_request(request_id: int, body: dict):
    return _view(service.approve_request(api_user(), request_id, **body))


@endpoint(
    "/data-requests/<int:request_id>/reject",
    "POST",
    summary="Reject with a reason (whoever decides now)",
    tag=TAG,
    body=schemas.ReasonSchema(),
    response=_DETAIL,
    errors=_TRANSITION_ERRORS,
)
def reject_data_request(request_id: int, body: dict):
    return _view(service.reject_request(api_user(), request_id, reason=body["reason"]))


@endpoint(
    "/data-requests/<int:request_id>/request-changes",
    "POST",
    summary="Return the request to its requester with what should change",
    tag=TAG,
    body=schemas.RequiredNoteSchema(),
    response=_DETAIL,
    errors=_TRANSITION_ERRORS,
)
def request_changes_to_data_request(request_id: int, body: dict):
    return _view(service.request_changes(api_user(), request_id, note=body["note"]))


@endpoint(
    "/data-requests/<int:request_id>/withdraw",
    "POST",
    summary="Withdraw before a final decision (its requester)",
    tag=TAG,
    body=schemas.WithdrawSchema(),
    response=_DETAIL,
    errors=_TRANSITION_ERRORS,
)
def withdraw_data_request(request_id: int, body: dict):
    return _view(service.withdraw_request(api_user(), request_id, **body))


@endpoint(
    "/data-requests/<int:request_id>/link-dataset",
    "POST",
    summary="Answer a request for unpublished data with a dataset of the owning department",
    tag=TAG,
    body=schemas.LinkDatasetSchema(),
    response=_DETAIL,
    errors=_TRANSITION_ERRORS,
)
def link_dataset_to_data_request(request_id: int, body: dict):
    return _view(
        service.link_dataset(api_user(), request_id, body["dataset_id"], note=body.get("note"))
    )


@endpoint(
    "/data-requests/<int:request_id>/comments",
    "POST",
    summary="Comment on a request (the people working on it)",
    tag=TAG,
    body=schemas.CommentSchema(),
    response=_DETAIL,
    status=201,
    errors=(403, 404),
)
def comment_on_data_request(request_id: int, body: dict):
    return _view(service.comment_on_request(api_user(), request_id, text=body["text"]))


@endpoint(
    "/data-requests/<int:request_id>/events",
    summary="The request's live events after a sequence number, for catching up",
    tag=TAG,
    query=EventsQuerySchema(),
    response=EventBatchSchema(),
    errors=(404,),
)
def data_request_events(request_id: int, query: dict):
    return service.request_events(api_user(), request_id, query["after"])
