"""REST API of the catalog.

Each route parses its input through a schema (or, for uploads, the multipart form),
calls one service function and dumps the result; policy and validation live in
:mod:`app.catalog.service`.
"""

from __future__ import annotations

from flask import request

from app.api import api_user, endpoint
from app.api.schemas import EventBatchSchema, EventsQuerySchema
from app.catalog import schemas, service
from app.catalog.multipart import uploaded_file

TAG = "Catalog"


@endpoint(
    "/datasets",
    summary="Search the catalog: every dataset's metadata, by title",
    tag=TAG,
    query=schemas.DatasetListQuerySchema(),
    response=schemas.DatasetSchema(),
    paginated=True,
    plain_caller=True,
)
def list_datasets(query: dict):
    return service.list_dataset_answers(api_user(), **query)


@endpoint(
    "/datasets",
    "POST",
    summary="Register a dataset owned by your department, with its columns (officers, heads)",
    tag=TAG,
    body=schemas.DatasetCreateSchema(),
    response=schemas.DatasetSchema(),
    status=201,
    errors=(403,),
)
def create_dataset(body: dict):
    return service.create_dataset(api_user(), **body)


@endpoint(
    "/datasets/<int:dataset_id>",
    summary="A dataset's metadata, columns and versions",
    tag=TAG,
    response=schemas.DatasetSchema(),
    errors=(404,),
)
def get_dataset(dataset_id: int):
    return service.get_dataset(api_user(), dataset_id)


@endpoint(
    "/datasets/<int:dataset_id>",
    "PATCH",
    summary="Change a dataset's metadata or columns (owning department; send the version you read)",
    tag=TAG,
    body=schemas.DatasetUpdateSchema(),
    response=schemas.DatasetSchema(),
    errors=(403, 404, 409),
)
def update_dataset(dataset_id: int, body: dict):
    return service.update_dataset(api_user(), dataset_id, **body)


@endpoint(
    "/datasets/<int:dataset_id>/versions",
    "POST",
    summary="Upload a version: multipart/form-data with a CSV file in the field 'file' "
    "(owning department); 413 over the size limit, 422 naming the line of a bad file",
    tag=TAG,
    response=schemas.VersionSchema(),
    status=201,
    errors=(403, 404, 409, 413),
    files=("file",),
)
def upload_version(dataset_id: int):
    stream, filename = uploaded_file(request)
    return service.upload_version(api_user(), dataset_id, stream, filename)


@endpoint(
    "/datasets/<int:dataset_id>/preview",
    summary="The header and first 20 rows of the latest version (public datasets only)",
    tag=TAG,
    response=schemas.PreviewSchema(),
    errors=(403, 404),
)
def preview_dataset(dataset_id: int):
    return service.preview(api_user(), dataset_id)


@endpoint(
    "/datasets/<int:dataset_id>/events",
    summary="The dataset's live events after a sequence number, for catching up",
    tag=TAG,
    query=EventsQuerySchema(),
    response=EventBatchSchema(),
    errors=(404,),
)
def dataset_events(dataset_id: int, query: dict):
    return service.dataset_events(api_user(), dataset_id, query["after"])
