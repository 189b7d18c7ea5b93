"""Ordos (鄂尔多斯市): the region plugin. Its rules are data in data/*.toml.

The pilot is 东胜区's (seed 002): 低保对象 under 60 with a mild disability (grade 4, GB/T
26341) or a major illness, and 分散供养特困人员, get 1,000 yuan of services a year, chosen in
stages of 40% / 40% / 20% from a ~40-item progressive catalogue (保基本, 去困扰, 促发展,
增质效); a stage review opens the next stage. See docs/regions/ordos.md.
"""

from __future__ import annotations

from collections.abc import Callable

from jiuzhu.core import RegionSource, hookimpl, region_source


@hookimpl
def jiuzhu_register_regions(register: Callable[[RegionSource], None]) -> None:
    register(region_source(__name__, "ordos"))
