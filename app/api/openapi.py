"""The OpenAPI 3 document, generated from the schemas the endpoints declare."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify

from app.api import OPERATIONS, bp, openapi_path
from app.api.schemas import ErrorSchema, PageMetaSchema
from app.errors import error_codes

_PARAM = re.compile(r"<(?:([a-z]+):)?([a-z_]+)>")
_REASONS = {
    400: "Bad request (a NUL character in the query string, a missing CSRF token)",
    401: "Not signed in, or the token is not valid",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict with the current state",
    413: "The body is too large",
    414: "The address is too long",
    422: "Invalid input",
    429: "Too many requests",
    500: "Server error (logged)",
    503: "A service Bridgework depends on is not answering; retry later",
}
# Answers any operation may give, whatever it declares: malformed requests and failures.
_ALWAYS = {400, 414, 500, 503}


def build_spec() -> dict:
    """The OpenAPI 3 document of every declared endpoint, as a plain dict.

    Each error status an operation declares (plus 401 for authenticated ones and 422
    for those with input) answers with the shared ``Error`` envelope.
    """
    spec = APISpec(
        title="Bridgework API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Cross-department workspaces, governed data sharing and audit."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.schema("PageMeta", schema=PageMetaSchema)
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(openapi_path(op.rule), {})[op.method.lower()] = _operation(op)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _list_error_codes(document)
    return document


def _list_error_codes(document: dict) -> None:
    """Give the envelope's ``code`` every registered code, with the domain that uses it."""
    grouped = error_codes()
    code = document["components"]["schemas"]["ErrorBody"]["properties"]["code"]
    code["enum"] = sorted({c for codes in grouped.values() for c in codes})
    code["description"] = "; ".join(
        f"{domain}: {', '.join(codes)}" for domain, codes in grouped.items()
    )


def _operation(op) -> dict:
    doc: dict = {"summary": op.summary, "tags": [op.tag], "responses": {}}
    if op.operation_id:
        doc["operationId"] = op.operation_id
    parameters = [
        {
            "in": "path",
            "name": name,
            "required": True,
            "schema": {"type": "integer" if conv == "int" else "string"},
        }
        for conv, name in _PARAM.findall(op.rule)
    ]
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    if parameters:
        doc["parameters"] = parameters
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": op.body}},
        }
    if op.files:
        properties = {name: {"type": "string", "format": "binary"} for name in op.files}
        doc["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": properties,
                        "required": list(op.files),
                    }
                }
            },
        }
    if op.auth:
        doc["security"] = [{"bearer": []}]
    doc["responses"][str(op.status)] = _success(op)
    for code in sorted(_error_statuses(op)):
        doc["responses"][str(code)] = {
            "description": _REASONS.get(code, "Error"),
            "content": {"application/json": {"schema": "Error"}},
        }
    return doc


def _error_statuses(op) -> set[int]:
    """Every error status ``op`` may answer, each with the ``Error`` envelope."""
    codes = set(op.errors) | _ALWAYS
    if op.auth:
        codes.add(401)
    if op.body is not None or op.query is not None or op.files:
        codes.add(422)
    if op.body is not None or op.files:
        codes.add(413)
    if _PARAM.search(op.rule):
        codes.add(404)
    return codes


_CURSOR = {
    "type": "string",
    "nullable": True,
    "pattern": "^(before|after):[0-9]{1,19}$",
}
_KEYSET_PROPERTIES = {
    "next_cursor": {
        **_CURSOR,
        "description": "Pass as `cursor` for the next, older page; null on the oldest page.",
    },
    "prev_cursor": {
        **_CURSOR,
        "description": "Pass as `cursor` for the previous, newer page; null on the newest page.",
    },
    "total_capped": {
        "type": "boolean",
        "description": (
            "true when more entries match than were counted: `total` then stops at the cap "
            "(1000) and `pages` is a lower bound; follow `next_cursor` to the end."
        ),
    },
}
"""What a list paged by key answers besides the page metadata every list has."""


def _success(op) -> dict:
    if op.response is None:
        return {"description": "Done"}
    schema = op.response
    if op.paginated:
        schema = {
            "allOf": [
                {"$ref": "#/components/schemas/PageMeta"},
                {
                    "type": "object",
                    "required": ["items"],
                    "properties": {"items": {"type": "array", "items": op.response}},
                },
            ]
        }
        if op.paginated == "keyset":
            schema["allOf"][1]["properties"].update(_KEYSET_PROPERTIES)
            schema["allOf"][1]["required"] += list(_KEYSET_PROPERTIES)
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(build_spec())
