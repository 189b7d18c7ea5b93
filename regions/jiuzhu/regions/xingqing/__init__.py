"""Yinchuan Xingqing (银川市兴庆区): the region plugin. Its rules are data in data/*.toml.

Its heart is “兴系你” (seed 004): 救助顾问 volunteers report leads; a 帮扶清单 of 80+
policies of 11 departments plus charity resources (policies.toml, through the one form); a
需求清单 published as 微心愿 / 许愿池; a resource library of 40+ units (resources.toml,
through the resources plugin); and the “1+1+N” case team with graded review. See
docs/regions/xingqing.md.
"""

from __future__ import annotations

from collections.abc import Callable

from jiuzhu.core import RegionSource, hookimpl, region_source


@hookimpl
def jiuzhu_register_regions(register: Callable[[RegionSource], None]) -> None:
    register(region_source(__name__, "xingqing"))
