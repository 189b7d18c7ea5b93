"""A third party writes a time-floor region without touching jiuzhu: a plugin built and
pip-installed from a temporary folder brings its own entitlement rule (minutes owed each
month, a floor: never a refusal), its own region file (care_floor.toml) and a region; an
order, visits and a month's shortfall then run through the unchanged core, in a separate
process that finds the plugin by its entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .test_third_party import ORDOS_DATA, pip_install, run_cli

PLUGIN = '''
"""floortown: Ordos's data, no money budget, and a care floor of its own."""

import numpy as np

from jiuzhu.core import hookimpl, region_source
from jiuzhu.core.base import Base
from jiuzhu.core.entitlement import Bucket, Shortfall, item_cost
from jiuzhu.core.rules import Allocation


class CareFloor(Base, frozen=True, kw_only=True):
    """care_floor.toml: minutes and days of home care owed every month."""

    name: str
    minutes: int
    days: int


class MonthlyCare:
    scheme = "care_floor"
    unit = "minutes"
    kind = "floor"
    period = "month"

    def __init__(self, floor):
        self.floor = floor
        self.name = floor.name
        self.label = f"care_floor@{floor.minutes}min/{floor.days}d"

    def buckets(self):
        return [Bucket(name=self.name, cap=self.floor.minutes, min_days=self.floor.days)]

    def allows(self, category):
        return [True]

    def review_stages(self):
        return []

    def review_interval(self):
        return None

    def cost(self, item, quantity, amount_fen):
        return item_cost(self.unit, item, quantity, amount_fen)

    def standing(self, used, reviews):
        used = np.asarray(used, dtype=np.int64).reshape(-1, 1)
        return np.ones_like(used, dtype=np.bool_), np.maximum(self.floor.minutes - used, 0)

    def allocate(self, used, reviews, cost, category, explain=True):
        n = len(np.asarray(cost).reshape(-1))
        return Allocation(tier=np.zeros(n, dtype=np.int64), refusal=[None] * n)

    def shortfall(self, used, days):
        used = np.asarray(used, dtype=np.int64).reshape(-1)
        n = len(used)
        return Shortfall(
            owed=np.full(n, self.floor.minutes, dtype=np.int64),
            served=used,
            days_owed=np.full(n, self.floor.days, dtype=np.int64),
            days=np.asarray(days, dtype=np.int64).reshape(-1),
            unit=self.unit,
        )


@hookimpl
def jiuzhu_register_regions(register):
    register(region_source(__name__, "floortown"))


@hookimpl
def jiuzhu_region_sections(register):
    register("care_floor", CareFloor)


@hookimpl
def jiuzhu_entitlement_rule(region, on, level, people):
    floor = region.section("care_floor", CareFloor)
    return None if floor is None else MonthlyCare(floor)
'''

CARE_FLOOR = """
name = "每月居家照护保障"
minutes = 600   # ten hours a month
days = 4
"""

# Run in a fresh process with the plugin on PYTHONPATH: the whole loop through services.
DRIVER = """
import json, sys
from datetime import UTC, date, datetime

from jiuzhu.core import idcard
from jiuzhu.core.access import access_registry, system_actor
from jiuzhu.core.base import Refused
from jiuzhu.core.domain import NewPerson
from jiuzhu.core.plugins import load_regions, make_plugin_manager
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import grant_entitlement, open_case, record_assessment
from jiuzhu.core.services.entitlements import case_shortfall, close_period
from jiuzhu.core.services.orders import (
    Finish, NewOrder, accept_order, dispatch_order, finish_order, place_order, start_order,
)
from jiuzhu.core.services.people import create_person
from jiuzhu.core.services.providers import create_provider, create_worker
from jiuzhu.core.storage import migrate
from jiuzhu.core.storage.engine import make_engine


class Clock:
    now = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


pm = make_plugin_manager()
regions = load_regions(pm)
region = regions.get("floortown")
engine = make_engine(f"sqlite:///{sys.argv[1]}")
migrate.upgrade(engine, pm)
clock = Clock()
svc = Services(engine=engine, regions=regions, clock=clock)
admin = system_actor("floortown", region.info.code, "third-party")
person = create_person(svc, admin, NewPerson(
    region_id="floortown", id_number=idcard.make("150602", date(1980, 5, 1), 1),
    name="王奶奶", area_code="150602004001", groups=["低保"], disability_grade=4,
))
case = open_case(svc, admin, person.id)
answers = {i.code: 0 for d in region.instrument.domains for i in d.indicators}
record_assessment(svc, admin, case.id, answers)
ent = grant_entitlement(svc, admin, case.id)
provider = create_provider(svc, admin, "floortown", "照护中心", region.info.areas[0].code)
worker_id = create_worker(svc, admin, provider.id, "张社工", ["护理员"]).id
worker = access_registry(pm).actor(
    username="w", role="worker", region_id="floortown", area_code=region.info.code,
    provider_id=provider.id, worker_id=worker_id,
)
refusals = []
# twenty hours ordered against a floor of ten: a floor is owed, never refused
order = place_order(svc, admin, NewOrder(case_id=case.id, item_code="home_care", quantity=20))
dispatch_order(svc, admin, order.id, provider.id)
accept_order(svc, worker, order.id)
steps = list(region.catalogue.item("home_care").standard)
for day, minutes in ((3, 90), (5, 120)):
    clock.now = datetime(2025, 3, day, 2, 0, tzinfo=UTC)
    start_order(svc, worker, order.id)
    signed = Finish(steps_done=steps, signer="王奶奶", minutes=minutes)
    done = finish_order(svc, worker, order.id, signed)
march = case_shortfall(svc, admin, case.id, "2025-03")
clock.now = datetime(2025, 4, 2, 2, 0, tzinfo=UTC)
findings = close_period(svc, admin, "floortown", "2025-03")
again = close_period(svc, admin, "floortown", "2025-03")
print(json.dumps({
    "entitlement": [ent.scheme, ent.unit, ent.kind, ent.period, ent.amount],
    "order": [order.status.value, order.entitlement_id == ent.id, done.status.value],
    "march": [march.owed, march.served, march.short, march.days_owed, march.days, march.days_short],
    "text": march.text,
    "findings": [f.case_id for f in findings],
    "again": len(again),
}, ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def hatchling_available() -> None:
    pytest.importorskip("hatchling")


def write_floortown(root: Path) -> Path:
    module = "jiuzhu_region_floortown"
    pkg = root / module
    pkg.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(f"""
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "jiuzhu-region-floortown"
        version = "1.0.0"

        [project.entry-points.jiuzhu]
        {module} = "{module}"

        [tool.hatch.build.targets.wheel]
        packages = ["{module}"]
    """)
    )
    (pkg / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    shutil.copytree(ORDOS_DATA, pkg / "data")
    (pkg / "data/budget.toml").unlink()  # no money: the care floor is the entitlement
    (pkg / "data/care_floor.toml").write_text(CARE_FLOOR, encoding="utf-8")
    region = (pkg / "data/region.toml").read_text(encoding="utf-8")
    region = region.replace('id = "ordos"', 'id = "floortown"', 1)
    (pkg / "data/region.toml").write_text(region, encoding="utf-8")
    return root


def test_a_time_floor_region_written_out_of_tree(tmp_path: Path, hatchling_available: None):
    site = tmp_path / "site"
    pip_install(write_floortown(tmp_path / "src"), site)
    listed = run_cli(site, "regions", "list")
    assert listed.returncode == 0, listed.stderr
    assert any(ln.startswith("floortown") for ln in listed.stdout.splitlines())
    shown = run_cli(site, "regions", "show", "floortown")
    assert shown.returncode == 0, shown.stderr
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    ran = subprocess.run(
        [sys.executable, str(driver), str(tmp_path / "floortown.db")],
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    out = json.loads(ran.stdout.strip().splitlines()[-1])
    assert out["entitlement"] == ["care_floor", "minutes", "floor", "month", 600]
    # placed beyond the floor (nothing refused), visited twice, still open for more care
    assert out["order"] == ["placed", True, "accepted"]
    # March: 210 of 600 minutes on 2 of 4 days; a finding once, when the month is closed
    assert out["march"] == [600, 210, 390, 4, 2, 2]
    assert out["text"] == "应不少于4天、10小时，实际2天、3.5小时，差2天、6.5小时"
    assert len(out["findings"]) == 1 and out["again"] == 0
