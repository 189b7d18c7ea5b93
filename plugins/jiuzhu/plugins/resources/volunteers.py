"""Volunteers (志愿者): hours given, and recipients and family members who became volunteers
— an outcome the pilots report (Changji: 35 of 61 social-integration participants and 47
family members became volunteers; seed 000/001 via DOMAIN.md)."""

from __future__ import annotations

from datetime import date

import msgspec
from sqlalchemy import Connection, func, select

from jiuzhu.core.access import Actor
from jiuzhu.core.base import Invalid, NotFound
from jiuzhu.core.services import Services
from jiuzhu.core.times import local_date

from .tables import resources, volunteer_hours

MAX_MINUTES = 24 * 60


def record_hours(
    svc: Services, actor: Actor, code: str, minutes: int, served_on: date, note: str = ""
) -> int:
    """Book a volunteer's service time (one day, at most 24 hours)."""
    actor.require("volunteer.record")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= MAX_MINUTES:
        raise Invalid("minutes", "服务时长应为1到1440分钟")
    if served_on > local_date(svc.now()):
        raise Invalid("served_on", "服务日期不能晚于今天")

    def work(conn: Connection) -> int:
        rid = conn.execute(
            select(resources.c.id).where(
                resources.c.region_id == actor.region_id,
                resources.c.code == code,
                resources.c.kind == "volunteer",
            )
        ).scalar()
        if rid is None:
            raise NotFound("volunteer", code)
        pk = conn.execute(
            volunteer_hours.insert().values(
                resource_id=rid,
                minutes=minutes,
                served_on=served_on.isoformat(),
                note=note[:500],
                by=actor.username,
                at=svc.now(),
            )
        ).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    return svc.run(work)


class VolunteerStats(msgspec.Struct, kw_only=True):
    volunteers: int
    from_recipients: int  # recipients who became volunteers
    from_families: int  # recipients' family members who became volunteers
    hours: float
    minutes: int
    active: int  # volunteers with any hours booked


def statistics(svc: Services, actor: Actor) -> VolunteerStats:
    actor.require("resource.read")
    r = resources.c
    with svc.reading() as conn:
        by_origin: dict[str, int] = dict(
            conn.execute(
                select(r.origin, func.count())
                .where(r.region_id == actor.region_id, r.kind == "volunteer")
                .group_by(r.origin)
            ).all()
        )
        minutes, active = conn.execute(
            select(
                func.coalesce(func.sum(volunteer_hours.c.minutes), 0),
                func.count(func.distinct(volunteer_hours.c.resource_id)),
            )
            .select_from(volunteer_hours.join(resources, r.id == volunteer_hours.c.resource_id))
            .where(r.region_id == actor.region_id)
        ).one()
    return VolunteerStats(
        volunteers=sum(int(v) for v in by_origin.values()),
        from_recipients=int(by_origin.get("recipient", 0)),
        from_families=int(by_origin.get("family", 0)),
        hours=round(int(minutes) / 60, 2),
        minutes=int(minutes),
        active=int(active),
    )
