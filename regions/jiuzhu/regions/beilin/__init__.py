"""Xi'an Beilin (西安市碑林区): the region plugin. Its rules are data in data/*.toml.

Its heart is “融救联助” (seed 002): 融救 merges 53 assistance policies of 17 departments
(policies.toml, through the one form) for people within the policies; 联助 links social
forces — 188 organisations, 288 resident units, 1,055 volunteers, 374 businesses — for those
below every threshold or with other needs (resources.toml, through the resources plugin);
the 小红船 live-stream Q&A; 1,375 需求哨点 in residential compounds. See
docs/regions/beilin.md.
"""

from __future__ import annotations

from collections.abc import Callable

from jiuzhu.core import RegionSource, hookimpl, region_source


@hookimpl
def jiuzhu_register_regions(register: Callable[[RegionSource], None]) -> None:
    register(region_source(__name__, "beilin"))
