"""Modules imported on first attribute access.

The quality app's metrics and the network's matching pull in NumPy for pages most
requests never open, and every web process imports the URL conf at start-up: loading
them eagerly took each web worker from 68 to 88 MB idle and doubled the fresh start
(docs/benchmarks.md).

Not the standard library's `importlib.util.LazyLoader`: on Python 3.11 it is not
thread-safe (a second thread touching the module while the first one executes it sees a
half-made module), and it puts a stand-in into `sys.modules` that other libraries take
for the real thing: psycopg, seeing "numpy" there, asked it for `numpy.integer` in two
gthread threads at once and the request failed with AttributeError (500s in
test_queue_concurrency on PostgreSQL). Here the first access runs a plain
`importlib.import_module`, under the import system's own per-module lock, and nothing
stands in for the module in `sys.modules` before it is really imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any, cast


class _Deferred:
    """Stands for a module until first used; then every access goes to the module."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None
        self._lock = threading.Lock()

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            with self._lock:
                if self._module is None:
                    self._module = importlib.import_module(self._name)
                module = self._module
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<module {self._name!r} ({state}, imported on first use)>"


def lazy_module(name: str) -> ModuleType:
    """`name`, imported on its first attribute access (at once if already imported)."""
    if name in sys.modules:
        return sys.modules[name]
    if importlib.util.find_spec(name) is None:
        raise ImportError(f"no module named {name!r}")
    return cast(ModuleType, _Deferred(name))
