"""Builders shared by the service-loop tests."""

from __future__ import annotations

from datetime import date

import msgspec
from sqlalchemy import Engine, func, select

from jiuzhu.core import idcard
from jiuzhu.core.access import Actor
from jiuzhu.core.domain import Case, NewPerson
from jiuzhu.core.regions import Region
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import grant_entitlement, open_case, record_assessment
from jiuzhu.core.services.people import create_person
from jiuzhu.core.services.providers import create_provider, create_worker


def item_named(region: Region, name: str) -> str:
    return next(i.code for i in region.catalogue.items if i.name == name)


def zero_answers(region: Region) -> dict[str, int]:
    return {i.code: 0 for d in region.instrument.domains for i in d.indicators}


def some_area(region: Region) -> str:
    """The deepest area listed first: a community, where people live."""
    return max(region.info.areas, key=lambda a: len(a.code)).code


_serial = iter(range(1, 10_000_000))


def new_person(
    svc: Services,
    actor: Actor,
    region: Region,
    *,
    born: date = date(1980, 5, 1),
    groups: tuple[str, ...] = ("低保",),
    disability_grade: int = 4,
    area: str | None = None,
    **kw: object,
) -> int:
    area = area or some_area(region)
    number = idcard.make(region.info.code, born, next(_serial))
    person = create_person(
        svc,
        actor,
        NewPerson(
            region_id=region.id,
            id_number=number,
            name="测试对象",
            area_code=area,
            groups=list(groups),
            disability_grade=disability_grade,
            **kw,  # type: ignore[arg-type]
        ),
    )
    return person.id


def granted_case(svc: Services, actor: Actor, region: Region, **kw: object) -> Case:
    pid = new_person(svc, actor, region, **kw)  # type: ignore[arg-type]
    case = open_case(svc, actor, pid, "政策找人：民政数据比对")
    record_assessment(svc, actor, case.id, zero_answers(region))
    grant_entitlement(svc, actor, case.id)
    return case


def provider_with_worker(
    svc: Services, actor: Actor, region: Region, name: str = "测试社工服务中心"
) -> tuple[int, int]:
    provider = create_provider(svc, actor, region.id, name, region.info.areas[0].code)
    worker = create_worker(svc, actor, provider.id, "张社工", ["助理社会工作师"])
    return provider.id, worker.id


# --- added for the service-loop suite ------------------------------------------------------

# One eligible profile per region, read from each region's eligibility.toml:
#   changji    — 低保对象 (include "dibao")
#   binzhou    — 低保 with a disability (include "disabled")
#   ordos      — 低保 under 60 with a mild (grade 3/4) disability ("dibao_mild_disability")
#   shizuishan — 低保 ("yikun")
ELIGIBLE: dict[str, dict[str, object]] = {
    "changji": {"groups": ("低保",), "disability_grade": 0},
    "binzhou": {"groups": ("低保",), "disability_grade": 3},
    "ordos": {"groups": ("低保",), "disability_grade": 4},
    "shizuishan": {"groups": ("低保",), "disability_grade": 0},
}
# and one that each region's rule refuses
INELIGIBLE: dict[str, dict[str, object]] = {
    "changji": {"groups": ("集中供养特困",), "disability_grade": 0},
    "binzhou": {"groups": ("低保",), "disability_grade": 0},  # 低保, but no need group
    "ordos": {"groups": ("低保",), "disability_grade": 1},  # severe: health management
    "shizuishan": {"groups": ("低保",), "covered_by": ("机构养老",)},
}
# an item every eligible person may order, priced per unit, in each region
LOOP_ITEM: dict[str, str] = {
    "changji": "上门照护",
    "binzhou": "上门做饭",
    "ordos": "全屋清洁",
    "shizuishan": "上门助洁",
}
REGION_IDS = tuple(ELIGIBLE)


def county_of(region: Region, area: str) -> str:
    """The second level (county) above an area."""
    chain = region.info.ancestors(area)
    return chain[-2]


def area_in_county(region: Region, county: str) -> str:
    """The deepest area under a county."""
    under = [
        a.code
        for a in region.info.areas
        if a.code != county and county in region.info.ancestors(a.code)
    ]
    return max(under or [county], key=len)


def eligible_case(svc: Services, actor: Actor, region: Region, **kw: object) -> Case:
    values = dict(ELIGIBLE[region.id])
    values.update(kw)
    return granted_case(svc, actor, region, **values)


def deliver(
    svc: Services,
    regions_actor: Actor,
    worker_actor: Actor,
    order_id: int,
    provider_id: int,
    minutes: int = 60,
) -> None:
    """派单 → 接单 → visits (签到 → 签退, all standard steps, signed by the recipient) until
    the order's units are delivered."""
    from jiuzhu.core.domain import OrderStatus
    from jiuzhu.core.services.orders import (
        Finish,
        accept_order,
        dispatch_order,
        finish_order,
        get_order,
        start_order,
    )

    dispatch_order(svc, regions_actor, order_id, provider_id)
    accept_order(svc, worker_actor, order_id)
    order = get_order(svc, regions_actor, order_id)
    region = svc.region(order.region_id)
    steps = list(region.catalogue.item(order.item_code).standard)
    for _visit in range(1000):
        start_order(svc, worker_actor, order_id)
        done = finish_order(
            svc, worker_actor, order_id, Finish(steps_done=steps, signer="本人", minutes=minutes)
        )
        if done.status == OrderStatus.DELIVERED:
            return
    raise AssertionError(f"order {order_id} not delivered after 1000 visits")


def counts(engine: Engine) -> dict[str, int]:
    """Rows in the tables a refused order must not touch."""
    from jiuzhu.core.storage.tables import (
        case_events,
        entitlement_ledger,
        entitlement_usage,
        entitlements,
        ledger,
        orders,
    )

    with engine.connect() as conn:
        out = {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (orders, ledger, entitlement_ledger, case_events)
        }
        out["spent"] = int(
            conn.execute(select(func.coalesce(func.sum(entitlements.c.used), 0))).scalar_one()
        )
        out["tier_spent"] = int(
            conn.execute(select(func.coalesce(func.sum(entitlement_usage.c.used), 0))).scalar_one()
        )
    return out


def assert_ledger_balances(svc: Services) -> int:
    """The ledgers agree. Per entitlement: sum(unit ledger) == entitlements.used ==
    sum(usage), and per period and bucket usage == its unit-ledger rows; a cap is never
    exceeded (a tier's cap plus what a carrying tier before it left over) and no period uses
    more than the entitlement's amount. Per order: money booked == amount less refunds
    (0 when cancelled), never negative by source. Returns the entitlements checked."""
    from jiuzhu.core.domain import Entitlement
    from jiuzhu.core.services import plain
    from jiuzhu.core.services.entitlements import rule_of
    from jiuzhu.core.storage.tables import (
        entitlement_ledger,
        entitlement_usage,
        entitlements,
        ledger,
        orders,
    )

    with svc.engine.connect() as conn:
        ents = conn.execute(select(entitlements)).mappings().all()
        for ent in ents:
            eid = ent["id"]
            booked = conn.execute(
                select(func.coalesce(func.sum(entitlement_ledger.c.amount), 0)).where(
                    entitlement_ledger.c.entitlement_id == eid
                )
            ).scalar_one()
            usage = (
                conn.execute(
                    select(entitlement_usage)
                    .where(entitlement_usage.c.entitlement_id == eid)
                    .order_by(entitlement_usage.c.period_key, entitlement_usage.c.bucket_idx)
                )
                .mappings()
                .all()
            )
            per_bucket = {
                (p, b): int(a)
                for p, b, a in conn.execute(
                    select(
                        entitlement_ledger.c.period_key,
                        entitlement_ledger.c.bucket_idx,
                        func.sum(entitlement_ledger.c.amount),
                    )
                    .where(entitlement_ledger.c.entitlement_id == eid)
                    .group_by(entitlement_ledger.c.period_key, entitlement_ledger.c.bucket_idx)
                ).all()
            }
            total = sum(u["used"] for u in usage)
            assert booked == ent["used"] == total, (
                f"entitlement {eid}: unit ledger {booked}, used {ent['used']}, usage {total}"
            )
            for u in usage:
                assert u["used"] == per_bucket.get((u["period_key"], u["bucket_idx"]), 0), (
                    f"entitlement {eid} {u['period_key']} bucket {u['bucket_idx']}"
                )
                assert u["used"] >= 0
            if ent["kind"] != "cap":
                continue
            region = svc.region(ent["region_id"])
            rule = rule_of(svc, conn, region, msgspec.convert(plain(ent), Entitlement))
            tiers = getattr(rule, "tiers", None)
            periods = sorted({u["period_key"] for u in usage})
            for key in periods:
                rows = [u for u in usage if u["period_key"] == key]
                assert sum(r["used"] for r in rows) <= ent["amount"], (eid, key)
                budget_prev = spent_prev = 0
                for r in rows:
                    allowed = r["cap"]
                    i = r["bucket_idx"]
                    if (
                        tiers is not None
                        and i > 0
                        and tiers[i].opens != "grant"
                        and tiers[i - 1].leftover == "carry"
                    ):
                        allowed += max(budget_prev - spent_prev, 0)
                    assert r["used"] <= allowed, (
                        f"tier {i} of entitlement {eid} used {r['used']} > {allowed}"
                    )
                    budget_prev, spent_prev = allowed, r["used"]
        for o in conn.execute(select(orders)).mappings():
            parts = dict(
                conn.execute(
                    select(ledger.c.source_code, func.sum(ledger.c.amount_fen))
                    .where(ledger.c.order_id == o["id"])
                    .group_by(ledger.c.source_code)
                ).all()
            )
            net = sum(parts.values())
            assert all(v >= 0 for v in parts.values()), f"order {o['id']}: {parts}"
            if o["status"] == "cancelled":
                assert net == 0, f"cancelled order {o['id']} keeps {net}"
            else:
                assert 0 <= net <= o["amount_fen"], f"order {o['id']}: {net}"
    return len(ents)
