"""Ordos's 40/40/20 stages behave as the worked example (康玉梅) in DOMAIN.md."""

from __future__ import annotations

import pytest

from jiuzhu.core.base import Refused
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import entitlement_view, record_visit
from jiuzhu.core.services.orders import NewOrder, cancel_order, place_order

from ..conftest import Clock, actor_for
from .helpers import granted_case, item_named


def test_kang_yumei_spends_her_1000_yuan_in_three_stages(
    svc: Services, regions: Regions, clock: Clock
):
    region = regions.get("ordos")
    actor = actor_for(regions, "ordos")
    case = granted_case(svc, actor, region, groups=("低保",), disability_grade=4)
    view = entitlement_view(svc, actor, case.id)
    assert [t.cap for t in view.buckets] == [40000, 40000, 20000]
    assert view.entitlement.amount == 100000

    # stage 1: 节庆慰问 300 + 全屋清洁 100 = the whole 40%
    place_order(svc, actor, NewOrder(case_id=case.id, item_code=item_named(region, "节庆慰问")))
    place_order(svc, actor, NewOrder(case_id=case.id, item_code=item_named(region, "全屋清洁")))
    massage = item_named(region, "按摩理疗")
    with pytest.raises(Refused) as refused:
        place_order(svc, actor, NewOrder(case_id=case.id, item_code=massage))
    assert refused.value.rule == "budget"
    assert "第一阶段" in refused.value.detail and "剩余0.00元" in refused.value.detail
    assert "第二阶段" in refused.value.detail  # says what opens the next stage

    # a stage review the same day is refused: the region's interval (90 days, illustrative)
    with pytest.raises(Refused) as early:
        record_visit(svc, actor, case.id, "review", satisfied=True)
    assert early.value.rule == "stage.interval" and "2025-06-01" in early.value.detail
    # a stage review (return visit) a quarter later opens stage 2: 按摩理疗 fills it
    clock.advance(days=90)
    record_visit(svc, actor, case.id, "review", satisfied=True, notes="第一阶段回访")
    price = region.catalogue.item(massage).unit_price_fen
    order = place_order(
        svc, actor, NewOrder(case_id=case.id, item_code=massage, quantity=40000 // price)
    )
    assert order.bucket_idx == 1
    view = entitlement_view(svc, actor, case.id)
    assert view.buckets[1].available == 40000 - order.amount_fen

    # stage 3 after a second review, again a quarter later: 就业能力提升与资源链接
    with pytest.raises(Refused):
        record_visit(svc, actor, case.id, "review", satisfied=True)
    clock.advance(days=90)
    record_visit(svc, actor, case.id, "review", satisfied=True, notes="第二阶段回访")
    job = place_order(
        svc,
        actor,
        NewOrder(case_id=case.id, item_code=item_named(region, "就业能力提升与资源链接")),
    )
    assert job.bucket_idx == 2
    view = entitlement_view(svc, actor, case.id)
    assert view.entitlement.used <= 100000
    # a cancelled order gives its money back to its stage
    cancel_order(svc, actor, job.id, "时间冲突")
    view = entitlement_view(svc, actor, case.id)
    assert view.buckets[2].used == 0
