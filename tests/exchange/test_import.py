"""Bulk import: every bad cell reported with its row and column, all rows or none,
idempotent re-runs, updates recorded as case events, every encoding and format."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from jiuzhu.core import idcard
from jiuzhu.core.access import Role
from jiuzhu.core.base import Refused
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import open_case
from jiuzhu.core.services.people import find_person
from jiuzhu.core.storage.tables import case_events, households, persons, providers, workers
from jiuzhu.plugins.exchange.importer import run_import
from jiuzhu.plugins.exchange.reader import FileProblem, read_bytes
from tests.conftest import actor_for

from .helpers import (
    BAD_CELLS,
    PERSON_HEADERS,
    counts,
    person_row,
    sheet,
    to_csv,
    to_xlsx,
)

REGION = "ordos"
EXAMPLES = itertools.count()


def areas(regions: Regions) -> list[str]:
    return [a.code for a in regions.get(REGION).info.areas]


def admin(regions: Regions):
    return actor_for(regions, REGION)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    n=st.integers(1, 6),
    bad=st.sets(st.tuples(st.integers(0, 5), st.sampled_from(sorted(BAD_CELLS))), max_size=8),
    fmt=st.sampled_from(["csv-utf8", "csv-gbk", "xlsx"]),
)
def test_every_bad_cell_is_reported_and_nothing_is_written(
    svc: Services, regions: Regions, n: int, bad: set[tuple[int, str]], fmt: str
) -> None:
    codes = areas(regions)
    born = date(1940, 1, 1) + timedelta(days=next(EXAMPLES))  # fresh numbers per example
    rows = [person_row(i, codes[i % len(codes)], born) for i in range(n)]
    expected = set()
    for r, header in bad:
        if r < n:
            rows[r][PERSON_HEADERS.index(header)] = BAD_CELLS[header]
            expected.add((r + 2, header))
    if fmt == "xlsx":
        data = to_xlsx(PERSON_HEADERS, rows)
    else:
        data = to_csv(PERSON_HEADERS, rows, "gbk" if fmt == "csv-gbk" else "utf-8-sig")
    before = counts(svc.engine)
    outcome = run_import(
        svc, admin(regions), "persons", REGION, read_bytes(data, "r." + fmt[:4]), apply=True
    )
    assert {(p.row, p.column) for p in outcome.problems} == expected
    assert all(p.message for p in outcome.problems)
    assert outcome.applied == (not expected)
    after = counts(svc.engine)
    if expected:
        assert after == before  # nothing written, not even the audit row
    else:
        assert after["persons"] == before["persons"] + n
        assert outcome.new == n


def test_apply_then_rerun_changes_nothing(svc: Services, regions: Regions) -> None:
    codes = areas(regions)
    rows = [person_row(i, codes[0]) for i in range(5)]
    first = run_import(
        svc, admin(regions), "persons", REGION, sheet(PERSON_HEADERS, rows), apply=True
    )
    assert (first.new, first.updated, first.applied) == (5, 0, True)
    before = counts(svc.engine)
    again = run_import(
        svc, admin(regions), "persons", REGION, sheet(PERSON_HEADERS, rows), apply=True
    )
    assert (again.new, again.updated, again.unchanged, again.applied) == (0, 0, 5, False)
    assert counts(svc.engine) == before
    person = find_person(svc, REGION, rows[1][0])
    assert person is not None
    assert person.groups == ["低保", "残疾"] and person.income_per_capita_fen == 3750
    assert person.birth_date == date(1958, 3, 4) and person.hukou_area_code == "110101"


def test_an_update_is_an_event_on_the_open_case(svc: Services, regions: Regions) -> None:
    codes = areas(regions)
    rows = [person_row(i, codes[0]) for i in range(2)]
    actor = admin(regions)
    run_import(svc, actor, "persons", REGION, sheet(PERSON_HEADERS, rows), apply=True)
    person = find_person(svc, REGION, rows[0][0])
    assert person is not None
    case = open_case(svc, actor, person.id)
    rows[0][6] = "低保边缘"
    rows[0][1] = "新名字"
    outcome = run_import(svc, actor, "persons", REGION, sheet(PERSON_HEADERS, rows), apply=True)
    assert (outcome.new, outcome.updated, outcome.unchanged) == (0, 1, 1)
    with svc.engine.connect() as conn:
        events = conn.execute(
            select(case_events).where(
                case_events.c.case_id == case.id, case_events.c.kind == "person.updated"
            )
        ).all()
    assert len(events) == 1
    detail = events[0].detail
    assert detail["changes"]["groups"] == [["特困"], ["低保边缘"]]
    assert detail["changes"]["name"] == ["对象0", "新名字"]
    assert "第2行" in events[0].reason


def test_columns_absent_from_the_file_are_left_alone(svc: Services, regions: Regions) -> None:
    codes = areas(regions)
    rows = [person_row(1, codes[0])]
    run_import(svc, admin(regions), "persons", REGION, sheet(PERSON_HEADERS, rows), apply=True)
    slim = sheet(["id_number", "name", "area_code"], [[rows[0][0], "对象1", codes[0]]])
    outcome = run_import(svc, admin(regions), "persons", REGION, slim, apply=True)
    assert (outcome.unchanged, outcome.updated) == (1, 0)
    person = find_person(svc, REGION, rows[0][0])
    assert person is not None and person.groups == ["低保", "残疾"]


def test_headers_in_english_and_problems_of_the_file(svc: Services, regions: Regions) -> None:
    codes = areas(regions)
    ok = sheet(
        ["ID_Number", "Name", "area_code", "groups"],
        [[idcard.make(codes[0], date(1990, 1, 1), 7), "甲", codes[0], "低保"]],
    )
    assert not run_import(svc, admin(regions), "persons", REGION, ok).problems
    missing = sheet(["姓名", "姓名 "], [["甲", "乙"]])
    outcome = run_import(svc, admin(regions), "persons", REGION, missing)
    messages = [p.message for p in outcome.problems]
    assert any("缺少必填列“身份证号”" in m for m in messages)
    assert any("重复" in m for m in messages)
    assert all(p.row == 1 for p in outcome.problems)


def test_duplicates_scope_and_area_changes(svc: Services, regions: Regions) -> None:
    codes = areas(regions)
    a, b = codes[0], codes[1]
    rows = [person_row(1, a), person_row(1, a)]
    outcome = run_import(svc, admin(regions), "persons", REGION, sheet(PERSON_HEADERS, rows))
    assert [(p.row, p.column) for p in outcome.problems] == [(3, "身份证号")]
    # an officer of area b may not register people in area a
    officer = actor_for(regions, REGION, Role.ADMIN, area_code=b)
    outcome = run_import(svc, officer, "persons", REGION, sheet(PERSON_HEADERS, [rows[0]]))
    assert [(p.row, p.column) for p in outcome.problems] == [(2, "区划代码")]
    run_import(svc, admin(regions), "persons", REGION, sheet(PERSON_HEADERS, [rows[0]]), apply=True)
    moved = list(rows[0])
    moved[3] = b
    outcome = run_import(svc, admin(regions), "persons", REGION, sheet(PERSON_HEADERS, [moved]))
    assert [(p.row, p.column) for p in outcome.problems] == [(2, "区划代码")]
    # registered outside the officer's area: the same answer as the API, naming nothing
    outcome = run_import(svc, officer, "persons", REGION, sheet(PERSON_HEADERS, [moved]))
    assert outcome.problems[0].column == "身份证号" and "管辖范围" in outcome.problems[0].message


def test_who_may_import(svc: Services, regions: Regions) -> None:
    rows = [person_row(1, areas(regions)[0])]
    with pytest.raises(Refused):
        run_import(
            svc,
            actor_for(regions, REGION, Role.CLERK),
            "persons",
            REGION,
            sheet(PERSON_HEADERS, rows),
        )
    with pytest.raises(Refused):
        run_import(
            svc, actor_for(regions, "changji"), "persons", REGION, sheet(PERSON_HEADERS, rows)
        )


def test_unreadable_files_are_named_not_tracebacks() -> None:
    with pytest.raises(FileProblem, match="xlsx"):
        read_bytes(b"PK\x03\x04 not really a zip", "a.xlsx")
    with pytest.raises(FileProblem, match="表头"):
        read_bytes(b"", "a.csv")
    with pytest.raises(FileProblem, match=r"\.xls"):
        read_bytes(b"\xd0\xcf\x11\xe0", "old.xls")


def test_households_providers_and_workers(svc: Services, regions: Regions) -> None:
    codes = areas(regions)
    actor = admin(regions)
    people = [person_row(i, codes[0]) for i in range(4)]
    run_import(svc, actor, "persons", REGION, sheet(PERSON_HEADERS, people), apply=True)
    head, spouse, child, other = (r[0] for r in people)
    hh = ["户主身份证号", "成员身份证号", "与户主关系", "区划代码", "住址"]
    rows = [
        [head, head, "户主", codes[0], "东胜区某街1号"],
        [head, spouse, "配偶", "", ""],
        [head, child, "子女", "", ""],
    ]
    outcome = run_import(svc, actor, "households", REGION, sheet(hh, rows), apply=True)
    assert (outcome.new, outcome.problems) == (1, [])
    with svc.engine.connect() as conn:
        home = conn.execute(select(households)).one()
        members = conn.execute(
            select(persons.c.relation).where(persons.c.household_id == home.id)
        ).scalars()
        assert sorted(members) == ["子女", "户主", "配偶"]
    assert home.size == 3 and home.address == "东胜区某街1号"
    again = run_import(svc, actor, "households", REGION, sheet(hh, rows), apply=True)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    bad = [
        [head, spouse, "户主", "", ""],
        [head, "150602199001010000", "子女", "", ""],
        [other, other, "户主", "999999", ""],
    ]
    outcome = run_import(svc, actor, "households", REGION, sheet(hh, bad), apply=True)
    assert {(p.row, p.column) for p in outcome.problems} == {
        (2, "与户主关系"),
        (3, "成员身份证号"),
        (4, "区划代码"),
    }

    ph = ["机构名称", "区划代码"]
    prov = [["凯霖社会工作服务中心", codes[0]], ["汇同社工", codes[1]]]
    outcome = run_import(svc, actor, "providers", REGION, sheet(ph, prov), apply=True)
    assert outcome.new == 2
    assert run_import(svc, actor, "providers", REGION, sheet(ph, prov), apply=True).unchanged == 2
    wh = ["机构名称", "姓名", "联系电话", "资质"]
    wk = [
        ["凯霖社会工作服务中心", "王社工", "13800000001", "社工师、护理员"],
        ["汇同社工", "李护工", "", ""],
        ["不存在的机构", "赵", "", ""],
        ["汇同社工", "钱", "电话", ""],
    ]
    outcome = run_import(svc, actor, "workers", REGION, sheet(wh, wk), apply=True)
    assert {(p.row, p.column) for p in outcome.problems} == {(4, "机构名称"), (5, "联系电话")}
    outcome = run_import(svc, actor, "workers", REGION, sheet(wh, wk[:2]), apply=True)
    assert outcome.new == 2
    wk[0][3] = "社工师"
    outcome = run_import(svc, actor, "workers", REGION, sheet(wh, wk[:2]), apply=True)
    assert (outcome.updated, outcome.unchanged) == (1, 1)
    with svc.engine.connect() as conn:
        assert conn.execute(
            select(workers.c.qualifications).where(workers.c.name == "王社工")
        ).scalar() == ["社工师"]
        assert len(conn.execute(select(providers)).all()) == 2


def test_a_failed_apply_changes_no_one(svc: Services, regions: Regions) -> None:
    codes = areas(regions)
    actor = admin(regions)
    rows = [person_row(i, codes[0]) for i in range(3)]
    run_import(svc, actor, "persons", REGION, sheet(PERSON_HEADERS, rows), apply=True)
    person = find_person(svc, REGION, rows[0][0])
    assert person is not None
    open_case(svc, actor, person.id)
    before = counts(svc.engine)
    rows[0][1] = "改过的名字"  # an update of a person with an open case
    rows.append(person_row(7, codes[0]))  # a new person
    rows[2][PERSON_HEADERS.index("残疾等级")] = BAD_CELLS["残疾等级"]  # and one mistake
    outcome = run_import(svc, actor, "persons", REGION, sheet(PERSON_HEADERS, rows), apply=True)
    assert not outcome.applied and [(p.row, p.column) for p in outcome.problems] == [
        (4, "残疾等级")
    ]
    assert counts(svc.engine) == before
    unchanged = find_person(svc, REGION, rows[0][0])
    assert unchanged is not None and unchanged.name == person.name


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    n=st.integers(1, 5),
    bad=st.sets(
        st.tuples(st.integers(0, 4), st.sampled_from(["机构名称", "区划代码", "姓名", "联系电话"])),
        max_size=6,
    ),
)
def test_every_bad_provider_and_worker_cell_is_reported(
    svc: Services, regions: Regions, n: int, bad: set[tuple[int, str]]
) -> None:
    actor = admin(regions)
    tag = next(EXAMPLES)
    area = areas(regions)[0]
    providers_rows = [[f"机构{tag}-{i}", area] for i in range(n)]
    workers_rows = [[f"机构{tag}-{i}", f"社工{i}", f"1390000{i:04d}"] for i in range(n)]
    expected_p, expected_w = set(), set()
    for r, column in bad:
        if r >= n:
            continue
        if column == "机构名称":
            providers_rows[r][0] = "长" * 101
            expected_p.add((r + 2, column))
            workers_rows[r][0] = "没有这个机构"
            expected_w.add((r + 2, column))
        elif column == "区划代码":
            providers_rows[r][1] = "999999"
            expected_p.add((r + 2, column))
        elif column == "姓名":
            workers_rows[r][1] = ""
            expected_w.add((r + 2, column))
        else:
            workers_rows[r][2] = "电话号码"
            expected_w.add((r + 2, column))
    before = counts(svc.engine)
    p = run_import(
        svc, actor, "providers", REGION, sheet(["机构名称", "区划代码"], providers_rows), apply=True
    )
    assert {(x.row, x.column) for x in p.problems} == expected_p
    assert p.applied == (not expected_p)
    if expected_p:
        assert counts(svc.engine) == before
        return
    before = counts(svc.engine)
    w = run_import(
        svc, actor, "workers", REGION, sheet(["机构名称", "姓名", "联系电话"], workers_rows),
        apply=True,
    )  # fmt: skip
    assert {(x.row, x.column) for x in w.problems} == expected_w
    assert (counts(svc.engine) == before) == bool(expected_w)
