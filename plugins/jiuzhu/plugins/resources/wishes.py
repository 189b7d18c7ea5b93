"""Micro-wishes (微心愿 / 许愿池): a household's need published for donors.

A wish carries no personal data: no name, no ID number, no phone, no address; its place is
shown at street level (``WishRules.street_level``). Publishing refuses a text that holds the
recipient's or a household member's name, an ID-number-like or phone-like run of digits, or
the household's address. The wall (public) and unit accounts see only ``WallWish``; staff
of the area see the case it belongs to.

States: published (待认领) → claimed (已认领, by one unit) → fulfilled (已圆梦, 待确认) →
confirmed (已确认, by the recipient through a signed link or by a case officer on their
behalf); published → withdrawn (已撤回). Each step has a deadline from the region's rules;
a published wish past its claim deadline can no longer be claimed (shown as 已过期). Every
step is an event on the case (append-only).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Connection, and_, func, select, update

from jiuzhu.core.access import Actor, area_codes
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.money import yuan
from jiuzhu.core.regions import Region
from jiuzhu.core.services import Services, append_event, fetch_one, plain
from jiuzhu.core.storage.tables import cases, households, persons

from .library import ancestors, area_name, config, unit_of
from .tables import resources, wishes

PUBLISHED, CLAIMED, FULFILLED, CONFIRMED, WITHDRAWN = (
    "published",
    "claimed",
    "fulfilled",
    "confirmed",
    "withdrawn",
)
EXPIRED = "expired"  # shown only: published and past its claim deadline
STATUS_LABELS = {
    PUBLISHED: "待认领",
    EXPIRED: "已过认领期",
    CLAIMED: "已认领",
    FULFILLED: "已圆梦，待确认",
    CONFIRMED: "已确认",
    WITHDRAWN: "已撤回",
}
DIGITS = re.compile(r"\d{7,}")  # ID numbers, phones, bank cards: never on a wish


class WallWish(msgspec.Struct, kw_only=True):
    """A wish as the wall, units and the public see it: nothing that identifies anyone."""

    number: str
    title: str
    description: str
    need: str
    street: str  # the street (乡镇街道) only
    value_fen: int
    value: str
    status: str  # published / expired / claimed / fulfilled / confirmed / withdrawn
    status_label: str
    published_on: str
    claim_by: str
    claimed_by: str  # the unit's name (units are public)
    fulfil_by: str
    overdue: bool


class WishView(msgspec.Struct, kw_only=True):
    """A wish as staff of the area see it: the wall's view plus the case it serves."""

    wall: WallWish
    id: int
    case_id: int
    household_id: int | None
    area_code: str
    claimed_by_id: int | None
    fulfil_note: str
    confirmed_as: str  # recipient / officer
    confirmed_by: str


def _day(moment: datetime | None) -> str:
    from jiuzhu.core.times import local_date

    return local_date(moment).isoformat() if moment else ""


def street_of(region: Region, area_code: str, level: str) -> str:
    """The ancestor of ``area_code`` at the level named ``level`` (乡镇街道); the area itself
    when it is at or above that level."""
    chain = list(reversed(ancestors(region, area_code)))  # region first
    depth = region.info.levels.index(level) if level in region.info.levels else len(chain) - 1
    return chain[min(depth, len(chain) - 1)]


def _state(row: dict[str, Any], now: datetime) -> str:
    if row["status"] == PUBLISHED and row["claim_by"] < now:
        return EXPIRED
    return str(row["status"])


def _overdue(row: dict[str, Any], now: datetime) -> bool:
    if row["status"] == CLAIMED and row["fulfil_by"] is not None:
        return bool(row["fulfil_by"] < now)
    if row["status"] == FULFILLED and row["confirm_by"] is not None:
        return bool(row["confirm_by"] < now)
    return False


def _wall(region: Region, row: dict[str, Any], unit: str, now: datetime) -> WallWish:
    state = _state(row, now)
    return WallWish(
        number=row["number"],
        title=row["title"],
        description=row["description"],
        need=row["need"],
        street=area_name(region, row["street_code"]),
        value_fen=int(row["value_fen"]),
        value=yuan(int(row["value_fen"])),
        status=state,
        status_label=STATUS_LABELS[state],
        published_on=_day(row["published_at"]),
        claim_by=_day(row["claim_by"]),
        claimed_by=unit,
        fulfil_by=_day(row["fulfil_by"]),
        overdue=_overdue(row, now),
    )


def _view(region: Region, row: dict[str, Any], unit: str, now: datetime) -> WishView:
    return WishView(
        wall=_wall(region, row, unit, now),
        id=row["id"],
        case_id=row["case_id"],
        household_id=row["household_id"],
        area_code=row["area_code"],
        claimed_by_id=row["claimed_by"],
        fulfil_note=row["fulfil_note"],
        confirmed_as=row["confirmed_as"],
        confirmed_by=row["confirmed_by"],
    )


def _identifying(conn: Connection, person: dict[str, Any]) -> list[tuple[str, str]]:
    """(text, what it is) that must not appear on the wish: names of the recipient and
    the household's members, the household's address."""
    out = [(str(person["name"]), "对象姓名")]
    if person["household_id"] is not None:
        for (name,) in conn.execute(
            select(persons.c.name).where(persons.c.household_id == person["household_id"])
        ):
            out.append((str(name), "家庭成员姓名"))
        address = conn.execute(
            select(households.c.address).where(households.c.id == person["household_id"])
        ).scalar()
        if address and len(str(address)) >= 4:
            out.append((str(address), "家庭住址"))
    return [(t, what) for t, what in out if len(t.strip()) >= 2]


def check_anonymous(texts: dict[str, str], identifying: list[tuple[str, str]]) -> None:
    """Refuse a wish text that identifies the household (the field and the rule named)."""
    for field, text in texts.items():
        if DIGITS.search(text):
            raise Invalid(field, "微心愿不得包含身份证号、电话、银行卡号等数字串（匿名发布）")
        for value, what in identifying:
            if value.strip() and value.strip() in text:
                raise Invalid(field, f"微心愿不得包含{what}（匿名发布，只显示到街道）")


def publish(
    svc: Services,
    actor: Actor,
    case_id: int,
    title: str,
    description: str,
    value_fen: int,
    need: str = "",
) -> WishView:
    actor.require("wish.publish")
    region = svc.region(actor.region_id)
    rules = config(region).wishes
    title, description, need = title.strip(), description.strip(), need.strip()
    if not 2 <= len(title) <= 60:
        raise Invalid("title", "心愿标题应为2到60个字")
    if not 2 <= len(description) <= 500:
        raise Invalid("description", "心愿说明应为2到500个字")
    if len(need) > 40:
        raise Invalid("need", "需求类别最多40个字")
    if isinstance(value_fen, bool) or not isinstance(value_fen, int) or value_fen <= 0:
        raise Invalid("value_fen", "心愿价值应为正整数（分）")
    if value_fen > rules.max_value_fen:
        raise Invalid("value_fen", f"心愿价值不得超过 {yuan(rules.max_value_fen)}")
    now = svc.now()
    with svc.transaction() as conn:
        case = fetch_one(conn, cases, "case", case_id, id=case_id)
        if case["region_id"] != region.id or case["area_code"] not in area_codes(
            actor, region.info
        ):
            raise NotFound("case", case_id)
        if case["status"] == "exited":
            raise Refused("case_exited", "该档案已退出，不能发布微心愿")
        person = fetch_one(conn, persons, "person", case["person_id"], id=case["person_id"])
        check_anonymous(
            {"title": title, "description": description, "need": need},
            _identifying(conn, person),
        )
        street = street_of(region, case["area_code"], rules.street_level)
        pk = conn.execute(
            wishes.insert().values(
                region_id=region.id,
                number=f"tmp-{uuid.uuid4().hex[:20]}",  # the real number needs the id
                case_id=case_id,
                household_id=person["household_id"],
                area_code=case["area_code"],
                street_code=street,
                title=title,
                description=description,
                need=need,
                value_fen=value_fen,
                status=PUBLISHED,
                published_at=now,
                published_by=actor.username,
                claim_by=now + timedelta(days=rules.claim_days),
            )
        ).inserted_primary_key
        assert pk is not None
        number = f"XY{int(pk[0]):06d}"
        conn.execute(update(wishes).where(wishes.c.id == pk[0]).values(number=number))
        append_event(
            svc,
            conn,
            region,
            case_id,
            actor.username,
            "wish.published",
            number=number,
            value_fen=value_fen,
        )
    return get_wish(svc, actor, number)


def _load(conn: Connection, region: Region, number: str, lock: bool = False) -> dict[str, Any]:
    row = fetch_one(conn, wishes, "wish", number, lock=lock, number=number[:24])
    if row["region_id"] != region.id:
        raise NotFound("wish", number)
    return row


def _unit_name(conn: Connection, resource_id: int | None) -> str:
    if resource_id is None:
        return ""
    return str(
        conn.execute(select(resources.c.name).where(resources.c.id == resource_id)).scalar() or ""
    )


def _staff_scope(actor: Actor, region: Region, row: dict[str, Any], number: str) -> None:
    if row["area_code"] not in area_codes(actor, region.info):
        raise NotFound("wish", number)


def get_wish(svc: Services, actor: Actor, number: str) -> WishView:
    """A wish for staff of its area (wish.publish or wish.confirm)."""
    if not (actor.can("wish.publish") or actor.can("wish.confirm")):
        actor.require("wish.publish")
    region = svc.region(actor.region_id)
    with svc.reading() as conn:
        row = _load(conn, region, number)
        _staff_scope(actor, region, row, number)
        return _view(region, row, _unit_name(conn, row["claimed_by"]), svc.now())


def wall_wish(svc: Services, region_id: str, number: str) -> WallWish:
    """One wish as anyone may see it."""
    region = svc.region(region_id)
    with svc.reading() as conn:
        row = _load(conn, region, number)
        if row["status"] == WITHDRAWN:
            raise NotFound("wish", number)
        return _wall(region, row, _unit_name(conn, row["claimed_by"]), svc.now())


def wall(svc: Services, region_id: str, status: str = "", limit: int = 200) -> list[WallWish]:
    """The public wish wall (许愿池): every wish not withdrawn, newest first."""
    region = svc.region(region_id)
    config(region)
    if status and status not in STATUS_LABELS:
        raise Invalid("status", f"应为 {'、'.join(STATUS_LABELS)} 之一")
    now = svc.now()
    query = (
        select(wishes, resources.c.name.label("unit"))
        .outerjoin(resources, resources.c.id == wishes.c.claimed_by)
        .where(wishes.c.region_id == region.id, wishes.c.status != WITHDRAWN)
    )
    if status == EXPIRED:
        query = query.where(wishes.c.status == PUBLISHED, wishes.c.claim_by < now)
    elif status == PUBLISHED:
        query = query.where(wishes.c.status == PUBLISHED, wishes.c.claim_by >= now)
    elif status:
        query = query.where(wishes.c.status == status)
    with svc.reading() as conn:
        rows = conn.execute(query.order_by(wishes.c.id.desc()).limit(limit)).mappings().all()
    return [_wall(region, plain(r), str(r["unit"] or ""), now) for r in rows]


def staff_list(svc: Services, actor: Actor, status: str = "", limit: int = 200) -> list[WishView]:
    """Wishes of the actor's area, newest first (staff)."""
    actor.require("wish.publish")
    region = svc.region(actor.region_id)
    query = (
        select(wishes, resources.c.name.label("unit"))
        .outerjoin(resources, resources.c.id == wishes.c.claimed_by)
        .where(
            wishes.c.region_id == region.id,
            wishes.c.area_code.in_(area_codes(actor, region.info)),
        )
    )
    if status:
        if status not in STATUS_LABELS or status == EXPIRED:
            raise Invalid("status", "应为 published、claimed、fulfilled、confirmed、withdrawn 之一")
        query = query.where(wishes.c.status == status)
    now = svc.now()
    with svc.reading() as conn:
        rows = conn.execute(query.order_by(wishes.c.id.desc()).limit(limit)).mappings().all()
    return [_view(region, plain(r), str(r["unit"] or ""), now) for r in rows]


def unit_claims(svc: Services, actor: Actor) -> list[WallWish]:
    """The wishes the actor's unit has claimed (to fulfil), newest first; none for readers
    who are not a unit account."""
    actor.require("wish.read")
    if not actor.can("wish.claim"):
        return []
    region = svc.region(actor.region_id)
    now = svc.now()
    with svc.reading() as conn:
        unit = unit_of(conn, actor)
        name = _unit_name(conn, unit)
        rows = (
            conn.execute(
                select(wishes).where(wishes.c.claimed_by == unit).order_by(wishes.c.id.desc())
            )
            .mappings()
            .all()
        )
    return [_wall(region, plain(r), name, now) for r in rows]


def claim(svc: Services, actor: Actor, number: str) -> WallWish:
    """A unit claims a published wish; exactly one unit wins a race (the row lock)."""
    actor.require("wish.claim")
    region = svc.region(actor.region_id)
    rules = config(region).wishes

    def work(conn: Connection) -> None:
        unit = unit_of(conn, actor)
        row = _load(conn, region, number, lock=True)
        now = svc.now()
        state = _state(row, now)
        if state == EXPIRED:
            raise Refused("wish_expired", f"微心愿 {number} 已过认领期（{_day(row['claim_by'])}）")
        if state != PUBLISHED:
            raise Refused(
                "wish_state", f"微心愿 {number} 当前为「{STATUS_LABELS[state]}」，不能认领"
            )
        conn.execute(
            update(wishes)
            .where(wishes.c.id == row["id"], wishes.c.status == PUBLISHED)
            .values(
                status=CLAIMED,
                claimed_by=unit,
                claimed_at=now,
                fulfil_by=now + timedelta(days=rules.fulfil_days),
            )
        )
        append_event(
            svc,
            conn,
            region,
            row["case_id"],
            actor.username,
            "wish.claimed",
            number=number,
            unit=unit,
        )

    svc.run(work)
    return wall_wish(svc, region.id, number)


def fulfil(svc: Services, actor: Actor, number: str, note: str) -> WallWish:
    """The claiming unit reports the wish fulfilled (what it gave, when)."""
    actor.require("wish.claim")
    region = svc.region(actor.region_id)
    rules = config(region).wishes
    note = note.strip()
    if not 2 <= len(note) <= 500:
        raise Invalid("note", "请说明圆梦情况（2到500个字）")
    if DIGITS.search(note):
        raise Invalid("note", "圆梦说明不得包含身份证号、电话等数字串")

    def work(conn: Connection) -> None:
        unit = unit_of(conn, actor)
        row = _load(conn, region, number, lock=True)
        if row["status"] != CLAIMED or row["claimed_by"] != unit:
            raise Refused("wish_state", f"微心愿 {number} 不是本单位已认领、待圆梦的心愿")
        now = svc.now()
        conn.execute(
            update(wishes)
            .where(wishes.c.id == row["id"])
            .values(
                status=FULFILLED,
                fulfilled_at=now,
                fulfil_note=note,
                confirm_by=now + timedelta(days=rules.confirm_days),
            )
        )
        append_event(
            svc, conn, region, row["case_id"], actor.username, "wish.fulfilled", number=number
        )

    svc.run(work)
    return wall_wish(svc, region.id, number)


def confirm(svc: Services, actor: Actor, number: str, as_recipient: bool = False) -> WallWish:
    """The recipient (through the signed link: ``as_recipient``, a system actor) or a case
    officer of the area on their behalf confirms a fulfilled wish."""
    region = svc.region(actor.region_id)
    if not as_recipient:
        actor.require("wish.confirm")

    def work(conn: Connection) -> None:
        row = _load(conn, region, number, lock=True)
        if not as_recipient:
            _staff_scope(actor, region, row, number)
        if row["status"] != FULFILLED:
            raise Refused(
                "wish_state",
                f"微心愿 {number} 当前为「{STATUS_LABELS[_state(row, svc.now())]}」，不能确认",
            )
        conn.execute(
            update(wishes)
            .where(wishes.c.id == row["id"])
            .values(
                status=CONFIRMED,
                confirmed_at=svc.now(),
                confirmed_by="recipient" if as_recipient else actor.username,
                confirmed_as="recipient" if as_recipient else "officer",
            )
        )
        append_event(
            svc,
            conn,
            region,
            row["case_id"],
            "recipient" if as_recipient else actor.username,
            "wish.confirmed",
            number=number,
            by="recipient" if as_recipient else "officer",
        )

    svc.run(work)
    return wall_wish(svc, region.id, number)


def withdraw(svc: Services, actor: Actor, number: str, reason: str) -> WishView:
    actor.require("wish.publish")
    region = svc.region(actor.region_id)
    if not reason.strip():
        raise Invalid("reason", "请说明撤回理由")

    def work(conn: Connection) -> None:
        row = _load(conn, region, number, lock=True)
        _staff_scope(actor, region, row, number)
        if row["status"] != PUBLISHED:
            raise Refused("wish_state", f"微心愿 {number} 已被认领或已办结，不能撤回")
        conn.execute(update(wishes).where(wishes.c.id == row["id"]).values(status=WITHDRAWN))
        append_event(
            svc,
            conn,
            region,
            row["case_id"],
            actor.username,
            "wish.withdrawn",
            reason[:500],
            number=number,
        )

    svc.run(work)
    return get_wish(svc, actor, number)


class WishStats(msgspec.Struct, kw_only=True):
    published: int  # every wish ever published (withdrawn ones excluded)
    claimed: int  # claimed at some point (claimed, fulfilled, confirmed)
    fulfilled: int  # fulfilled or confirmed
    confirmed: int
    open: int  # waiting for a unit, within the deadline
    expired: int  # waiting past the claim deadline
    overdue: int  # claimed or fulfilled past their deadline
    value_published_fen: int
    value_claimed_fen: int
    value_fulfilled_fen: int
    units: int  # distinct units that claimed


def statistics(svc: Services, actor: Actor | None, region_id: str) -> WishStats:
    """Counts and values for the region (the wall's figures; no personal data)."""
    region = svc.region(region_id)
    if actor is not None:
        actor.require("wish.read")
    now = svc.now()
    w = wishes.c
    with svc.reading() as conn:
        rows = conn.execute(
            select(w.status, func.count(), func.coalesce(func.sum(w.value_fen), 0))
            .where(w.region_id == region.id, w.status != WITHDRAWN)
            .group_by(w.status)
        ).all()
        by = {str(s): (int(n), int(v)) for s, n, v in rows}
        expired = conn.execute(
            select(func.count()).where(
                w.region_id == region.id, w.status == PUBLISHED, w.claim_by < now
            )
        ).scalar_one()
        overdue = conn.execute(
            select(func.count()).where(
                w.region_id == region.id,
                ((w.status == CLAIMED) & (w.fulfil_by < now))
                | ((w.status == FULFILLED) & (w.confirm_by < now)),
            )
        ).scalar_one()
        units = conn.execute(
            select(func.count(func.distinct(w.claimed_by))).where(
                and_(w.region_id == region.id, w.claimed_by.is_not(None))
            )
        ).scalar_one()

    def n(*states: str) -> int:
        return sum(by.get(s, (0, 0))[0] for s in states)

    def v(*states: str) -> int:
        return sum(by.get(s, (0, 0))[1] for s in states)

    return WishStats(
        published=n(PUBLISHED, CLAIMED, FULFILLED, CONFIRMED),
        claimed=n(CLAIMED, FULFILLED, CONFIRMED),
        fulfilled=n(FULFILLED, CONFIRMED),
        confirmed=n(CONFIRMED),
        open=n(PUBLISHED) - int(expired),
        expired=int(expired),
        overdue=int(overdue),
        value_published_fen=v(PUBLISHED, CLAIMED, FULFILLED, CONFIRMED),
        value_claimed_fen=v(CLAIMED, FULFILLED, CONFIRMED),
        value_fulfilled_fen=v(FULFILLED, CONFIRMED),
        units=int(units),
    )


def household_wishes(conn: Connection, household_id: int) -> list[dict[str, Any]]:
    """Fulfilled or confirmed wishes of a household, with the unit (for its package)."""
    return [
        plain(r)
        for r in conn.execute(
            select(wishes, resources.c.name.label("unit"))
            .outerjoin(resources, resources.c.id == wishes.c.claimed_by)
            .where(
                wishes.c.household_id == household_id,
                wishes.c.status.in_((FULFILLED, CONFIRMED)),
            )
            .order_by(wishes.c.id)
        ).mappings()
    ]
