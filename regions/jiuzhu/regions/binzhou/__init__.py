"""Binzhou (滨州市, Shandong; brand 滨易助): the region plugin. Its rules are data in data/*.toml.

Home care and community rehab at home, each item with its step-by-step standard (服务人员规范
明白纸, seed 002), and providers supervised by satisfaction through a traffic light (红绿灯).
See docs/regions/binzhou.md for what is sourced and what is illustrative.
"""

from __future__ import annotations

from collections.abc import Callable

from jiuzhu.core import RegionSource, hookimpl, region_source


@hookimpl
def jiuzhu_register_regions(register: Callable[[RegionSource], None]) -> None:
    register(region_source(__name__, "binzhou"))
