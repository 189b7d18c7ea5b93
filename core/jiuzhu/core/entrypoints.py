"""Plugins' entry points, found and loaded one way for the plugin manager (group ``jiuzhu``)
and for the command line (group ``jiuzhu.commands``). Light on purpose: `jiuzhu --help`
reads the commands' group without building the plugin manager."""

from __future__ import annotations

import importlib.metadata as md
import os
from collections.abc import Collection
from typing import Any

GROUP = "jiuzhu"
COMMANDS_GROUP = "jiuzhu.commands"
DISABLE_ENV = "JIUZHU_DISABLE_PLUGINS"


class PluginError(RuntimeError):
    """A plugin could not be loaded or registered; the message names it."""


def blocked_from_env() -> set[str]:
    return {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}


def distribution(ep: md.EntryPoint) -> str:
    """``"name version"`` of the distribution declaring ``ep``."""
    return f"{ep.dist.name} {ep.dist.version}" if ep.dist else "unknown distribution"


def entry_points(group: str, blocked: Collection[str]) -> list[md.EntryPoint]:
    """The group's entry points whose name is not blocked, each once (the same
    distribution may be seen twice on sys.path)."""
    seen: set[tuple[str, str]] = set()
    found: list[md.EntryPoint] = []
    for ep in md.entry_points(group=group):
        if (ep.name, ep.value) in seen or ep.name in blocked:
            continue
        seen.add((ep.name, ep.value))
        found.append(ep)
    return found


def load(ep: md.EntryPoint) -> Any:
    """What ``ep`` names; a failure is a PluginError naming the plugin and how to block it."""
    try:
        return ep.load()
    except Exception as exc:
        raise PluginError(
            f"plugin '{ep.name}' ({ep.value}) from distribution {distribution(ep)} failed to "
            f"load: {type(exc).__name__}: {exc}. Block it with {DISABLE_ENV}={ep.name}"
        ) from exc
