"""Group sessions (小组工作 / 主题活动): one session, many attendees.

Checking an attendee in creates that attendee's order (quantity 1, delivered) and one
delivery of the session's minutes, spending the attendee's entitlement when the item says
so (``spends_entitlement``; a cap is reserved, a floor booked) and booking the money to the
funding sources either way. So every attendance is a person-time through the same path as
a home visit, and shows in statistics, the case file and the household file.

Locks: the session's row, then the attendee's case → entitlement → order.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import msgspec
from msgspec import Meta
from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError

from ..access import Actor, area_subtree, check_scope
from ..base import Invalid, NotFound, Refused
from ..domain import Attendee, CaseStatus, GroupSession, OrderStatus
from ..limits import AreaCode, Id, ItemCode, Minutes
from ..regions import Region
from ..storage.tables import (
    cases,
    deliveries,
    group_sessions,
    persons,
    providers,
    session_attendees,
    workers,
)
from ..times import local_date
from . import MAX_ID, Services, append_event, fetch_one, plain, rollups
from .cases import load_case
from .orders import book_delivery, create_order, find_item

OPEN, CLOSED = "open", "closed"


class NewSession(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    item_code: ItemCode
    title: Annotated[str, Meta(min_length=1, max_length=100, description="活动主题")]
    starts_at: Annotated[datetime, Meta(tz=True, description="开始时间（带时区）")]
    minutes: Minutes
    area_code: AreaCode
    provider_id: Id | None = None  # a worker's or provider admin's own by default
    worker_id: Id | None = None


class AttendeeView(msgspec.Struct, kw_only=True):
    case_id: int
    order_id: int
    name: str
    area_code: str
    checked_in_at: datetime
    checked_in_by: str


class SessionView(msgspec.Struct, kw_only=True):
    session: GroupSession
    item_name: str
    provider_name: str
    worker_name: str
    attendees: list[AttendeeView]


class Candidate(msgspec.Struct, kw_only=True):
    """A case that may be checked in: the person's name and area, never an ID number."""

    case_id: int
    name: str
    area_code: str
    area_name: str
    attending: bool


def _session_row(
    svc: Services, conn: Connection, actor: Actor, session_id: int, lock: bool = False
) -> tuple[Region, GroupSession]:
    row = fetch_one(conn, group_sessions, "session", session_id, lock=lock, id=session_id)
    session = msgspec.convert(row, GroupSession)
    region = svc.region(session.region_id)
    check_scope(actor, region.info, "session", session_id, session.region_id, session.area_code)
    if actor.provider_id is not None and actor.provider_id != session.provider_id:
        raise NotFound("session", session_id)
    return region, session


def create_session(svc: Services, actor: Actor, data: NewSession) -> GroupSession:
    """Plan a session of a group item, run by a provider (and one of its workers)."""
    actor.require("session.run")
    region = svc.region(actor.region_id)
    item = find_item(region, data.item_code)
    if item.mode != "group":
        raise Invalid("item_code", f"「{item.name}」不是小组/主题活动类服务，请按工单点单")
    title = data.title.strip()
    if not title or len(title) > 100 or "\x00" in title:
        raise Invalid("title", "请填写活动名称（不超过100字）")
    if not 1 <= data.minutes <= 24 * 60:
        raise Invalid("minutes", "活动时长应在1至1440分钟之间")
    if data.starts_at.tzinfo is None:
        raise Invalid("starts_at", "开始时间须带时区")
    if data.area_code != region.info.code and region.info.area(data.area_code) is None:
        raise Invalid("area_code", f"{data.area_code} 不是{region.info.name}的区划代码")
    check_scope(actor, region.info, "area", data.area_code, region.id, data.area_code)
    provider_id = data.provider_id or actor.provider_id
    if provider_id is None:
        raise Invalid("provider_id", "请指定承办的服务机构")
    if actor.provider_id is not None and provider_id != actor.provider_id:
        raise Refused("session.provider", "只能为本机构安排活动")
    worker_id = data.worker_id or actor.worker_id
    now = svc.now()
    with svc.transaction() as conn:
        prow = (
            conn.execute(select(providers).where(providers.c.id == provider_id)).mappings().first()
            if 0 < provider_id <= MAX_ID
            else None
        )
        if prow is None or prow["region_id"] != region.id:
            raise Invalid("provider_id", f"服务机构 {provider_id} 不存在或不属于本地区")
        if not prow["active"] or prow["blocks_dispatch"]:
            raise Refused(
                f"provider.{prow['light'] or 'inactive'}",
                f"服务机构「{prow['name']}」已停用或暂停派单（{prow['light_reason']}）",
            )
        if worker_id is not None:
            wrow = (
                conn.execute(select(workers).where(workers.c.id == worker_id)).mappings().first()
                if 0 < worker_id <= MAX_ID
                else None
            )
            if wrow is None or wrow["provider_id"] != provider_id or not wrow["active"]:
                raise Invalid("worker_id", f"社工 {worker_id} 不属于该服务机构或已停用")
        sid = conn.execute(
            group_sessions.insert().values(
                region_id=region.id,
                item_code=item.code,
                provider_id=provider_id,
                worker_id=worker_id,
                title=title,
                area_code=data.area_code,
                starts_at=data.starts_at,
                minutes=data.minutes,
                status=OPEN,
                created_by=actor.username,
                created_at=now,
            )
        ).inserted_primary_key
        assert sid is not None
        row = fetch_one(conn, group_sessions, "session", sid[0], id=sid[0])
    return msgspec.convert(row, GroupSession)


def check_in(svc: Services, actor: Actor, session_id: int, case_id: int) -> Attendee:
    """签到: the attendee's order and delivery, spending their entitlement if the item does.
    Locks the session, then the case, its entitlement and the order (the one lock order
    after the session's own row)."""
    actor.require("session.run")

    def work(conn: Connection) -> Attendee:
        region, session = _session_row(svc, conn, actor, session_id, lock=True)
        if session.status != OPEN:
            raise Refused("session.closed", f"活动「{session.title}」已结束，不能再签到")
        _region, case = load_case(svc, conn, actor, case_id, lock=True)
        if case.region_id != session.region_id:
            raise NotFound("case", case_id)
        if case.status != CaseStatus.ACTIVE:
            raise Refused("case.not_active", "该对象尚未通过资格判定或已退出，不能参加活动")
        already = conn.execute(
            select(session_attendees.c.order_id).where(
                session_attendees.c.session_id == session_id,
                session_attendees.c.case_id == case_id,
            )
        ).first()
        if already is not None:
            raise Refused("session.attending", "该对象已签到本次活动", order_id=int(already[0]))
        item = find_item(region, session.item_code)
        now = svc.now()
        end = session.starts_at + timedelta(minutes=session.minutes)
        order = create_order(
            svc,
            conn,
            region,
            actor,
            case,
            item,
            1,
            note=session.title,
            session_id=session.id,
            values={
                "status": OrderStatus.DELIVERED,
                "provider_id": session.provider_id,
                "worker_id": session.worker_id,
                "dispatched_at": now,
                "accepted_at": now,
                "started_at": session.starts_at,
                "finished_at": max(end, now),
            },
        )
        name = conn.execute(
            select(persons.c.name).where(persons.c.id == case.person_id)
        ).scalar_one()
        did = conn.execute(
            deliveries.insert().values(
                order_id=order.id,
                worker_id=session.worker_id,
                checkin_at=session.starts_at,
                checkout_at=end,
                minutes=session.minutes,
                steps_done=[],
                signer=name,
                signature="活动签到",
            )
        ).inserted_primary_key
        assert did is not None
        rollups.visited(conn, order.id, end, session.minutes, item.category)
        book_delivery(
            svc,
            conn,
            region,
            order,
            item,
            int(did[0]),
            session.minutes,
            local_date(session.starts_at),
        )
        try:
            conn.execute(
                session_attendees.insert().values(
                    session_id=session.id,
                    case_id=case.id,
                    order_id=order.id,
                    checked_in_at=now,
                    checked_in_by=actor.username,
                )
            )
        except IntegrityError:
            raise Refused("session.attending", "该对象已签到本次活动") from None
        append_event(
            svc,
            conn,
            region,
            case.id,
            actor.username,
            "session.attended",
            session.title,
            session_id=session.id,
            order_id=order.id,
            item=item.code,
            minutes=session.minutes,
        )
        row = (
            conn.execute(
                select(session_attendees).where(
                    session_attendees.c.session_id == session.id,
                    session_attendees.c.case_id == case.id,
                )
            )
            .mappings()
            .one()
        )
        return msgspec.convert(plain(row), Attendee)

    return svc.run(work)


def close_session(svc: Services, actor: Actor, session_id: int) -> GroupSession:
    """结束活动: no more check-ins."""
    actor.require("session.run")
    with svc.transaction() as conn:
        _region, session = _session_row(svc, conn, actor, session_id, lock=True)
        if session.status != OPEN:
            raise Refused("session.closed", f"活动「{session.title}」已结束")
        conn.execute(
            update(group_sessions)
            .where(group_sessions.c.id == session_id)
            .values(status=CLOSED, closed_at=svc.now())
        )
        row = fetch_one(conn, group_sessions, "session", session_id, id=session_id)
    return msgspec.convert(row, GroupSession)


def get_session(svc: Services, actor: Actor, session_id: int) -> SessionView:
    actor.require("order.read")
    with svc.reading() as conn:
        region, session = _session_row(svc, conn, actor, session_id)
        rows = conn.execute(
            select(session_attendees, persons.c.name, cases.c.area_code)
            .join(cases, cases.c.id == session_attendees.c.case_id)
            .join(persons, persons.c.id == cases.c.person_id)
            .where(session_attendees.c.session_id == session_id)
            .order_by(session_attendees.c.checked_in_at)
        ).mappings()
        attendees = [msgspec.convert(plain(r), AttendeeView) for r in rows]
        provider_name = conn.execute(
            select(providers.c.name).where(providers.c.id == session.provider_id)
        ).scalar_one()
        worker_name = (
            conn.execute(select(workers.c.name).where(workers.c.id == session.worker_id)).scalar()
            if session.worker_id
            else None
        )
    try:
        item_name = region.catalogue.item(session.item_code).name
    except KeyError:
        item_name = session.item_code
    return SessionView(
        session=session,
        item_name=item_name,
        provider_name=str(provider_name),
        worker_name=str(worker_name or ""),
        attendees=attendees,
    )


def list_sessions(
    svc: Services, actor: Actor, status: str | None = None, limit: int = 100
) -> list[GroupSession]:
    """Sessions in the actor's area (a provider's own only), newest first."""
    actor.require("order.read")
    region = svc.region(actor.region_id)
    query = select(group_sessions).where(
        group_sessions.c.region_id == region.id,
        group_sessions.c.area_code.in_(sorted(area_subtree(region.info, actor.area_code))),
    )
    if actor.provider_id is not None:
        query = query.where(group_sessions.c.provider_id == actor.provider_id)
    if status is not None:
        if status not in (OPEN, CLOSED):
            raise Invalid("status", "应为 open 或 closed")
        query = query.where(group_sessions.c.status == status)
    with svc.reading() as conn:
        rows = conn.execute(
            query.order_by(group_sessions.c.starts_at.desc()).limit(max(1, min(limit, 500)))
        ).mappings()
        return [msgspec.convert(plain(r), GroupSession) for r in rows]


def candidates(svc: Services, actor: Actor, session_id: int, q: str) -> list[Candidate]:
    """Active cases whose person's name contains ``q`` (at most 20), in the session's area
    and the actor's: names and areas only, to check attendees in."""
    actor.require("session.run")
    q = q.strip()[:20]
    if not q:
        return []
    with svc.reading() as conn:
        region, session = _session_row(svc, conn, actor, session_id)
        scope = sorted(
            area_subtree(region.info, actor.area_code)
            & area_subtree(region.info, session.area_code)
        )
        attending = select(session_attendees.c.case_id).where(
            session_attendees.c.session_id == session_id
        )
        rows = conn.execute(
            select(cases.c.id, persons.c.name, cases.c.area_code, cases.c.id.in_(attending))
            .join(persons, persons.c.id == cases.c.person_id)
            .where(
                cases.c.region_id == region.id,
                cases.c.status == CaseStatus.ACTIVE,
                cases.c.area_code.in_(scope),
                persons.c.name.contains(q, autoescape=True),
            )
            .order_by(persons.c.name, cases.c.id)
            .limit(20)
        ).all()
    return [
        Candidate(
            case_id=int(r[0]),
            name=str(r[1]),
            area_code=str(r[2]),
            area_name=region.info.area_name(str(r[2])),
            attending=bool(r[3]),
        )
        for r in rows
    ]


def attendance_counts(conn: Connection, session_ids: list[int]) -> dict[int, int]:
    rows = conn.execute(
        select(session_attendees.c.session_id, func.count())
        .where(session_attendees.c.session_id.in_(session_ids))
        .group_by(session_attendees.c.session_id)
    ).all()
    return {int(s): int(n) for s, n in rows}


__all__ = [
    "NewSession",
    "candidates",
    "check_in",
    "close_session",
    "create_session",
    "get_session",
    "list_sessions",
]
