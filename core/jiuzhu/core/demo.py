"""Demo data: a provider with workers, a few people walked through the loop, one user per
role. Idempotent and resumable: everything is keyed by name or ID number and every step
first looks for what an earlier run made, so a second run adds nothing and a run stopped
half-way (Ctrl-C) is completed by the next one. Each step commits on its own through the
service loop, so an interruption never leaves a half-written step."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import select

from . import idcard
from .access import Actor, Role, access_registry, system_actor
from .base import Refused
from .domain import CaseStatus, NewPerson, Order, OrderStatus, Provider
from .regions import Region
from .services import Services
from .services.cases import case_file, grant_entitlement, open_case, record_assessment
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
from .services.people import create_person, find_person
from .services.providers import create_provider, create_worker, get_provider, list_providers
from .services.sessions import NewSession, candidates, check_in, create_session, list_sessions
from .services.users import add_user, generate_password
from .storage.tables import users

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


# Every step looks first for what an earlier (maybe interrupted) run made, so a run
# stopped anywhere leaves whole steps behind and the next run finishes the rest.
WORKERS = (
    ("张慧", ("助理社会工作师",), "13800000001"),
    ("阿依古丽", ("社会工作师",), "13800000002"),
)
TRAIL = (
    OrderStatus.DISPATCHED,
    OrderStatus.ACCEPTED,
    OrderStatus.IN_SERVICE,
    OrderStatus.DELIVERED,
    OrderStatus.RATED,
)


class _Tally:
    def __init__(self) -> None:
        self.created = 0
        self.orders = 0


def _region_demo(svc: Services, region: Region) -> Iterator[str]:
    actor = system_actor(region.id, region.info.code, "demo")
    tally = _Tally()
    provider = _provider(svc, actor, region, tally)
    started = tally.created == 0  # the provider was there: an earlier run began this region
    worker_ids = [_worker(svc, actor, provider.id, *spec, tally=tally) for spec in WORKERS]
    for i, spec in enumerate(PEOPLE):
        _person_demo(svc, actor, region, provider.id, worker_ids[0], i, spec, tally)
    _session_demo(svc, actor, region, provider.id, worker_ids[0], tally)
    if tally.created == 0:
        yield f"{region.id}: demo data already loaded"
    else:
        resumed = " (finished an interrupted run)" if started else ""
        yield (
            f"{region.id}: provider {provider.name}, {len(PEOPLE)} people, "
            f"{tally.orders} orders{resumed}"
        )
    yield from _demo_users(svc, region, provider.id, worker_ids[0])
    for lines in svc.regions.pm.hook.jiuzhu_demo_data(svc=svc, region=region):
        yield from lines or []


def _provider(svc: Services, actor: Actor, region: Region, tally: _Tally) -> Provider:
    """The provider the region's sources name (region.toml providers), else a sample one."""
    known = region.info.providers[0] if region.info.providers else None
    name = known.name if known else f"{region.info.name}示例社会工作服务中心"
    for provider in list_providers(svc, actor):
        if provider.name == name:
            return provider
    tally.created += 1
    home = (known.area if known else "") or region.info.areas[0].code
    return create_provider(svc, actor, region.id, name, home)


def _worker(
    svc: Services,
    actor: Actor,
    provider_id: int,
    name: str,
    qualifications: tuple[str, ...],
    phone: str,
    tally: _Tally,
) -> int:
    for worker in get_provider(svc, actor, provider_id).workers:
        if worker.name == name:
            return worker.id
    tally.created += 1
    return create_worker(svc, actor, provider_id, name, list(qualifications), phone).id


def _person_demo(
    svc: Services,
    actor: Actor,
    region: Region,
    provider_id: int,
    worker_id: int,
    i: int,
    spec: tuple[str, date, tuple[str, ...], int, bool],
    tally: _Tally,
) -> None:
    pname, born, groups, grade, illness = spec
    number = idcard.make(region.info.code, born, 900 + i)
    person = find_person(svc, region.id, number)
    if person is None:
        tally.created += 1
        community = max(region.info.areas, key=lambda a: len(a.code)).code
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
    try:
        case_id = open_case(svc, actor, person.id, "示例：政策找人，入户核实").id
        tally.created += 1
    except Refused as exc:
        if exc.rule != "case.unique" or "case_id" not in exc.facts:
            raise
        case_id = int(str(exc.facts["case_id"]))
    file = case_file(svc, actor, case_id)
    if file.assessments:
        recommended = file.assessments[-1].recommended_items
    else:
        tally.created += 1
        answers = {
            ind.code: min(1, len(ind.options) - 1)
            for d in region.instrument.domains
            for ind in d.indicators
        }
        recommended = record_assessment(svc, actor, case_id, answers).recommended_items
    if any(e.kind == "eligibility.refused" for e in file.events):
        return  # not eligible in this region: the refusal stays on the case file
    if not file.entitlements and file.case.status == CaseStatus.OPEN:
        try:
            grant_entitlement(svc, actor, case_id)  # None: served without one (short-term)
            tally.created += 1
        except Refused as exc:
            if exc.rule == "eligibility":
                tally.created += 1  # the refusal event was written
                return
            raise
    for code in recommended[:2] or [region.catalogue.items[0].code]:
        order = next(
            (o for o in file.orders if o.item_code == code and o.status != OrderStatus.CANCELLED),
            None,
        )
        if order is None:
            try:
                order = place_order(svc, actor, NewOrder(case_id=case_id, item_code=code))
            except Refused:
                continue
            tally.created += 1
        tally.orders += 1
        if tally.orders % 3 == 0:
            continue  # leave some waiting for dispatch
        _carry_out(svc, actor, region, order, provider_id, worker_id, pname, tally)


def _session_demo(
    svc: Services, actor: Actor, region: Region, provider_id: int, worker_id: int, tally: _Tally
) -> None:
    """A group session (小组工作 / 主题活动) of the region's first group item, with every
    active demo case checked in."""
    item = next((i for i in region.catalogue.items if i.mode == "group"), None)
    if item is None:
        return
    title = f"示例{item.name}"
    session = next((s for s in list_sessions(svc, actor) if s.title == title), None)
    if session is None:
        tally.created += 1
        session = create_session(
            svc,
            actor,
            NewSession(
                item_code=item.code,
                title=title,
                starts_at=svc.now(),
                minutes=item.minutes_per_unit or 90,
                area_code=region.info.code,
                provider_id=provider_id,
                worker_id=worker_id,
            ),
        )
    for p, spec in enumerate(PEOPLE):
        person = find_person(svc, region.id, idcard.make(region.info.code, spec[1], 900 + p))
        if person is None:
            continue
        for c in candidates(svc, actor, session.id, person.name):
            if c.attending:
                continue
            try:
                check_in(svc, actor, session.id, c.case_id)
                tally.created += 1
            except Refused:
                continue  # not active here, or the item asks for an entitlement they lack


def _carry_out(
    svc: Services,
    actor: Actor,
    region: Region,
    order: Order,
    provider_id: int,
    worker_id: int,
    confirmed_by: str,
    tally: _Tally,
) -> None:
    """Take the order from wherever it stands to rated."""
    done = TRAIL.index(order.status) + 1 if order.status in TRAIL else 0
    item = region.catalogue.item(order.item_code)
    for status in TRAIL[done:]:
        tally.created += 1
        if status == OrderStatus.DISPATCHED:
            dispatch_order(svc, actor, order.id, provider_id)
        elif status == OrderStatus.ACCEPTED:
            accept_order(svc, actor, order.id, worker_id)
        elif status == OrderStatus.IN_SERVICE:
            start_order(svc, actor, order.id)
        elif status == OrderStatus.DELIVERED:
            finish_order(
                svc,
                actor,
                order.id,
                Finish(
                    steps_done=list(item.standard),
                    signer=confirmed_by,
                    minutes=item.minutes_per_unit or 60,
                ),
            )
        else:
            rate_order(svc, actor, order.id, NewRating(score=5, comment="服务很好"))


def _demo_users(svc: Services, region: Region, provider_id: int, worker_id: int) -> Iterator[str]:
    """One user per registered role (the core's and the plugins'), region-wide."""
    for role in access_registry(svc.regions.pm).roles.values():
        if role.name == Role.SYSTEM:
            continue
        departments = sorted(role.departments(region)) if role.departments else []
        if role.departments is not None and not departments:
            continue  # e.g. no one-form departments in this region: nobody to approve
        username = f"{region.id}-{role.name}"
        with svc.reading() as conn:
            if conn.execute(select(users.c.id).where(users.c.username == username)).first():
                continue
        password = generate_password()
        add_user(
            svc,
            username,
            password,
            role.name,
            region.id,
            region.info.code,  # demo users see the whole region (explicitly)
            role.label,
            provider_id if role.name in (Role.WORKER, Role.PROVIDER_ADMIN) else None,
            worker_id if role.name == Role.WORKER else None,
            departments[0] if departments else "",
        )
        yield f"  user {username:<28} password {password}  ({role.label})"
