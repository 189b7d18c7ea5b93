"""The whole service loop, in each of the four regions: 一人一档 → 评估 → 额度 → 点单 → 派单
→ 接单 → 签到/签退 → 评单 → 回访 → 复评 → 退出."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jiuzhu.core.access import Role
from jiuzhu.core.base import Refused
from jiuzhu.core.domain import CaseStatus, OrderStatus
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import (
    case_file,
    entitlement_view,
    exit_case,
    grant_entitlement,
    open_case,
    record_assessment,
    record_visit,
)
from jiuzhu.core.services.orders import NewOrder, NewRating, place_order, rate_order
from jiuzhu.core.services.providers import get_provider
from jiuzhu.core.storage.tables import deliveries, ledger
from jiuzhu.plugins.funding import FundingScheme
from jiuzhu.plugins.tiered_budget import BudgetScheme

from ..conftest import Clock, actor_for
from .helpers import (
    ELIGIBLE,
    INELIGIBLE,
    LOOP_ITEM,
    REGION_IDS,
    assert_ledger_balances,
    deliver,
    item_named,
    new_person,
    provider_with_worker,
    zero_answers,
)


@pytest.mark.parametrize("region_id", REGION_IDS)
def test_the_whole_loop(svc: Services, regions: Regions, region_id: str, clock: Clock):
    region = regions.get(region_id)
    officer = actor_for(regions, region_id)
    pid = new_person(svc, officer, region, **ELIGIBLE[region_id])  # type: ignore[arg-type]

    case = open_case(svc, officer, pid, "政策找人：多部门数据比对预警")
    assert case.status == CaseStatus.OPEN
    with pytest.raises(Refused) as no_assessment:
        grant_entitlement(svc, officer, case.id)
    assert no_assessment.value.rule == "entitlement.needs_assessment"
    assessment = record_assessment(svc, officer, case.id, zero_answers(region), "入户评估")
    assert assessment.instrument
    ent = grant_entitlement(svc, officer, case.id)
    budget = region.section("budget", BudgetScheme)
    assert ent is not None and budget is not None
    assert (ent.amount, ent.unit, ent.kind) == (budget.versions[-1].total, "fen", "cap")
    assert ent.reasons and ent.eligibility_rule
    view = entitlement_view(svc, officer, case.id)
    assert view.available > 0

    provider_id, worker_id = provider_with_worker(svc, officer, region)
    worker = actor_for(
        regions,
        region_id,
        Role.WORKER,
        worker_id=worker_id,
        provider_id=provider_id,
        username="worker",
    )
    code = item_named(region, LOOP_ITEM[region_id])
    item = region.catalogue.item(code)
    order = place_order(svc, officer, NewOrder(case_id=case.id, item_code=code, quantity=2))
    assert order.status == OrderStatus.PLACED
    assert order.amount_fen == 2 * item.unit_price_fen
    deliver(svc, officer, worker, order.id, provider_id, minutes=95)
    with svc.engine.connect() as conn:
        visits = (
            conn.execute(select(deliveries).where(deliveries.c.order_id == order.id))
            .mappings()
            .all()
        )
        split = dict(
            conn.execute(
                select(ledger.c.source_code, ledger.c.amount_fen).where(
                    ledger.c.order_id == order.id
                )
            ).all()
        )
    # two units: two visits (two hours of an hour item take two 95-minute visits too)
    assert len(visits) == 2
    for delivery in visits:
        assert delivery["minutes"] == 95 and delivery["signer"] == "本人"
        assert delivery["steps_done"] == list(item.standard)
        assert delivery["worker_id"] == worker_id
    assert sum(split.values()) == order.amount_fen
    funding = region.section("funding", FundingScheme)
    assert funding is not None and set(split) <= {s.code for s in funding.sources}

    rated = rate_order(svc, officer, order.id, NewRating(score=5, comment="很满意"))
    assert rated.status == OrderStatus.RATED
    record_visit(
        svc, officer, case.id, "return", satisfied=True, notes="回访：服务到位", order_id=order.id
    )
    stats = get_provider(svc, officer, provider_id).stats
    assert (stats.ratings, stats.mean_score, stats.visits, stats.orders_done) == (1, 5.0, 1, 1)

    # re-assessment half a year on counts as a stage review
    clock.advance(days=120)
    record_assessment(svc, officer, case.id, zero_answers(region), "半年复评")
    assert entitlement_view(svc, officer, case.id).entitlement.reviews == 1

    # dynamic exit: a pending order is cancelled and refunded, then nothing more is ordered
    pending = place_order(svc, officer, NewOrder(case_id=case.id, item_code=code))
    closed = exit_case(svc, officer, case.id, "家庭收入超过标准，动态退出")
    assert closed.status == CaseStatus.EXITED
    with pytest.raises(Refused) as after_exit:
        place_order(svc, officer, NewOrder(case_id=case.id, item_code=code))
    assert after_exit.value.rule == "case.not_active"

    file = case_file(svc, officer, case.id)
    assert [o.status for o in file.orders] == [OrderStatus.RATED, OrderStatus.CANCELLED]
    assert file.orders[1].id == pending.id
    assert [e.kind for e in file.events] == [
        "case.opened",
        "assessment.recorded",
        "entitlement.granted",
        "order.placed",
        "order.dispatched",
        "order.accepted",
        "order.started",
        "order.visited",
        "order.started",
        "order.delivered",
        "order.rated",
        "visit.return",
        "assessment.recorded",
        "stage.review",
        "order.placed",
        "order.cancelled",
        "case.exited",
    ]
    assert all(e.actor and e.at for e in file.events)
    assert file.events[0].reason == "政策找人：多部门数据比对预警"
    assert file.events[-1].reason == "家庭收入超过标准，动态退出"
    assert entitlement_view(svc, officer, case.id).entitlement.used == order.amount_fen
    assert assert_ledger_balances(svc) == 1


@pytest.mark.parametrize("region_id", REGION_IDS)
def test_ineligible_person_is_refused_with_reasons_and_the_refusal_is_recorded(
    svc: Services, regions: Regions, region_id: str
):
    region = regions.get(region_id)
    officer = actor_for(regions, region_id)
    pid = new_person(svc, officer, region, **INELIGIBLE[region_id])  # type: ignore[arg-type]
    case = open_case(svc, officer, pid)
    record_assessment(svc, officer, case.id, zero_answers(region))
    with pytest.raises(Refused) as refused:
        grant_entitlement(svc, officer, case.id)
    assert refused.value.rule == "eligibility"
    assert refused.value.facts["reasons"]
    file = case_file(svc, officer, case.id)
    assert file.entitlements == [] and file.case.status == CaseStatus.OPEN
    assert file.events[-1].kind == "eligibility.refused"
    assert file.events[-1].reason
