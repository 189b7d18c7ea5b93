"""The version of the plugin that provides a region, for the record of every result."""

from __future__ import annotations

import importlib.metadata as md

from jiuzhu.core.plugins import Regions


def plugin_version(regions: Regions, region_id: str) -> str:
    """``Regions.sources[id].version`` (the plugin's distribution version, set when it was
    loaded from an entry point). A plugin registered directly (as in tests) has none: then
    the plugin module's ``__version__``, else the version of the installed distribution
    whose ``jiuzhu`` entry point names the module, else ""."""
    source = regions.sources.get(region_id)
    if source is None:
        return ""
    if source.version:
        return source.version
    module = regions.pm.get_plugin(source.plugin) if source.plugin else None
    version = getattr(module, "__version__", None)
    if isinstance(version, str):
        return version
    name = getattr(module, "__name__", "")
    for ep in md.entry_points(group="jiuzhu"):
        if name and ep.value == name and ep.dist is not None:
            return str(ep.dist.version)
    return ""
