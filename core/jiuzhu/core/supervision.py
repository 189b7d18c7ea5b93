"""Provider supervision vocabulary: statistics and the traffic light (红绿灯)."""

from __future__ import annotations

from enum import StrEnum

from .base import Base


class Light(StrEnum):
    GREEN = "green"  # 合格
    YELLOW = "yellow"  # 预警整改
    RED = "red"  # 退出, no new dispatches

    @property
    def label(self) -> str:
        return {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}[self.value]


class ProviderStats(Base, frozen=True, kw_only=True):
    provider_id: int
    ratings: int = 0
    mean_score: float = 0.0  # 1..5
    satisfied_share: float = 0.0  # 0..1
    visits: int = 0
    visits_unsatisfied: int = 0
    orders_done: int = 0
    orders_overdue: int = 0
