"""`jiuzhu regions check` reports every problem in every file, names list elements by their
code, lists the allowed values of enumerations, and says "invalid TOML" only for syntax."""

from __future__ import annotations

import shutil
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from jiuzhu.core.base import ConfigError
from jiuzhu.core.catalogue import Catalogue
from jiuzhu.core.cli import cli
from jiuzhu.core.strict_toml import decode

ORDOS = Path(__file__).parents[2] / "regions/jiuzhu/regions/ordos/data"


def broken_copy(tmp_path: Path, changes: dict[str, list[tuple[str, str]]]) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ORDOS, data)
    for name, pairs in changes.items():
        text = (data / name).read_text(encoding="utf-8")
        for old, new in pairs:
            assert old in text, (name, old)
            text = text.replace(old, new, 1)
        (data / name).write_text(text, encoding="utf-8")
    return data


def check(data: Path) -> list[str]:
    result = CliRunner().invoke(cli, ["regions", "check", str(data)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    return result.stderr.splitlines()


def test_every_problem_of_every_file(tmp_path: Path) -> None:
    data = broken_copy(
        tmp_path,
        {
            "catalogue.toml": [
                ('unit = "visit"', 'unit = "fortnight"'),  # bath_assist
                ("unit_price_fen = 1500", 'unit_price_fen = "15元"'),  # meal_assist
            ],
            "budget.toml": [('opens = "review"', 'opens = "later"')],
            "region.toml": [('code = "150600"', "code = 150600")],
            "eligibility.toml": [('fact = "age"', 'fact = "height"')],
        },
    )
    lines = check(data)
    assert lines == [
        f"error: {data}/region.toml: code: expected a string, got an integer: 150600",
        f"error: {data}/catalogue.toml: items[bath_assist].unit: expected one of 'visit', "
        "'hour', 'session', 'month', 'trip', 'day', 'item', 'year'; got 'fortnight'",
        f"error: {data}/catalogue.toml: items[meal_assist].unit_price_fen: expected an "
        "integer, got a string: '15元'",
        # the plugins' files (eligibility, budget …) in the order the plugins register them
        f"error: {data}/eligibility.toml: include[dibao_mild_disability].all[1]: unknown fact "
        "'height'; known: age, groups, disability_grade, major_illness, chronic_illness, "
        "household_size, income_per_capita_fen, covered_by, student, living_alone, area_code, "
        "hukou_area_code, disability_type",
        f"error: {data}/budget.toml: versions[0].tiers[第二阶段].opens: expected one of "
        "'grant', 'previous_used', 'review'; got 'later'",
    ]
    assert not any("invalid TOML" in ln for ln in lines)


def test_unknown_and_missing_keys_name_the_known_ones(tmp_path: Path) -> None:
    data = broken_copy(
        tmp_path,
        {"funding.toml": [("[[sources]]", "[[sources]]\nbogus_key = 1")]},
    )
    (data / "assessment.toml").write_text('id = "x"\nname = "x"\n', encoding="utf-8")
    lines = check(data)
    # domains and levels may come from a provided instrument (uses = "…"): without one,
    # the instrument's own check names what is missing
    assert (
        f"error: {data}/assessment.toml: (top level): give at least one domain "
        "(or uses = an instrument a plugin provides)"
    ) in lines
    assert (
        f"error: {data}/funding.toml: sources[central_region].bogus_key: unknown key; "
        "known keys: code, illustrative, level, name, source"
    ) in lines


def test_cross_field_checks_run_once_the_keys_are_sound(tmp_path: Path) -> None:
    data = broken_copy(tmp_path, {"budget.toml": [("share_percent = 20", "share_percent = 25")]})
    assert check(data) == [
        f"error: {data}/budget.toml: versions[0]: tier shares must sum to 100%, "
        "got 40 + 40 + 25 = 105%"
    ]


def test_only_syntax_errors_are_invalid_toml(tmp_path: Path) -> None:
    data = broken_copy(tmp_path, {"catalogue.toml": [("[[items]]", "[[items]\n")]})
    (line,) = check(data)
    assert line.startswith(f"error: {data}/catalogue.toml: invalid TOML: ")


def test_decode_agrees_with_msgspec_on_sound_files() -> None:
    raw = (ORDOS / "catalogue.toml").read_bytes()
    assert decode(raw, Catalogue, "catalogue.toml") == msgspec.toml.decode(raw, type=Catalogue)


def test_list_elements_are_named_by_code_else_index() -> None:
    raw = """
name = "x"
[[categories]]
code = "a"
name = "A"
illustrative = true
[[items]]
code = "one"
name = "1"
category = "a"
unit = "visit"
unit_price_fen = -5
valid_from = 2024-01-01
illustrative = true
[[items]]
name = "no code"
category = "a"
unit = "visit"
unit_price_fen = 5
valid_from = 2024-01-01
illustrative = true
"""
    with pytest.raises(ConfigError) as err:
        decode(raw, Catalogue, "c.toml")
    assert err.value.problems == [
        "c.toml: items[one]: item one: unit_price_fen must be >= 0",
        "c.toml: items[no code].code: missing; this key is required",
    ]
