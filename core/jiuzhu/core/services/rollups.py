"""Statistics rollups, kept in the unit of work that writes visits and the money ledger.

Five tables (storage.tables): ``stats_sums`` (person-times, minutes and the net money of
delivered orders per region, month, area, item and provider), ``stats_money`` (per region,
month, area and funding source: the ledger by the month each row was written, and the net
money of delivered orders by the month they were finished), ``stats_reach`` (one row per
person and scope they were served in, written insert-or-ignore), and its exact distinct
counts: ``stats_reach_count`` (persons and households per scope, period, dim and key) with
``stats_reach_household`` (reach rows per household key, so a household counts once while
any of its members is there). The counters move only with the reach rows actually inserted
(``RETURNING``) or moved to another household, in the same flush.

The services call three hooks, inside their unit of work and under its locks:

- ``visited`` when a visit is checked out (``deliveries.checkout_at`` set);
- ``booked`` when money ledger rows are written (spend or refund);
- ``delivered`` when an order becomes DELIVERED (its net money counts from then on).

A person moving household calls ``household_changed``. The hooks only read; what they add
is buffered on the connection and written by ``flush`` just before the unit commits, every
table in one order and every row in key order, so two units never wait for each other's
rollup rows in opposite orders (no deadlock) and hold them only for the commit. Outside a
``Services.transaction`` (a script on a bare connection) a hook writes at once.

Months are Shanghai months, as the statistics' date bounds are. Categories are the
catalogue's at check-out; a catalogue moving an item to another category needs
``backfill`` (as the migration 0007_reach_counts runs) to regroup the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, and_, bindparam, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..storage.tables import (
    cases,
    ledger,
    orders,
    persons,
    stats_money,
    stats_reach,
    stats_reach_count,
    stats_reach_household,
    stats_sums,
)
from ..times import SHANGHAI

if TYPE_CHECKING:
    from ..regions import Region

PENDING = "jiuzhu.rollups"  # key in Connection.info: the open unit's buffered deltas
DONE = ("delivered", "rated")  # order statuses whose money counts as delivered
WHOLE = "*"  # the scope of the whole region


def month_of(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")


@dataclass
class Pending:
    # (region, month, area, item, provider) -> [person_times, minutes, amount_fen, amount_rows]
    sums: dict[tuple[str, str, str, str, int], list[int]] = field(default_factory=dict)
    # (region, month, area, source) -> [amount_fen, delivered_fen]
    money: dict[tuple[str, str, str, str], list[int]] = field(default_factory=dict)
    # (region, scope, period, dim, key, person) -> household key
    reach: dict[tuple[str, str, str, str, str, int], int] = field(default_factory=dict)
    # person -> the household key their reach rows move to
    moves: dict[int, int] = field(default_factory=dict)

    def add_sums(self, key: tuple[str, str, str, str, int], *delta: int) -> None:
        row = self.sums.setdefault(key, [0, 0, 0, 0])
        for i, d in enumerate(delta):
            row[i] += d

    def add_money(self, key: tuple[str, str, str, str], amount: int, delivered: int) -> None:
        row = self.money.setdefault(key, [0, 0])
        row[0] += amount
        row[1] += delivered


def begin(conn: Connection) -> None:
    """Buffer the hooks' deltas on ``conn`` until ``flush`` (Services.transaction)."""
    conn.info[PENDING] = Pending()


def flush(conn: Connection) -> None:
    """Write what the unit buffered; called just before it commits."""
    pending = conn.info.pop(PENDING, None)
    if pending is not None:
        _write(conn, pending)


def _buffer(conn: Connection) -> tuple[Pending, bool]:
    pending = conn.info.get(PENDING)
    if pending is None:
        return Pending(), True
    return pending, False


def _facts(conn: Connection, order_id: int, person_lock: bool = False) -> Any:
    """The order's region, item, provider, status, area, person and household. With
    ``person_lock`` the person is held FOR SHARE until the unit commits: a household move
    of the person (which updates the row) waits for the visit's reach rows to be committed,
    so that it moves them too, or the visit waits for the move and reads the new household
    (the visit's locks, case → entitlement → order, are never taken by a move)."""
    q = (
        select(
            orders.c.region_id,
            orders.c.item_code,
            func.coalesce(orders.c.provider_id, 0).label("provider_id"),
            orders.c.status,
            orders.c.finished_at,
            cases.c.area_code,
            cases.c.person_id,
            persons.c.household_id,
        )
        .select_from(
            orders.join(cases, cases.c.id == orders.c.case_id).join(
                persons, persons.c.id == cases.c.person_id
            )
        )
        .where(orders.c.id == order_id)
    )
    return conn.execute(q.with_for_update(read=True, of=persons) if person_lock else q).one()


def _household_key(person_id: int, household_id: int | None) -> int:
    return household_id if household_id is not None else -person_id


def _reach_rows(
    area: str, month: str, item: str, category: str, provider: int
) -> list[tuple[str, str, str, str]]:
    """(scope, period, dim, key) a visit in ``area`` in ``month`` counts its person in."""
    out: list[tuple[str, str, str, str]] = []
    year = month[:4]
    for scope in (WHOLE, area):
        for period in ("", year):
            out.append((scope, period, "total", ""))
            out.append((scope, period, "item", item))
            out.append((scope, period, "category", category))
            out.append((scope, period, "provider", str(provider)))
        out.append((scope, "", "month", month))
    for period in ("", year):
        out.append((WHOLE, period, "area", area))
    return out


def visited(
    conn: Connection, order_id: int, checkout_at: datetime, minutes: int, category: str
) -> None:
    """A visit of the order was checked out: one person-time, its minutes, its person.
    ``category``: the catalogue category of the order's item."""
    f = _facts(conn, order_id, person_lock=True)
    pending, now = _buffer(conn)
    month = month_of(checkout_at)
    provider = int(f.provider_id)
    pending.add_sums((f.region_id, month, f.area_code, f.item_code, provider), 1, int(minutes))
    hk = _household_key(int(f.person_id), f.household_id)
    for scope, period, dim, key in _reach_rows(f.area_code, month, f.item_code, category, provider):
        pending.reach[(f.region_id, scope, period, dim, key, int(f.person_id))] = hk
    if now:
        _write(conn, pending)


def booked(conn: Connection, order_id: int, rows: list[tuple[str, int, datetime]]) -> None:
    """Money ledger rows (source, signed fen, at) were written for the order."""
    if not rows:
        return
    f = _facts(conn, order_id)
    pending, now = _buffer(conn)
    for source, amount, at in rows:
        pending.add_money((f.region_id, month_of(at), f.area_code, source), int(amount), 0)
        if f.status in DONE and f.finished_at is not None:
            finished = month_of(f.finished_at)
            done = (f.region_id, finished, f.area_code, f.item_code)
            pending.add_sums((*done, int(f.provider_id)), 0, 0, int(amount), 1)
            pending.add_money((f.region_id, finished, f.area_code, source), 0, int(amount))
    if now:
        _write(conn, pending)


def delivered(conn: Connection, order_id: int) -> None:
    """The order has just become DELIVERED: its net money so far counts in its finished
    month (later refunds follow through ``booked``). Call once, on the transition."""
    f = _facts(conn, order_id)
    if f.status not in DONE or f.finished_at is None:
        return
    by_source = conn.execute(
        select(ledger.c.source_code, func.sum(ledger.c.amount_fen), func.count())
        .where(ledger.c.order_id == order_id)
        .group_by(ledger.c.source_code)
        .order_by(ledger.c.source_code)
    ).all()
    if not by_source:
        return
    pending, now = _buffer(conn)
    finished = month_of(f.finished_at)
    key = (f.region_id, finished, f.area_code, f.item_code, int(f.provider_id))
    pending.add_sums(
        key, 0, 0, sum(int(a) for _, a, _ in by_source), sum(int(n) for _, _, n in by_source)
    )
    for source, amount, _ in by_source:
        pending.add_money((f.region_id, finished, f.area_code, str(source)), 0, int(amount))
    if now:
        _write(conn, pending)


def household_changed(conn: Connection, person_id: int, household_id: int | None) -> None:
    """The person joined or left a household: their rows count for the new one."""
    pending, now = _buffer(conn)
    hk = _household_key(person_id, household_id)
    for key in pending.reach:
        if key[5] == person_id:
            pending.reach[key] = hk
    pending.moves[person_id] = hk
    if now:
        _write(conn, pending)


def _insert(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"rollups on {conn.dialect.name}")


Key = tuple[str, str, str, str, str]  # (region, scope, period, dim, key) of the reach
KEY = ("region_id", "scope", "period", "dim", "key")


def _write(conn: Connection, pending: Pending) -> None:
    """Upsert in one order: money, sums, reach (new rows, then household moves), reach
    households, reach counts; rows sorted by key."""
    if pending.money:
        ins = _insert(conn, stats_money)
        conn.execute(
            ins.on_conflict_do_update(
                index_elements=[c.name for c in stats_money.primary_key],
                set_={
                    c: stats_money.c[c] + ins.excluded[c] for c in ("amount_fen", "delivered_fen")
                },
            ),
            [
                {
                    "region_id": k[0],
                    "month": k[1],
                    "area_code": k[2],
                    "source_code": k[3],
                    "amount_fen": v[0],
                    "delivered_fen": v[1],
                }
                for k, v in sorted(pending.money.items())
            ],
        )
    if pending.sums:
        ins = _insert(conn, stats_sums)
        adds = ("person_times", "minutes", "amount_fen", "amount_rows")
        conn.execute(
            ins.on_conflict_do_update(
                index_elements=[c.name for c in stats_sums.primary_key],
                set_={c: stats_sums.c[c] + ins.excluded[c] for c in adds},
            ),
            [
                {
                    "region_id": k[0],
                    "month": k[1],
                    "area_code": k[2],
                    "item_code": k[3],
                    "provider_id": k[4],
                    **dict(zip(adds, v, strict=True)),
                }
                for k, v in sorted(pending.sums.items())
            ],
        )
    # reach, then its counters: the rows inserted or moved decide what the counts gain
    counts: dict[Key, list[int]] = {}  # -> [persons, households]
    members: dict[tuple[str, str, str, str, str, int], int] = {}  # (*key, household) -> delta

    def count(key: Key, hk: int, d: int) -> None:
        if hk < 0:  # alone: a household of one, kept in no membership row
            counts.setdefault(key, [0, 0])[1] += d
        else:
            members[(*key, hk)] = members.get((*key, hk), 0) + d

    if pending.reach:
        ins = _insert(conn, stats_reach)
        for r in conn.execute(
            ins.on_conflict_do_nothing().returning(*stats_reach.c),  # the rows new here
            [
                {
                    "region_id": k[0],
                    "scope": k[1],
                    "period": k[2],
                    "dim": k[3],
                    "key": k[4],
                    "person_id": k[5],
                    "household_key": hk,
                }
                for k, hk in sorted(pending.reach.items())
            ],
        ):
            key = (r.region_id, r.scope, r.period, r.dim, r.key)
            counts.setdefault(key, [0, 0])[0] += 1
            count(key, r.household_key, 1)
    # moves after the inserts: an insert may wait for rows another unit moves, a move (of
    # committed rows, locked in key order) never waits for an inserting unit
    r_key = [stats_reach.c[c] for c in KEY]
    for person, hk in sorted(pending.moves.items()):
        moving = [stats_reach.c.person_id == person, stats_reach.c.household_key != hk]
        rows = conn.execute(
            select(*r_key, stats_reach.c.household_key)
            .where(*moving)
            .order_by(*r_key)
            .with_for_update()
        ).all()
        if rows:
            conn.execute(update(stats_reach).where(*moving).values(household_key=hk))
        for r in rows:
            key = tuple(r[:5])
            count(key, r.household_key, -1)
            count(key, hk, 1)
    changed = {k: d for k, d in members.items() if d}
    if changed:
        t = stats_reach_household
        ins = _insert(conn, t)
        gone = []
        for r in conn.execute(
            ins.on_conflict_do_update(
                index_elements=[c.name for c in t.primary_key],
                set_={"members": t.c.members + ins.excluded.members},
            ).returning(*t.c),
            [
                {**dict(zip(KEY, k[:5], strict=True)), "household_key": k[5], "members": d}
                for k, d in sorted(changed.items())
            ],
        ):
            k6 = (r.region_id, r.scope, r.period, r.dim, r.key, r.household_key)
            before = r.members - changed[k6]
            # a household counts while it has a member there
            counts.setdefault(k6[:5], [0, 0])[1] += (r.members > 0) - (before > 0)
            if r.members == 0:
                gone.append(k6)
        if gone:
            conn.execute(
                delete(t).where(*(t.c[c] == bindparam(f"b_{c}") for c in (*KEY, "household_key"))),
                [
                    {f"b_{c}": v for c, v in zip((*KEY, "household_key"), k6, strict=True)}
                    for k6 in sorted(gone)
                ],
            )
    counted = {k: v for k, v in counts.items() if v[0] or v[1]}
    if counted:
        t = stats_reach_count
        ins = _insert(conn, t)
        conn.execute(
            ins.on_conflict_do_update(
                index_elements=[c.name for c in t.primary_key],
                set_={c: t.c[c] + ins.excluded[c] for c in ("persons", "households")},
            ),
            [
                {**dict(zip(KEY, k, strict=True)), "persons": v[0], "households": v[1]}
                for k, v in sorted(counted.items())
            ],
        )


# --- backfill (migration 0007_reach_counts) ----------------------------------------------
def _month_sql(dialect: str, moment: Any) -> Any:
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", moment), "YYYY-MM")
    return func.strftime("%Y-%m", moment, "+8 hours")


def backfill(conn: Connection, regions: Iterable[Region]) -> None:
    """Fill the rollups from the history already stored (set-based, one statement per
    table and scope), as the hooks would have; items take their category from the
    catalogues of ``regions`` (none for an item that is in none)."""
    from sqlalchemy import literal

    from ..storage.tables import deliveries

    d = conn.dialect.name
    for t in (stats_sums, stats_money, stats_reach, stats_reach_household, stats_reach_count):
        conn.execute(t.delete())
    oc = orders.join(cases, cases.c.id == orders.c.case_id)
    # money by the month of each ledger row, and delivered money by the finished month
    m = _month_sql(d, ledger.c.at)
    fm = _month_sql(d, orders.c.finished_at)
    lo = ledger.join(oc, orders.c.id == ledger.c.order_id)
    written = select(
        orders.c.region_id.label("region_id"),
        m.label("month"),
        cases.c.area_code.label("area_code"),
        ledger.c.source_code.label("source_code"),
        ledger.c.amount_fen.label("amount_fen"),
        literal(0).label("delivered_fen"),
    ).select_from(lo)
    finished = (
        select(
            orders.c.region_id,
            fm,
            cases.c.area_code,
            ledger.c.source_code,
            literal(0),
            ledger.c.amount_fen,
        )
        .select_from(lo)
        .where(and_(orders.c.status.in_(DONE), orders.c.finished_at.is_not(None)))
    )
    rows = written.union_all(finished).subquery()
    mcols = ["region_id", "month", "area_code", "source_code"]
    conn.execute(
        stats_money.insert().from_select(
            [*mcols, "amount_fen", "delivered_fen"],
            select(
                *(rows.c[c] for c in mcols),
                func.sum(rows.c.amount_fen),
                func.sum(rows.c.delivered_fen),
            ).group_by(*(rows.c[c] for c in mcols)),
        )
    )
    prov = func.coalesce(orders.c.provider_id, 0)
    vm = _month_sql(d, deliveries.c.checkout_at)
    visits = (
        select(
            orders.c.region_id.label("region_id"),
            vm.label("month"),
            cases.c.area_code.label("area_code"),
            orders.c.item_code.label("item_code"),
            prov.label("provider_id"),
            func.count().label("person_times"),
            func.coalesce(func.sum(deliveries.c.minutes), 0).label("minutes"),
            literal(0).label("amount_fen"),
            literal(0).label("amount_rows"),
        )
        .select_from(deliveries.join(oc, orders.c.id == deliveries.c.order_id))
        .where(deliveries.c.checkout_at.is_not(None))
        .group_by(orders.c.region_id, vm, cases.c.area_code, orders.c.item_code, prov)
    )
    money = (
        select(
            orders.c.region_id,
            fm,
            cases.c.area_code,
            orders.c.item_code,
            prov,
            literal(0),
            literal(0),
            func.sum(ledger.c.amount_fen),
            func.count(),
        )
        .select_from(ledger.join(oc, orders.c.id == ledger.c.order_id))
        .where(and_(orders.c.status.in_(DONE), orders.c.finished_at.is_not(None)))
        .group_by(orders.c.region_id, fm, cases.c.area_code, orders.c.item_code, prov)
    )
    both = visits.union_all(money).subquery()
    cols = ["region_id", "month", "area_code", "item_code", "provider_id"]
    adds = ["person_times", "minutes", "amount_fen", "amount_rows"]
    conn.execute(
        stats_sums.insert().from_select(
            cols + adds,
            select(*(both.c[c] for c in cols), *(func.sum(both.c[c]) for c in adds)).group_by(
                *(both.c[c] for c in cols)
            ),
        )
    )
    # reach: one insert per (scope, period, dim) shape, from the checked-out visits
    hk = case((persons.c.household_id.is_(None), -cases.c.person_id), else_=persons.c.household_id)
    src = (
        deliveries.join(orders, orders.c.id == deliveries.c.order_id)
        .join(cases, cases.c.id == orders.c.case_id)
        .join(persons, persons.c.id == cases.c.person_id)
    )
    year = func.substr(vm, 1, 4)
    by_category: dict[tuple[str, str], list[str]] = {}
    for region in regions:
        for i in region.catalogue.items:
            by_category.setdefault((region.id, i.category), []).append(i.code)
    whens = [
        (and_(orders.c.region_id == r, orders.c.item_code.in_(codes)), c)
        for (r, c), codes in sorted(by_category.items())
    ]
    category = case(*whens, else_="") if whens else literal("")
    keys: dict[str, Any] = {
        "total": literal(""),
        "item": orders.c.item_code,
        "category": category,
        "provider": func.cast(prov, stats_reach.c.key.type),
        "area": cases.c.area_code,
        "month": vm,
    }
    shapes: list[tuple[Any, Any, str]] = []
    for scope in (literal(WHOLE), cases.c.area_code):
        for period in (literal(""), year):
            shapes += [
                (scope, period, "total"),
                (scope, period, "item"),
                (scope, period, "category"),
                (scope, period, "provider"),
            ]
        shapes.append((scope, literal(""), "month"))
    shapes += [(literal(WHOLE), literal(""), "area"), (literal(WHOLE), year, "area")]
    for scope, period, dim in shapes:
        conn.execute(
            stats_reach.insert().from_select(
                ["region_id", "scope", "period", "dim", "key", "person_id", "household_key"],
                select(
                    orders.c.region_id,
                    scope,
                    period,
                    literal(dim),
                    keys[dim],
                    cases.c.person_id,
                    hk,
                )
                .select_from(src)
                .where(deliveries.c.checkout_at.is_not(None))
                .distinct(),
            )
        )
    # the counters, from the reach rows (a person alone has a household key of their own)
    r = stats_reach
    grouped = [r.c[c] for c in KEY]
    conn.execute(
        stats_reach_household.insert().from_select(
            [*KEY, "household_key", "members"],
            select(*grouped, r.c.household_key, func.count())
            .where(r.c.household_key > 0)
            .group_by(*grouped, r.c.household_key),
        )
    )
    conn.execute(
        stats_reach_count.insert().from_select(
            [*KEY, "persons", "households"],
            select(*grouped, func.count(), func.count(func.distinct(r.c.household_key))).group_by(
                *grouped
            ),
        )
    )
