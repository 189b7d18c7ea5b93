"""Every region's warning rules over one set of feeds (issue point 7, for the comparison).

The shipped regions name the same kinds of department data alike (``medical`` with
``out_of_pocket_fen``, ``income`` with ``income_fen``, ``psych`` with ``score`` …), so one
set of feed files is read once per region against that region's own feed kinds and run
through its rules: how many people each model would find, and how many of them beyond
those who already applied. A rule whose feed is not given finds nobody.

    from jiuzhu.plugins.monitoring.comparison import compare_rules
    counts = compare_rules(regions, {"medical": Path("医保.csv")}, applied={"3716…"})
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date
from pathlib import Path

import msgspec
import numpy as np

from jiuzhu.core.plugins import Regions
from jiuzhu.core.regions import Region

from . import feeds as feedfile
from .config import Monitoring
from .rules import Hits, evaluate, rule_kinds
from .service import frames


class RuleCount(msgspec.Struct, kw_only=True):
    region_id: str
    rule: str
    name: str
    level: str
    flagged: int  # people the rule finds
    beyond_applicants: int  # of them, people not among those who applied
    illustrative: bool


def region_rows(
    region: Region, monitoring: Monitoring, files: Mapping[str, Path], today: date
) -> list[dict[str, object]]:
    """The files read against the region's feed kinds of the same code (others skipped);
    a file with a bad cell for this region raises FeedRefused naming it."""
    rows: list[dict[str, object]] = []
    areas = [region.info.code, *(a.code for a in region.info.areas)]
    for code, path in files.items():
        try:
            kind = monitoring.kind(code)
        except KeyError:
            continue
        table = feedfile.read_table(path.name, path.read_bytes())
        parsed = feedfile.parse(kind, table, areas, today, other_columns=True)
        if parsed.problems:
            raise feedfile.FeedRefused(f"{path} ({region.id})", parsed.problems)
        for number, values in parsed.rows:
            on = values.get(kind.date) if kind.date else None
            rows.append(
                {
                    "id": len(rows) + 1,
                    "kind": code,
                    "id_number": values[kind.person],
                    "on_date": on,
                    "data": values,
                    "row_no": number,
                }
            )
    return rows


def compare_rules(
    regions: Regions | Iterable[Region],
    files: Mapping[str, Path],
    applied: Collection[str] = (),
    today: date | None = None,
) -> list[RuleCount]:
    """Per region with monitoring.toml and per warning rule (helpers left out): how many
    people of the feeds it flags, and how many of those are not in ``applied`` (ID
    numbers of people who applied)."""
    today = today or date.today()
    pm = regions.pm if isinstance(regions, Regions) else None
    kinds = rule_kinds(pm)
    out: list[RuleCount] = []
    for region in regions:
        monitoring = region.section("monitoring", Monitoring)
        if monitoring is None:
            continue
        rows = region_rows(region, monitoring, files, today)
        subjects: list[str] = []
        results: dict[str, Hits] = {}
        if rows:
            subjects, data = frames(monitoring, rows)
            results = evaluate(monitoring, data, kinds)
        known = np.array([s in applied for s in subjects], dtype=bool)
        for rule in monitoring.rules:
            if rule.helper:
                continue
            hits = results.get(rule.code)
            flagged = hits.flagged if hits is not None else np.zeros(0, dtype=bool)
            out.append(
                RuleCount(
                    region_id=region.id,
                    rule=rule.code,
                    name=rule.name,
                    level=rule.level,
                    flagged=int(flagged.sum()),
                    beyond_applicants=int((flagged & ~known[: len(flagged)]).sum()),
                    illustrative=rule.illustrative,
                )
            )
    return out
