"""The OpenAPI document: valid OpenAPI 3, complete, and consistent with the routes."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from app.api import OPERATIONS, bp

API = "/api/v1"
SECRET_NAMES = {"password_hash", "secret_hash", "session_version"}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(client) -> dict:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def _refs(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                yield item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _resolve(spec: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = spec
    for part in ref[2:].split("/"):
        assert part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def test_document_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_document_is_served_without_a_token(client):
    assert client.get(f"{API}/openapi.json").status_code == 200


def test_every_api_route_is_documented_with_its_methods(app, spec):
    documented = {(path, method) for path, method, _ in _operations(spec)}
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(f"{bp.name}.") or rule.rule == f"{API}/openapi.json":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    assert routes, "no API routes registered"
    assert routes == documented


def test_contract_endpoints_of_the_foundation_are_present(spec):
    expected = {
        ("/api/v1/tokens", "post"),
        ("/api/v1/tokens", "get"),
        ("/api/v1/tokens/{token_id}/revoke", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/regions", "get"),
        ("/api/v1/regions", "post"),
        ("/api/v1/regions/{region_id}", "get"),
        ("/api/v1/regions/{region_id}", "patch"),
        ("/api/v1/departments", "get"),
        ("/api/v1/departments", "post"),
        ("/api/v1/departments/{department_id}", "get"),
        ("/api/v1/departments/{department_id}", "patch"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{user_id}", "get"),
        ("/api/v1/users/{user_id}", "patch"),
        ("/api/v1/delegations", "get"),
        ("/api/v1/delegations", "post"),
        ("/api/v1/delegations/{delegation_id}/revoke", "post"),
        ("/api/v1/audit", "get"),
        ("/api/v1/audit/verify", "post"),
    }
    assert expected <= {(path, method) for path, method, _ in _operations(spec)}


def test_every_reference_resolves(spec):
    refs = set(_refs(spec))
    assert "#/components/schemas/Error" in refs
    for ref in refs:
        _resolve(spec, ref)


def test_every_error_response_is_the_error_envelope(spec):
    for path, method, operation in _operations(spec):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (path, method, status)
    error = spec["components"]["schemas"]["Error"]
    body = _resolve(spec, error["properties"]["error"]["$ref"])
    assert set(body["properties"]) == {"code", "message", "fields"}


def test_operations_declare_auth_input_errors_and_unique_ids(spec):
    ids = []
    for path, method, operation in _operations(spec):
        ids.append(operation["operationId"])
        assert operation["summary"] and operation["tags"]
        public = path == f"{API}/tokens" and method == "post"
        assert ("security" in operation) is not public, (path, method)
        if "security" in operation:
            assert "401" in operation["responses"], (path, method)
        if "requestBody" in operation or any(
            p["in"] == "query" for p in operation.get("parameters", [])
        ):
            assert "422" in operation["responses"], (path, method)
        for name in re.findall(r"{([a-z_]+)}", path):
            assert any(p["in"] == "path" and p["name"] == name for p in operation["parameters"])
    assert len(ids) == len(set(ids))


def test_list_endpoints_document_the_page_envelope(spec):
    paged = [op for op in OPERATIONS if op.paginated]
    assert paged
    for op in paged:
        path = API + re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", op.rule)
        operation = spec["paths"][path][op.method.lower()]
        schema = operation["responses"][str(op.status)]["content"]["application/json"]["schema"]
        meta, items = schema["allOf"]
        assert meta == {"$ref": "#/components/schemas/PageMeta"}
        assert items["properties"]["items"]["type"] == "array"
        names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
        assert {"page", "per_page"} <= names
        per_page = next(p for p in operation["parameters"] if p["name"] == "per_page")
        assert per_page["schema"]["maximum"] <= 100


def test_no_schema_exposes_secrets(spec):
    for name, schema in spec["components"]["schemas"].items():
        assert not set(schema.get("properties", {})) & SECRET_NAMES, name


def test_token_secret_appears_only_when_the_token_is_issued(spec):
    schemas = spec["components"]["schemas"]
    assert "token" in schemas["IssuedToken"]["properties"]
    assert "token" not in schemas["Token"]["properties"]
    listed = spec["paths"][f"{API}/tokens"]["get"]["responses"]["200"]
    items = listed["content"]["application/json"]["schema"]["allOf"][1]["properties"]["items"]
    assert items["items"] == {"$ref": "#/components/schemas/Token"}


def test_every_operation_documents_the_answers_any_request_may_get(spec):
    for path, method, operation in _operations(spec):
        statuses = set(operation["responses"])
        assert {"400", "414", "500", "503"} <= statuses, (path, method)
        if "requestBody" in operation:
            assert "413" in statuses, (path, method)
        if "{" in path:
            assert "404" in statuses, (path, method)


def test_a_list_answer_validates_against_its_documented_schema(client, spec, make_token):
    from jsonschema import Draft4Validator

    from tests.factories import make_user

    response = client.get(f"{API}/regions", headers=make_token(make_user("admin")))
    assert response.status_code == 200
    operation = spec["paths"][f"{API}/regions"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    # The components travel with the schema, so its "#/components/..." references resolve.
    validator = Draft4Validator({"components": spec["components"], **schema})
    assert list(validator.iter_errors(response.get_json())) == []
