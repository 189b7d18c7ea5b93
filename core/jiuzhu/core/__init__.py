"""jiuzhu's minimal core: vocabulary, hook specifications, plugin manager, storage, web, CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

from .lazy import lazy_exports

if TYPE_CHECKING:
    from .base import Base, ConfigError, Invalid, NotFound, Refused
    from .hookspecs import hookspec
    from .plugins import Regions, load_regions, make_plugin_manager, region_source
    from .regions import Region, RegionSource

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("jiuzhu")

# Re-exports load on first use (PEP 562): `jiuzhu --help` and a plugin's light modules
# import this package without paying for msgspec, numpy and the region loader.
_LAZY = {
    "Base": "base",
    "ConfigError": "base",
    "Invalid": "base",
    "NotFound": "base",
    "Refused": "base",
    "hookspec": "hookspecs",
    "Regions": "plugins",
    "load_regions": "plugins",
    "make_plugin_manager": "plugins",
    "region_source": "plugins",
    "Region": "regions",
    "RegionSource": "regions",
}
_find = lazy_exports(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    return _find(name)


__all__ = [
    "Base",
    "ConfigError",
    "Invalid",
    "NotFound",
    "Refused",
    "Region",
    "RegionSource",
    "Regions",
    "__version__",
    "hookimpl",
    "hookspec",
    "load_regions",
    "make_plugin_manager",
    "region_source",
]
