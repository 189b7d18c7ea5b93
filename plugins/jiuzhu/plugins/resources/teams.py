"""1+1+N case teams (个案服务团队) with graded review (分级研判).

A case has at most one team: a lead social worker (专业社工), a township/street officer
(乡镇（街道）救助专干) and N resource holders (资源方代表, from the resource library). The
team's grade — 一般 (general), 重点 (key), 疑难 (difficult) — sets how often the team meets
and how many resource holders it needs (the region's ``TeamRules``). Each review is a
meeting record with attendees and decisions; it may change the grade and sets the date of
the next review. Every change is an event on the case.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Connection, select

from jiuzhu.core.access import Actor, area_codes
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.regions import Region
from jiuzhu.core.services import Services, append_event, fetch_one, plain
from jiuzhu.core.storage.tables import cases

from .config import TeamRules
from .library import config
from .tables import resources, reviews, team_holders, teams

GRADE_LABELS = {"general": "一般", "key": "重点", "difficult": "疑难"}


class Holder(msgspec.Struct, kw_only=True):
    resource_id: int
    name: str
    kind: str
    representative: str


class Review(msgspec.Struct, kw_only=True):
    id: int
    held_at: datetime
    grade: str
    grade_label: str
    attendees: list[str]
    record: str
    decisions: list[str]
    next_review_by: datetime
    by: str


class TeamView(msgspec.Struct, kw_only=True):
    id: int
    case_id: int
    grade: str
    grade_label: str
    lead: str
    officer: str
    holders: list[Holder]
    reviews: list[Review]
    next_review_by: datetime
    review_overdue: bool
    lead_label: str
    officer_label: str
    holder_label: str


def _rules(region: Region) -> TeamRules:
    return config(region).teams


def _grade(rules: TeamRules, code: str) -> None:
    try:
        rules.grade(code)
    except KeyError:
        known = "、".join(f"{g.code}（{g.label}）" for g in rules.grades)
        raise Invalid("grade", f"研判等级应为 {known} 之一") from None


def _case(conn: Connection, actor: Actor, region: Region, case_id: int) -> dict[str, Any]:
    case = fetch_one(conn, cases, "case", case_id, id=case_id)
    if case["region_id"] != region.id or case["area_code"] not in area_codes(actor, region.info):
        raise NotFound("case", case_id)
    return case


def _holders(
    conn: Connection, region: Region, holders: dict[int, str], rules: TeamRules, grade: str
) -> None:
    need = rules.grade(grade).min_resource_holders
    if len(holders) < need:
        raise Invalid(
            "holders",
            f"「{GRADE_LABELS[grade]}」个案须有至少 {need} 名{rules.holder_label}（1+1+N）",
        )
    if holders:
        found = {
            int(i)
            for (i,) in conn.execute(
                select(resources.c.id).where(
                    resources.c.id.in_(sorted(holders)),
                    resources.c.region_id == region.id,
                    resources.c.kind != "sentinel",
                )
            )
        }
        missing = sorted(set(holders) - found)
        if missing:
            raise Invalid("holders", f"资源库中没有这些资源方：{missing}")


def form_team(
    svc: Services,
    actor: Actor,
    case_id: int,
    lead: str,
    officer: str,
    holders: dict[int, str],
    grade: str = "general",
) -> TeamView:
    """Form the case's team (one per case). ``holders``: resource id → its representative."""
    actor.require("team.manage")
    region = svc.region(actor.region_id)
    rules = _rules(region)
    _grade(rules, grade)
    if not lead.strip():
        raise Invalid("lead", f"请填写{rules.lead_label}")
    if not officer.strip():
        raise Invalid("officer", f"请填写{rules.officer_label}")
    with svc.transaction() as conn:
        case = _case(conn, actor, region, case_id)
        if case["status"] == "exited":
            raise Refused("case_exited", "该档案已退出，不能组建个案团队")
        if conn.execute(select(teams.c.id).where(teams.c.case_id == case_id)).first():
            raise Refused("team_exists", f"档案 {case_id} 已有个案团队")
        _holders(conn, region, holders, rules, grade)
        pk = conn.execute(
            teams.insert().values(
                region_id=region.id,
                case_id=case_id,
                grade=grade,
                lead=lead.strip()[:60],
                officer=officer.strip()[:60],
                created_at=svc.now(),
                created_by=actor.username,
            )
        ).inserted_primary_key
        assert pk is not None
        if holders:
            conn.execute(
                team_holders.insert(),
                [
                    {"team_id": pk[0], "resource_id": rid, "representative": rep.strip()[:60]}
                    for rid, rep in sorted(holders.items())
                ],
            )
        append_event(
            svc,
            conn,
            region,
            case_id,
            actor.username,
            "team.formed",
            grade=grade,
            lead=lead.strip(),
            officer=officer.strip(),
            holders=sorted(holders),
        )
    return get_team(svc, actor, case_id)


def review(
    svc: Services,
    actor: Actor,
    case_id: int,
    attendees: list[str],
    record: str,
    decisions: list[str],
    grade: str | None = None,
) -> TeamView:
    """Record a review meeting (分级研判): attendees, the record, decisions; it may regrade
    the case. The next review is due by the new grade's interval."""
    actor.require("team.manage")
    region = svc.region(actor.region_id)
    rules = _rules(region)
    attendees = [a.strip()[:60] for a in attendees if a.strip()]
    decisions = [d.strip()[:500] for d in decisions if d.strip()]
    if len(attendees) < 2:
        raise Invalid("attendees", "研判会议须至少记录2名参会人员")
    if not record.strip():
        raise Invalid("record", "请填写会议记录")
    if not decisions:
        raise Invalid("decisions", "请至少记录一项研判决定")
    with svc.transaction() as conn:
        _case(conn, actor, region, case_id)
        team = fetch_one(conn, teams, "team", case_id, lock=True, case_id=case_id)
        new_grade = grade or team["grade"]
        _grade(rules, new_grade)
        holders = {
            int(r): ""
            for (r,) in conn.execute(
                select(team_holders.c.resource_id).where(team_holders.c.team_id == team["id"])
            )
        }
        if new_grade != team["grade"]:
            _holders(conn, region, holders, rules, new_grade)
            conn.execute(teams.update().where(teams.c.id == team["id"]).values(grade=new_grade))
        now = svc.now()
        conn.execute(
            reviews.insert().values(
                team_id=team["id"],
                held_at=now,
                grade=new_grade,
                attendees=attendees,
                record=record.strip()[:4000],
                decisions=decisions,
                next_review_by=now + timedelta(days=rules.grade(new_grade).review_days),
                by=actor.username,
            )
        )
        append_event(
            svc,
            conn,
            region,
            case_id,
            actor.username,
            "team.reviewed",
            grade=new_grade,
            previous_grade=team["grade"],
            decisions=decisions,
        )
    return get_team(svc, actor, case_id)


def get_team(svc: Services, actor: Actor, case_id: int) -> TeamView:
    if not actor.can("case.read"):
        actor.require("team.manage")
    region = svc.region(actor.region_id)
    rules = _rules(region)
    with svc.reading() as conn:
        _case(conn, actor, region, case_id)
        team = fetch_one(conn, teams, "team", case_id, case_id=case_id)
        hs = [
            Holder(
                resource_id=r["resource_id"],
                name=r["name"],
                kind=r["kind"],
                representative=r["representative"],
            )
            for r in conn.execute(
                select(team_holders, resources.c.name, resources.c.kind)
                .join(resources, resources.c.id == team_holders.c.resource_id)
                .where(team_holders.c.team_id == team["id"])
                .order_by(resources.c.code)
            ).mappings()
        ]
        rs = [
            Review(
                id=r["id"],
                held_at=r["held_at"],
                grade=r["grade"],
                grade_label=GRADE_LABELS[r["grade"]],
                attendees=list(r["attendees"]),
                record=r["record"],
                decisions=list(r["decisions"]),
                next_review_by=r["next_review_by"],
                by=r["by"],
            )
            for r in conn.execute(
                select(reviews).where(reviews.c.team_id == team["id"]).order_by(reviews.c.id)
            ).mappings()
        ]
    grade = rules.grade(team["grade"])
    due = rs[-1].next_review_by if rs else team["created_at"] + timedelta(days=grade.review_days)
    return TeamView(
        id=team["id"],
        case_id=case_id,
        grade=team["grade"],
        grade_label=GRADE_LABELS[team["grade"]],
        lead=team["lead"],
        officer=team["officer"],
        holders=hs,
        reviews=rs,
        next_review_by=due,
        review_overdue=due < svc.now(),
        lead_label=rules.lead_label,
        officer_label=rules.officer_label,
        holder_label=rules.holder_label,
    )


def list_teams(svc: Services, actor: Actor) -> list[dict[str, Any]]:
    """Teams of the actor's area: case, grade, lead, officer (for the team page)."""
    actor.require("team.manage")
    region = svc.region(actor.region_id)
    with svc.reading() as conn:
        return [
            {**plain(r), "grade_label": GRADE_LABELS[r["grade"]]}
            for r in conn.execute(
                select(teams)
                .join(cases, cases.c.id == teams.c.case_id)
                .where(
                    teams.c.region_id == region.id,
                    cases.c.area_code.in_(area_codes(actor, region.info)),
                )
                .order_by(teams.c.id.desc())
                .limit(200)
            ).mappings()
        ]
