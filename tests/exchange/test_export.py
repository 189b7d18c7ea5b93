"""Exports: scoped and masked like every other door, counted as the statistics count,
audited, written whole or not at all."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from jiuzhu.core import idcard
from jiuzhu.core.access import Role, area_subtree
from jiuzhu.core.base import Invalid, Refused
from jiuzhu.core.demo import load_demo
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.stats import statistics
from jiuzhu.core.storage.tables import audit_log, cases, deliveries, orders, persons, providers
from jiuzhu.plugins.exchange.export import EXPORTS, Filters, Table, export, write_table
from tests.conftest import actor_for

REGION = "ordos"


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture
def demo(svc: Services) -> Services:
    list(load_demo(svc, [REGION]))
    return svc


def test_every_export_in_both_formats_is_audited(
    demo: Services, regions: Regions, tmp_path: Path
) -> None:
    admin = actor_for(regions, REGION)
    with demo.engine.connect() as conn:
        expected = {
            "cases": conn.execute(select(func.count()).select_from(cases)).scalar_one(),
            "orders": conn.execute(select(func.count()).select_from(orders)).scalar_one(),
            "deliveries": conn.execute(select(func.count()).select_from(deliveries)).scalar_one(),
        }
    assert all(expected.values())
    for kind in EXPORTS:
        for fmt in ("csv", "xlsx"):
            path = tmp_path / f"{kind}.{fmt}"
            n = export(demo, admin, kind, REGION, fmt, path)
            if kind in expected:
                assert n == expected[kind], kind
            if fmt == "csv":
                rows = read_csv(path)
            else:
                ws = load_workbook(path, read_only=True).worksheets[0]
                rows = [list(r) for r in ws.iter_rows(values_only=True)]
            assert len(rows) == n + 1
    with demo.engine.connect() as conn:
        audited = conn.execute(
            select(audit_log.c.path, audit_log.c.detail).where(audit_log.c.action == "export")
        ).all()
    assert sorted(a.path for a in audited) == sorted(f"export/{k}" for k in EXPORTS for _ in "ab")
    assert all(a.detail["ids"] == "full" for a in audited)


def test_ids_masked_unless_the_role_may_see_them(
    demo: Services, regions: Regions, tmp_path: Path
) -> None:
    with demo.engine.connect() as conn:
        numbers = set(conn.execute(select(persons.c.id_number)).scalars())
    supervisor = actor_for(regions, REGION, Role.SUPERVISOR)
    out = tmp_path / "cases.csv"
    export(demo, supervisor, "cases", REGION, "csv", out)
    header, *rows = read_csv(out)
    shown = {r[header.index("身份证号")] for r in rows}
    assert shown == {idcard.mask(n) for n in numbers}
    export(demo, actor_for(regions, REGION), "cases", REGION, "csv", out)
    header, *rows = read_csv(out)
    assert {r[header.index("身份证号")] for r in rows} == numbers
    with demo.engine.connect() as conn:
        ids = [d["ids"] for d in conn.execute(select(audit_log.c.detail)).scalars()]
    assert ids[-2:] == ["masked", "full"]
    # a provider's staff see their own orders, no ID number at all; no cases
    with demo.engine.connect() as conn:
        provider_id = conn.execute(select(providers.c.id)).scalar_one()
    staff = actor_for(regions, REGION, Role.PROVIDER_ADMIN, provider_id=provider_id)
    export(demo, staff, "orders", REGION, "csv", out)
    header, *rows = read_csv(out)
    assert rows and all(r[header.index("身份证号")] == "" for r in rows)
    with pytest.raises(Refused):
        export(demo, staff, "cases", REGION, "csv", out)
    with pytest.raises(Refused):
        export(demo, supervisor, "cases", "changji", "csv", out)


def test_area_scope_and_filters(demo: Services, regions: Regions, tmp_path: Path) -> None:
    info = regions.get(REGION).info
    with demo.engine.connect() as conn:
        used = set(conn.execute(select(cases.c.area_code)).scalars())
    other = next(
        a.code
        for a in info.areas
        if a.parent == info.code and not used & area_subtree(info, a.code)
    )
    elsewhere = actor_for(regions, REGION, Role.OFFICER, area_code=other)
    out = tmp_path / "o.csv"
    assert export(demo, elsewhere, "orders", REGION, "csv", out) == 0
    admin = actor_for(regions, REGION)
    assert export(demo, admin, "orders", REGION, "csv", out, Filters(area=other)) == 0
    with pytest.raises(Invalid):
        export(demo, elsewhere, "orders", REGION, "csv", out, Filters(area=info.code))
    today = demo.now().date()
    later = Filters(start=today.replace(year=today.year + 1))
    assert export(demo, admin, "cases", REGION, "csv", out, later) == 0


def test_statistics_match_the_core_statistics(
    demo: Services, regions: Regions, tmp_path: Path
) -> None:
    admin = actor_for(regions, REGION)
    out = tmp_path / "s.csv"
    day = demo.now().date()
    export(demo, admin, "statistics", REGION, "csv", out, Filters(start=day, end=day))
    header, *rows = read_csv(out)
    core = statistics(demo, admin, "area", None, day, day)
    body, total = rows[:-1], rows[-1]
    assert [(r[1], int(r[5])) for r in body] == [(s.key, s.person_times) for s in core.rows]
    assert total[2] == "合计"
    assert int(total[4]) == core.total.persons and int(total[5]) == core.total.person_times
    names = core.funding_names
    for code, fen in core.funding.items():
        column = header.index(f"{names[code]}（元）")
        assert round(float(total[column]) * 100) == fen
        assert round(sum(float(r[column]) for r in body) * 100) == fen  # months add up


def test_a_failed_export_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    target.write_text("the previous export")

    def rows():
        yield [1, "a"]
        raise RuntimeError("database went away")

    for fmt in ("xlsx", "csv"):
        with pytest.raises(RuntimeError):
            write_table(Table("t", ["a", "b"], rows()), fmt, target)
        assert target.read_text() == "the previous export"
        assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]
