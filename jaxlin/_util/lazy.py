"""The one lazy-import mechanism: names a package exports but imports only on first use, so that
`import jaxlin` stays light (tensorflow-datasets and matplotlib load when a name needs them)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, eager: Mapping[str, Any], lazy: Mapping[str, str]) -> tuple[Callable, Callable]:
    """`__getattr__` and `__dir__` for `package`, whose `lazy` names (name -> the module that
    defines it) are imported on first use; `eager` is the package's `globals()`."""

    def __getattr__(name: str) -> Any:
        if name in lazy:
            return getattr(importlib.import_module(lazy[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted([*eager, *lazy])

    return __getattr__, __dir__
