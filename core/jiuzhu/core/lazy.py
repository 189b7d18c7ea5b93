"""Names a package re-exports, imported on first use (PEP 562): importing the package stays
light, so `jiuzhu --help` loads no numpy, database layer or plugin engine."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """The package's ``__getattr__``: ``names`` maps an exported name to the submodule that
    defines it; the value is kept on the package once imported."""

    def find(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    return find
