"""Service orders (工单): 点单 → 派单 → 接单 → visits (check-in … check-out) → 评单,
and cancel or early close.

An order of N units is delivered over visits: each check-in opens a delivery, each
check-out closes it; the order is DELIVERED once its units are delivered (``Item.visits``
visits, or the minutes of hour items) or when the worker or an officer closes it early,
which refunds the undelivered remainder (money and cap usage).

Where entitlement usage is booked: a cap is reserved when the order is placed (refunded on
cancel and on early close); a floor is booked when a visit is checked out (minutes served;
never refused). Money is booked to the funding sources at placement for the quantity
ordered, and the undelivered remainder refunded when an order closes early.

Every change is one unit of work (``Services.run``: retried on a deadlock or serialization
failure) that locks in the one order case → entitlement → order (locks.py; SELECT … FOR
UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite), so concurrent orders against one
entitlement cannot overspend it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from ..conditions import describe_criteria
from ..domain import Case, CaseStatus, Delivery, Entitlement, Order, OrderStatus, Person
from ..entitlement import EntitlementRule, amount_text, period_key
from ..limits import (
    Id,
    ItemCode,
    Minutes,
    Note,
    Quantity,
    Score,
    Signature,
    SignerOrBlank,
)
from ..money import yuan
from ..regions import Region
from ..storage.tables import deliveries, orders, persons, providers, ratings, workers
from ..times import SHANGHAI, local_date
from . import MAX_ID, Services, after_commit, append_event, fetch_one, plain, rollups
from .cases import load_case
from .entitlements import locked_entitlement, person_population, rule_of
from .images import NewImage, store_images
from .ledger import (
    book_money,
    book_usage,
    delivered_totals,
    order_usage,
    refund_money,
    usage,
)
from .locks import lock_entitlement, lock_entitlement_by_id, lock_order

STATUS_LABELS = {
    OrderStatus.PLACED: "待派单",
    OrderStatus.DISPATCHED: "待接单",
    OrderStatus.ACCEPTED: "待服务",
    OrderStatus.IN_SERVICE: "服务中",
    OrderStatus.DELIVERED: "待评价",
    OrderStatus.RATED: "已评价",
    OrderStatus.CANCELLED: "已取消",
}
OPEN = (OrderStatus.PLACED, OrderStatus.DISPATCHED, OrderStatus.ACCEPTED)


class NewOrder(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    case_id: Id
    item_code: ItemCode
    quantity: Quantity = 1
    urgent: bool = False
    note: Note = ""


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


def _read_order(conn: Connection, order_id: int, lock: bool = False) -> Order:
    return msgspec.convert(
        fetch_one(conn, orders, "order", order_id, lock=lock, id=order_id), Order
    )


def _load_order(
    svc: Services, conn: Connection, actor: Actor, order_id: int, lock: bool = True
) -> tuple[Region, Order]:
    """The order if the actor may see it (access.order_scope) — an order out of scope
    answers exactly as a missing one: "order N 不存在", nothing about its case. With
    ``lock``, in the one lock order: its case, then the order's entitlement (a visit books
    a floor's usage, an early close refunds a cap's), then the order, re-read under its
    lock."""
    case_id = _visible_case(svc, conn, actor, order_id)
    region, _case = load_case(svc, conn, actor, case_id, lock=lock)
    order = _read_order(conn, order_id)
    if not lock:
        return region, order
    if order.entitlement_id is not None:
        lock_entitlement_by_id(conn, order.entitlement_id)
    return region, _read_order(conn, order_id, lock=True)


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


def describe_who(item: Item) -> str:
    """The item's 对象条件 in Chinese (conditions.describe_criteria)."""
    return describe_criteria(item.who)


def find_item(region: Region, code: str) -> Item:
    try:
        return region.catalogue.item(code)
    except KeyError:
        raise Invalid("item_code", f"{code} 不在{region.info.name}服务清单中") from None


def create_order(
    svc: Services,
    conn: Connection,
    region: Region,
    actor: Actor,
    case: Case,
    item: Item,
    quantity: int,
    *,
    urgent: bool = False,
    note: str = "",
    session_id: int | None = None,
    values: dict[str, Any] | None = None,
) -> Order:
    """Check and book one order inside the caller's unit of work, which holds the case's
    lock: the item's conditions and limits, the entitlement (reserved now if a cap; a floor
    is booked at delivery) and the money. ``values`` set further columns (a group session's
    attendance is created delivered)."""
    if case.status != CaseStatus.ACTIVE:
        raise Refused("case.not_active", "案件尚未通过资格判定（授予服务）或已退出，不能点单")
    now = svc.now()
    today = local_date(now)
    person = msgspec.convert(
        fetch_one(conn, persons, "person", case.person_id, id=case.person_id), Person
    )
    if not bool(item.who.mask(person_population(person, today))[0]):
        raise Refused("item.who", f"「{item.name}」的服务对象条件不符：" + describe_who(item))
    try:
        price = item.price_on(today)
    except LookupError as exc:
        raise Refused("item.price", str(exc)) from None
    amount = price * quantity
    _check_item_limits(conn, case.id, item, quantity, amount, now)
    ent: Entitlement | None = None
    rule: EntitlementRule | None = None
    bucket: int | None = None
    key = ""
    cost = 0
    if item.spends_entitlement:
        row = lock_entitlement(conn, case.id, today.year)  # case → entitlement
        if row is None:
            raise Refused(
                "entitlement.missing",
                f"{today.year}年度服务额度尚未授予，或本对象没有个人服务额度，"
                f"「{item.name}」须使用服务额度",
            )
        ent = msgspec.convert(row, Entitlement)
        rule = rule_of(svc, conn, region, ent, person)
        key = period_key(today, rule.period)
        cost = rule.cost(item, quantity, amount)
        k = len(rule.buckets())
        alloc = rule.allocate(
            usage(conn, ent.id, key, k)[None, :],
            np.array([ent.reviews], dtype=np.int64),
            np.array([cost], dtype=np.int64),
            np.array([item.category]),
        )
        bucket = int(alloc.tier[0])
        if bucket < 0:
            raise Refused(
                "budget",
                alloc.refusal[0] or f"超出服务额度（本单{amount_text(rule.unit, cost)}）",
                cost=cost,
                unit=rule.unit,
                amount_fen=amount,
            )
        if rule.kind != "cap":
            cost = 0  # a floor books what is served, at check-out
    funding = svc.regions.funding_rule(region, today)
    hours = (
        region.info.service.urgent_response_hours
        if urgent
        else region.info.service.normal_response_hours
    )
    version = f"{ent.rule_version}; " if ent is not None else ""
    columns: dict[str, Any] = {
        "region_id": region.id,
        "case_id": case.id,
        "entitlement_id": ent.id if ent is not None else None,
        "item_code": item.code,
        "quantity": quantity,
        "unit_price_fen": price,
        "amount_fen": amount,
        "period_key": key,
        "bucket_idx": bucket,
        "cost": cost,
        "session_id": session_id,
        "urgent": urgent,
        "status": OrderStatus.PLACED,
        "due_at": now + timedelta(hours=hours),
        "placed_at": now,
        "placed_by": actor.username,
        "note": note,
        "rule_version": f"{version}funding@{funding.rule_version.isoformat()}"[:120],
    }
    columns.update(values or {})
    # the row as stored (defaults included) comes back with the insert: booking below
    # writes the ledgers and usage, never the order row
    placed = conn.execute(orders.insert().values(**columns).returning(*orders.c)).mappings().one()
    order_id = int(placed["id"])
    if ent is not None and rule is not None and cost:
        assert bucket is not None
        book_usage(conn, rule, ent.id, order_id, key, bucket, cost, now)
    book_money(conn, funding, order_id, ent.id if ent else None, amount, item.category, now)
    detail: dict[str, Any] = {
        "order_id": order_id,
        "item": item.code,
        "quantity": quantity,
        "amount_fen": amount,
        "urgent": urgent,
    }
    if ent is not None and rule is not None and bucket is not None:
        detail.update(tier=rule.buckets()[bucket].name, unit=rule.unit, cost=cost, period=key)
    if session_id is not None:
        detail["session_id"] = session_id
    append_event(svc, conn, region, case.id, actor.username, "order.placed", note, **detail)
    return msgspec.convert(plain(placed), Order)


def place_order(svc: Services, actor: Actor, data: NewOrder) -> Order:
    """群众点单: check the item, the person, limits and the entitlement; book; split money."""
    actor.require("order.place")
    if data.quantity < 1:
        raise Invalid("quantity", "数量至少为1")
    if data.quantity > 1000:
        raise Invalid("quantity", "数量过大")
    if len(data.note) > 500 or "\x00" in data.note:
        raise Invalid("note", "备注不超过500字，且不含控制字符")

    def work(conn: Connection) -> Order:
        region, case = load_case(svc, conn, actor, data.case_id, lock=True)
        item = find_item(region, data.item_code)
        if item.mode == "group":
            raise Refused(
                "item.group",
                f"「{item.name}」为小组/主题活动，请在活动中签到登记参加，不单独点单",
            )
        return create_order(
            svc, conn, region, actor, case, item, data.quantity, urgent=data.urgent, note=data.note
        )

    return shown_order(actor, svc.run(work))


def place_orders(svc: Services, actor: Actor, lines: list[NewOrder]) -> list[Order]:
    """Several items for one case in one go (one 点单 on the page): all placed in one unit of
    work, or none — a refusal of any line (limits, entitlement) writes nothing."""
    actor.require("order.place")
    if not lines:
        raise Invalid("items", "请至少选择一项服务")
    if len(lines) > 20:
        raise Invalid("items", "一次最多点20项服务")
    if len({line.case_id for line in lines}) != 1:
        raise Invalid("items", "一次点单只能为同一个对象")
    for line in lines:
        if not 1 <= line.quantity <= 1000:
            raise Invalid("quantity", "数量应在1至1000之间")
        if len(line.note) > 500 or "\x00" in line.note:
            raise Invalid("note", "备注不超过500字，且不含控制字符")

    def work(conn: Connection) -> list[Order]:
        region, case = load_case(svc, conn, actor, lines[0].case_id, lock=True)
        placed = []
        for line in lines:
            item = find_item(region, line.item_code)
            if item.mode == "group":
                raise Refused(
                    "item.group",
                    f"「{item.name}」为小组/主题活动，请在活动中签到登记参加，不单独点单",
                )
            placed.append(
                create_order(
                    svc,
                    conn,
                    region,
                    actor,
                    case,
                    item,
                    line.quantity,
                    urgent=line.urgent,
                    note=line.note,
                )
            )
        return placed

    return [shown_order(actor, o) for o in svc.run(work)]


# --- refunds: cancel and early close ----------------------------------------------------
def _refund_usage(
    svc: Services, conn: Connection, region: Region, order: Order, part: Callable[[int], int]
) -> int:
    """Give back ``part(held)`` of what the order reserved of a cap, booking by booking."""
    if order.entitlement_id is None or not order.cost:
        return 0
    ent = locked_entitlement(conn, order.entitlement_id)
    rule = rule_of(svc, conn, region, ent)
    now = svc.now()
    given = 0
    for eid, key, bucket, held in order_usage(conn, order.id):
        back = min(part(held), held)
        if back > 0:
            book_usage(conn, rule, eid, order.id, key, bucket, -back, now)
            given += back
    return given


def cancel_in_transaction(
    svc: Services, conn: Connection, region: Region, actor: Actor, order_id: int, reason: str
) -> Order:
    """Cancel an order not yet visited inside the caller's unit of work, which already
    holds the order's case lock: everything it booked goes back. Locks the entitlement,
    then the order (the one lock order). An order already visited is closed early instead
    (its delivered part stays booked)."""
    unlocked = _read_order(conn, order_id)
    if unlocked.entitlement_id is not None:
        lock_entitlement_by_id(conn, unlocked.entitlement_id)
    order = msgspec.convert(lock_order(conn, order_id), Order)
    if order.status not in OPEN:
        raise _illegal(order, "取消", OPEN)
    visits, _minutes = delivered_totals(conn, order.id)
    if visits:
        close_in_transaction(svc, conn, region, actor, order, reason or "取消（已有上门服务）")
        return _read_order(conn, order_id)
    now = svc.now()
    refunded = sum(
        refund_money(conn, order.id, order.entitlement_id, order.amount_fen, now).values()
    )
    returned = _refund_usage(svc, conn, region, order, lambda held: held)
    cancelled = (
        conn.execute(
            update(orders)
            .where(orders.c.id == order.id)
            .values(status=OrderStatus.CANCELLED, cancelled_at=now)
            .returning(*orders.c)
        )
        .mappings()
        .one()
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
        refunded_fen=refunded,
        returned=returned,
    )
    return msgspec.convert(plain(cancelled), Order)


def cancel_order(svc: Services, actor: Actor, order_id: int, reason: str = "") -> Order:
    """Cancel before the first visit: the exact opposite ledger rows, the usage returned
    to its bucket. An order already visited is refused (close it early instead). Locks the
    case, then the entitlement, then the order."""
    actor.require("order.cancel")

    def work(conn: Connection) -> Order:
        case_id = _visible_case(svc, conn, actor, order_id)
        region, _case = load_case(svc, conn, actor, case_id, lock=True)
        order = _read_order(conn, order_id)  # stable: every change of it holds the case
        if order.status in OPEN and delivered_totals(conn, order.id)[0]:
            raise Refused(
                "order.visited",
                f"工单 #{order.id} 已有上门服务记录，不能取消；请办理提前结单（退回未服务部分）",
            )
        return cancel_in_transaction(svc, conn, region, actor, order_id, reason)

    return shown_order(actor, svc.run(work))


class Remainder(msgspec.Struct, kw_only=True):
    """What an order still owes its recipient: units and minutes not yet delivered."""

    visits_done: int
    minutes_done: int
    units_left: int  # per-visit items: visits left; hour items: whole hours left
    minutes_left: int  # hour items: minutes left
    money_left_fen: int

    @property
    def complete(self) -> bool:
        return self.units_left == 0 and self.minutes_left == 0


def remainder(item: Item, order: Order, visits: int, minutes: int) -> Remainder:
    if item.by_time:
        left = max(order.quantity * 60 - minutes, 0)
        return Remainder(
            visits_done=visits,
            minutes_done=minutes,
            units_left=left // 60,
            minutes_left=left,
            money_left_fen=order.unit_price_fen * left // 60,
        )
    left_units = max(item.visits(order.quantity) - visits, 0)
    return Remainder(
        visits_done=visits,
        minutes_done=minutes,
        units_left=left_units,
        minutes_left=0,
        money_left_fen=order.unit_price_fen * left_units,
    )


def _unused_cost(unit: str, item: Item, order: Order, rest: Remainder) -> Callable[[int], int]:
    """What of a cap reservation an early close gives back, in the entitlement's unit."""
    if unit == "fen":
        return lambda held: rest.money_left_fen
    if unit == "minutes":
        left = rest.minutes_left if item.by_time else rest.units_left * item.minutes_per_unit
        return lambda held: left
    return lambda held: max(held - rest.visits_done, 0)


def close_in_transaction(
    svc: Services, conn: Connection, region: Region, actor: Actor, order: Order, reason: str
) -> Remainder:
    """提前结单: the order is DELIVERED with what was delivered; the undelivered remainder
    of money and cap usage goes back."""
    item = find_item(region, order.item_code)
    visits, minutes = delivered_totals(conn, order.id)
    rest = remainder(item, order, visits, minutes)
    now = svc.now()
    refunded = sum(
        refund_money(conn, order.id, order.entitlement_id, rest.money_left_fen, now).values()
    )
    returned = 0
    if order.entitlement_id is not None:
        unit = _ent_unit(conn, order.entitlement_id)
        returned = _refund_usage(svc, conn, region, order, _unused_cost(unit, item, order, rest))
    if order.status != OrderStatus.DELIVERED:  # (check-out may have just delivered it)
        conn.execute(
            update(orders)
            .where(orders.c.id == order.id)
            .values(status=OrderStatus.DELIVERED, finished_at=now)
        )
        rollups.delivered(conn, order.id)
    append_event(
        svc,
        conn,
        region,
        order.case_id,
        actor.username,
        "order.closed",
        reason,
        order_id=order.id,
        visits=visits,
        minutes=minutes,
        refunded_fen=refunded,
        returned=returned,
    )
    return rest


def _ent_unit(conn: Connection, entitlement_id: int) -> str:
    from ..storage.tables import entitlements

    return str(
        conn.execute(
            select(entitlements.c.unit).where(entitlements.c.id == entitlement_id)
        ).scalar_one()
    )


def close_order(svc: Services, actor: Actor, order_id: int, reason: str = "") -> Order:
    """提前结单 by the worker or an officer, between visits."""
    if not (actor.can("order.work") or actor.can("order.cancel")):
        actor.require("order.cancel")
    if not reason.strip():
        raise Invalid("reason", "提前结单须说明原因")

    def work(conn: Connection) -> Order:
        region, order = _load_order(svc, conn, actor, order_id)
        if actor.can("order.work") and not actor.can("order.cancel"):
            _own_work(actor, order)
        if order.status != OrderStatus.ACCEPTED or not delivered_totals(conn, order.id)[0]:
            raise Refused(
                "order.transition",
                f"工单 #{order.id} 当前为「{STATUS_LABELS[order.status]}」：提前结单仅限"
                "已有上门服务、等待下次上门的工单（未服务的工单请取消）",
            )
        close_in_transaction(svc, conn, region, actor, order, reason)
        return _read_order(conn, order_id)

    return shown_order(actor, svc.run(work))


# --- the loop's steps ---------------------------------------------------------------------
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
    """One state change of an order in its own unit of work, in the one lock order (case,
    the order's entitlement, the order)."""
    actor.require(permission)

    def work(conn: Connection) -> Order:
        region, order = _load_order(svc, conn, actor, order_id)
        if order.status not in allowed:
            raise _illegal(order, action, allowed)
        extra: dict[str, Any] = check(conn, region, order) if check else {}
        new_values = {**values, **{k: v for k, v in extra.items() if k in orders.c}}
        if new_values:
            conn.execute(update(orders).where(orders.c.id == order_id).values(**new_values))
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
    """平台派单: to an active provider of the region whose standing does not block it."""

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
        if prow["blocks_dispatch"]:
            label = prow["light_label"] or prow["light"]
            raise Refused(
                f"provider.{prow['light'] or 'blocked'}",
                f"服务机构「{prow['name']}」为{label}（{prow['light_reason']}），不再派单",
                light=prow["light"],
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
    """Check-in (签到) at the recipient's home: opens one visit (delivery)."""
    now = svc.now()

    def check(conn: Connection, region: Region, order: Order) -> dict[str, Any]:
        _own_work(actor, order)
        did = conn.execute(
            deliveries.insert().values(
                order_id=order_id, worker_id=order.worker_id, checkin_at=now, steps_done=[]
            )
        ).inserted_primary_key
        assert did is not None
        visits, _ = delivered_totals(conn, order_id)
        out: dict[str, Any] = {"delivery_id": int(did[0]), "visit": visits + 1}
        if order.started_at is None:
            out["started_at"] = now
        return out

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
    )


class Finish(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Check-out of one visit. ``signer`` (the recipient or a family member) confirms it;
    ``signature`` may hold the signature itself. ``complete`` closes the order with this
    visit even if units remain (the remainder is refunded). ``confirmed_by`` and
    ``confirmation`` are the first release's names of ``signer`` and ``signature``."""

    steps_done: Annotated[list[Annotated[str, Meta(max_length=100)]], Meta(max_length=50)] = []
    signer: SignerOrBlank = ""
    signature: Signature = ""
    minutes: Minutes | None = None
    complete: bool = False
    confirmed_by: SignerOrBlank = ""
    confirmation: Note = ""

    @property
    def who(self) -> str:
        return (self.signer or self.confirmed_by).strip()

    @property
    def mark(self) -> str:
        return self.signature or self.confirmation


def book_delivery(
    svc: Services,
    conn: Connection,
    region: Region,
    order: Order,
    item: Item,
    delivery_id: int,
    minutes: int,
    day: date,
) -> int:
    """A floor books what a visit served, in its unit, in the visit's period (never
    refused; the entitlement is locked by the caller). Returns the amount booked."""
    if order.entitlement_id is None:
        return 0
    ent = locked_entitlement(conn, order.entitlement_id)
    if ent.kind != "floor":
        return 0
    rule = rule_of(svc, conn, region, ent)
    if rule.unit == "minutes":
        amount = minutes
    elif rule.unit == "count":
        amount = 1
    else:
        amount = order.unit_price_fen * (minutes // 60 if item.by_time else 1)
    key = period_key(day, rule.period)
    k = len(rule.buckets())
    alloc = rule.allocate(
        usage(conn, ent.id, key, k)[None, :],
        np.array([ent.reviews], dtype=np.int64),
        np.array([amount], dtype=np.int64),
        np.array([item.category]),
        explain=False,
    )
    bucket = max(int(alloc.tier[0]), 0)  # a floor never refuses
    book_usage(conn, rule, ent.id, order.id, key, bucket, amount, svc.now(), delivery_id)
    return amount


def finish_order(
    svc: Services,
    actor: Actor,
    order_id: int,
    data: Finish,
    images: Sequence[NewImage] = (),
) -> Order:
    """Check-out (签退) of the open visit: the standard's steps ticked, the duration, the
    recipient's signature. The order is DELIVERED when its units are (or ``complete``).
    ``images`` (checked by services.images: the handwritten signature, photos before and
    after) are stored with the visit in the same transaction."""
    now = svc.now()
    if not data.who:
        raise Invalid("signer", "须由服务对象或家属签字确认")
    if len(data.who) > 60:
        raise Invalid("signer", "签字人姓名不超过60字")
    if len(data.mark) > 200_000:
        raise Invalid("signature", "签名数据过大")
    if data.minutes is not None and not 0 < data.minutes <= 24 * 60:
        raise Invalid("minutes", "服务时长应在1至1440分钟之间")
    actor.require("order.work")

    def work(conn: Connection) -> Order:
        region, order = _load_order(svc, conn, actor, order_id)
        if order.status != OrderStatus.IN_SERVICE:
            raise _illegal(order, "签退完成服务", (OrderStatus.IN_SERVICE,))
        _own_work(actor, order)
        item = find_item(region, order.item_code)
        unknown = [s for s in data.steps_done if s not in item.standard]
        if unknown:
            raise Invalid("steps_done", f"不是「{item.name}」服务规范中的步骤：{unknown}")
        drow = (
            conn.execute(
                select(deliveries)
                .where(deliveries.c.order_id == order_id, deliveries.c.checkout_at.is_(None))
                .order_by(deliveries.c.id.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        if drow is None:
            raise NotFound("delivery", order_id)
        checkin: datetime = drow["checkin_at"]
        minutes = (
            data.minutes
            if data.minutes is not None
            else max(1, int((now - checkin).total_seconds() // 60))
        )
        missing = [s for s in item.standard if s not in data.steps_done]
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id == drow["id"])
            .values(
                checkout_at=now,
                minutes=minutes,
                steps_done=data.steps_done,
                signer=data.who,
                signature=data.mark,
            )
        )
        rollups.visited(conn, order_id, now, minutes, item.category)
        if images:
            store_images(conn, int(drow["id"]), images, actor.username, now)
        booked = book_delivery(
            svc, conn, region, order, item, int(drow["id"]), minutes, local_date(checkin)
        )
        visits, served = delivered_totals(conn, order_id)
        rest = remainder(item, order, visits, served)
        detail: dict[str, Any] = {
            "order_id": order_id,
            "delivery_id": int(drow["id"]),
            "minutes": minutes,
            "steps_missing": missing,
            "signer": data.who,
            "visit": visits,
        }
        if images:
            detail["images"] = [im.kind for im in images]
        if booked:
            detail["booked"] = booked
        if rest.complete or data.complete:
            conn.execute(
                update(orders)
                .where(orders.c.id == order_id)
                .values(status=OrderStatus.DELIVERED, finished_at=now)
            )
            rollups.delivered(conn, order_id)
            append_event(
                svc, conn, region, order.case_id, actor.username, "order.delivered", **detail
            )
            if not rest.complete:
                order = _read_order(conn, order_id)
                close_in_transaction(svc, conn, region, actor, order, "签退时提前结单")
        else:
            conn.execute(
                update(orders).where(orders.c.id == order_id).values(status=OrderStatus.ACCEPTED)
            )
            left = (
                amount_text("minutes", rest.minutes_left)
                if item.by_time
                else f"{rest.units_left}{UNIT_NAMES[item.unit]}"
            )
            append_event(
                svc,
                conn,
                region,
                order.case_id,
                actor.username,
                "order.visited",
                f"第{visits}次上门服务完成，尚余{left}",
                **detail,
            )
        return _read_order(conn, order_id)

    return shown_order(actor, svc.run(work))


class NewRating(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    score: Score
    satisfied: bool | None = None
    comment: Note = ""


def rate_order(svc: Services, actor: Actor, order_id: int, data: NewRating) -> Order:
    """群众评单: 1–5 and satisfied or not; feeds the provider's standing."""
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
    with svc.reading() as conn:
        return shown_order(actor, _load_order(svc, conn, actor, order_id, lock=False)[1])


def order_deliveries(svc: Services, actor: Actor, order_id: int) -> list[Delivery]:
    """The visits of an order, in order (whoever may see the order)."""
    actor.require("order.read")
    with svc.reading() as conn:
        _load_order(svc, conn, actor, order_id, lock=False)
        rows = conn.execute(
            select(deliveries).where(deliveries.c.order_id == order_id).order_by(deliveries.c.id)
        ).mappings()
        return [msgspec.convert(plain(r), Delivery) for r in rows]


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
    with svc.reading() as conn:
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
