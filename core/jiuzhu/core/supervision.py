"""Provider supervision vocabulary: statistics and a provider's standing.

Which standings exist (e.g. Binzhou's traffic light: green, yellow, red) and what moves a
provider between them are a plugin's (``jiuzhu_provider_light``); the core records the
standing and refuses dispatch to a provider whose standing blocks it.
"""

from __future__ import annotations

from .base import Base


class ProviderStanding(Base, frozen=True, kw_only=True):
    code: str  # stored on the provider (e.g. "green")
    label: str  # for people (e.g. "绿灯")
    blocks_dispatch: bool = False  # no new orders while it holds
    reason: str = ""


UNRATED = ProviderStanding(code="", label="未评级", reason="没有插件评定服务机构等级")


class ProviderStats(Base, frozen=True, kw_only=True):
    provider_id: int
    ratings: int = 0
    mean_score: float = 0.0  # 1..5
    satisfied_share: float = 0.0  # 0..1
    visits: int = 0
    visits_unsatisfied: int = 0
    orders_done: int = 0
    orders_overdue: int = 0
