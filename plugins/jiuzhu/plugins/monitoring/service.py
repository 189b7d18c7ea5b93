"""Loading feeds and raising warnings: the services behind the CLI, the API and the pages.

A load is one unit of work: the load record, every row, and the warnings its data raise
commit together or not at all. A file with any bad cell is refused before anything is
written (``FeedRefused`` names every problem by row and column).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
import numpy as np
from sqlalchemy import Connection, select

from jiuzhu.core.access import Actor, shown_id, shown_values
from jiuzhu.core.base import Refused
from jiuzhu.core.regions import Region
from jiuzhu.core.services import Services, plain
from jiuzhu.core.services.scoped import scoped_area_rows
from jiuzhu.core.storage.tables import persons
from jiuzhu.core.times import local_date, shown

from . import feeds as feedfile
from .config import Monitoring, Rule
from .rules import Data, FeedFrame, Hits, RuleKind, evaluate, rule_kinds
from .tables import feed_loads, feed_rows, signals

CHUNK = 500
LEVEL_ORDER = {"red": 0, "orange": 1, "yellow": 2}
SOURCES = {
    "rule": "预警规则",
    "adviser": "救助顾问",
    "sentinel": "需求哨点",
    "hotline": "热线",
    "application": "主动申请",
}


def monitoring_of(region: Region) -> Monitoring:
    found = region.section("monitoring", Monitoring)
    if found is None:
        raise Refused(
            "monitoring", f"地区「{region.info.name}」未配置动态监测（缺少 monitoring.toml）"
        )
    return found


class LoadResult(msgspec.Struct, kw_only=True):
    load_id: int
    region_id: str
    kind: str
    kind_name: str
    filename: str
    sha256: str
    rows: int
    matched: int
    unregistered: int
    warnings: int
    unregistered_ids: list[str]  # shaped for the actor (masked without id.full)
    exited: list[int] = []  # cases exited on a death record (through the core's exit_case)
    not_exited: list[str] = []  # cases a death record could not close now, and why


def load_feed(
    svc: Services,
    actor: Actor,
    region_id: str,
    kind_code: str,
    filename: str,
    content: bytes,
) -> LoadResult:
    """Check a department's file against its feed kind and load it whole, then run the
    region's warning rules: one unit of work. Refused files raise FeedRefused."""
    actor.require("feeds.load")
    if actor.region_id != region_id:
        raise Refused("access", "只能导入本地区的数据")
    region = svc.region(region_id)
    monitoring = monitoring_of(region)
    try:
        kind = monitoring.kind(kind_code)
    except KeyError:
        known = "、".join(f"{k.code}（{k.name}）" for k in monitoring.kinds)
        raise Refused("feeds.kind", f"「{kind_code}」不是本地区的数据种类；可用：{known}") from None
    kinds = rule_kinds(svc.regions.pm)
    today = local_date(svc.now())
    table = feedfile.read_table(filename, content)
    areas = [region.info.code, *(a.code for a in region.info.areas)]
    parsed = feedfile.parse(kind, table, areas, today)
    if parsed.problems:
        raise feedfile.FeedRefused(filename, parsed.problems)
    digest = hashlib.sha256(content).hexdigest()

    def work(conn: Connection) -> LoadResult:
        now = svc.now()
        before = conn.execute(
            select(feed_loads.c.id, feed_loads.c.loaded_at).where(
                feed_loads.c.region_id == region_id,
                feed_loads.c.kind == kind.code,
                feed_loads.c.sha256 == digest,
            )
        ).first()
        if before is not None:
            raise Refused(
                "feeds.duplicate",
                f"此文件已于{shown(before[1])}导入（导入#{before[0]}），未重复导入",
            )
        numbers = sorted({values[kind.person] for _, values in parsed.rows})
        known = person_ids(conn, region_id, numbers)
        load_id = conn.execute(
            feed_loads.insert().values(
                region_id=region_id,
                kind=kind.code,
                filename=filename[-200:],
                sha256=digest,
                rows=len(parsed.rows),
                matched=0,
                unregistered=0,
                warnings=0,
                loaded_by=actor.username,
                loaded_at=now,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        records = [
            {
                "load_id": load_id,
                "region_id": region_id,
                "kind": kind.code,
                "row_no": number,
                "id_number": values[kind.person],
                "person_id": known.get(values[kind.person]),
                "on_date": date.fromisoformat(values[kind.date])
                if kind.date and values.get(kind.date)
                else None,
                "area_code": (values.get(kind.area) or "") if kind.area else "",
                "data": values,
            }
            for number, values in parsed.rows
        ]
        for start in range(0, len(records), 5000):
            conn.execute(feed_rows.insert(), records[start : start + 5000])
        matched = sum(1 for r in records if r["person_id"] is not None)
        raised = raise_warnings(conn, svc, region, monitoring, kinds, actor.username, numbers)
        if kind.effect == "income" and monitoring.income_line_fen > 0:
            raised += open_exit_reviews(conn, svc, region, monitoring, int(load_id), actor.username)
        conn.execute(
            feed_loads.update()
            .where(feed_loads.c.id == load_id)
            .values(matched=matched, unregistered=len(records) - matched, warnings=raised)
        )
        strangers = sorted({n for n in numbers if n not in known})
        return LoadResult(
            load_id=int(load_id),
            region_id=region_id,
            kind=kind.code,
            kind_name=kind.name,
            filename=filename,
            sha256=digest,
            rows=len(records),
            matched=matched,
            unregistered=len(records) - matched,
            warnings=raised,
            unregistered_ids=[shown_id(actor, n) for n in strangers[:20]],
        )

    result = svc.run(work)
    if kind.effect == "death":
        from .dynamic import apply_deaths

        effects = apply_deaths(svc, actor, result.load_id)
        result.exited, result.not_exited = effects.exited, effects.refused
    return result


EXIT_REVIEW = "exit_review"


def open_exit_reviews(
    conn: Connection,
    svc: Services,
    region: Region,
    monitoring: Monitoring,
    load_id: int,
    by: str,
) -> int:
    """Income above the region's line for a person already served opens an exit review
    (退出复核) in the queue, once while one is open."""
    from .dynamic import income_reviews

    found = income_reviews(conn, region.id, monitoring.income_line_fen, load_id)
    if not found:
        return 0
    open_now = {
        int(pid)
        for (pid,) in conn.execute(
            select(signals.c.person_id).where(
                signals.c.region_id == region.id,
                signals.c.rule == EXIT_REVIEW,
                signals.c.status != "closed",
            )
        )
    }
    people = _people(conn, region.id, sorted({f["id_number"] for f in found}))
    level = monitoring.level("yellow")
    now = svc.now()
    added = 0
    for f in found:
        if f["person_id"] in open_now:
            continue
        person = people[f["id_number"]]
        income = int(f["data"]["income_fen"])
        conn.execute(
            signals.insert().values(
                region_id=region.id,
                area_code=person["area_code"],
                source="rule",
                rule=EXIT_REVIEW,
                rule_name="收入超过标准：退出复核",
                level="yellow",
                person_id=f["person_id"],
                id_number=f["id_number"],
                name=person["name"],
                trigger_row=f["row_id"],
                value=income,
                trigger={
                    "kind": "income",
                    "unit": "money",
                    "value": income,
                    "line": monitoring.income_line_fen,
                    "row": f["data"],
                    "parts": [],
                },
                status="open",
                reported_by=by,
                created_at=now,
                due_at=now + timedelta(hours=level.response_hours),
            )
        )
        open_now.add(f["person_id"])
        added += 1
    return added


def person_ids(conn: Connection, region_id: str, numbers: Sequence[str]) -> dict[str, int]:
    """ID number -> person id of those registered in the region."""
    found: dict[str, int] = {}
    for start in range(0, len(numbers), CHUNK):
        chunk = list(numbers[start : start + CHUNK])
        for number, pid in conn.execute(
            select(persons.c.id_number, persons.c.id).where(
                persons.c.region_id == region_id, persons.c.id_number.in_(chunk)
            )
        ):
            found[number] = int(pid)
    return found


def frames(monitoring: Monitoring, rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], Data]:
    """Feed rows (each with ``id``, ``kind``, ``id_number``, ``on_date``, ``data``) as
    columns over their subjects (the distinct ID numbers, sorted)."""
    subjects, inverse = np.unique(
        np.array([r["id_number"] for r in rows], dtype=object).astype(str), return_inverse=True
    )
    by_kind: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_kind.setdefault(str(r["kind"]), []).append(i)
    out: dict[str, FeedFrame] = {}
    for kind in monitoring.kinds:
        idx = by_kind.get(kind.code, [])
        chosen = [rows[i] for i in idx]
        frame = FeedFrame(
            subject=np.asarray(inverse[idx], dtype=np.int64).reshape(-1),
            day=np.array([_ordinal(r["on_date"]) for r in chosen], dtype=np.int64).reshape(-1),
            row_id=np.array([int(r["id"]) for r in chosen], dtype=np.int64).reshape(-1),
        )
        for col in kind.columns:
            if col.type not in ("int", "money"):
                continue
            raw = [r["data"].get(col.code) for r in chosen]
            frame.values[col.code] = np.array(
                [v if isinstance(v, int) else 0 for v in raw], dtype=np.int64
            ).reshape(-1)
            frame.present[col.code] = np.array(
                [isinstance(v, int) for v in raw], dtype=bool
            ).reshape(-1)
        out[kind.code] = frame
    return [str(s) for s in subjects], Data(subjects=len(subjects), feeds=out)


def _ordinal(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return int(value.toordinal())


def raise_warnings(
    conn: Connection,
    svc: Services,
    region: Region,
    monitoring: Monitoring,
    kinds: Mapping[str, RuleKind],
    by: str,
    numbers: Sequence[str] | None = None,
) -> int:
    """Run every rule over the feed rows of the people ``numbers`` name (every feed, all
    their history: a load's cost follows its size, not the region's history), or of the
    whole region when ``numbers`` is None or large, and add the warnings not yet raised
    (one per rule, person and triggering row; none while the same rule's warning on the
    person is still open). Returns how many were added."""
    used = {r.feed for r in monitoring.rules if r.feed} | {k.code for k in monitoring.kinds}
    query = select(
        feed_rows.c.id,
        feed_rows.c.kind,
        feed_rows.c.id_number,
        feed_rows.c.person_id,
        feed_rows.c.on_date,
        feed_rows.c.area_code,
        feed_rows.c.data,
    ).where(feed_rows.c.region_id == region.id, feed_rows.c.kind.in_(sorted(used)))
    if numbers is not None and len(numbers) <= 5000:
        chunks = [list(numbers[i : i + CHUNK]) for i in range(0, len(numbers), CHUNK)]
        batches = [query.where(feed_rows.c.id_number.in_(c)) for c in chunks]
    else:
        batches = [query]
    rows = [plain(r) for q in batches for r in conn.execute(q).mappings()]
    if not rows or not monitoring.rules:
        return 0
    subjects, data = frames(monitoring, rows)
    results = evaluate(monitoring, data, kinds)
    by_id = {int(r["id"]): r for r in rows}
    open_now = {
        (str(rule), str(number))
        for rule, number in conn.execute(
            select(signals.c.rule, signals.c.id_number).where(
                signals.c.region_id == region.id,
                signals.c.source == "rule",
                signals.c.status != "closed",
            )
        )
    }
    seen = {
        (str(rule), str(number), int(row))
        for rule, number, row in conn.execute(
            select(signals.c.rule, signals.c.id_number, signals.c.trigger_row).where(
                signals.c.region_id == region.id, signals.c.source == "rule"
            )
        )
    }
    flagged_numbers = sorted(
        {
            subjects[i]
            for rule in monitoring.rules
            if not rule.helper
            for i in np.flatnonzero(results[rule.code].flagged)
        }
    )
    people = _people(conn, region.id, flagged_numbers)
    now = svc.now()
    added = 0
    new_rows: list[dict[str, Any]] = []
    for rule in monitoring.rules:
        if rule.helper:
            continue
        hits: Hits = results[rule.code]
        level = monitoring.level(rule.level)
        for i in np.flatnonzero(hits.flagged):
            number = subjects[i]
            row_id = int(hits.row[i])
            if (rule.code, number) in open_now or (rule.code, number, row_id) in seen:
                continue
            row = by_id.get(row_id)
            person = people.get(number)
            area = (
                person["area_code"]
                if person
                else (row["area_code"] if row and row["area_code"] else region.info.code)
            )
            new_rows.append(
                {
                    "region_id": region.id,
                    "area_code": area,
                    "source": "rule",
                    "rule": rule.code,
                    "rule_name": rule.name,
                    "level": rule.level,
                    "person_id": person["id"] if person else None,
                    "id_number": number,
                    "name": person["name"]
                    if person
                    else str((row["data"] if row else {}).get("name") or "")[:60],
                    "trigger_row": row_id,
                    "value": int(hits.value[i]),
                    "trigger": {
                        "kind": rule.kind,
                        "unit": unit_of(monitoring, rule),
                        "value": int(hits.value[i]),
                        "feed": row["kind"] if row else "",
                        "row": row["data"] if row else {},
                        "parts": [p for p in rule.parts() if results[p].flagged[i]],
                    },
                    "status": "open",
                    "reported_by": by,
                    "created_at": now,
                    "due_at": now + timedelta(hours=level.response_hours),
                }
            )
            open_now.add((rule.code, number))
            added += 1
    for start in range(0, len(new_rows), 5000):
        conn.execute(signals.insert(), new_rows[start : start + 5000])
    return added


def _people(conn: Connection, region_id: str, numbers: Sequence[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(numbers), CHUNK):
        chunk = list(numbers[start : start + CHUNK])
        for r in conn.execute(
            select(persons.c.id, persons.c.id_number, persons.c.name, persons.c.area_code).where(
                persons.c.region_id == region_id, persons.c.id_number.in_(chunk)
            )
        ).mappings():
            found[str(r["id_number"])] = plain(r)
    return found


class SignalView(msgspec.Struct, kw_only=True):
    """A warning or lead as one actor may see it (ID numbers masked without id.full)."""

    id: int
    source: str
    source_label: str
    rule: str
    rule_name: str
    level: str
    level_label: str
    person_id: int | None
    registered: bool
    id_number: str
    name: str
    area_code: str
    description: str
    value: int
    trigger: dict[str, Any]
    status: str
    outcome: str
    created_at: datetime
    due_at: datetime
    overdue: bool
    escalated: bool = False


def list_signals(
    svc: Services,
    actor: Actor,
    region_id: str,
    status: str | None = "open",
    level: str | None = None,
    limit: int = 500,
) -> list[SignalView]:
    """The queue (warnings and leads) in the actor's area, most urgent first."""
    if actor.region_id != region_id:
        raise Refused("access", "只能查看本地区的预警")
    region = svc.region(region_id)
    monitoring = monitoring_of(region)
    permission = "warnings.read" if actor.can("warnings.read") else "warnings.visit"
    query = scoped_area_rows(svc, actor, signals, permission)
    if status == "open":
        query = query.where(signals.c.status != "closed")
    elif status:
        query = query.where(signals.c.status == status)
    if level:
        query = query.where(signals.c.level == level)
    query = query.order_by(signals.c.due_at, signals.c.id).limit(limit)
    now = svc.now()
    with svc.reading() as conn:
        rows = [plain(r) for r in conn.execute(query).mappings()]
    return [shown_signal(actor, monitoring, r, now) for r in rows]


def shown_signal(
    actor: Actor, monitoring: Monitoring, r: Mapping[str, Any], now: datetime
) -> SignalView:
    number = str(r["id_number"])
    return SignalView(
        id=int(r["id"]),
        source=r["source"],
        source_label=SOURCES.get(r["source"], r["source"]),
        rule=r["rule"],
        rule_name=r["rule_name"],
        level=r["level"],
        level_label=monitoring.level(r["level"]).label,
        person_id=r["person_id"],
        registered=r["person_id"] is not None,
        id_number=shown_id(actor, number) if number else "",
        name=r["name"],
        area_code=r["area_code"],
        description=str(shown_values(actor, {"d": r["description"]})["d"]),
        value=int(r["value"]),
        trigger=shown_values(actor, r["trigger"] or {}),
        status=r["status"],
        outcome=r["outcome"],
        created_at=r["created_at"],
        due_at=r["due_at"],
        overdue=r["status"] != "closed" and r["due_at"] < now,
        escalated=r.get("escalated_at") is not None,
    )


def unit_of(monitoring: Monitoring, rule: Rule) -> str:
    """What a rule's value counts: money (fen), a number, points or rules."""
    if rule.kind in ("threshold", "window") and rule.feed and rule.column:
        if rule.kind == "window" and rule.agg == "count":
            return "count"
        col = monitoring.kind(rule.feed).column(rule.column)
        return "money" if col.type == "money" else "number"
    if rule.kind == "score":
        return "points"
    if rule.kind in ("all", "any"):
        return "rules"
    return "number"


class LoadView(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    filename: str
    sha256: str
    rows: int
    matched: int
    unregistered: int
    warnings: int
    loaded_by: str
    loaded_at: datetime


def loads(svc: Services, actor: Actor, region_id: str) -> list[LoadView]:
    """Every load of the region, newest first (who, when, which file, how many rows)."""
    actor.require("feeds.load")
    if actor.region_id != region_id:
        raise Refused("access", "只能查看本地区的导入记录")
    with svc.reading() as conn:
        rows = conn.execute(
            select(feed_loads)
            .where(feed_loads.c.region_id == region_id)
            .order_by(feed_loads.c.id.desc())
        ).mappings()
        return [msgspec.convert(plain(r), LoadView, from_attributes=False) for r in rows]


class Count(msgspec.Struct, kw_only=True):
    key: str
    label: str
    count: int


class AreaConversion(msgspec.Struct, kw_only=True):
    area_code: str
    area_name: str
    signals: int
    visited: int
    assisted: int  # a case opened, already served, or sent to apply


class Oversight(msgspec.Struct, kw_only=True):
    """Supervision of 政策找人: the queue by level and rule, response times against the
    deadlines, and conversion from signals to visits to assistance by area."""

    by_level: list[Count]
    by_rule: list[Count]
    by_source: list[Count]
    open: int
    overdue_open: int
    visited: int
    visited_on_time: int
    median_response_hours: float | None
    by_area: list[AreaConversion]


def oversight(svc: Services, actor: Actor, region_id: str) -> Oversight:
    """Counts over the signals in the actor's area (group-by queries; response times from
    the closed signals' own timestamps)."""
    from sqlalchemy import case, func

    if actor.region_id != region_id:
        raise Refused("access", "只能查看本地区的预警")
    region = svc.region(region_id)
    monitoring = monitoring_of(region)
    base = scoped_area_rows(svc, actor, signals, "warnings.read").subquery()
    now = svc.now()
    names = {a.code: a.name for a in region.info.areas} | {region.info.code: region.info.name}
    with svc.reading() as conn:

        def grouped(col: Any) -> list[tuple[str, int]]:
            rows = conn.execute(select(col, func.count()).group_by(col).order_by(col))
            return [(str(k), int(n)) for k, n in rows]

        by_level = grouped(base.c.level)
        by_rule = conn.execute(
            select(base.c.rule_name, func.count())
            .where(base.c.source == "rule")
            .group_by(base.c.rule_name)
            .order_by(func.count().desc())
        ).all()
        by_source = grouped(base.c.source)
        open_, overdue = conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((base.c.due_at < now, 1), else_=0)), 0),
            ).where(base.c.status != "closed")
        ).one()
        closed = conn.execute(
            select(base.c.created_at, base.c.closed_at, base.c.due_at).where(
                base.c.status == "closed"
            )
        ).all()
        assisted = case((base.c.outcome.in_(["open_case", "served", "apply"]), 1), else_=0)
        areas = conn.execute(
            select(
                base.c.area_code,
                func.count(),
                func.sum(case((base.c.status == "closed", 1), else_=0)),
                func.sum(assisted),
            )
            .group_by(base.c.area_code)
            .order_by(base.c.area_code)
        ).all()
    hours = sorted((c.closed_at - c.created_at).total_seconds() / 3600 for c in closed)
    median = hours[len(hours) // 2] if hours else None
    levels: dict[str, str] = {str(lv.code): lv.label for lv in monitoring.levels}
    return Oversight(
        by_level=sorted(
            [Count(key=k, label=levels.get(k, k), count=n) for k, n in by_level],
            key=lambda c: LEVEL_ORDER.get(c.key, 9),
        ),
        by_rule=[Count(key=str(k), label=str(k), count=int(n)) for k, n in by_rule],
        by_source=[Count(key=k, label=SOURCES.get(k, k), count=n) for k, n in by_source],
        open=int(open_),
        overdue_open=int(overdue),
        visited=len(closed),
        visited_on_time=sum(1 for c in closed if c.closed_at <= c.due_at),
        median_response_hours=None if median is None else round(median, 1),
        by_area=[
            AreaConversion(
                area_code=str(code),
                area_name=names.get(str(code), str(code)),
                signals=int(n),
                visited=int(v or 0),
                assisted=int(a or 0),
            )
            for code, n, v, a in areas
        ],
    )
