"""The command line: regions list/show/check, db upgrade, demo, users, tokens, stats."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiuzhu.core.cli import cli

ORDOS = Path(__file__).parents[2] / "regions/jiuzhu/regions/ordos/data"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_help_on_every_command():
    def walk(group, path):
        yield path
        for name, sub in getattr(group, "commands", {}).items():
            yield from walk(sub, [*path, name])

    for path in walk(cli, []):
        result = run(*path, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_regions_list_shows_the_four():
    out = run("regions", "list").output
    for rid in ("changji", "binzhou", "ordos", "shizuishan"):
        assert rid in out


def test_regions_show_text_and_json():
    text = run("regions", "show", "ordos").output
    assert "鄂尔多斯" in text and "40%" in text and "1,000.00元" in text
    data = json.loads(run("regions", "show", "ordos", "--json").output)
    assert data["budget"]["versions"][0]["annual_fen"] == 100000
    unknown = run("regions", "show", "atlantis")
    assert unknown.exit_code == 1 and "atlantis" in unknown.output


def test_regions_check_ok():
    result = run("regions", "check", str(ORDOS))
    assert result.exit_code == 0 and result.output.startswith("ok:")


def test_db_upgrade_demo_is_idempotent_and_stats(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run("--database-url", url, "db", "upgrade").exit_code == 0
    first = run("--database-url", url, "demo", "--regions", "ordos")
    assert first.exit_code == 0 and "ordos: provider" in first.output
    assert "password" in first.output
    second = run("--database-url", url, "demo", "--regions", "ordos")
    assert "already loaded" in second.output
    stats = run("--database-url", url, "stats", "--region", "ordos", "--by", "category")
    assert stats.exit_code == 0 and "合计" in stats.output
    token = run("--database-url", url, "tokens", "create", "ordos-officer")
    assert token.exit_code == 0 and token.stdout.startswith("jz_")
    revoked = run("--database-url", url, "tokens", "revoke", "--all-of", "ordos-officer")
    assert "revoked 1" in revoked.output
    missing = run("--database-url", url, "tokens", "create", "nobody")
    assert missing.exit_code == 1 and "nobody" in missing.output


def test_users_add_refuses_bad_input_cleanly(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'u.db'}"
    run("--database-url", url, "db", "upgrade")
    ok = run(
        "--database-url",
        url,
        "users",
        "add",
        "zhang",
        "--role",
        "officer",
        "--region",
        "changji",
        "--area",
        "652301",
        env={"JIUZHU_NEW_PASSWORD": "long-enough-pw"},
    )
    assert ok.exit_code == 0, ok.output
    bad = run(
        "--database-url",
        url,
        "users",
        "add",
        "li",
        "--role",
        "officer",
        "--region",
        "changji",
        "--area",
        "999999",
        env={"JIUZHU_NEW_PASSWORD": "long-enough-pw"},
    )
    assert bad.exit_code == 1 and "area_code" in bad.output


# --- broken region files: every one gets `file: path: expectation`, never a traceback ----

BREAKAGES = [
    ("budget.toml", "share_percent = 20\n", "share_percent = 25\n", "sum to 100%"),
    ("budget.toml", "annual_fen = 100000", 'annual_fen = "1000元"', "versions[0].annual_fen"),
    ("catalogue.toml", 'unit = "visit"', 'unit = "fortnight"', "unit"),
    ("region.toml", 'code = "150600"', 'code = "15060"', "6-digit"),
    ("funding.toml", "[[sources]]", "[[sources]]\nbogus_key = 1", "bogus_key"),
    ("eligibility.toml", 'fact = "age"', 'fact = "height"', "unknown fact"),
    ("catalogue.toml", "[[items]]", "[[items]\n", "invalid TOML"),
]


@pytest.mark.parametrize(("file", "old", "new", "expected"), BREAKAGES)
def test_regions_check_reports_file_path_and_expectation(
    tmp_path: Path, file: str, old: str, new: str, expected: str
):
    data = tmp_path / "data"
    shutil.copytree(ORDOS, data)
    text = (data / file).read_text(encoding="utf-8")
    assert old in text
    (data / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    result = run("regions", "check", str(data))
    assert result.exit_code == 1
    assert f"{data / file}:" in result.output and expected in result.output
    assert "Traceback" not in result.output


def test_missing_file_is_named(tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(ORDOS, data)
    (data / "funding.toml").unlink()
    result = run("regions", "check", str(data))
    assert result.exit_code == 1 and "funding.toml: (file): missing" in result.output
    assert "plugin 'funding'" in result.output
    # the entitlement scheme is a plugin's file a region may leave out (no entitlements)
    shutil.copy(ORDOS / "funding.toml", data / "funding.toml")
    (data / "budget.toml").unlink()
    assert run("regions", "check", str(data)).exit_code == 0


toml_scalars = st.one_of(
    st.integers(-(10**12), 10**12),
    st.text(max_size=8),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    file=st.sampled_from(
        [
            "region.toml",
            "catalogue.toml",
            "budget.toml",
            "funding.toml",
            "eligibility.toml",
            "assessment.toml",
            "policies.toml",
        ]
    ),
    line_no=st.integers(0, 10_000),
    value=toml_scalars,
)
def test_generated_breakage_never_tracebacks(tmp_path_factory, file, line_no, value):
    """Replace the value of one `key = value` line with a generated scalar: the check either
    passes or reports file and key path, and never raises."""
    data = tmp_path_factory.mktemp("gen") / "data"
    shutil.copytree(ORDOS, data)
    lines = (data / file).read_text(encoding="utf-8").splitlines()
    assignments = [i for i, ln in enumerate(lines) if " = " in ln and not ln.startswith("#")]
    i = assignments[line_no % len(assignments)]
    key = lines[i].split(" = ", 1)[0]
    lines[i] = f"{key} = {json.dumps(value, ensure_ascii=False)}"
    (data / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["regions", "check", str(data)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    if result.exit_code != 0:
        assert "error: " in result.output and str(data) in result.output
