"""Time a bulk import of generated persons: dry run, --apply, and a second --apply of the
same file (idempotent: nothing written).

    python benchmarks/import_bench.py --rows 100000                      # SQLite file
    python benchmarks/import_bench.py --rows 100000 --format xlsx
    python benchmarks/import_bench.py --rows 100000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_bench

The database's schema is dropped and recreated first (PostgreSQL: the URL's database must
be a scratch one). Prints seconds per phase; the target is under a minute per phase for
100,000 rows.
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from jiuzhu.core import idcard
from jiuzhu.core.access import system_actor
from jiuzhu.core.facts import GROUPS
from jiuzhu.core.plugins import load_regions, make_plugin_manager
from jiuzhu.core.services import Services
from jiuzhu.core.storage import migrate
from jiuzhu.core.storage.engine import make_engine
from jiuzhu.core.storage.tables import persons
from jiuzhu.plugins.exchange.importer import run_import
from jiuzhu.plugins.exchange.reader import read_path
from jiuzhu.plugins.exchange.report import write_error_workbook

HEADERS = ["身份证号", "姓名", "性别", "区划代码", "救助类别", "残疾等级", "家庭人均月收入（元）"]


def roster(rows: int, areas: list[str], seed: int = 1) -> list[list[str]]:
    rnd = random.Random(seed)
    out = []
    for i in range(rows):
        area = areas[i % len(areas)]
        born = date(1940, 1, 1) + timedelta(days=rnd.randrange(0, 365 * 80))
        number = idcard.make(area[:6], born, i)
        # serial i % 1000 repeats: make each number unique through the birth day too
        out.append(
            [
                number,
                f"对象{i}",
                rnd.choice(("男", "女")),
                area,
                "、".join(rnd.sample(GROUPS[:6], rnd.randint(1, 2))),
                rnd.choice(("", "1级", "2级", "3级")),
                f"{rnd.randint(0, 200000) / 100:.2f}",
            ]
        )
    unique = {r[0]: r for r in out}  # a repeated number (same area, day, serial) once
    return list(unique.values())


def write(rows: list[list[str]], fmt: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        path = folder / "persons.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows([HEADERS, *rows])
        return path
    from openpyxl import Workbook

    path = folder / "persons.xlsx"
    book = Workbook(write_only=True)
    ws = book.create_sheet("persons")
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    book.save(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    ap.add_argument("--region", default="ordos")
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="import-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    pm = make_plugin_manager()
    regions = load_regions(pm)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(engine, pm)
    svc = Services(engine=engine, regions=regions)
    region = regions.get(args.region)
    actor = system_actor(region.id, region.info.code, "bench")
    areas = [a.code for a in region.info.areas] or [region.info.code]
    rows = roster(args.rows, areas)
    path = write(rows, args.format, folder)
    print(f"{len(rows)} rows, {args.format}, {engine.dialect.name}")

    def phase(name: str, apply: bool) -> None:
        t0 = time.perf_counter()
        sheet = read_path(path)
        t1 = time.perf_counter()
        outcome = run_import(svc, actor, "persons", region.id, sheet, apply=apply)
        t2 = time.perf_counter()
        assert not outcome.problems, outcome.problems[:3]
        print(
            f"{name:14} read {t1 - t0:5.1f}s  check+write {t2 - t1:5.1f}s  "
            f"total {t2 - t0:5.1f}s  ({outcome.summary()})"
        )

    # a roster with a mistake in every 100th row: the dry run writes the error workbook
    bad = [list(r) for r in rows]
    for r in bad[::100]:
        r[3] = "999999"
    bad_path = write(bad, args.format, folder / "bad") if bad else path
    t0 = time.perf_counter()
    outcome = run_import(svc, actor, "persons", region.id, read_path(bad_path))
    t1 = time.perf_counter()
    write_error_workbook(outcome, folder / "问题.xlsx")
    t2 = time.perf_counter()
    print(
        f"{'with mistakes':14} read+check {t1 - t0:5.1f}s  error workbook {t2 - t1:5.1f}s  "
        f"total {t2 - t0:5.1f}s  ({outcome.summary()})"
    )
    phase("dry run", False)
    phase("apply", True)
    phase("apply again", True)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(persons)).scalar_one()
    assert n == len(rows), (n, len(rows))
    print(f"persons in the database: {n}")


if __name__ == "__main__":
    main()
