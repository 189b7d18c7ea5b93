"""Changji (昌吉回族自治州): the region plugin. Its rules are data in data/*.toml.

Pilot since 2024-10 (seeds 000, 001): a 24-item catalogue in three categories, a 6 x 32
assessment tool, the "五个一点" funding pool, urgent needs answered within 24 hours. The
sources give no per-person budget: budget.toml declares an illustrative single tier. See
docs/regions/changji.md for what is sourced and what is illustrative.
"""

from __future__ import annotations

from collections.abc import Callable

from jiuzhu.core import RegionSource, hookimpl, region_source


@hookimpl
def jiuzhu_register_regions(register: Callable[[RegionSource], None]) -> None:
    register(region_source(__name__, "changji"))
