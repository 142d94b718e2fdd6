"""Modules loaded on first attribute access (the standard library's LazyLoader).

The quality app's metrics pull in NumPy for pages most requests never open, and every
web process imports the URL conf at start-up: loading them eagerly took each web worker
from 68 to 88 MB idle and doubled the fresh start (docs/benchmarks.md).
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """`name` as a module object that executes on its first attribute access."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
