"""Regenerate first_release.json: rows written by the first release's own code path.

Run from a checkout of the first release (commit d8b5e72, schema 0001), e.g.:

    git archive d8b5e72 | tar -x -C /tmp/first && cd /tmp/first
    PYTHONPATH=core:plugins:regions python /path/to/make_first_release.py out.json

It walks two Ordos cases through the loop (orders in all three stages, a cancel, a
delivery and a rating, a return visit) and accepts one one-form application in
Shizuishan, then dumps every table as JSON (times in ISO format).
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from jiuzhu.core import idcard
from jiuzhu.core.access import Actor, Role
from jiuzhu.core.domain import NewPerson
from jiuzhu.core.plugins import load_regions, make_plugin_manager
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import grant_entitlement, open_case, record_assessment, record_visit
from jiuzhu.core.services.orders import (
    Finish,
    NewOrder,
    NewRating,
    accept_order,
    cancel_order,
    dispatch_order,
    finish_order,
    place_order,
    rate_order,
    start_order,
)
from jiuzhu.core.services.people import create_person
from jiuzhu.core.services.providers import create_provider, create_worker
from jiuzhu.core.storage import migrate
from jiuzhu.core.storage.engine import make_engine
from jiuzhu.core.storage.tables import metadata

PLUGINS = [
    "eligibility",
    "funding",
    "tiered_budget",
    "traffic_light",
    "one_form",
    "compare",  # reads staffing.toml
]


class Clock:
    now = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=7)
        return self.now


def main(out: Path) -> None:
    import importlib

    plugins = [(n, importlib.import_module(f"jiuzhu.plugins.{n}")) for n in PLUGINS]
    plugins += [
        (r, importlib.import_module(f"jiuzhu.regions.{r}")) for r in ("ordos", "shizuishan")
    ]
    regions = load_regions(make_plugin_manager(entry_points=False, plugins=plugins))
    db = Path(tempfile.mkdtemp()) / "first.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    svc = Services(engine=engine, regions=regions, clock=Clock())
    ordos = regions.get("ordos")
    admin = Actor(username="admin", role=Role.ADMIN, region_id="ordos", area_code="150600")
    provider = create_provider(svc, admin, "ordos", "凯霖社会工作服务中心", "150602")
    worker = create_worker(svc, admin, provider.id, "张社工", ["助理社会工作师"])
    wactor = Actor(
        username="w",
        role=Role.WORKER,
        region_id="ordos",
        area_code="150600",
        provider_id=provider.id,
        worker_id=worker.id,
    )
    item = {i.name: i.code for i in ordos.catalogue.items}
    for n, name in enumerate(("康玉梅", "李建国")):
        person = create_person(
            svc,
            admin,
            NewPerson(
                region_id="ordos",
                id_number=idcard.make("150602", date(1975, 4, 1), 100 + n),
                name=name,
                area_code="150602004001",
                groups=["低保"],
                disability_grade=4,
            ),
        )
        case = open_case(svc, admin, person.id, "入户调研")
        answers = {i.code: 0 for d in ordos.instrument.domains for i in d.indicators}
        record_assessment(svc, admin, case.id, answers)
        grant_entitlement(svc, admin, case.id)
        a = place_order(svc, admin, NewOrder(case_id=case.id, item_code=item["节庆慰问"]))
        b = place_order(svc, admin, NewOrder(case_id=case.id, item_code=item["全屋清洁"]))
        dispatch_order(svc, admin, b.id, provider.id)
        accept_order(svc, wactor, b.id)
        start_order(svc, wactor, b.id)
        finish_order(svc, wactor, b.id, Finish(steps_done=[], confirmed_by=name, minutes=95))
        rate_order(svc, admin, b.id, NewRating(score=5, comment="很好"))
        record_visit(svc, admin, case.id, "review", satisfied=True, notes="第一阶段回访")
        c = place_order(
            svc, admin, NewOrder(case_id=case.id, item_code=item["按摩理疗"], quantity=5)
        )
        if n == 0:
            cancel_order(svc, admin, a.id, "时间冲突")
        record_visit(svc, admin, case.id, "return", satisfied=True, order_id=b.id)
        _ = c
    szs = regions.get("shizuishan")
    clerk = Actor(
        username="clerk", role=Role.ADMIN, region_id="shizuishan", area_code=szs.info.code
    )
    from jiuzhu.plugins.one_form.service import submit_application

    area = max(szs.info.areas, key=lambda a: len(a.code)).code
    person = create_person(
        svc,
        clerk,
        NewPerson(
            region_id="shizuishan",
            id_number=idcard.make("640202", date(1960, 1, 1), 300),
            name="孙桂芳",
            area_code=area,
            groups=["低保"],
        ),
    )
    from jiuzhu.plugins.one_form.service import policy_list

    plist = policy_list(szs)
    kinds = {"int": 3, "money": 50000, "bool": True, "date": "2025-01-01", "text": "示例"}
    form = {}
    for f in plist.fields:
        if f.code in plist.policy("dibao").fields:
            form[f.code] = f.choices[-1] if f.kind == "choice" else kinds.get(f.kind, "示例")
    form["phone"] = "13900000000"
    submit_application(svc, clerk, "shizuishan", person.id, ["dibao"], form)
    dump: dict[str, list[dict[str, object]]] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            dump[table.name] = [
                {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()}
                for r in rows
            ]
    out.write_text(json.dumps(dump, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
