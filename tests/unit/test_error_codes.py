"""Error codes come from one registry: services raise them, OpenAPI and the README list them."""

from __future__ import annotations

from pathlib import Path

from app.api.openapi import build_spec
from app.errors import error_codes
from app.workspaces.access import WorkspaceError

README = Path(__file__).resolve().parents[2] / "README.md"


def _row(domain: str, codes: list[str]) -> str:
    return f"| {domain} | {', '.join(f'`{code}`' for code in codes)} |"


def test_every_domain_registers_its_enumeration(app):
    assert error_codes()["workspaces"] == [code.value for code in WorkspaceError]
    assert "not_found" in error_codes()["core"]


def test_the_readme_table_lists_exactly_the_registered_codes(app):
    text = README.read_text(encoding="utf-8")
    section = text.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`" in line]
    assert rows == [_row(domain, codes) for domain, codes in error_codes().items()]


def test_the_openapi_envelope_enumerates_every_code(app):
    with app.test_request_context():
        code = build_spec()["components"]["schemas"]["ErrorBody"]["properties"]["code"]
    registered = {c for codes in error_codes().values() for c in codes}
    assert set(code["enum"]) == registered
