"""`jiuzhu --help` starts light (issue 14): the root group knows its built-in commands by
name, and plugins' commands come from entry points of group ``jiuzhu.commands`` whose
modules import their heavy parts inside the commands, so listing them imports neither
numpy, the database layer, templates nor a plugin's engine or services."""

from __future__ import annotations

import importlib.metadata as md
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner

from jiuzhu.core import cli as core_cli
from jiuzhu.core import entrypoints

RUN = """
import sys
from jiuzhu.core.cli import main
sys.argv = ["jiuzhu", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("MODULES", " ".join(sorted(sys.modules)))
"""

# what `jiuzhu --help` listed before the commands were loaded lazily
COMMANDS = [
    "compare",
    "db",
    "demo",
    "doctor",
    "entitlements",
    "export",
    "feeds",
    "import",
    "plugins",
    "providers",
    "reference",
    "regions",
    "resources",
    "serve",
    "stats",
    "tokens",
    "users",
    "warnings",
    "workers",
]
HEAVY = {"numpy", "sqlalchemy", "jinja2", "pyarrow", "alembic", "litestar", "openpyxl", "dask"}
# of a plugin, only what declares its commands: the package, its cli module, and the small
# modules that name their choices
LIGHT_PLUGIN_MODULES = {"cli", "kinds", "config"}


def run(*args: str, env: dict[str, str] | None = None) -> tuple[str, set[str]]:
    out = subprocess.run(
        [sys.executable, "-c", RUN, *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    ).stdout
    text, _, modules = out.rpartition("MODULES ")
    return text, set(modules.split())


def listed(help_text: str) -> list[str]:
    commands = help_text.split("Commands:", 1)[1]
    return re.findall(r"^  (\S+)", commands, flags=re.MULTILINE)


def heavy(modules: set[str]) -> set[str]:
    found = {m for m in modules if m.split(".")[0] in HEAVY}
    found |= {
        m
        for m in modules
        if m.startswith("jiuzhu.core.")
        and m.split(".")[2] in {"plugins", "services", "storage", "access", "entitlement"}
    }
    found |= {
        m
        for m in modules
        if m.startswith("jiuzhu.plugins.")
        and len(m.split(".")) > 3
        and m.split(".")[3] not in LIGHT_PLUGIN_MODULES
    }
    return found | {m for m in modules if m.startswith("jiuzhu.regions")}


def test_root_help_lists_every_command_and_imports_nothing_heavy() -> None:
    text, modules = run("--help")
    assert listed(text) == COMMANDS
    assert heavy(modules) == set()


def test_a_plugins_command_help_is_light() -> None:
    text, modules = run("compare", "--help")
    assert "--people" in text and "Usage: jiuzhu compare" in text
    assert heavy(modules) == set()


def test_a_builtin_commands_help_loads_no_plugin() -> None:
    text, modules = run("regions", "--help")
    assert "Usage: jiuzhu regions" in text
    assert heavy(modules) == set()
    assert not {m for m in modules if m.startswith("jiuzhu.plugins.")}


def test_a_blocked_plugins_commands_are_not_listed() -> None:
    text, _ = run("--help", env={"JIUZHU_DISABLE_PLUGINS": "compare,monitoring"})
    assert listed(text) == [c for c in COMMANDS if c not in {"compare", "feeds", "warnings"}]


@pytest.fixture
def fake_entry_points(monkeypatch: pytest.MonkeyPatch) -> list[md.EntryPoint]:
    """The root group reads these instead of the installed distributions'."""
    found: list[md.EntryPoint] = []
    monkeypatch.setattr(entrypoints, "md", SimpleNamespace(entry_points=lambda group: list(found)))
    monkeypatch.setattr(core_cli.cli, "_plugin_commands", None)  # read again, then restored
    return found


def test_a_plugins_command_runs_from_its_entry_point(
    fake_entry_points: list[md.EntryPoint],
) -> None:
    fake_entry_points.append(
        md.EntryPoint("all_hooks", "tests.fixtures.all_hooks:fixture_hello", "jiuzhu.commands")
    )
    result = CliRunner().invoke(core_cli.cli, ["fixture-hello", "世界"])
    assert result.exit_code == 0 and result.output == "你好，世界\n"
    assert "fixture-hello" in core_cli.cli.list_commands(click.Context(core_cli.cli))


def test_a_plugin_that_fails_to_load_is_one_warning_and_the_rest_runs(
    fake_entry_points: list[md.EntryPoint],
) -> None:
    fake_entry_points += [
        md.EntryPoint("broken", "no_such_module_here:command", "jiuzhu.commands"),
        md.EntryPoint("all_hooks", "tests.fixtures.all_hooks:fixture_hello", "jiuzhu.commands"),
    ]
    result = CliRunner().invoke(core_cli.cli, ["--help"])
    assert result.exit_code == 0 and "fixture-hello" in result.stdout
    assert "regions" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: plugin 'broken'")
    assert "JIUZHU_DISABLE_PLUGINS=broken" in warnings[0] and "Traceback" not in result.stderr


def test_a_plugin_cannot_replace_a_builtin_command(
    fake_entry_points: list[md.EntryPoint],
) -> None:
    fake_entry_points.append(
        md.EntryPoint("sneaky", "jiuzhu.plugins.compare.cli:compare_command", "jiuzhu.commands")
    )
    core_cli.cli.commands["compare"] = click.Command("compare")  # a built-in of that name
    try:
        result = CliRunner().invoke(core_cli.cli, ["--help"])
    finally:
        del core_cli.cli.commands["compare"]
    assert "warning: plugin 'sneaky' adds a command 'compare'" in result.stderr
