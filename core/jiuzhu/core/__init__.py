"""jiuzhu's minimal core: vocabulary, hook specifications, plugin manager, storage, web, CLI."""

from __future__ import annotations

import pluggy

from .base import Base, ConfigError, Invalid, NotFound, Refused
from .hookspecs import hookspec
from .plugins import Regions, load_regions, make_plugin_manager, region_source
from .regions import Region, RegionSource

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("jiuzhu")

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
