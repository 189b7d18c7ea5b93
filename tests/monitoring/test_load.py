"""Loading feeds into the database and raising warnings (SQLite and PostgreSQL): a refused
file writes nothing; every load is recorded; rows are matched to people by ID number and
the others kept as unregistered hits; warnings name their rule, data, level and deadline."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from jiuzhu.core import cli as core_cli
from jiuzhu.core.access import Role
from jiuzhu.core.base import Refused
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.people import get_person
from jiuzhu.plugins.monitoring.feeds import FeedRefused
from jiuzhu.plugins.monitoring.service import list_signals, load_feed, loads
from jiuzhu.plugins.monitoring.tables import feed_loads, feed_rows, signals
from tests.conftest import actor_for
from tests.loop.helpers import new_person

from .helpers import csv_bytes, number, xlsx_bytes


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (feed_loads, feed_rows, signals)
        }


def medical(
    id_number: str, out_of_pocket: str, on: str = "2025-02-10", **kw: str
) -> dict[str, str]:
    return {
        "id_number": id_number,
        "name": "某人",
        "discharged_on": on,
        "total_fen": "40000",
        "out_of_pocket_fen": out_of_pocket,
        **kw,
    }


def test_a_load_matches_people_keeps_strangers_and_raises_warnings(
    svc: Services, regions: Regions
) -> None:
    region = regions.get("binzhou")
    officer = actor_for(regions, "binzhou", Role.OFFICER)
    pid = new_person(svc, officer, region)
    known = get_person(svc, officer, pid).id_number
    stranger = number("371621", 901)
    content = csv_bytes(
        region,
        "medical",
        [
            medical(known, "12000"),  # one stay over 10,000 yuan: red
            medical(stranger, "6000", "2025-02-01", area="371621"),
            medical(stranger, "4500", "2025-02-20", area="371621"),  # 10,500 in 30 days: orange
            medical(number("371621", 902), "9999.99"),  # under both: nothing
        ],
        "gbk",
    )
    result = load_feed(svc, officer, "binzhou", "medical", "医保2025-02.csv", content)
    assert (result.rows, result.matched, result.unregistered, result.warnings) == (4, 1, 3, 3)
    assert result.unregistered_ids[0] == number("371621", 901)  # an officer holds id.full

    [record] = loads(svc, officer, "binzhou")
    assert record.loaded_by == officer.username and record.rows == 4 and len(record.sha256) == 64
    assert record.loaded_at == svc.now()

    supervisor = actor_for(regions, "binzhou", Role.SUPERVISOR)
    queue = list_signals(svc, supervisor, "binzhou")
    by_rule = {(s.rule, s.registered): s for s in queue}
    red = by_rule[("large_medical_stay", True)]
    assert red.level == "red" and red.person_id == pid and red.value == 1_200_000
    assert red.due_at == svc.now() + timedelta(hours=24)
    assert red.id_number == known[:6] + "********" + known[-4:]
    assert red.trigger["row"]["id_number"] == red.id_number  # the data shown, masked
    assert red.trigger["unit"] == "money" and red.trigger["feed"] == "medical"
    orange = by_rule[("medical_30_days", False)]
    assert orange.value == 1_050_000 and orange.due_at == svc.now() + timedelta(hours=72)
    assert orange.area_code == "371621" and orange.name == "某人"
    assert ("medical_30_days", True) in by_rule  # the known person's 12,000 too


def test_a_refused_file_writes_nothing_and_names_every_bad_row(
    svc: Services, regions: Regions, engine: Engine
) -> None:
    region = regions.get("binzhou")
    officer = actor_for(regions, "binzhou", Role.OFFICER)
    load_feed(
        svc,
        officer,
        "binzhou",
        "medical",
        "a.csv",
        csv_bytes(region, "medical", [medical(number("371621", 1), "20000")]),
    )
    before = counts(engine)
    bad = csv_bytes(
        region,
        "medical",
        [
            medical(number("371621", 2), "20000"),
            medical("123", "x"),
            medical(number("371621", 3), "1"),
        ],
    )
    with pytest.raises(FeedRefused) as err:
        load_feed(svc, officer, "binzhou", "medical", "b.csv", bad)
    assert [(p.row, p.code) for p in err.value.problems] == [
        (3, "id_number"),
        (3, "out_of_pocket_fen"),
    ]
    assert counts(engine) == before


def test_the_same_file_twice_and_strangers_to_the_region_are_refused(
    svc: Services, regions: Regions, engine: Engine
) -> None:
    region = regions.get("binzhou")
    officer = actor_for(regions, "binzhou", Role.OFFICER)
    content = csv_bytes(region, "medical", [medical(number("371621", 1), "20000")])
    load_feed(svc, officer, "binzhou", "medical", "a.csv", content)
    before = counts(engine)
    with pytest.raises(Refused, match="已于"):
        load_feed(svc, officer, "binzhou", "medical", "again.csv", content)
    with pytest.raises(Refused, match="不是本地区的数据种类"):
        load_feed(svc, officer, "binzhou", "tax", "a.csv", content)
    with pytest.raises(Refused):
        load_feed(
            svc, actor_for(regions, "binzhou", Role.WORKER), "binzhou", "medical", "c.csv", content
        )
    with pytest.raises(Refused):
        load_feed(
            svc, actor_for(regions, "ordos", Role.OFFICER), "binzhou", "medical", "c.csv", content
        )
    assert counts(engine) == before


def test_warnings_are_scoped_to_the_actors_area(svc: Services, regions: Regions) -> None:
    region = regions.get("binzhou")
    officer = actor_for(regions, "binzhou", Role.OFFICER)
    load_feed(
        svc,
        officer,
        "binzhou",
        "medical",
        "a.csv",
        csv_bytes(
            region,
            "medical",
            [
                medical(number("371621", 1), "20000", area="371621"),
                medical(number("371602", 2), "20000", area="371602"),
            ],
        ),
    )
    county = actor_for(regions, "binzhou", Role.OFFICER, area_code="371602")
    assert {s.area_code for s in list_signals(svc, county, "binzhou")} == {"371602"}
    assert len(list_signals(svc, officer, "binzhou")) == 4
    with pytest.raises(Refused):
        list_signals(svc, actor_for(regions, "binzhou", Role.EVALUATOR), "binzhou")


def test_new_data_raises_a_new_warning_only_when_the_old_one_is_closed(
    svc: Services, regions: Regions, engine: Engine
) -> None:
    region = regions.get("binzhou")
    officer = actor_for(regions, "binzhou", Role.OFFICER)
    who = number("371621", 1)
    load_feed(
        svc,
        officer,
        "binzhou",
        "medical",
        "a.csv",
        csv_bytes(region, "medical", [medical(who, "20000")]),
    )
    second = csv_bytes(region, "medical", [medical(who, "30000", "2025-06-01")])
    assert load_feed(svc, officer, "binzhou", "medical", "b.csv", second).warnings == 0
    with engine.begin() as conn:
        conn.execute(signals.update().values(status="closed"))
    third = csv_bytes(region, "medical", [medical(who, "30000", "2025-09-01")])
    assert load_feed(svc, officer, "binzhou", "medical", "c.csv", third).warnings == 2


def test_shizuishan_needs_material_and_psychological_need(svc: Services, regions: Regions) -> None:
    region = regions.get("shizuishan")
    officer = actor_for(regions, "shizuishan", Role.OFFICER)
    both, material_only = number("640202", 1), number("640202", 2)
    income = [
        {"id_number": both, "checked_on": "2025-01-05", "income_fen": "900"},
        {"id_number": material_only, "checked_on": "2025-01-05", "income_fen": "800"},
    ]
    psych = [{"id_number": both, "screened_on": "2025-02-01", "score": "14"}]
    load_feed(svc, officer, "shizuishan", "income", "i.csv", csv_bytes(region, "income", income))
    load_feed(svc, officer, "shizuishan", "psych", "p.csv", xlsx_bytes(region, "psych", psych))
    [warning] = list_signals(svc, officer, "shizuishan")
    assert warning.rule == "multi_dimensional" and warning.level == "red"
    assert warning.trigger["parts"] == ["material_need", "psych_need"]


def test_changji_scores_several_departments(svc: Services, regions: Regions) -> None:
    region = regions.get("changji")
    officer = actor_for(regions, "changji", Role.OFFICER)
    a, b = number("652301", 1), number("652301", 2)
    dis = [
        {"id_number": a, "changed_on": "2025-02-01", "grade": "1"},
        {"id_number": b, "changed_on": "2025-02-01", "grade": "2"},
    ]
    fees = [{"id_number": a, "due_on": "2025-02-15", "arrears_fen": "1200"}]
    load_feed(svc, officer, "changji", "disability", "d.csv", csv_bytes(region, "disability", dis))
    load_feed(
        svc, officer, "changji", "school_fees", "s.csv", csv_bytes(region, "school_fees", fees)
    )
    [warning] = list_signals(svc, officer, "changji")
    assert warning.rule == "departments_score" and warning.value == 3
    assert warning.trigger["unit"] == "points"


def test_cli_loads_reports_bad_rows_and_lists_masked(
    svc: Services, regions: Regions, engine: Engine, tmp_path
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    region = regions.get("binzhou")
    who = number("371621", 7)
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(region, "medical", [medical(who, "12000")], "gbk"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(region, "medical", [medical(who, "1,000")]))

    def run(*args: str):
        return CliRunner().invoke(core_cli.cli, ["--database-url", url, *args])

    refused = run("feeds", "load", "binzhou", "medical", str(bad))
    assert refused.exit_code == 1
    lines = refused.output.strip().splitlines()
    assert lines[0].endswith(
        "第2行「个人自付」列（out_of_pocket_fen）：应为金额（元，非负，至多两位小数），实为「1,000」"
    )
    assert "nothing loaded" in lines[-1]
    loaded = run("feeds", "load", "binzhou", "medical", str(good), "--by", "医保局导入员")
    assert loaded.exit_code == 0, loaded.output
    assert "1 unregistered; 2 new warning(s)" in loaded.output
    assert who not in loaded.output and who[:6] + "********" + who[-4:] in loaded.output
    listed = run("warnings", "list", "--region", "binzhou")
    assert listed.exit_code == 0 and "红色预警" in listed.output and "12,000.00元" in listed.output
    assert who not in listed.output
    as_json = json.loads(run("warnings", "list", "--region", "binzhou", "--format", "json").output)
    assert {w["rule"] for w in as_json} == {"large_medical_stay", "medical_30_days"}
    assert who not in json.dumps(as_json, ensure_ascii=False)
    assert run("warnings", "due", "--region", "binzhou").output == "no re-certification due\n"
    assert (
        run("warnings", "escalate", "--region", "binzhou").output
        == "escalated 0 overdue warning(s)\n"
    )
    history = run("feeds", "list", "binzhou")
    assert "医保局导入员" in history.output and "good.csv" in history.output
