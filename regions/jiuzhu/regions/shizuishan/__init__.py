"""Shizuishan (石嘴山市): the region plugin. Its rules are data in data/*.toml.

Its heart is the one-form joint application 社会救助“一类事一次办” (policies.toml: 43 policies
of 14 departments, 一表受理、协同办理、分类转办, parallel approval); 9 categories of purchased
projects for 一老一小一残一困; a 多维贫困筛查 instrument with material and psychological
domains; a single illustrative yearly amount. See docs/regions/shizuishan.md.
"""

from __future__ import annotations

from collections.abc import Callable

from jiuzhu.core import RegionSource, hookimpl, region_source


@hookimpl
def jiuzhu_register_regions(register: Callable[[RegionSource], None]) -> None:
    register(region_source(__name__, "shizuishan"))
