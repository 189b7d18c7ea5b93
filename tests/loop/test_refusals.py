"""Spending comes out of the entitlement tier by tier; a refused order names the rule and
writes nothing (no order row, no ledger row, no event); a cancellation gives the money back."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from jiuzhu.core.access import Actor
from jiuzhu.core.base import Refused
from jiuzhu.core.domain import OrderStatus
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import entitlement_view, grant_entitlement, record_visit
from jiuzhu.core.services.orders import NewOrder, cancel_order, place_order
from jiuzhu.core.storage.tables import ledger

from ..conftest import Clock, actor_for
from .helpers import assert_ledger_balances, counts, eligible_case, granted_case, item_named


def refused(svc: Services, actor: Actor, order: NewOrder) -> Refused:
    """Place an order that must be refused; check that nothing at all was written."""
    before = counts(svc.engine)
    with pytest.raises(Refused) as caught:
        place_order(svc, actor, order)
    assert counts(svc.engine) == before
    return caught.value


def test_over_the_years_entitlement_is_refused_with_what_is_left(svc: Services, regions: Regions):
    region = regions.get("changji")
    actor = actor_for(regions, "changji")
    case = eligible_case(svc, actor, region)
    package = item_named(region, "流动服务包")  # 150 yuan a visit; 2,000 yuan a year
    for _ in range(13):
        place_order(svc, actor, NewOrder(case_id=case.id, item_code=package))
    assert entitlement_view(svc, actor, case.id).available == 5000
    why = refused(svc, actor, NewOrder(case_id=case.id, item_code=package))
    assert why.rule == "budget"
    assert "全年服务额度" in why.detail and "剩余50.00元" in why.detail
    assert "本年度已无后续阶段" in why.detail
    assert why.facts["amount_fen"] == 15000
    # a cheaper item still fits the 50 yuan left
    place_order(svc, actor, NewOrder(case_id=case.id, item_code=item_named(region, "助行")))
    assert_ledger_balances(svc)


def test_over_the_open_tier_names_the_tier_and_what_opens_the_next(
    svc: Services, regions: Regions, clock: Clock
):
    region = regions.get("ordos")
    actor = actor_for(regions, "ordos")
    case = eligible_case(svc, actor, region)
    festival = item_named(region, "节庆慰问")  # 300 of the first stage's 400
    place_order(svc, actor, NewOrder(case_id=case.id, item_code=festival))
    why = refused(
        svc, actor, NewOrder(case_id=case.id, item_code=item_named(region, "按摩理疗"), quantity=2)
    )
    assert why.rule == "budget"
    assert "第一阶段（40%）剩余100.00元" in why.detail
    assert "第二阶段" in why.detail and "阶段评估" in why.detail
    # a category the open stage does not serve (促发展 is not in stage one)
    why = refused(
        svc,
        actor,
        NewOrder(case_id=case.id, item_code=item_named(region, "智能手机与电脑应用培训")),
    )
    assert why.rule == "budget" and "不可用于" in why.detail
    # after the review (a quarter later) the leftover 100 carries into stage two
    clock.advance(days=91)
    record_visit(svc, actor, case.id, "review", satisfied=True)
    view = entitlement_view(svc, actor, case.id)
    assert [t.live for t in view.buckets] == [False, True, False]
    assert view.buckets[1].available == 50000
    order = place_order(
        svc, actor, NewOrder(case_id=case.id, item_code=item_named(region, "按摩理疗"), quantity=6)
    )
    assert order.bucket_idx == 1
    assert_ledger_balances(svc)


def test_cancelled_order_gives_its_money_back(svc: Services, regions: Regions):
    region = regions.get("shizuishan")
    actor = actor_for(regions, "shizuishan")
    case = eligible_case(svc, actor, region)
    code = item_named(region, "个案心理疏导")
    order = place_order(svc, actor, NewOrder(case_id=case.id, item_code=code, quantity=4))
    assert entitlement_view(svc, actor, case.id).entitlement.used == 60000
    cancelled = cancel_order(svc, actor, order.id, "对象住院")
    assert cancelled.status == OrderStatus.CANCELLED
    view = entitlement_view(svc, actor, case.id)
    assert view.entitlement.used == 0 and view.buckets[0].used == 0
    with svc.engine.connect() as conn:
        rows = conn.execute(
            select(ledger.c.kind, ledger.c.source_code, ledger.c.amount_fen).where(
                ledger.c.order_id == order.id
            )
        ).all()
    spends = {(s, a) for k, s, a in rows if k == "spend"}
    refunds = {(s, -a) for k, s, a in rows if k == "refund"}
    assert spends == refunds and sum(a for _, a in spends) == 60000
    with pytest.raises(Refused) as twice:
        cancel_order(svc, actor, order.id)
    assert twice.value.rule == "order.transition"
    # the frequency the cancelled order held is free again (4 a month)
    place_order(svc, actor, NewOrder(case_id=case.id, item_code=code, quantity=4))
    assert_ledger_balances(svc)


def test_item_outside_the_persons_eligibility_is_refused(svc: Services, regions: Regions):
    region = regions.get("changji")
    actor = actor_for(regions, "changji")
    case = eligible_case(svc, actor, region)  # an adult 低保 recipient, not a student
    for name in ("助学", "特教康复", "喘息服务", "照料护理情况评估"):
        why = refused(svc, actor, NewOrder(case_id=case.id, item_code=item_named(region, name)))
        assert why.rule == "item.who", name
        assert name in why.detail


def test_monthly_and_yearly_frequency_limits(svc: Services, regions: Regions, clock: Clock):
    region = regions.get("binzhou")
    actor = actor_for(regions, "binzhou")
    case = eligible_case(svc, actor, region)
    sweep = item_named(region, "居家打扫")  # at most 2 a month
    place_order(svc, actor, NewOrder(case_id=case.id, item_code=sweep, quantity=2))
    why = refused(svc, actor, NewOrder(case_id=case.id, item_code=sweep))
    assert why.rule == "item.frequency" and "本月限2次" in why.detail
    clock.advance(days=30)  # April
    place_order(svc, actor, NewOrder(case_id=case.id, item_code=sweep, quantity=2))

    rehab = item_named(region, "康复评估与训练计划")  # at most 2 a year
    place_order(svc, actor, NewOrder(case_id=case.id, item_code=rehab, quantity=2))
    clock.advance(days=60)
    why = refused(svc, actor, NewOrder(case_id=case.id, item_code=rehab))
    assert why.rule == "item.frequency" and "本年度限2" in why.detail
    assert_ledger_balances(svc)


def test_changji_school_transport_is_capped_at_1000_yuan_a_student_a_year(
    svc: Services, regions: Regions, clock: Clock
):
    region = regions.get("changji")
    actor = actor_for(regions, "changji")
    case = granted_case(
        svc,
        actor,
        region,
        born=date(2013, 9, 1),
        groups=("低保",),
        disability_grade=0,
        student=True,
        area="652327",  # 吉木萨尔县: the only county offering it (seed 000)
    )
    transport = item_named(region, "免费接送")
    assert region.catalogue.item(transport).max_fen_per_year == 100000
    place_order(svc, actor, NewOrder(case_id=case.id, item_code=transport, quantity=6))
    place_order(svc, actor, NewOrder(case_id=case.id, item_code=transport, quantity=4))
    why = refused(svc, actor, NewOrder(case_id=case.id, item_code=transport))
    assert why.rule == "item.annual_cap"
    assert "每年最多1,000.00元" in why.detail and "剩余0.00元" in why.detail
    # the entitlement itself still has room: the cap is the item's own
    assert entitlement_view(svc, actor, case.id).available == 100000
    # a new year, a new entitlement, a new cap
    clock.advance(days=310)
    assert clock.now.year == 2026
    grant_entitlement(svc, actor, case.id)
    place_order(svc, actor, NewOrder(case_id=case.id, item_code=transport, quantity=10))
    assert assert_ledger_balances(svc) == 2


def test_a_free_item_books_nothing_and_cancels_cleanly(svc: Services, regions: Regions):
    """Shizuishan's 微心愿 is matched with a donor at no cost to the entitlement."""
    region = regions.get("shizuishan")
    actor = actor_for(regions, "shizuishan")
    case = eligible_case(svc, actor, region)
    order = place_order(
        svc, actor, NewOrder(case_id=case.id, item_code=item_named(region, "“微心愿”对接"))
    )
    assert order.amount_fen == 0
    cancel_order(svc, actor, order.id, "心愿已由爱心单位认领")
    assert counts(svc.engine)["ledger"] == 0
    assert_ledger_balances(svc)
