"""Provider traffic lights (红绿灯, as in Binzhou): green passes, yellow is warned and must
rectify, red is removed and receives no new dispatches. Thresholds are the region's
data (supervision.toml); satisfaction is the main measure."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from jiuzhu.core import Region, hookimpl
from jiuzhu.core.base import Base
from jiuzhu.core.supervision import ProviderStanding, ProviderStats


class Light(StrEnum):
    GREEN = "green"  # 合格
    YELLOW = "yellow"  # 预警整改
    RED = "red"  # 退出, no new dispatches

    @property
    def label(self) -> str:
        return {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}[self.value]


class TrafficLight(Base, frozen=True, kw_only=True):
    min_ratings: int = 10  # below this many ratings a provider stays green (too few to judge)
    green_min_satisfied_percent: int = 90
    red_below_satisfied_percent: int = 70
    red_below_mean_score: float = 3.0
    yellow_max_overdue_percent: int = 10
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.red_below_satisfied_percent <= self.green_min_satisfied_percent <= 100:
            raise ValueError(
                "need 0 <= red_below_satisfied_percent <= green_min_satisfied_percent <= 100"
            )


class Supervision(Base, frozen=True, kw_only=True):
    traffic_light: TrafficLight = TrafficLight(illustrative=True)


def light_for(rule: TrafficLight, stats: ProviderStats) -> tuple[Light, str]:
    """The light and the reason, for people."""
    judged = stats.ratings + stats.visits
    if judged < rule.min_ratings:
        return Light.GREEN, f"评价与回访共{judged}条，少于{rule.min_ratings}条，暂不评级"
    # return visits count as ratings: an unsatisfied visit weighs like an unsatisfied rating
    satisfied = stats.satisfied_share * stats.ratings + (stats.visits - stats.visits_unsatisfied)
    share = 100 * satisfied / judged
    if share < rule.red_below_satisfied_percent or (
        stats.ratings and stats.mean_score < rule.red_below_mean_score
    ):
        return Light.RED, (
            f"满意率{share:.1f}%低于{rule.red_below_satisfied_percent}%"
            f"或平均分{stats.mean_score:.2f}低于{rule.red_below_mean_score}"
        )
    overdue = 100 * stats.orders_overdue / stats.orders_done if stats.orders_done else 0.0
    if share < rule.green_min_satisfied_percent:
        return Light.YELLOW, f"满意率{share:.1f}%低于{rule.green_min_satisfied_percent}%"
    if overdue > rule.yellow_max_overdue_percent:
        return Light.YELLOW, f"超时工单占{overdue:.1f}%，高于{rule.yellow_max_overdue_percent}%"
    return Light.GREEN, f"满意率{share:.1f}%"


@hookimpl
def jiuzhu_region_sections(register: Callable[..., None]) -> None:
    register("supervision", Supervision)


def standing(light: Light, reason: str) -> ProviderStanding:
    return ProviderStanding(
        code=light.value, label=light.label, blocks_dispatch=light == Light.RED, reason=reason
    )


@hookimpl
def jiuzhu_provider_light(region: Region, stats: ProviderStats) -> ProviderStanding | None:
    rule = region.section("supervision", Supervision) or Supervision()
    return standing(*light_for(rule.traffic_light, stats))
