"""Households (一户一档): members with relations and a head, and the household file.

A household is scoped like a case, by its area: the file is readable with ``case.read`` in
the household's area; members are shaped by ``access.shown_person`` (members registered
outside the reader's area are counted, not shown). Joining, moving, changing relation and
leaving are recorded as an event on the member's open case, if any.

Lock order: the household row (and, for a move, the other household, lower id first),
then the persons it changes; case events only reference their case. No money moves here.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta
from sqlalchemy import Connection, and_, func, select, update

from ..access import Actor, PersonView, check_scope, in_scope, shown_person, shown_text
from ..base import Invalid, NotFound, Refused
from ..domain import (
    RELATIONS,
    Case,
    CaseStatus,
    Delivery,
    Household,
    Order,
    OrderStatus,
    Person,
    Visit,
)
from ..limits import AreaCode, Id, Phone
from ..sections import PageSection
from ..storage.tables import cases, deliveries, households, ledger, orders, persons, visits
from ..times import local_date
from . import MAX_ID, Services, append_event, fetch_one, plain, rollups
from .cases import open_case_of
from .stats import funding_source_names

HEAD = RELATIONS[0]  # 户主
DELIVERED = (OrderStatus.DELIVERED, OrderStatus.RATED)

Address = Annotated[str, Meta(max_length=200, description="住址")]
RelationName = Annotated[str, Meta(min_length=1, max_length=8, description="与户主关系")]


class NewHousehold(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    area_code: AreaCode
    address: Address = ""
    phone: Phone = ""
    head_person_id: Id | None = None  # joins as 户主


class Member(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Add a person to the household, move them from another, or change their relation."""

    person_id: Id
    relation: RelationName


class MemberView(msgspec.Struct, kw_only=True):
    person: PersonView
    relation: str
    case: Case | None  # the member's open case, else their latest


class HouseholdTotals(msgspec.Struct, kw_only=True):
    """What the members' cases received, counted as the statistics count: person-times
    (one per visit checked out), hours, and the money of delivered orders net of refunds,
    by funding source."""

    cases: int
    orders: int
    person_times: int
    minutes: int
    hours: float
    money_fen: int
    by_source: dict[str, int]  # funding source code -> fen
    source_names: dict[str, str]


class HouseholdFile(msgspec.Struct, kw_only=True):
    """一户一档: a household with its members and everything their cases hold."""

    household: Household
    head: str  # the head's name ("" when none is set or not shown)
    members: list[MemberView]
    hidden_members: int  # members registered outside the reader's area
    cases: list[Case]
    orders: list[Order]
    deliveries: list[Delivery]
    visits: list[Visit]
    totals: HouseholdTotals
    sections: list[PageSection]  # what plugins add (one-form applications, …)


# --- reading ------------------------------------------------------------------------------
def _household(
    svc: Services, conn: Connection, actor: Actor, household_id: int, lock: bool = False
) -> Household:
    if not 0 < household_id <= MAX_ID:
        raise NotFound("household", household_id)
    row = fetch_one(conn, households, "household", household_id, lock=lock, id=household_id)
    home = msgspec.convert(row, Household)
    info = svc.region(home.region_id).info
    check_scope(actor, info, "household", household_id, home.region_id, home.area_code)
    return home


def get_household(svc: Services, actor: Actor, household_id: int) -> Household:
    actor.require("case.read")
    with svc.reading() as conn:
        return _household(svc, conn, actor, household_id)


def _members(conn: Connection, household_id: int) -> list[Person]:
    rows = conn.execute(
        select(persons).where(persons.c.household_id == household_id).order_by(persons.c.id)
    ).mappings()
    return [msgspec.convert(plain(r), Person) for r in rows]


def _relation_order(person: Person) -> tuple[int, int]:
    rank = RELATIONS.index(person.relation) if person.relation in RELATIONS else len(RELATIONS)
    return rank, person.id


def household_members(
    svc: Services, actor: Actor, household_id: int
) -> tuple[Household, list[MemberView], int]:
    """(household, members the actor may see, how many others there are), head first."""
    actor.require("case.read")
    today = local_date(svc.now())
    with svc.reading() as conn:
        home = _household(svc, conn, actor, household_id)
        info = svc.region(home.region_id).info
        people = sorted(_members(conn, household_id), key=_relation_order)
        shown = [p for p in people if in_scope(actor, info, p.region_id, p.area_code)]
        ids = [p.id for p in shown]
        files: dict[int, Case] = {}
        if ids:
            for r in conn.execute(
                select(cases).where(cases.c.person_id.in_(ids)).order_by(cases.c.id)
            ).mappings():
                c = msgspec.convert(plain(r), Case)
                known = files.get(c.person_id)
                if known is None or known.status == CaseStatus.EXITED:
                    files[c.person_id] = c  # the open one, else the latest
    members = [
        MemberView(person=shown_person(actor, p, today), relation=p.relation, case=files.get(p.id))
        for p in shown
    ]
    return home, members, len(people) - len(shown)


def household_file(svc: Services, actor: Actor, household_id: int) -> HouseholdFile:
    """The household file: members, their cases, orders, visits (deliveries), home visits,
    totals, and the sections plugins add (``jiuzhu_page_sections`` with page
    ``"household"``)."""
    home, members, hidden = household_members(svc, actor, household_id)
    with svc.reading() as conn:
        all_cases = (
            [
                msgspec.convert(plain(r), Case)
                for r in conn.execute(
                    select(cases)
                    .where(cases.c.person_id.in_([m.person.id for m in members]))
                    .order_by(cases.c.id)
                ).mappings()
            ]
            if members
            else []
        )
        case_ids = [c.id for c in all_cases]
        order_rows = (
            [
                plain(r)
                for r in conn.execute(
                    select(orders).where(orders.c.case_id.in_(case_ids)).order_by(orders.c.id)
                ).mappings()
            ]
            if case_ids
            else []
        )
        order_ids = [r["id"] for r in order_rows]
        delivery_rows = (
            [
                plain(r)
                for r in conn.execute(
                    select(deliveries)
                    .where(deliveries.c.order_id.in_(order_ids))
                    .order_by(deliveries.c.checkin_at, deliveries.c.id)
                ).mappings()
            ]
            if order_ids
            else []
        )
        visit_rows = (
            [
                plain(r)
                for r in conn.execute(
                    select(visits).where(visits.c.case_id.in_(case_ids)).order_by(visits.c.id)
                ).mappings()
            ]
            if case_ids
            else []
        )
        by_source: dict[str, int] = {}
        delivered = [r["id"] for r in order_rows if r["status"] in DELIVERED]
        if delivered:  # as the statistics count money: delivered orders, net of refunds
            for source, amount in conn.execute(
                select(ledger.c.source_code, func.sum(ledger.c.amount_fen))
                .where(ledger.c.order_id.in_(delivered))
                .group_by(ledger.c.source_code)
                .order_by(ledger.c.source_code)
            ):
                by_source[str(source)] = int(amount or 0)
    done = [d for d in delivery_rows if d["checkout_at"] is not None]
    minutes = sum(int(d["minutes"] or 0) for d in done)
    sections: list[PageSection] = []
    for found in svc.regions.pm.hook.jiuzhu_page_sections(
        page="household", svc=svc, actor=actor, key=household_id
    ):
        sections.extend(found or [])
    names = funding_source_names(svc, svc.region(home.region_id))
    head = next((m.person.name for m in members if m.person.id == home.head_person_id), "")
    return HouseholdFile(
        household=home,
        head=head,
        members=members,
        hidden_members=hidden,
        cases=[
            msgspec.structs.replace(c, exit_reason=shown_text(actor, c.exit_reason))
            for c in all_cases
        ],
        orders=[
            msgspec.convert({**r, "note": shown_text(actor, r["note"])}, Order) for r in order_rows
        ],
        deliveries=[msgspec.convert(d, Delivery) for d in delivery_rows],
        visits=[
            msgspec.convert({**r, "notes": shown_text(actor, r["notes"])}, Visit)
            for r in visit_rows
        ],
        totals=HouseholdTotals(
            cases=len(all_cases),
            orders=len(order_rows),
            person_times=len(done),
            minutes=minutes,
            hours=round(minutes / 60, 2),
            money_fen=sum(by_source.values()),
            by_source=by_source,
            source_names={c: names.get(c, c) for c in by_source},
        ),
        sections=sections,
    )


# --- changing -----------------------------------------------------------------------------
def _person(svc: Services, conn: Connection, actor: Actor, person_id: int) -> Person:
    if not 0 < person_id <= MAX_ID:
        raise NotFound("person", person_id)
    person = msgspec.convert(fetch_one(conn, persons, "person", person_id, id=person_id), Person)
    info = svc.region(person.region_id).info
    check_scope(actor, info, "person", person_id, person.region_id, person.area_code)
    return person


def _resize(conn: Connection, household_id: int) -> None:
    """A household's size is the number of its registered members (at least 1)."""
    n = conn.execute(
        select(func.count()).select_from(persons).where(persons.c.household_id == household_id)
    ).scalar_one()
    conn.execute(update(households).where(households.c.id == household_id).values(size=max(1, n)))


def _event(
    svc: Services,
    conn: Connection,
    actor: Actor,
    person: Person,
    kind: str,
    reason: str,
    **detail: Any,
) -> None:
    case_id = open_case_of(conn, person)
    if case_id is not None:
        region = svc.region(person.region_id)
        append_event(svc, conn, region, case_id, actor.username, kind, reason, **detail)


def _join(
    svc: Services, conn: Connection, actor: Actor, home: Household, person: Person, relation: str
) -> None:
    """Make ``person`` a member of ``home`` (locked) as ``relation``: added, moved from
    another household (that one locked too) or given a new relation."""
    if relation not in RELATIONS:
        raise Invalid("relation", f"与户主关系应为 {'、'.join(RELATIONS)} 之一")
    if person.region_id != home.region_id:
        raise Invalid("person_id", f"对象 {person.id} 不属于本户所在地区")
    if relation == HEAD and home.head_person_id not in (None, person.id):
        head = conn.execute(
            select(persons.c.name).where(persons.c.id == home.head_person_id)
        ).scalar()
        raise Refused(
            "household.head",
            f"本户户主已是{head or '其他成员'}；请先更改其与户主关系，再设新的户主",
            head_person_id=home.head_person_id,
        )
    old = person.household_id
    if old is not None and old != home.id:
        fetch_one(conn, households, "household", old, lock=True, id=old)
        conn.execute(
            update(households)
            .where(households.c.id == old, households.c.head_person_id == person.id)
            .values(head_person_id=None)
        )
    conn.execute(
        update(persons)
        .where(persons.c.id == person.id)
        .values(household_id=home.id, relation=relation)
    )
    if old != home.id:
        rollups.household_changed(conn, person.id, home.id)
    if relation == HEAD:
        conn.execute(
            update(households).where(households.c.id == home.id).values(head_person_id=person.id)
        )
    elif home.head_person_id == person.id:
        conn.execute(
            update(households).where(households.c.id == home.id).values(head_person_id=None)
        )
    _resize(conn, home.id)
    if old is not None and old != home.id:
        _resize(conn, old)
        kind, reason = "household.moved", f"由户 #{old} 迁入户 #{home.id}（{relation}）"
    elif old == home.id:
        if person.relation == relation:
            return
        kind, reason = "household.relation", f"与户主关系：{person.relation or '未填'} → {relation}"
    else:
        kind, reason = "household.joined", f"加入户 #{home.id}（{relation}）"
    _event(
        svc,
        conn,
        actor,
        person,
        kind,
        reason,
        household_id=home.id,
        relation=relation,
        moved_from=old,
    )


def join_new_member(
    svc: Services,
    conn: Connection,
    actor: Actor,
    household_id: int,
    person_id: int,
    relation: str,
) -> None:
    """A person just registered joins a household, inside the registration's unit of work
    (``relation`` "" means 其他)."""
    try:
        home = _household(svc, conn, actor, household_id, lock=True)
    except NotFound:
        raise Invalid("household_id", f"户 {household_id} 不存在") from None
    person = msgspec.convert(fetch_one(conn, persons, "person", person_id, id=person_id), Person)
    _join(svc, conn, actor, home, person, relation or RELATIONS[-1])


def create_household(svc: Services, actor: Actor, data: NewHousehold) -> Household:
    """A new household in the actor's region and area; with ``head_person_id`` that
    person joins (or moves in) as 户主."""
    actor.require("case.write")
    region = svc.region(actor.region_id)
    info = region.info
    if data.area_code != info.code and info.area(data.area_code) is None:
        raise Invalid("area_code", f"{data.area_code} 不是{info.name}的区划代码")
    check_scope(actor, info, "area", data.area_code, region.id, data.area_code)
    for name, value in (("address", data.address), ("phone", data.phone)):
        if "\x00" in value:
            raise Invalid(name, "不能含控制字符")

    def work(conn: Connection) -> Household:
        hid = conn.execute(
            households.insert().values(
                region_id=region.id,
                area_code=data.area_code,
                address=data.address.strip(),
                phone=data.phone.strip(),
                size=1,
                created_at=svc.now(),
            )
        ).inserted_primary_key
        assert hid is not None
        home = _household(svc, conn, actor, int(hid[0]), lock=True)
        if data.head_person_id is not None:
            head = _person(svc, conn, actor, data.head_person_id)
            if head.household_id is not None:
                fetch_one(
                    conn,
                    households,
                    "household",
                    head.household_id,
                    lock=True,
                    id=head.household_id,
                )
            _join(svc, conn, actor, home, head, HEAD)
        return msgspec.convert(
            fetch_one(conn, households, "household", home.id, id=home.id), Household
        )

    return svc.run(work)


def set_member(
    svc: Services, actor: Actor, household_id: int, person_id: int, relation: str
) -> Household:
    """Add a person to the household, move them in from another, or change their
    relation; 户主 becomes the household's head (refused while another member is)."""
    actor.require("case.write")

    def work(conn: Connection) -> Household:
        before = _person(svc, conn, actor, person_id)
        # both households locked, lower id first, before either changes
        home: Household | None = None
        for hid in sorted({household_id, before.household_id or household_id}):
            if hid == household_id:
                home = _household(svc, conn, actor, hid, lock=True)
            else:
                fetch_one(conn, households, "household", hid, lock=True, id=hid)
        assert home is not None
        person = _person(svc, conn, actor, person_id)  # as it is under the locks
        _join(svc, conn, actor, home, person, relation)
        return msgspec.convert(
            fetch_one(conn, households, "household", household_id, id=household_id), Household
        )

    return svc.run(work)


def remove_member(svc: Services, actor: Actor, household_id: int, person_id: int) -> Household:
    """The person leaves the household (no longer its head if they were)."""
    actor.require("case.write")

    def work(conn: Connection) -> Household:
        home = _household(svc, conn, actor, household_id, lock=True)
        person = _person(svc, conn, actor, person_id)
        if person.household_id != household_id:
            raise NotFound("member", person_id)
        conn.execute(
            update(persons).where(persons.c.id == person_id).values(household_id=None, relation="")
        )
        rollups.household_changed(conn, person_id, None)
        conn.execute(
            update(households)
            .where(and_(households.c.id == household_id, households.c.head_person_id == person_id))
            .values(head_person_id=None)
        )
        _resize(conn, household_id)
        _event(
            svc,
            conn,
            actor,
            person,
            "household.left",
            f"迁出户 #{household_id}",
            household_id=household_id,
        )
        return msgspec.convert(
            fetch_one(conn, households, "household", household_id, id=home.id), Household
        )

    return svc.run(work)
