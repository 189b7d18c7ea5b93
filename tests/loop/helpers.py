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
    """派单 → 接单 → 签到 → 签退 (all standard steps, confirmed by the recipient)."""
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
    start_order(svc, worker_actor, order_id)
    order = get_order(svc, regions_actor, order_id)
    region = svc.region(order.region_id)
    steps = list(region.catalogue.item(order.item_code).standard)
    finish_order(
        svc, worker_actor, order_id, Finish(steps_done=steps, confirmed_by="本人", minutes=minutes)
    )


def counts(engine: Engine) -> dict[str, int]:
    """Rows in the tables a refused order must not touch."""
    from jiuzhu.core.storage.tables import (
        case_events,
        entitlement_tiers,
        entitlements,
        ledger,
        orders,
    )

    with engine.connect() as conn:
        out = {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (orders, ledger, case_events)
        }
        out["spent"] = int(
            conn.execute(select(func.coalesce(func.sum(entitlements.c.spent_fen), 0))).scalar_one()
        )
        out["tier_spent"] = int(
            conn.execute(
                select(func.coalesce(func.sum(entitlement_tiers.c.spent_fen), 0))
            ).scalar_one()
        )
    return out


def assert_ledger_balances(svc: Services) -> int:
    """Per entitlement: sum(ledger) == spent == sum(tier spent) == live orders' amounts;
    no tier spent beyond what its scheme allows; spent <= annual. Returns the number checked."""
    from jiuzhu.core.domain import Entitlement
    from jiuzhu.core.services import plain
    from jiuzhu.core.services.cases import rule_date
    from jiuzhu.core.storage.tables import entitlement_tiers, entitlements, ledger, orders

    with svc.engine.connect() as conn:
        ents = conn.execute(select(entitlements)).mappings().all()
        for ent in ents:
            eid = ent["id"]
            booked = conn.execute(
                select(func.coalesce(func.sum(ledger.c.amount_fen), 0)).where(
                    ledger.c.entitlement_id == eid
                )
            ).scalar_one()
            tiers = (
                conn.execute(
                    select(entitlement_tiers)
                    .where(entitlement_tiers.c.entitlement_id == eid)
                    .order_by(entitlement_tiers.c.idx)
                )
                .mappings()
                .all()
            )
            live = conn.execute(
                select(func.coalesce(func.sum(orders.c.amount_fen), 0)).where(
                    orders.c.entitlement_id == eid, orders.c.status != "cancelled"
                )
            ).scalar_one()
            per_tier = dict(
                conn.execute(
                    select(orders.c.tier_idx, func.sum(orders.c.amount_fen))
                    .where(orders.c.entitlement_id == eid, orders.c.status != "cancelled")
                    .group_by(orders.c.tier_idx)
                ).all()
            )
            ledger_tier = dict(
                conn.execute(
                    select(ledger.c.tier_idx, func.sum(ledger.c.amount_fen))
                    .where(ledger.c.entitlement_id == eid)
                    .group_by(ledger.c.tier_idx)
                ).all()
            )
            tier_sum = sum(t["spent_fen"] for t in tiers)
            assert booked == ent["spent_fen"] == tier_sum == live, (
                f"entitlement {eid}: ledger {booked}, spent {ent['spent_fen']}, "
                f"tiers {tier_sum}, orders {live}"
            )
            assert 0 <= ent["spent_fen"] <= ent["annual_fen"]
            for t in tiers:
                assert (
                    t["spent_fen"] == per_tier.get(t["idx"], 0) == ledger_tier.get(t["idx"], 0)
                ), f"tier {t['idx']} of entitlement {eid}"
            # what the scheme allows: its cap, plus what a carrying tier before it left over
            region = svc.region(ent["region_id"])
            granted = msgspec.convert(plain(ent), Entitlement)
            scheme = svc.regions.budget_rule(region, rule_date(granted)).version.tiers
            budget_prev = 0
            spent_prev = 0
            for t, tier in zip(tiers, scheme, strict=True):
                allowed = t["cap_fen"]
                if (
                    t["idx"] > 0
                    and tier.opens != "grant"
                    and scheme[t["idx"] - 1].leftover == "carry"
                ):
                    allowed += max(budget_prev - spent_prev, 0)
                assert t["spent_fen"] <= allowed, (
                    f"tier {t['idx']} of entitlement {eid} spent {t['spent_fen']} > {allowed}"
                )
                budget_prev, spent_prev = allowed, t["spent_fen"]
    return len(ents)
