"""docs/reference is generated from the Structs the core and the plugins register; it fails
here when it is stale (regenerate with `jiuzhu reference -o docs/reference`)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import tests.fixtures.all_hooks as all_hooks
from jiuzhu.core.cli import cli
from jiuzhu.core.plugins import make_plugin_manager
from jiuzhu.core.reference import render_reference, stale_files, write_reference
from jiuzhu.core.testing import all_builtin_plugins

ROOT = Path(__file__).parents[2]
REFERENCE = ROOT / "docs" / "reference"


def builtin_pages() -> dict[str, str]:
    return render_reference(make_plugin_manager(entry_points=False, plugins=all_builtin_plugins()))


def test_docs_reference_is_up_to_date() -> None:
    stale = stale_files(builtin_pages(), REFERENCE)
    assert stale == [], (
        f"docs/reference is stale: {stale}; run `jiuzhu reference -o docs/reference`"
    )


def test_every_region_file_and_its_keys_are_documented() -> None:
    pages = builtin_pages()
    files = ["region", "catalogue", "assessment", "budget", "funding", "eligibility"]
    files += ["policies", "supervision", "staffing", "needs", "calibration", "time_floor"]
    files += ["scenarios"]
    for name in files:
        assert f"{name}.md" in pages, name
    budget = pages["budget.md"]
    assert '| `opens` | string | `"grant"`, `"previous_used"`, `"review"` | `"grant"` |' in budget
    assert '| `leftover` | string | `"carry"`, `"lapse"` |' in budget
    assert '| `period` | string | `"calendar_year"`, `"year"`, `"quarter"`, `"month"` |' in budget
    index = pages["index.md"]
    assert "| `prefix` |" in index and "| `has_none` |" in index  # the condition operators
    assert "`分散供养特困`" in index and "`居家养老`" in index  # groups and coverage labels
    assert "from jiuzhu.core import Base" in index
    assert "What `check_region_plugin` checks" in index
    assert "[Condition](catalogue.md#condition)" in pages["eligibility.md"]  # defined once


def test_a_plugins_own_file_is_included(tmp_path: Path) -> None:
    pm = make_plugin_manager(
        entry_points=False, plugins=[*all_builtin_plugins(), ("all_hooks", all_hooks)]
    )
    pages = render_reference(pm)
    warnings = pages["warnings.md"]
    assert "Read by **plugin `all_hooks`**" in warnings
    assert (
        "| `medical_expense_fen` | integer |  | **required** | a medical bill above this"
        in warnings
    )
    written = write_reference(pages, tmp_path)
    assert {p.name for p in written} == set(pages)
    assert stale_files(pages, tmp_path) == []
    (tmp_path / "old.md").write_text("x", encoding="utf-8")
    assert stale_files(pages, tmp_path) == ["old.md"]


def test_reference_command_checks_and_writes(tmp_path: Path) -> None:
    out = tmp_path / "ref"
    stale = CliRunner().invoke(cli, ["reference", "--check", "-o", str(out)])
    assert stale.exit_code == 1 and "is out of date" in stale.stderr
    wrote = CliRunner().invoke(cli, ["reference", "-o", str(out)])
    assert wrote.exit_code == 0 and (out / "index.md").exists()
    assert CliRunner().invoke(cli, ["reference", "--check", "-o", str(out)]).exit_code == 0
