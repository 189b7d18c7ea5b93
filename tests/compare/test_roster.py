"""Rosters: CSV and Excel in, the same people out; bad cells named by row and column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msgspec
import numpy as np
import openpyxl
import pytest

from jiuzhu.core.base import Invalid
from jiuzhu.core.facts import FACT_KINDS, bitmask
from jiuzhu.plugins.compare.kinds import KINDS
from jiuzhu.plugins.compare.population import PopulationSettings, generate
from jiuzhu.plugins.compare.roster import read_roster, write_roster

FACTS = tuple(FACT_KINDS)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    people = generate(PopulationSettings(people=300, seed=17, area_code="150602"))
    path = tmp_path / f"roster{suffix}"
    write_roster(people, path)
    back = read_roster(path)
    assert len(back) == 300
    for fact in FACTS:
        assert np.array_equal(people.population.column(fact), back.population.column(fact)), fact
    assert np.array_equal(people.needs, back.needs)
    types = people.population.extra["disability_type"]
    assert np.array_equal(types, back.population.extra["disability_type"])
    assert back.info.source == "roster" and back.info.roster == path.name
    assert len(back.info.roster_sha256) == 64
    assert back.ids[:2] == ["1", "2"]


def test_chinese_headers_and_yuan(tmp_path: Path) -> None:
    path = tmp_path / "名册.csv"
    path.write_text(
        "编号,年龄,群体,残疾等级,重大疾病,独居,人均月收入（元）,已享服务,需求:助餐,康复\n"
        "A1,45,低保、分散供养特困,4,是,否,512.5,,30,4\n"
        "\n"
        "A2,70,低保边缘,,否,是,,居家养老,,\n",
        encoding="utf-8",
    )
    people = read_roster(path)
    pop = people.population
    assert people.ids == ["A1", "A2"]
    assert pop.age.tolist() == [45, 70]
    assert pop.groups[0] == bitmask("groups", ["低保", "分散供养特困"])
    assert pop.disability_grade.tolist() == [4, 0]
    assert pop.major_illness.tolist() == [True, False]
    assert pop.living_alone.tolist() == [False, True]
    assert pop.income_per_capita_fen.tolist() == [51250, 0]
    assert pop.covered_by[1] == bitmask("covered_by", ["居家养老"])
    assert people.needs[0, KINDS.index("助餐")] == 30
    assert people.needs[0, KINDS.index("康复")] == 4
    assert people.needs[1].sum() == 0


@pytest.mark.parametrize(
    ("rows", "where", "what"),
    [
        ("age,groups\n45,低保\nabc,低保\n", "row 3, column A (age)", "'abc'"),
        ("age,groups\n45,低宝\n", "row 2, column B (groups)", "'低宝'"),
        ("age,disability_grade\n45,7\n", "row 2, column B (disability_grade)", "0 to 4"),
        ("age,living_alone\n45,maybe\n", "row 2, column B (living_alone)", "yes or no"),
        ("age,助餐\n45,-1\n", "row 2, column B (助餐)", "'-1'"),
        ("age,income_per_capita_yuan\n45,1.234\n", "row 2, column B", "yuan"),
        ("age,groups\n,低保\n", "row 2, column A (age)", "required"),
        ("age,height\n45,170\n", "row 1, column B", "unknown column 'height'"),
        ("groups\n低保\n", "row 1", "'age'"),
        ("age,年龄\n1,2\n", "row 1, column B", "repeats column A"),
    ],
)
def test_bad_cells_name_row_and_column(tmp_path: Path, rows: str, where: str, what: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(rows, encoding="utf-8")
    with pytest.raises(Invalid) as err:
        read_roster(path)
    assert where in str(err.value)
    assert what in str(err.value)
    assert "bad.csv" in str(err.value)


def test_bad_cell_in_excel(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["年龄", "群体", "残疾等级"])
    sheet.append([45, "低保", 3])
    sheet.append([52, "低保", 2.5])
    book.save(path)
    with pytest.raises(Invalid) as err:
        read_roster(path)
    assert "bad.xlsx: row 3, column C (残疾等级)" in str(err.value)


def test_not_a_roster(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="no such file"):
        read_roster(tmp_path / "missing.csv")
    other = tmp_path / "people.txt"
    other.write_text("age\n1\n", encoding="utf-8")
    with pytest.raises(Invalid, match=r"\.csv, \.parquet or \.xlsx"):
        read_roster(other)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(Invalid, match="xlsx"):
        read_roster(broken)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("age,groups\n45,低保\n".encode("gbk"))
    with pytest.raises(Invalid, match="UTF-8"):
        read_roster(latin)


def test_parquet_is_read_row_group_by_row_group(tmp_path: Path) -> None:
    """A Parquet roster streams: each row group is a chunk, never the whole file at once, and
    the comparison equals the one of the same people read from CSV."""
    import pyarrow.parquet as pq

    from jiuzhu.core.plugins import load_regions
    from jiuzhu.core.testing import all_builtin_plugins, plugin_manager
    from jiuzhu.plugins.compare.distributed import same_figures
    from jiuzhu.plugins.compare.engine import PlanSettings, compare

    # households of one: row groups of 1,000 rows would otherwise cut households, which a
    # Parquet roster must keep in one row group (docs/compare.md)
    ones = {name: [1.0] for name in PopulationSettings().household_sizes}
    people = generate(PopulationSettings(people=2500, seed=31, household_sizes=ones))
    csv_path, pq_path = tmp_path / "r.csv", tmp_path / "r.parquet"
    write_roster(people, csv_path)
    write_roster(people, pq_path)
    pq.write_table(pq.read_table(pq_path), pq_path, row_group_size=1000)
    streamed = read_roster(pq_path)
    sizes = [len(pop) for pop, _needs in streamed.chunks(10**6)]
    assert sizes == [1000, 1000, 500]
    regions = load_regions(
        plugin_manager(*[p for p in all_builtin_plugins() if "regions" in p[1].__name__])
    )
    plan = PlanSettings(on=date(2025, 6, 1))
    a = compare(regions, streamed, settings=plan)
    b = compare(regions, read_roster(csv_path), settings=plan)
    a_info, b_info = a.population, b.population
    assert a_info.people == b_info.people == 2500
    assert same_figures(
        msgspec.structs.replace(a, population=b_info), b
    )  # the same people, whichever file


def test_typed_parquet_columns(tmp_path: Path) -> None:
    """Integer and boolean Parquet columns are read as they are; a bad value is still named
    by its row and column; nulls take the default."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "typed.parquet"
    pq.write_table(
        pa.table(
            {
                "age": pa.array([45, 70, 8], pa.int16()),
                "living_alone": pa.array([True, None, False]),
                "household_size": pa.array([3, None, 4], pa.int64()),
                "groups": ["低保", "特困、分散供养特困", ""],
            }
        ),
        path,
    )
    pop = read_roster(path).population
    assert pop.age.tolist() == [45, 70, 8]
    assert pop.living_alone.tolist() == [True, False, False]
    assert pop.household_size.tolist() == [3, 1, 4]
    assert pop.groups[1] == bitmask("groups", ["特困", "分散供养特困"])
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"age": pa.array([45, 130], pa.int64())}), bad)
    with pytest.raises(Invalid, match=r"bad.parquet: row 3, column A \(age\)"):
        _ = read_roster(bad).population  # a Parquet roster is read when used


def test_household_ids_are_fnv1a_of_the_text_in_any_row_group():
    """Household ids hash the id's UTF-8 text (FNV-1a 64, published vectors, halved to stay
    non-negative), so a household cut by a Parquet row group keeps one id; the first member
    listed is its head, and a person without an id is a household of their own."""
    import pyarrow as pa

    from jiuzhu.plugins.compare.roster import _households, _stable_ids

    got = _stable_ids(pa.array(["a", "", "foobar"]))
    assert got.tolist() == [
        0xAF63DC4C8601EC8C >> 1,
        0xCBF29CE484222325 >> 1,
        0x85944171F73967E8 >> 1,
    ]
    texts = ["张家", "", "李家", "张家", " 李家 ", "", "王家"]
    ids, head = _households((0, pa.array(texts)), len(texts), 0)
    assert ids[0] == ids[3] and ids[2] == ids[4] and len({ids[0], ids[2], ids[6]}) == 3
    assert ids[1] == -2 and ids[5] == -6  # alone: -(row index + 1)
    assert head.tolist() == [True, True, True, False, False, True, True]
    later, later_head = _households((0, pa.array(texts[3:])), 4, 3)  # a later row group
    assert later.tolist() == [ids[3], ids[4], -6, ids[6]]
    assert later_head.tolist() == [True, True, True, True]
    sliced = _stable_ids(pa.array(["x", "张家", "李家"]).slice(1))  # an offset into buffers
    assert sliced.tolist() == [ids[0], ids[2]]
