"""Charity funds (慈善资金, one of Changji's 五个一点): money donated to a region's charity
funding source, with its own ledger.

Two kinds of rows in ``res_fund_entries``: a donation (+) and a grant (−, to a household or
a wish). The core's money ledger already books the charity source's share of every service
order (``ledger.source_code`` = the fund's ``source_code``, split by plugins/funding). The
fund's statement puts both together, and the rule that keeps it balanced is:

    donations − grants − services charged to the source = balance

and a grant may never take the balance below zero (services are booked by the core, which
does not ask the fund: a shortfall they cause shows on the statement and blocks grants).

``res_funds.balance_fen`` is kept in the same transaction as each entry (a rollup, so no
request sums the whole history); a grant takes the fund's row lock first and is refused
when it would take the source below zero.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import Connection, func, select, update

from jiuzhu.core.access import Actor, area_subtree
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.money import yuan
from jiuzhu.core.services import Services, fetch_one, plain
from jiuzhu.core.storage.tables import households, ledger, orders

from .library import config
from .tables import fund_entries, funds

MAX_FEN = 10**12


class FundStatement(msgspec.Struct, kw_only=True):
    id: int
    code: str
    name: str
    source_code: str
    donations_fen: int
    grants_fen: int
    services_fen: int  # the source's share of service orders in the core ledger
    balance_fen: int
    balanced: bool  # donations − grants − services == balance


class Entry(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    amount_fen: int
    donor: str
    household_id: int | None
    wish_id: int | None
    note: str
    by: str
    at: Any


def ensure_funds(svc: Services, actor: Actor) -> int:
    """Create the funds the region's resources.toml names (by code); returns how many."""
    actor.require("fund.write")
    region = svc.region(actor.region_id)
    cfg = config(region)
    n = 0
    with svc.transaction() as conn:
        have = {
            c for (c,) in conn.execute(select(funds.c.code).where(funds.c.region_id == region.id))
        }
        for f in cfg.funds:
            if f.code in have:
                continue
            conn.execute(
                funds.insert().values(
                    region_id=region.id,
                    code=f.code,
                    name=f.name,
                    source_code=f.source_code,
                    balance_fen=0,
                    created_at=svc.now(),
                )
            )
            n += 1
    return n


def _fund(conn: Connection, region_id: str, code: str, lock: bool = False) -> dict[str, Any]:
    return fetch_one(conn, funds, "fund", code, lock=lock, region_id=region_id, code=code)


def _services_charged(conn: Connection, region_id: str, source_code: str) -> int:
    return int(
        conn.execute(
            select(func.coalesce(func.sum(ledger.c.amount_fen), 0))
            .select_from(ledger.join(orders, orders.c.id == ledger.c.order_id))
            .where(orders.c.region_id == region_id, ledger.c.source_code == source_code)
        ).scalar_one()
    )


def _amount(value: int, field: str = "amount_fen") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_FEN:
        raise Invalid(field, "金额应为正整数（分）")
    return value


def donate(
    svc: Services, actor: Actor, fund_code: str, amount_fen: int, donor: str, note: str = ""
) -> FundStatement:
    """Book a donation into the fund."""
    actor.require("fund.write")
    _amount(amount_fen)
    if not donor.strip():
        raise Invalid("donor", "请填写捐赠方")

    def work(conn: Connection) -> None:
        fund = _fund(conn, actor.region_id, fund_code, lock=True)
        conn.execute(
            fund_entries.insert().values(
                fund_id=fund["id"],
                kind="donation",
                amount_fen=amount_fen,
                donor=donor.strip()[:120],
                note=note[:500],
                by=actor.username,
                at=svc.now(),
            )
        )
        conn.execute(
            update(funds)
            .where(funds.c.id == fund["id"])
            .values(balance_fen=funds.c.balance_fen + amount_fen)
        )

    svc.run(work)
    return statement(svc, actor, fund_code)


def grant_in(
    svc: Services,
    conn: Connection,
    actor: Actor,
    fund_code: str,
    amount_fen: int,
    household_id: int | None,
    wish_id: int | None,
    note: str,
) -> int:
    """A grant inside the caller's unit of work (fund row locked): refused when the
    source would go below zero. Returns the entry id."""
    _amount(amount_fen)
    fund = _fund(conn, actor.region_id, fund_code, lock=True)
    services = _services_charged(conn, actor.region_id, fund["source_code"])
    available = int(fund["balance_fen"]) - services
    if amount_fen > available:
        raise Refused(
            "fund_balance",
            f"慈善资金「{fund['name']}」可用余额 {yuan(max(available, 0))}，"
            f"不足以支出 {yuan(amount_fen)}",
            available_fen=available,
        )
    pk = conn.execute(
        fund_entries.insert().values(
            fund_id=fund["id"],
            kind="grant",
            amount_fen=-amount_fen,
            household_id=household_id,
            wish_id=wish_id,
            note=note[:500],
            by=actor.username,
            at=svc.now(),
        )
    ).inserted_primary_key
    conn.execute(
        update(funds)
        .where(funds.c.id == fund["id"])
        .values(balance_fen=funds.c.balance_fen - amount_fen)
    )
    assert pk is not None
    return int(pk[0])


def grant(
    svc: Services,
    actor: Actor,
    fund_code: str,
    amount_fen: int,
    household_id: int,
    note: str = "",
) -> FundStatement:
    """A charity grant to a household in the actor's area (慈善帮扶)."""
    actor.require("fund.write")
    region = svc.region(actor.region_id)

    def work(conn: Connection) -> None:
        home = fetch_one(conn, households, "household", household_id, id=household_id)
        if home["region_id"] != region.id or home["area_code"] not in area_subtree(
            region.info, actor.area_code
        ):
            raise NotFound("household", household_id)
        grant_in(svc, conn, actor, fund_code, amount_fen, household_id, None, note)

    svc.run(work)
    return statement(svc, actor, fund_code)


def statement(svc: Services, actor: Actor, fund_code: str) -> FundStatement:
    actor.require("fund.read")
    with svc.reading() as conn:
        fund = _fund(conn, actor.region_id, fund_code)
        return _statement(conn, actor.region_id, fund)


def _statement(conn: Connection, region_id: str, fund: dict[str, Any]) -> FundStatement:
    sums = dict(
        conn.execute(
            select(fund_entries.c.kind, func.sum(fund_entries.c.amount_fen))
            .where(fund_entries.c.fund_id == fund["id"])
            .group_by(fund_entries.c.kind)
        ).all()
    )
    donations = int(sums.get("donation") or 0)
    grants = -int(sums.get("grant") or 0)
    services = _services_charged(conn, region_id, fund["source_code"])
    balance = int(fund["balance_fen"]) - services
    return FundStatement(
        id=fund["id"],
        code=fund["code"],
        name=fund["name"],
        source_code=fund["source_code"],
        donations_fen=donations,
        grants_fen=grants,
        services_fen=services,
        balance_fen=balance,
        balanced=donations - grants - services == balance,
    )


def statements(svc: Services, actor: Actor) -> list[FundStatement]:
    actor.require("fund.read")
    with svc.reading() as conn:
        rows = conn.execute(
            select(funds).where(funds.c.region_id == actor.region_id).order_by(funds.c.code)
        ).mappings()
        return [_statement(conn, actor.region_id, plain(r)) for r in rows]


def entries(svc: Services, actor: Actor, fund_code: str, limit: int = 100) -> list[Entry]:
    actor.require("fund.read")
    with svc.reading() as conn:
        fund = _fund(conn, actor.region_id, fund_code)
        rows = conn.execute(
            select(fund_entries)
            .where(fund_entries.c.fund_id == fund["id"])
            .order_by(fund_entries.c.id.desc())
            .limit(limit)
        ).mappings()
        return [
            msgspec.convert({k: v for k, v in plain(r).items() if k != "fund_id"}, Entry)
            for r in rows
        ]


def household_grants(conn: Connection, household_id: int) -> list[dict[str, Any]]:
    """Charity grants to a household (for its package)."""
    return [
        plain(r)
        for r in conn.execute(
            select(fund_entries, funds.c.name.label("fund_name"))
            .join(funds, funds.c.id == fund_entries.c.fund_id)
            .where(fund_entries.c.household_id == household_id, fund_entries.c.kind == "grant")
            .order_by(fund_entries.c.id)
        ).mappings()
    ]
