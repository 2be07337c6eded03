"""REST API of the cases domain.

Each route parses its input through a schema, calls one service function and dumps the
result; visibility, policy, locking and validation live in :mod:`app.cases.service`.
"""

from __future__ import annotations

from flask import request, send_file
from flask_babel import gettext as _

from app.api import api_user, endpoint
from app.api.schemas import EventBatchSchema, EventsQuerySchema
from app.cases import schemas, service
from app.errors import Invalid

TAG = "Cases"


@endpoint(
    "/cases",
    summary="List cases: of one workspace (?workspace=<id>), or of every workspace you are in",
    tag=TAG,
    query=schemas.CaseListQuerySchema(),
    response=schemas.CaseSchema(),
    paginated=True,
    errors=(404,),
    plain_caller=True,
)
def list_cases(query: dict):
    workspace_id = query.pop("workspace", None)
    page, per_page = query.pop("page"), query.pop("per_page")
    return service.list_cases(
        api_user(),
        workspace_id,
        service.CaseFilters(**query),
        page=page,
        per_page=per_page,
        with_description=True,
    )


@endpoint(
    "/cases",
    "POST",
    summary="Open a case in a workspace (its leads and members)",
    tag=TAG,
    body=schemas.CaseCreateSchema(),
    response=schemas.CaseSchema(),
    status=201,
    errors=(403, 404, 409),
)
def create_case(body: dict):
    return service.create_case(api_user(), body.pop("workspace_id"), **body)


@endpoint(
    "/cases/<int:case_id>",
    summary="A case (metadata only, with a null description, for oversight)",
    tag=TAG,
    response=schemas.CaseSchema(),
    errors=(404,),
)
def get_case(case_id: int):
    return service.get_case(api_user(), case_id)


@endpoint(
    "/cases/<int:case_id>",
    "PATCH",
    summary="Change a case or move it to another status; send the version you read",
    tag=TAG,
    body=schemas.CaseUpdateSchema(),
    response=schemas.CaseSchema(),
    errors=(403, 404, 409),
)
def update_case(case_id: int, body: dict):
    return service.update_case(api_user(), case_id, **body, as_row=True)


@endpoint(
    "/cases/<int:case_id>/comments",
    "POST",
    summary="Comment on a case; @username notifies that member",
    tag=TAG,
    body=schemas.CommentCreateSchema(),
    response=schemas.CommentSchema(),
    status=201,
    errors=(403, 404, 409),
)
def add_comment(case_id: int, body: dict):
    return service.add_comment(api_user(), case_id, body["body"])


@endpoint(
    "/cases/<int:case_id>/attachments",
    "POST",
    summary="Attach a file (multipart field 'file'; PDF, PNG, JPEG, CSV or plain text)",
    tag=TAG,
    response=schemas.AttachmentSchema(),
    status=201,
    errors=(403, 404, 409, 413, 422),
)
def add_attachment(case_id: int):
    upload = request.files.get("file")
    if upload is None:
        raise Invalid(
            _("Send the file as multipart/form-data in a field named 'file'."),
            fields={"file": [_("No file was sent.")]},
        )
    return service.add_attachment(api_user(), case_id, upload.stream, upload.filename or "")


@endpoint(
    "/cases/<int:case_id>/attachments/<int:attachment_id>",
    summary="Download an attachment (those who may read the case; the download is audited)",
    tag=TAG,
    errors=(404,),
)
def download_attachment(case_id: int, attachment_id: int):
    found = service.attachment_for_download(api_user(), case_id, attachment_id)
    response = send_file(
        found.path,
        mimetype=found.attachment.content_type,
        as_attachment=True,
        download_name=found.attachment.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@endpoint(
    "/cases/<int:case_id>/links",
    "POST",
    summary="Link a case to a data request or grant of its workspace",
    tag=TAG,
    body=schemas.LinkCreateSchema(),
    response=schemas.LinkSchema(),
    status=201,
    errors=(403, 404, 409),
)
def add_link(case_id: int, body: dict):
    return service.add_link(api_user(), case_id, **body)


@endpoint(
    "/cases/<int:case_id>/events",
    summary="The case's timeline after a sequence number, for catching up",
    tag=TAG,
    query=EventsQuerySchema(),
    response=EventBatchSchema(),
    errors=(403, 404),
)
def case_events(case_id: int, query: dict):
    return service.case_events(api_user(), case_id, query["after"])


@endpoint(
    "/cases/boards/<int:workspace_id>/events",
    summary="A workspace's case-board events after a sequence number, for catching up",
    tag=TAG,
    query=EventsQuerySchema(),
    response=EventBatchSchema(),
    errors=(404,),
)
def board_events(workspace_id: int, query: dict):
    return service.board_events(api_user(), workspace_id, query["after"])
