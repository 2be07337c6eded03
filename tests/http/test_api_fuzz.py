"""Schemathesis over every operation of the OpenAPI document, as an admin and as an officer.

Each operation gets a bounded number of generated requests (valid and invalid), sent to
the app through WSGI, so the run stays within CI's time. Every answer must be no server
error, have a status the document lists for the operation, and match the documented
schema and content type. Generation is derandomized: a failure reproduces.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.extensions import db as database
from tests.factories import make_department, make_region, make_user, make_workspace

pytestmark = pytest.mark.one_pass("postgres")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Per operation, per generation mode and per role: about 30 s in all. Set FUZZ_EXAMPLES
# for a deeper run on a workstation.
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "12"))


@pytest.fixture
def world(db):
    """A little data, so that generated ids sometimes hit something."""
    region = make_region()
    department = make_department(region=region)
    make_workspace()
    db.session.commit()
    return department


def _fuzz(app, operation, headers: dict, mode: GenerationMode) -> str | None:
    """Run the generated cases of one operation; the first failure as text, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        with app.app_context():
            response = case.call(headers=headers)
        database.session.expire_all()
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 (each is reported, then asserted)
        return f"{operation.label} ({mode}): {exc}"
    return None


@pytest.mark.parametrize("role", ["admin", "officer"])
def test_every_operation_answers_within_its_contract(app, db, world, make_token, role):
    user = make_user(role, department=world)
    headers = make_token(user)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _fuzz(app, operation, headers, mode)
            if failure:
                failures.append(failure)
    assert operations >= 30, "the document lists fewer operations than the API has"
    assert not failures, f"{len(failures)} operations broke their contract:\n\n" + "\n\n".join(
        failures
    )
