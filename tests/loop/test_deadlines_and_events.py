"""Urgent orders carry a response deadline and climb the region's hierarchy when overdue;
every change to a case is an appended event, shown in full in the case file."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event

from jiuzhu.core.access import Role, order_scope, system_actor
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import case_file, record_visit
from jiuzhu.core.services.orders import (
    NewOrder,
    NewRating,
    accept_order,
    dispatch_order,
    escalate_overdue,
    get_order,
    overdue_rows,
    place_order,
    rate_order,
)

from ..conftest import Clock, actor_for
from .helpers import (
    assert_ledger_balances,
    deliver,
    eligible_case,
    item_named,
    provider_with_worker,
)

COMMUNITY = "652301001001"  # 宁边路街道第一社区 → 宁边路街道 → 昌吉市 → 昌吉州


def overdue_ids(svc: Services, region_id: str) -> list[int]:
    info = svc.region(region_id).info
    scope = order_scope(system_actor(region_id, info.code), info)
    with svc.engine.connect() as conn:
        return [int(r["id"]) for r in overdue_rows(conn, region_id, svc.now(), scope)]


def test_urgent_orders_are_answered_within_24_hours_or_escalated(
    svc: Services, regions: Regions, clock: Clock
):
    region = regions.get("changji")
    assert region.info.service.urgent_response_hours == 24
    officer = actor_for(regions, "changji")
    case = eligible_case(svc, officer, region, area=COMMUNITY)
    code = item_named(region, "助医/陪诊")
    urgent = place_order(
        svc, officer, NewOrder(case_id=case.id, item_code=code, urgent=True, note="突发疾病需陪诊")
    )
    normal = place_order(svc, officer, NewOrder(case_id=case.id, item_code=code))
    assert urgent.due_at - urgent.placed_at == timedelta(hours=24)
    assert normal.due_at - normal.placed_at == timedelta(
        hours=region.info.service.normal_response_hours
    )

    clock.advance(hours=23)
    assert overdue_ids(svc, "changji") == []
    assert escalate_overdue(svc, officer, "changji") == []

    clock.advance(hours=2)  # 25 hours: the urgent one is overdue
    assert overdue_ids(svc, "changji") == [urgent.id]
    [up] = escalate_overdue(svc, officer, "changji")
    assert (up.id, up.escalation_level, up.escalated_to) == (urgent.id, 1, "652301001")
    assert escalate_overdue(svc, officer, "changji") == []  # once per period

    clock.advance(hours=24)  # one more period: the county (昌吉市)
    [up] = escalate_overdue(svc, officer, "changji")
    assert (up.escalation_level, up.escalated_to) == (2, "652301")

    clock.advance(hours=24)  # 73 hours: the normal order is overdue too; urgent → prefecture
    assert overdue_ids(svc, "changji") == [urgent.id, normal.id]  # urgent first
    ups = {
        o.id: (o.escalation_level, o.escalated_to)
        for o in escalate_overdue(svc, officer, "changji")
    }
    assert ups == {urgent.id: (3, "652300"), normal.id: (1, "652301001")}
    clock.advance(hours=96)  # no level above the prefecture
    assert [o.id for o in escalate_overdue(svc, officer, "changji")] == [normal.id]
    assert get_order(svc, officer, urgent.id).escalated_to == "652300"

    # once accepted it is no longer overdue
    provider_id, worker_id = provider_with_worker(svc, officer, region)
    dispatch_order(svc, officer, urgent.id, provider_id)
    accept_order(svc, officer, urgent.id, worker_id)
    assert overdue_ids(svc, "changji") == [normal.id]

    escalations = [
        e for e in case_file(svc, officer, case.id).events if e.kind == "order.escalated"
    ]
    assert [(e.detail["order_id"], e.detail["to"]) for e in escalations] == [
        (urgent.id, "652301001"),
        (urgent.id, "652301"),
        (urgent.id, "652300"),
        (normal.id, "652301001"),
        (normal.id, "652301"),
    ]
    assert all("上报" in e.reason for e in escalations)


def test_case_history_is_append_only_and_complete(svc: Services, regions: Regions, clock: Clock):
    statements: list[str] = []

    def watch(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(sql.upper())

    event.listen(svc.engine, "before_cursor_execute", watch)
    try:
        region = regions.get("binzhou")
        officer = actor_for(regions, "binzhou", username="李干部")
        case = eligible_case(svc, officer, region)
        provider_id, worker_id = provider_with_worker(svc, officer, region)
        worker = actor_for(
            regions,
            "binzhou",
            Role.WORKER,
            worker_id=worker_id,
            provider_id=provider_id,
            username="王社工",
        )
        order = place_order(
            svc,
            officer,
            NewOrder(
                case_id=case.id, item_code=item_named(region, "洗发理发"), note="本人电话点单"
            ),
        )
        clock.advance(hours=3)
        deliver(svc, officer, worker, order.id, provider_id, minutes=50)
        rate_order(svc, officer, order.id, NewRating(score=4, comment="理得很好"))
        clock.advance(days=7)
        record_visit(
            svc, officer, case.id, "return", satisfied=True, notes="电话回访", order_id=order.id
        )
    finally:
        event.remove(svc.engine, "before_cursor_execute", watch)

    assert not [
        s for s in statements if ("UPDATE CASE_EVENTS" in s or "DELETE FROM CASE_EVENTS" in s)
    ]
    events = case_file(svc, officer, case.id).events
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    by_kind = {e.kind: e for e in events}
    placed = by_kind["order.placed"]
    assert placed.actor == "李干部" and placed.reason == "本人电话点单"
    assert placed.detail["amount_fen"] == 3000 and placed.detail["order_id"] == order.id
    assert by_kind["order.accepted"].actor == "王社工"
    assert by_kind["order.delivered"].detail["minutes"] == 50
    assert by_kind["order.delivered"].detail["steps_missing"] == []
    assert by_kind["order.rated"].detail["score"] == 4
    assert by_kind["visit.return"].at - placed.at == timedelta(days=7, hours=3)
    assert_ledger_balances(svc)
