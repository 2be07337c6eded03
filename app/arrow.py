"""pyarrow, imported on first use, with the allocator that keeps a worker's memory low.

Two things, both measured (bench/README.md, "Grant extracts"):

- Importing pyarrow with its compute, CSV and Parquet modules adds about 85 MB to a
  process's resident size (mostly its libraries' pages). Only checking an upload and
  serving a grant's extract need it, so :data:`pa`, :data:`pc`, :data:`pq` and
  :data:`pacsv` are stand-ins that import the real module when first used: a worker that
  serves pages and sockets but never reads a CSV file does not carry it. The import then
  costs the first request that needs it 0.1-0.2 s, once per process.
- Arrow's default allocator on Linux (mimalloc) held about 30 MB more at the peak of an
  extract than jemalloc returning freed pages at once, and kept it afterwards.
  The first use therefore makes jemalloc Arrow's default, unless
  ``ARROW_DEFAULT_MEMORY_POOL`` already names an allocator (the operator's choice wins).
  Arrow's C++ code reads that variable once, when pyarrow loads, so it is set before the
  import; if something imported pyarrow earlier, only what Python passes to Arrow follows.

Modules use them as they would the real ones (``from app.arrow import pa``); an
annotation naming a pyarrow type must be a string (``from __future__ import annotations``),
or it would import pyarrow when the module loads.
"""

from __future__ import annotations

import importlib
import os
import threading
from types import ModuleType
from typing import Any

ALLOCATOR = "jemalloc"
_lock = threading.Lock()
_configured = False


def load(name: str) -> ModuleType:
    """The pyarrow module ``name`` (``pyarrow``, ``pyarrow.compute``, ...), configured once."""
    global _configured
    if not _configured:
        with _lock:
            if not _configured:
                _configure()
                _configured = True
    return importlib.import_module(name)


def _configure() -> None:
    chosen = os.environ.get("ARROW_DEFAULT_MEMORY_POOL")
    if not chosen:
        os.environ["ARROW_DEFAULT_MEMORY_POOL"] = ALLOCATOR
    pyarrow: Any = importlib.import_module("pyarrow")
    if chosen:
        return
    try:
        pool = pyarrow.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc keeps its default
        return
    pyarrow.set_memory_pool(pool)
    # Freed pages go back to the system at once rather than after a second: an extract
    # frees most of what it allocates batch by batch, and the peak follows what is live.
    pyarrow.jemalloc_set_decay_ms(0)


class LazyModule:
    """Stands for a pyarrow module and imports it when an attribute is first read."""

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = load(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<lazy {self._name}, {state}>"


pa: Any = LazyModule("pyarrow")
pc: Any = LazyModule("pyarrow.compute")
pq: Any = LazyModule("pyarrow.parquet")
pacsv: Any = LazyModule("pyarrow.csv")
