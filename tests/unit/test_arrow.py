"""pyarrow loads on first use only, with the allocator the extract benchmark chose."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.one_pass("sqlite")

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, **env: str) -> str:
    """``code`` in a fresh interpreter (pyarrow may already be loaded in this one)."""
    environment = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    environment["PYTHONPATH"] = str(PROJECT_ROOT)
    environment.update(env)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def test_the_app_starts_without_pyarrow():
    code = (
        "import sys\n"
        "from app import create_app\n"
        "create_app()\n"
        "import app.catalog.csvcheck, app.grants.engine\n"
        "print('pyarrow' in sys.modules)\n"
    )
    assert run_python(code) == "False"


def test_first_use_loads_pyarrow_with_jemalloc():
    code = (
        "import sys\n"
        "from app.arrow import pa\n"
        "print('pyarrow' in sys.modules)\n"
        "print(pa.default_memory_pool().backend_name)\n"
    )
    assert run_python(code).split() == ["False", "jemalloc"]


def test_the_operators_allocator_wins():
    code = "from app.arrow import pa\nprint(pa.default_memory_pool().backend_name)\n"
    assert run_python(code, ARROW_DEFAULT_MEMORY_POOL="system") == "system"
