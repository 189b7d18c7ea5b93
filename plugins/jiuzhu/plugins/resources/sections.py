"""What the resources plugin adds to core pages: a unit's claimed wishes and an officer's
teams due for review on the home page; a household's wishes, team and package link in its
file (一户一档). Cheap queries only (the household file is built on every view)."""

from __future__ import annotations

import msgspec
from sqlalchemy import select

from jiuzhu.core.access import Actor
from jiuzhu.core.base import Refused
from jiuzhu.core.sections import PageSection
from jiuzhu.core.services import Services
from jiuzhu.core.storage.tables import cases, persons

from .config import ResourceConfig
from .roles import UNIT
from .tables import teams, wishes
from .teams import GRADE_LABELS
from .wishes import STATUS_LABELS, unit_claims


def _configured(svc: Services, actor: Actor) -> bool:
    return svc.region(actor.region_id).section("resources", ResourceConfig) is not None


def home_sections(svc: Services, actor: Actor) -> list[PageSection]:
    if not _configured(svc, actor):
        return []
    if actor.role == UNIT and actor.can("wish.claim"):
        try:
            mine = unit_claims(svc, actor)
        except Refused:  # an account not yet linked to a unit: the wall still works
            mine = []
        return [
            PageSection(
                key="resources.claims",
                title="本单位认领的微心愿",
                columns=[
                    ("number", "编号"),
                    ("title", "心愿"),
                    ("status_label", "状态"),
                    ("fulfil_by", "圆梦期限"),
                ],
                rows=[msgspec.to_builtins(w) for w in mine if w.status in ("claimed", "fulfilled")],
                link="/wishes/{number}",
                empty="暂无待圆梦的心愿",
                actions=[("/wishes", "打开许愿池")],
            )
        ]
    return []


def household_sections(svc: Services, actor: Actor, household_id: int) -> list[PageSection]:
    if not _configured(svc, actor) or not actor.can("wish.publish"):
        return []
    with svc.reading() as conn:
        rows = [
            {
                "number": r["number"],
                "title": r["title"],
                "value": f"{r['value_fen'] / 100:.2f}元",
                "status": STATUS_LABELS.get(r["status"], r["status"]),
            }
            for r in conn.execute(
                select(wishes).where(wishes.c.household_id == household_id).order_by(wishes.c.id)
            ).mappings()
        ]
        team_rows = [
            {
                "case_id": r["case_id"],
                "name": r["name"],
                "grade": GRADE_LABELS.get(r["grade"], r["grade"]),
                "lead": r["lead"],
                "officer": r["officer"],
            }
            for r in conn.execute(
                select(teams, persons.c.name)
                .join(cases, cases.c.id == teams.c.case_id)
                .join(persons, persons.c.id == cases.c.person_id)
                .where(persons.c.household_id == household_id)
            ).mappings()
        ]
    return [
        PageSection(
            key="resources.wishes",
            title="微心愿",
            columns=[("number", "编号"), ("title", "心愿"), ("value", "价值"), ("status", "状态")],
            rows=rows,
            link="/wishes/{number}",
            empty="暂无微心愿",
            actions=[(f"/households/{household_id}/package", "救助大礼包")],
        ),
        PageSection(
            key="resources.teams",
            title="个案团队（1+1+N）",
            columns=[
                ("name", "对象"),
                ("grade", "研判等级"),
                ("lead", "专业社工"),
                ("officer", "救助专干"),
            ],
            rows=team_rows,
            link="/cases/{case_id}/team",
            empty="暂无个案团队",
        ),
    ]
