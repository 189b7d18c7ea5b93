"""Demo data: a provider with workers, a few people walked through the loop, one user per
role. Idempotent: everything is keyed by name, so a second run adds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import select

from . import idcard
from .access import Role, system_actor
from .base import Refused
from .domain import NewPerson
from .regions import Region
from .services import Services
from .services.cases import grant_entitlement, open_case, record_assessment
from .services.orders import (
    Finish,
    NewOrder,
    NewRating,
    accept_order,
    dispatch_order,
    finish_order,
    place_order,
    rate_order,
    start_order,
)
from .services.people import create_person
from .services.providers import create_provider, create_worker
from .services.users import add_user, generate_password
from .storage.tables import providers, users

PEOPLE = (
    ("王秀兰", date(1979, 3, 12), ("低保",), 4, False),
    ("李建国", date(1968, 11, 2), ("低保",), 0, True),
    ("马玉梅", date(1958, 6, 21), ("分散供养特困", "特困"), 3, False),
    ("张小明", date(2012, 9, 1), ("困境儿童",), 2, False),
)


def load_demo(svc: Services, region_ids: list[str] | None = None) -> Iterator[str]:
    for region in svc.regions:
        if region_ids and region.id not in region_ids:
            continue
        yield from _region_demo(svc, region)


def _region_demo(svc: Services, region: Region) -> Iterator[str]:
    actor = system_actor(region.id, region.info.code, "demo")
    known = region.info.providers[0] if region.info.providers else None
    name = known.name if known else f"{region.info.name}示例社会工作服务中心"
    with svc.engine.connect() as conn:
        exists = conn.execute(
            select(providers.c.id).where(
                providers.c.region_id == region.id, providers.c.name == name
            )
        ).first()
    if exists is not None:
        yield f"{region.id}: demo data already loaded"
        yield from _demo_users(svc, region, int(exists[0]), _first_worker(svc, int(exists[0])))
        return
    community = max(region.info.areas, key=lambda a: len(a.code)).code
    home = (known.area if known else "") or region.info.areas[0].code
    provider = create_provider(svc, actor, region.id, name, home)
    worker = create_worker(svc, actor, provider.id, "张慧", ["助理社会工作师"], "13800000001")
    create_worker(svc, actor, provider.id, "阿依古丽", ["社会工作师"], "13800000002")
    placed = 0
    for i, (pname, born, groups, grade, illness) in enumerate(PEOPLE):
        number = idcard.make(region.info.code, born, 900 + i)
        person = create_person(
            svc,
            actor,
            NewPerson(
                region_id=region.id,
                id_number=number,
                name=pname,
                area_code=community,
                groups=list(groups),
                disability_grade=grade,
                major_illness=illness,
                sex="女" if i % 2 == 0 else "男",
                student=born.year > 2005,
            ),
        )
        case = open_case(svc, actor, person.id, "示例：政策找人，入户核实")
        answers = {
            ind.code: min(1, len(ind.options) - 1)
            for d in region.instrument.domains
            for ind in d.indicators
        }
        assessed = record_assessment(svc, actor, case.id, answers)
        try:
            grant_entitlement(svc, actor, case.id)
        except Refused:
            continue  # not eligible in this region: the refusal stays on the case file
        for code in assessed.recommended_items[:2] or [region.catalogue.items[0].code]:
            try:
                order = place_order(svc, actor, NewOrder(case_id=case.id, item_code=code))
            except Refused:
                continue
            placed += 1
            if placed % 3 == 0:
                continue  # leave some waiting for dispatch
            dispatch_order(svc, actor, order.id, provider.id)
            accept_order(svc, actor, order.id, worker.id)
            start_order(svc, actor, order.id)
            item = region.catalogue.item(code)
            finish_order(
                svc,
                actor,
                order.id,
                Finish(
                    steps_done=list(item.standard),
                    signer=pname,
                    minutes=item.minutes_per_unit or 60,
                ),
            )
            rate_order(svc, actor, order.id, NewRating(score=5, comment="服务很好"))
    yield f"{region.id}: provider {provider.name}, {len(PEOPLE)} people, {placed} orders"
    yield from _demo_users(svc, region, provider.id, worker.id)


def _demo_users(svc: Services, region: Region, provider_id: int, worker_id: int) -> Iterator[str]:
    for role in Role:
        if role == Role.SYSTEM:
            continue
        username = f"{region.id}-{role.value}"
        with svc.engine.connect() as conn:
            if conn.execute(select(users.c.id).where(users.c.username == username)).first():
                continue
        password = generate_password()
        add_user(
            svc,
            username,
            password,
            role.value,
            region.id,
            region.info.code,  # demo users see the whole region (explicitly)
            role.label,
            provider_id if role in (Role.WORKER, Role.PROVIDER_ADMIN) else None,
            worker_id if role == Role.WORKER else None,
            _first_department(region) if role == Role.APPROVER else "",
        )
        yield f"  user {username:<28} password {password}  ({role.label})"


def _first_worker(svc: Services, provider_id: int) -> int:
    from .storage.tables import workers

    with svc.engine.connect() as conn:
        return int(
            conn.execute(
                select(workers.c.id)
                .where(workers.c.provider_id == provider_id)
                .order_by(workers.c.id)
                .limit(1)
            ).scalar_one()
        )


def _first_department(region: Region) -> str:
    policies = region.sections.get("policies")
    departments = getattr(policies, "departments", None)
    return str(departments[0].code) if departments else "civil-affairs"
