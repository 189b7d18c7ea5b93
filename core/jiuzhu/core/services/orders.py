"""Service orders (工单): 点单 → 派单 → 接单 → check-in → check-out → 评单, and cancel.

Money moves only here, inside one unit of work (``Services.run``) that holds the case's and
the entitlement's row locks (SELECT … FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite),
so concurrent orders against one entitlement cannot overspend it. Every spend is split
among the funding sources into ledger rows; a cancellation writes the exact opposite rows.
Every unit here locks in the one order case → entitlement → order (locks.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Annotated, Any

import msgspec
import numpy as np
from msgspec import Meta
from sqlalchemy import ColumnElement, Connection, and_, func, select, update

from ..access import Actor, order_scope, shown_text
from ..base import Invalid, NotFound, Refused
from ..catalogue import UNIT_NAMES, Item
from ..domain import CaseStatus, Entitlement, Order, OrderStatus, Person
from ..facts import Population
from ..limits import Id, ItemCode, Minutes, Note, Quantity, Score, Signer
from ..money import yuan
from ..regions import Region
from ..storage.tables import (
    deliveries,
    entitlement_tiers,
    entitlements,
    ledger,
    orders,
    persons,
    providers,
    ratings,
    workers,
)
from ..times import SHANGHAI, local_date
from . import MAX_ID, Services, after_commit, append_event, fetch_one, plain
from .cases import load_case, read_tiers, rule_date
from .locks import lock_entitlement, lock_entitlement_by_id, lock_order
from .people import person_facts

STATUS_LABELS = {
    OrderStatus.PLACED: "待派单",
    OrderStatus.DISPATCHED: "待接单",
    OrderStatus.ACCEPTED: "待服务",
    OrderStatus.IN_SERVICE: "服务中",
    OrderStatus.DELIVERED: "待评价",
    OrderStatus.RATED: "已评价",
    OrderStatus.CANCELLED: "已取消",
}


class NewOrder(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    case_id: Id
    item_code: ItemCode
    quantity: Quantity = 1
    urgent: bool = False
    note: Note = ""


def _load_order(
    svc: Services, conn: Connection, actor: Actor, order_id: int, lock: bool = True
) -> tuple[Region, Order]:
    """The order if the actor may see it (access.order_scope) — an order out of scope
    answers exactly as a missing one: "order N 不存在", nothing about its case. With
    ``lock``, in the one lock order: its case first, then the order, re-read under its lock
    (a unit that moves money locks the entitlement in between, as cancel_order does)."""
    case_id = _visible_case(svc, conn, actor, order_id)
    if not lock:
        order = msgspec.convert(fetch_one(conn, orders, "order", order_id, id=order_id), Order)
        region, _case = load_case(svc, conn, actor, case_id)
        return region, order
    region, _case = load_case(svc, conn, actor, case_id, lock=True)
    return region, msgspec.convert(lock_order(conn, order_id), Order)


def _visible_case(svc: Services, conn: Connection, actor: Actor, order_id: int) -> int:
    """The case of an order the actor may see (read without a lock: it never changes)."""
    if not 0 < order_id <= MAX_ID:
        raise NotFound("order", order_id)
    case_id = conn.execute(
        select(orders.c.case_id).where(
            orders.c.id == order_id, order_scope(actor, svc.region(actor.region_id).info)
        )
    ).scalar()
    if case_id is None:
        raise NotFound("order", order_id)
    return int(case_id)


def shown_order(actor: Actor, order: Order) -> Order:
    """The order as the actor sees it: ID numbers typed into its note are masked."""
    note = shown_text(actor, order.note)
    return order if note == order.note else msgspec.structs.replace(order, note=note)


def _illegal(order: Order, action: str, allowed: tuple[OrderStatus, ...]) -> Refused:
    wanted = "、".join(STATUS_LABELS[s] for s in allowed)
    return Refused(
        "order.transition",
        f"工单 #{order.id} 当前为「{STATUS_LABELS[order.status]}」，不能{action}（仅限{wanted}）",
        status=order.status.value,
    )


def _period_start(on: date, period: str) -> datetime:
    start = date(on.year, on.month if period == "month" else 1, 1)
    return datetime(start.year, start.month, start.day, tzinfo=SHANGHAI).astimezone(UTC)


def _check_item_limits(
    conn: Connection, case_id: int, item: Item, quantity: int, amount: int, now: datetime
) -> None:
    today = local_date(now)
    live = and_(
        orders.c.case_id == case_id,
        orders.c.item_code == item.code,
        orders.c.status != OrderStatus.CANCELLED,
    )
    for period, limit, label in (
        ("month", item.max_per_month, "本月"),
        ("year", item.max_per_year, "本年度"),
    ):
        if limit is None:
            continue
        used = conn.execute(
            select(func.coalesce(func.sum(orders.c.quantity), 0)).where(
                live, orders.c.placed_at >= _period_start(today, period)
            )
        ).scalar_one()
        if used + quantity > limit:
            raise Refused(
                "item.frequency",
                f"「{item.name}」{label}限{limit}{UNIT_NAMES[item.unit]}，已用{used}，"
                f"本单{quantity}，剩余{max(limit - used, 0)}",
                limit=limit,
                used=int(used),
            )
    if item.max_fen_per_year is not None:
        used = conn.execute(
            select(func.coalesce(func.sum(orders.c.amount_fen), 0)).where(
                live, orders.c.placed_at >= _period_start(today, "year")
            )
        ).scalar_one()
        if used + amount > item.max_fen_per_year:
            raise Refused(
                "item.annual_cap",
                f"「{item.name}」每年最多{yuan(item.max_fen_per_year)}，已用{yuan(int(used))}，"
                f"本单{yuan(amount)}，剩余{yuan(max(item.max_fen_per_year - int(used), 0))}",
                cap=item.max_fen_per_year,
                used=int(used),
            )


def place_order(svc: Services, actor: Actor, data: NewOrder) -> Order:
    """群众点单: check item, eligibility, limits and the tiered budget; spend; split funding."""
    actor.require("order.place")
    if data.quantity < 1:
        raise Invalid("quantity", "数量至少为1")
    if data.quantity > 1000:
        raise Invalid("quantity", "数量过大")
    if len(data.note) > 500 or "\x00" in data.note:
        raise Invalid("note", "备注不超过500字，且不含控制字符")

    def work(conn: Connection) -> Order:
        region, case = load_case(svc, conn, actor, data.case_id, lock=True)
        try:
            item = region.catalogue.item(data.item_code)
        except KeyError:
            raise Invalid(
                "item_code", f"{data.item_code} 不在{region.info.name}服务清单中"
            ) from None
        if case.status != CaseStatus.ACTIVE:
            raise Refused("case.not_active", "案件尚未授予服务额度或已退出，不能点单")
        now = svc.now()
        today = local_date(now)
        ent_row = lock_entitlement(conn, case.id, today.year)
        if ent_row is None:
            raise Refused(
                "entitlement.missing", f"{today.year}年度服务额度尚未授予（需年度复核后授予）"
            )
        ent = msgspec.convert(ent_row, Entitlement)
        person = msgspec.convert(
            fetch_one(conn, persons, "person", case.person_id, id=case.person_id), Person
        )
        if not bool(item.who.mask(Population.of([person_facts(person, today)]))[0]):
            raise Refused("item.who", f"「{item.name}」的服务对象条件不符：" + describe_who(item))
        try:
            price = item.price_on(today)
        except LookupError as exc:
            raise Refused("item.price", str(exc)) from None
        amount = price * data.quantity
        _check_item_limits(conn, case.id, item, data.quantity, amount, now)
        tiers = read_tiers(conn, ent.id)
        rule = svc.regions.budget_rule(region, rule_date(ent))
        alloc = rule.allocate(
            np.array([[t.spent_fen for t in tiers]], dtype=np.int64),
            np.array([ent.reviews], dtype=np.int64),
            np.array([amount], dtype=np.int64),
            np.array([item.category]),
        )
        tier = int(alloc.tier[0])
        if tier < 0:
            raise Refused("budget", alloc.refusal[0] or "超出服务额度", amount_fen=amount)
        funding = svc.regions.funding_rule(region, today)
        parts = funding.split(np.array([amount], dtype=np.int64), np.array([item.category]))[0]
        hours = (
            region.info.service.urgent_response_hours
            if data.urgent
            else region.info.service.normal_response_hours
        )
        oid = conn.execute(
            orders.insert().values(
                region_id=region.id,
                case_id=case.id,
                entitlement_id=ent.id,
                item_code=item.code,
                quantity=data.quantity,
                unit_price_fen=price,
                amount_fen=amount,
                tier_idx=tier,
                urgent=data.urgent,
                status=OrderStatus.PLACED,
                due_at=now + timedelta(hours=hours),
                placed_at=now,
                placed_by=actor.username,
                note=data.note,
                rule_version=f"{ent.rule_version}; funding@{funding.rule_version.isoformat()}",
            )
        ).inserted_primary_key
        assert oid is not None
        spends = [
            {
                "entitlement_id": ent.id,
                "order_id": oid[0],
                "tier_idx": tier,
                "source_code": src,
                "amount_fen": int(part),
                "kind": "spend",
                "at": now,
            }
            for src, part in zip(funding.sources, parts, strict=True)
            if part
        ]
        if spends:  # a free item (price 0) books nothing; an empty executemany would fail
            conn.execute(ledger.insert(), spends)
        _add_spent(conn, ent.id, tier, amount)
        append_event(
            svc,
            conn,
            region,
            case.id,
            actor.username,
            "order.placed",
            data.note,
            order_id=oid[0],
            item=item.code,
            quantity=data.quantity,
            amount_fen=amount,
            tier=tiers[tier].name,
            urgent=data.urgent,
        )
        return msgspec.convert(fetch_one(conn, orders, "order", oid[0], id=oid[0]), Order)

    return svc.run(work)


def describe_who(item: Item) -> str:
    parts = [f"{c.fact} {c.op} {getattr(c, c.op)}" for c in item.who.all]
    if item.who.any:
        parts.append(
            "其一：" + " / ".join(f"{c.fact} {c.op} {getattr(c, c.op)}" for c in item.who.any)
        )
    return "；".join(parts)


def _add_spent(conn: Connection, entitlement_id: int, tier: int, amount: int) -> None:
    conn.execute(
        update(entitlement_tiers)
        .where(
            entitlement_tiers.c.entitlement_id == entitlement_id, entitlement_tiers.c.idx == tier
        )
        .values(spent_fen=entitlement_tiers.c.spent_fen + amount)
    )
    conn.execute(
        update(entitlements)
        .where(entitlements.c.id == entitlement_id)
        .values(spent_fen=entitlements.c.spent_fen + amount)
    )


def cancel_in_transaction(
    svc: Services, conn: Connection, region: Region, actor: Actor, order_id: int, reason: str
) -> Order:
    """Cancel and refund an order inside the caller's unit of work, which already holds
    the order's case lock: locks the entitlement, then the order (the one lock order)."""
    unlocked = msgspec.convert(fetch_one(conn, orders, "order", order_id, id=order_id), Order)
    lock_entitlement_by_id(conn, unlocked.entitlement_id)
    order = msgspec.convert(lock_order(conn, order_id), Order)
    allowed = (OrderStatus.PLACED, OrderStatus.DISPATCHED, OrderStatus.ACCEPTED)
    if order.status not in allowed:
        raise _illegal(order, "取消", allowed)
    now = svc.now()
    entries = conn.execute(select(ledger).where(ledger.c.order_id == order.id)).mappings().all()
    refunds = [
        {
            "entitlement_id": e["entitlement_id"],
            "order_id": order.id,
            "tier_idx": e["tier_idx"],
            "source_code": e["source_code"],
            "amount_fen": -e["amount_fen"],
            "kind": "refund",
            "at": now,
        }
        for e in entries
    ]
    if refunds:
        conn.execute(ledger.insert(), refunds)
    _add_spent(conn, order.entitlement_id, order.tier_idx, -order.amount_fen)
    conn.execute(
        update(orders)
        .where(orders.c.id == order.id)
        .values(status=OrderStatus.CANCELLED, cancelled_at=now)
    )
    append_event(
        svc,
        conn,
        region,
        order.case_id,
        actor.username,
        "order.cancelled",
        reason,
        order_id=order.id,
        refunded_fen=order.amount_fen,
    )
    return msgspec.convert(fetch_one(conn, orders, "order", order_id, id=order_id), Order)


def cancel_order(svc: Services, actor: Actor, order_id: int, reason: str = "") -> Order:
    """Cancel before service starts: the exact opposite ledger rows, the spend returned to
    its tier. Locks the case, then the entitlement, then the order."""
    actor.require("order.cancel")

    def work(conn: Connection) -> Order:
        case_id = _visible_case(svc, conn, actor, order_id)
        region, _case = load_case(svc, conn, actor, case_id, lock=True)
        return cancel_in_transaction(svc, conn, region, actor, order_id, reason)

    return shown_order(actor, svc.run(work))


def _transition(
    svc: Services,
    actor: Actor,
    order_id: int,
    permission: str,
    action: str,
    allowed: tuple[OrderStatus, ...],
    kind: str,
    reason: str = "",
    check: Any = None,
    after: Any = None,
    **values: Any,
) -> Order:
    """One state change of an order in its own unit of work: case lock, then order lock
    (no money moves, so no entitlement lock)."""
    actor.require(permission)

    def work(conn: Connection) -> Order:
        region, order = _load_order(svc, conn, actor, order_id)
        if order.status not in allowed:
            raise _illegal(order, action, allowed)
        extra: dict[str, Any] = check(conn, region, order) if check else {}
        conn.execute(
            update(orders)
            .where(orders.c.id == order_id)
            .values(**values, **{k: v for k, v in extra.items() if k in orders.c})
        )
        append_event(
            svc,
            conn,
            region,
            order.case_id,
            actor.username,
            kind,
            reason,
            order_id=order_id,
            **{k: v for k, v in extra.items() if k not in orders.c or k == "provider_id"},
        )
        result = msgspec.convert(fetch_one(conn, orders, "order", order_id, id=order_id), Order)
        if after is not None:
            after(conn, result)
        return result

    return shown_order(actor, svc.run(work))


def dispatch_order(svc: Services, actor: Actor, order_id: int, provider_id: int) -> Order:
    """平台派单: to an active provider of the region that is not on a red light."""

    def check(conn: Connection, region: Region, order: Order) -> dict[str, Any]:
        prow = (
            conn.execute(select(providers).where(providers.c.id == provider_id)).mappings().first()
            if 0 < provider_id <= MAX_ID
            else None
        )
        if prow is None or prow["region_id"] != region.id:
            raise Invalid("provider_id", f"服务机构 {provider_id} 不存在或不属于本地区")
        if not prow["active"]:
            raise Refused("provider.inactive", f"服务机构「{prow['name']}」已停用")
        if prow["light"] == "red":
            raise Refused(
                "provider.red",
                f"服务机构「{prow['name']}」为红灯（{prow['light_reason']}），不再派单",
            )
        return {"provider_id": provider_id, "provider": prow["name"]}

    return _transition(
        svc,
        actor,
        order_id,
        "order.dispatch",
        "派单",
        (OrderStatus.PLACED, OrderStatus.DISPATCHED),
        "order.dispatched",
        check=check,
        status=OrderStatus.DISPATCHED,
        dispatched_at=svc.now(),
        worker_id=None,
    )


def accept_order(svc: Services, actor: Actor, order_id: int, worker_id: int | None = None) -> Order:
    """社工接单: only a worker of the provider the order was dispatched to."""
    worker_id = worker_id or actor.worker_id
    if worker_id is None:
        raise Invalid("worker_id", "请指定接单社工")

    def check(conn: Connection, region: Region, order: Order) -> dict[str, Any]:
        wrow = (
            conn.execute(select(workers).where(workers.c.id == worker_id)).mappings().first()
            if 0 < worker_id <= MAX_ID
            else None
        )
        if wrow is None or not wrow["active"]:
            raise Invalid("worker_id", f"社工 {worker_id} 不存在或已停用")
        if actor.worker_id is not None and actor.worker_id != worker_id:
            raise Refused("order.worker", "社工只能为自己接单")
        if actor.provider_id is not None and actor.provider_id != wrow["provider_id"]:
            raise Refused("order.provider", "只能安排本机构的社工")
        if wrow["provider_id"] != order.provider_id:
            raise Refused(
                "order.provider", f"社工「{wrow['name']}」不属于工单派往的服务机构，不能接单"
            )
        return {"worker_id": worker_id, "worker": wrow["name"]}

    return _transition(
        svc,
        actor,
        order_id,
        "order.work",
        "接单",
        (OrderStatus.DISPATCHED,),
        "order.accepted",
        check=check,
        status=OrderStatus.ACCEPTED,
        accepted_at=svc.now(),
    )


def _own_work(actor: Actor, order: Order) -> None:
    """Check-in and check-out are the accepting worker's own: they prove who was at the
    recipient's home. A provider admin may assign (accept for) a worker, not sign for them."""
    if actor.worker_id is not None and actor.worker_id != order.worker_id:
        raise Refused("order.worker", "只能操作自己接的工单")
    if actor.provider_id is not None and actor.provider_id != order.provider_id:
        raise Refused("order.provider", "只能操作本机构的工单")
    if actor.provider_id is not None and actor.worker_id is None:
        raise Refused("order.worker", "签到、签退须由接单社工本人在服务现场完成")


def start_order(svc: Services, actor: Actor, order_id: int) -> Order:
    """Check-in (签到) at the recipient's home."""
    now = svc.now()

    def check(conn: Connection, region: Region, order: Order) -> dict[str, Any]:
        _own_work(actor, order)
        conn.execute(deliveries.insert().values(order_id=order_id, checkin_at=now, steps_done=[]))
        return {}

    return _transition(
        svc,
        actor,
        order_id,
        "order.work",
        "签到开始服务",
        (OrderStatus.ACCEPTED,),
        "order.started",
        check=check,
        status=OrderStatus.IN_SERVICE,
        started_at=now,
    )


class Finish(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    steps_done: Annotated[list[Annotated[str, Meta(max_length=100)]], Meta(max_length=50)] = []
    confirmed_by: Signer
    confirmation: Note = ""
    minutes: Minutes | None = None


def finish_order(svc: Services, actor: Actor, order_id: int, data: Finish) -> Order:
    """Check-out (签退): the standard's steps ticked, duration, the recipient's confirmation."""
    now = svc.now()
    if not data.confirmed_by.strip():
        raise Invalid("confirmed_by", "须由服务对象或家属签字确认")
    if data.minutes is not None and not 0 < data.minutes <= 24 * 60:
        raise Invalid("minutes", "服务时长应在1至1440分钟之间")

    def check(conn: Connection, region: Region, order: Order) -> dict[str, Any]:
        _own_work(actor, order)
        item = region.catalogue.item(order.item_code)
        unknown = [s for s in data.steps_done if s not in item.standard]
        if unknown:
            raise Invalid("steps_done", f"不是「{item.name}」服务规范中的步骤：{unknown}")
        drow = fetch_one(conn, deliveries, "delivery", order_id, order_id=order_id)
        checkin: datetime = drow["checkin_at"]
        minutes = (
            data.minutes
            if data.minutes is not None
            else max(1, int((now - checkin).total_seconds() // 60))
        )
        missing = [s for s in item.standard if s not in data.steps_done]
        conn.execute(
            update(deliveries)
            .where(deliveries.c.order_id == order_id)
            .values(
                checkout_at=now,
                minutes=minutes,
                steps_done=data.steps_done,
                confirmed_by=data.confirmed_by,
                confirmation=data.confirmation,
            )
        )
        return {"minutes": minutes, "steps_missing": missing}

    return _transition(
        svc,
        actor,
        order_id,
        "order.work",
        "签退完成服务",
        (OrderStatus.IN_SERVICE,),
        "order.delivered",
        check=check,
        status=OrderStatus.DELIVERED,
        finished_at=now,
    )


class NewRating(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    score: Score
    satisfied: bool | None = None
    comment: Note = ""


def rate_order(svc: Services, actor: Actor, order_id: int, data: NewRating) -> Order:
    """群众评单: 1–5 and satisfied or not; feeds the provider's traffic light."""
    if not 1 <= data.score <= 5:
        raise Invalid("score", "评分应为1至5")
    if len(data.comment) > 500:
        raise Invalid("comment", "评价不超过500字")
    satisfied = data.satisfied if data.satisfied is not None else data.score >= 4

    def check(conn: Connection, region: Region, order: Order) -> dict[str, Any]:
        conn.execute(
            ratings.insert().values(
                order_id=order_id,
                score=data.score,
                satisfied=satisfied,
                comment=data.comment,
                rated_at=svc.now(),
            )
        )
        return {"score": data.score, "satisfied": satisfied}

    def refresh(conn: Connection, order: Order) -> None:
        if order.provider_id is not None:
            from .providers import refresh_light

            provider_id = order.provider_id
            after_commit(conn, lambda: refresh_light(svc, provider_id))

    return _transition(
        svc,
        actor,
        order_id,
        "order.rate",
        "评价",
        (OrderStatus.DELIVERED,),
        "order.rated",
        data.comment,
        check=check,
        after=refresh,
        status=OrderStatus.RATED,
    )


def get_order(svc: Services, actor: Actor, order_id: int) -> Order:
    actor.require("order.read")
    with svc.engine.connect() as conn:
        return shown_order(actor, _load_order(svc, conn, actor, order_id, lock=False)[1])


def escalate_overdue(svc: Services, actor: Actor, region_id: str) -> list[Order]:
    """Orders not accepted by their deadline go up one level of the area hierarchy for each
    further response period they stay overdue; only orders in the actor's scope. Each order
    is its own small unit of work in the one lock order (case, then order), so escalation
    never holds many cases at once nor deadlocks against the service loop."""
    actor.require("order.dispatch")
    svc.region(region_id)  # an unknown region is 404
    if region_id != actor.region_id:
        raise NotFound("region", region_id)
    now = svc.now()
    with svc.engine.connect() as conn:
        scope = order_scope(actor, svc.region(region_id).info)
        due = [int(r["id"]) for r in overdue_rows(conn, region_id, now, scope)]
    escalated: list[Order] = []
    for order_id in due:
        try:
            order = svc.run(partial(_escalate_one, svc, actor=actor, order_id=order_id, now=now))
        except NotFound:  # gone out of scope meanwhile
            continue
        if order is not None:
            escalated.append(order)
    return escalated


def _escalate_one(
    svc: Services, conn: Connection, *, actor: Actor, order_id: int, now: datetime
) -> Order | None:
    region, order = _load_order(svc, conn, actor, order_id)
    if order.status not in (OrderStatus.PLACED, OrderStatus.DISPATCHED) or order.due_at >= now:
        return None  # accepted or cancelled since it was listed
    hours = (
        region.info.service.urgent_response_hours
        if order.urgent
        else region.info.service.normal_response_hours
    )
    periods = int((now - order.due_at) / timedelta(hours=hours)) + 1
    chain = region.info.ancestors(_case_area(conn, order.case_id))
    level = min(periods, len(chain) - 1)
    if level <= order.escalation_level:
        return None
    target = chain[level]
    conn.execute(
        update(orders)
        .where(orders.c.id == order.id)
        .values(escalation_level=level, escalated_to=target)
    )
    append_event(
        svc,
        conn,
        region,
        order.case_id,
        actor.username,
        "order.escalated",
        f"超过响应时限未接单，上报{region.info.area_name(target)}",
        order_id=order.id,
        level=level,
        to=target,
    )
    return shown_order(
        actor, msgspec.convert(fetch_one(conn, orders, "order", order.id, id=order.id), Order)
    )


def _case_area(conn: Connection, case_id: int) -> str:
    from ..storage.tables import cases

    return str(conn.execute(select(cases.c.area_code).where(cases.c.id == case_id)).scalar_one())


def overdue_rows(
    conn: Connection, region_id: str, now: datetime, scope: ColumnElement[bool]
) -> list[dict[str, Any]]:
    """Orders past their response deadline and not yet accepted, most urgent first, within
    `scope` (access.order_scope of the caller: there is no unscoped variant)."""
    query = (
        select(orders)
        .where(
            orders.c.region_id == region_id,
            orders.c.status.in_([OrderStatus.PLACED, OrderStatus.DISPATCHED]),
            orders.c.due_at < now,
            scope,
        )
        .order_by(orders.c.urgent.desc(), orders.c.due_at, orders.c.id)
    )
    return [plain(r) for r in conn.execute(query).mappings()]


__all__ = ["NotFound"]
