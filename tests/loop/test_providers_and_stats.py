"""Ratings and return visits feed provider statistics and the traffic light (a red provider
gets no new dispatches); statistics in 人, 人次, hours and money by funding source."""

from __future__ import annotations

from datetime import date

import pytest

from jiuzhu.core.access import Role
from jiuzhu.core.base import Invalid, Refused
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import record_visit
from jiuzhu.core.services.orders import (
    NewOrder,
    NewRating,
    cancel_order,
    dispatch_order,
    place_order,
    rate_order,
)
from jiuzhu.core.services.providers import get_provider
from jiuzhu.core.services.stats import statistics

from ..conftest import Clock, actor_for
from .helpers import (
    area_in_county,
    assert_ledger_balances,
    deliver,
    eligible_case,
    item_named,
    provider_with_worker,
)


def serve(
    svc: Services,
    region_id: str,
    case_id: int,
    provider: tuple[int, int],
    item: str,
    quantity: int = 1,
    minutes: int = 60,
    score: int | None = None,
) -> int:
    officer = actor_for(svc.regions, region_id)
    worker = actor_for(
        svc.regions,
        region_id,
        Role.WORKER,
        provider_id=provider[0],
        worker_id=provider[1],
        username=f"worker{provider[1]}",
    )
    order = place_order(svc, officer, NewOrder(case_id=case_id, item_code=item, quantity=quantity))
    deliver(svc, officer, worker, order.id, provider[0], minutes=minutes)
    if score is not None:
        rate_order(svc, officer, order.id, NewRating(score=score))
    return order.id


def light(svc: Services, region_id: str, provider_id: int) -> str:
    return get_provider(svc, actor_for(svc.regions, region_id), provider_id).provider.light


def test_traffic_light_follows_ratings_and_return_visits(svc: Services, regions: Regions):
    region = regions.get("changji")  # judged from 10; green >= 90%; red < 70% or mean < 3
    officer = actor_for(regions, "changji")
    case = eligible_case(svc, officer, region).id
    walk = item_named(region, "助行")
    good = provider_with_worker(svc, officer, region, "好社工中心")
    fair = provider_with_worker(svc, officer, region, "一般社工中心")
    poor = provider_with_worker(svc, officer, region, "差社工中心")

    for score in [1] * 9:  # nine bad ratings are too few to judge
        serve(svc, "changji", case, poor, walk, score=score)
    assert light(svc, "changji", poor[0]) == "green"
    serve(svc, "changji", case, poor, walk, score=2)
    assert light(svc, "changji", poor[0]) == "red"
    view = get_provider(svc, officer, poor[0])
    assert view.stats.ratings == 10 and view.stats.mean_score == pytest.approx(1.1)
    assert view.stats.satisfied_share == 0.0
    assert "满意率" in view.provider.light_reason

    for score in [5] * 8 + [2, 3]:
        serve(svc, "changji", case, fair, walk, score=score)
    assert light(svc, "changji", fair[0]) == "yellow"  # 80% satisfied

    ids = [serve(svc, "changji", case, good, walk, score=5) for _ in range(10)]
    assert light(svc, "changji", good[0]) == "green"
    # unsatisfied return visits count against the provider: 10 of 15 satisfied is red
    for order_id in ids[:5]:
        record_visit(
            svc, officer, case, "return", satisfied=False, notes="未按时上门", order_id=order_id
        )
    stats = get_provider(svc, officer, good[0]).stats
    assert (stats.visits, stats.visits_unsatisfied) == (5, 5)
    assert light(svc, "changji", good[0]) == "red"

    # a red provider receives no new dispatches; a yellow one still does
    order = place_order(svc, officer, NewOrder(case_id=case, item_code=walk))
    with pytest.raises(Refused) as refused:
        dispatch_order(svc, officer, order.id, poor[0])
    assert refused.value.rule == "provider.red" and "红灯" in refused.value.detail
    assert dispatch_order(svc, officer, order.id, fair[0]).provider_id == fair[0]


def test_statistics_of_a_known_scenario(svc: Services, regions: Regions, clock: Clock):
    region = regions.get("changji")
    officer = actor_for(regions, "changji")
    changji_city = area_in_county(region, "652301")
    hutubi = area_in_county(region, "652323")
    p1 = eligible_case(svc, officer, region, area=changji_city).id
    p2 = eligible_case(svc, officer, region, area=hutubi).id
    a = provider_with_worker(svc, officer, region, "甲社工中心")
    b = provider_with_worker(svc, officer, region, "乙社工中心")
    care, bath = item_named(region, "上门照护"), item_named(region, "助浴")  # 40/h, 60/visit

    # 人次 counts visits; an hour item is delivered when its hours are served.
    # March: p1 gets 2 hours of care from A in two 90-minute visits and a bath (60 min);
    # p2 1 hour of care from B in two 30-minute visits
    serve(svc, "changji", p1, a, care, quantity=2, minutes=90, score=5)
    serve(svc, "changji", p1, a, bath, minutes=60)
    serve(svc, "changji", p2, b, care, minutes=30, score=4)
    # not delivered: one placed (money committed), one cancelled (nothing)
    place_order(svc, officer, NewOrder(case_id=p2, item_code=bath))
    gone = place_order(svc, officer, NewOrder(case_id=p1, item_code=bath))
    cancel_order(svc, officer, gone.id, "重复点单")
    # April: p1 one more hour of care from B
    clock.advance(days=31)
    serve(svc, "changji", p1, b, care, minutes=60)

    def rows(group_by: str, **kw: object) -> dict[str, tuple[int, int, float, int]]:
        result = statistics(svc, officer, group_by, **kw)  # type: ignore[arg-type]
        return {r.key: (r.persons, r.person_times, r.hours, r.amount_fen) for r in result.rows}

    assert rows("item") == {care: (2, 5, 5.0, 16000), bath: (1, 1, 1.0, 6000)}
    assert rows("area") == {changji_city: (1, 4, 5.0, 18000), hutubi: (1, 2, 1.0, 4000)}
    assert rows("category") == {"shenghuo_zhaohu": (2, 6, 6.0, 22000)}
    assert rows("provider") == {str(a[0]): (1, 3, 4.0, 14000), str(b[0]): (2, 3, 2.0, 8000)}
    assert rows("region") == {"changji": (2, 6, 6.0, 22000)}
    assert rows("month") == {"2025-03": (2, 5, 5.0, 18000), "2025-04": (1, 1, 1.0, 4000)}
    march = statistics(svc, officer, "item", start=date(2025, 3, 1), end=date(2025, 3, 31))
    assert (march.total.persons, march.total.person_times, march.total.hours) == (2, 5, 5.0)
    assert rows("item", area="652323") == {care: (1, 2, 1.0, 4000)}
    assert rows("item", provider_id=b[0]) == {care: (2, 3, 2.0, 8000)}

    total = statistics(svc, officer)
    assert (
        total.total.persons,
        total.total.person_times,
        total.total.hours,
        total.total.amount_fen,
    ) == (2, 6, 6.0, 22000)
    assert total.total.households == 2  # neither belongs to a household: one each
    # money by funding source: the delivered money, so the sources add up to the total …
    assert sum(total.funding.values()) == total.total.amount_fen == 22000
    assert total.funding["shangji"] == 22000 * 30 // 100
    # … and apart, every live order (the placed one too): 280 yuan,
    # split 30/15/25/20/10 among the five sources (五个一点)
    assert total.funding_committed == {
        "shangji": 8400,
        "danwei_liezhi": 4200,
        "zhou_zhenghe": 7000,
        "xianshi_peitao": 5600,
        "cishan": 2800,
    }
    assert set(total.funding_names) == set(total.funding)
    assert_ledger_balances(svc)

    # a county officer sees only their county
    county = actor_for(regions, "changji", Role.OFFICER, area_code="652323")
    assert {r.key for r in statistics(svc, county, "area").rows} == {hutubi}
    with pytest.raises(Invalid) as outside:
        statistics(svc, county, "item", area="652301")
    assert outside.value.field == "area"


def test_month_is_the_month_in_shanghai(svc: Services, regions: Regions, clock: Clock):
    """A service finished at 07:00 on 1 April in Shanghai (23:00 UTC on 31 March) is April's."""
    region = regions.get("changji")
    officer = actor_for(regions, "changji")
    case = eligible_case(svc, officer, region).id
    provider = provider_with_worker(svc, officer, region)
    clock.now = clock.now.replace(month=3, day=31, hour=23)
    serve(svc, "changji", case, provider, item_named(region, "助行"))
    april = statistics(svc, officer, "month", start=date(2025, 4, 1), end=date(2025, 4, 30))
    assert [r.key for r in april.rows] == ["2025-04"]
