"""Qiaojia (巧家县, 昭通市, Yunnan): the region plugin. Its rules are data in data/*.toml.

The pilot (seed 003), since May 2023 in 玉屏街道's 14 communities and extended to
白鹤滩街道: low-income people and orphans living in the pilot area, whatever their hukou
(打破户籍限制), are assessed with the national elderly-ability standard (GB/T 42195-2022)
and a needs survey (生理、心理、经济). Long-term recipients (长期服务对象) are owed at least
25 days and 60 hours of care a month — a time floor, whose shortfall is a supervision
finding, never a refused order; short-term services are group sessions (主题活动、小组工作).
Services follow 3 levels (基础保障层、风险防范层、发展促进层) and 5 dimensions (服务场域、
内容、周期、方向、方法), delivered "社工+护工" by 昭通市慧爱社会工作服务中心, confirmed by the
recipient's signature, supervised by quarterly satisfaction surveys, home visits and
supervision. See docs/regions/qiaojia.md.
"""

from __future__ import annotations

from collections.abc import Callable

from jiuzhu.core import RegionSource, hookimpl, region_source


@hookimpl
def jiuzhu_register_regions(register: Callable[[RegionSource], None]) -> None:
    register(region_source(__name__, "qiaojia"))
