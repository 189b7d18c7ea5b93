"""`jiuzhu doctor`: one line per check, exit status 1 on any failure; the schema check
compares the database with every Alembic head (one branch per plugin that owns tables)."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pluggy
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from jiuzhu.core.cli import cli
from jiuzhu.core.doctor import run_checks
from jiuzhu.core.plugins import PluginError, make_plugin_manager
from jiuzhu.core.storage import migrate
from jiuzhu.core.storage.engine import make_engine
from jiuzhu.core.testing import all_builtin_plugins

from ..dbsafety import pg_url

KEY = "k" * 40
CHECKS = ["database URL", "driver", "connection", "schema", "secret key", "plugins", "regions"]


def doctor(url: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--database-url", url, "doctor"], env=env)


def statuses(result: Result) -> dict[str, str]:
    out = {}
    for line in result.stdout.splitlines():
        status, rest = line.split(None, 1)
        out[rest.split(":", 1)[0]] = status
    return out


def test_a_ready_installation_passes_every_check(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    assert CliRunner().invoke(cli, ["--database-url", url, "db", "upgrade"]).exit_code == 0
    result = doctor(url, {"JIUZHU_SECRET_KEY": KEY})
    assert result.exit_code == 0, result.output
    assert statuses(result) == dict.fromkeys(CHECKS, "ok")
    assert (
        "7 load and pass their checks: beilin, binzhou, changji, ordos, qiaojia, shizuishan, "
        "xingqing" in result.stdout
    )


def test_before_db_upgrade_the_schema_check_fails(tmp_path: Path) -> None:
    result = doctor(f"sqlite:///{tmp_path / 'j.db'}", {"JIUZHU_SECRET_KEY": KEY})
    assert result.exit_code == 1
    assert statuses(result)["schema"] == "FAIL"
    assert "no jiuzhu schema yet; run `jiuzhu db upgrade`" in result.stdout
    assert result.stderr.strip() == "error: 1 check(s) failed"


def test_a_bad_url_fails_and_skips_what_needs_it() -> None:
    result = doctor("mysql://u@h/db", {"JIUZHU_SECRET_KEY": KEY})
    assert result.exit_code == 1
    got = statuses(result)
    assert got["database URL"] == "FAIL"
    assert got["driver"] == got["connection"] == got["schema"] == "skip"
    assert got["plugins"] == got["regions"] == "ok"


def test_short_or_missing_secret_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    assert (
        "FAIL  secret key: JIUZHU_SECRET_KEY has 5 characters"
        in doctor(url, {"JIUZHU_SECRET_KEY": "short"}).stdout
    )
    checks = {c.name: c for c in run_checks("postgresql+psycopg://u@127.0.0.1:1/x", env={})}
    assert checks["secret key"].status == "FAIL"
    assert "every server process must share one key" in checks["secret key"].detail


def test_broken_plugins_and_broken_region_data(tmp_path: Path) -> None:
    def broken() -> pluggy.PluginManager:
        raise PluginError("plugin 'x' (x) from distribution x 1.0 failed to load: boom")

    checks = {
        c.name: c for c in run_checks(f"sqlite:///{tmp_path / 'j.db'}", env={}, pm_factory=broken)
    }
    assert checks["plugins"].status == "FAIL" and "plugin 'x'" in checks["plugins"].detail
    assert checks["regions"].status == "skip"

    import jiuzhu.regions.ordos as ordos
    from jiuzhu.core import RegionSource, hookimpl

    data = tmp_path / "data"
    shutil.copytree(Path(ordos.__file__).parent / "data", data)
    text = (data / "region.toml").read_text(encoding="utf-8")
    (data / "region.toml").write_text(text.replace('id = "ordos"', 'id = "bad"'), "utf-8")
    (data / "budget.toml").write_text('name = "x"\n', encoding="utf-8")

    class Bad:
        @staticmethod
        @hookimpl
        def jiuzhu_register_regions(register: Callable[[RegionSource], None]) -> None:
            register(RegionSource(id="bad", data_dir=data))

    pm = make_plugin_manager(entry_points=False, plugins=[*all_builtin_plugins(), ("bad", Bad)])
    checks = {
        c.name: c
        for c in run_checks(f"sqlite:///{tmp_path / 'j.db'}", env={}, pm_factory=lambda: pm)
    }
    assert checks["regions"].status == "FAIL"
    assert "budget.toml: versions: missing" in checks["regions"].detail


def test_schema_check_compares_against_every_head(tmp_path: Path) -> None:
    """A plugin's own branch (as plugins that own tables will have) must be applied too."""
    versions = tmp_path / "plugin_versions"
    versions.mkdir()
    (versions / "p001_plugin_branch.py").write_text(
        textwrap.dedent('''
        """a plugin's own table"""
        import sqlalchemy as sa
        from alembic import op

        revision = "p001"
        down_revision = None
        branch_labels = ("testplugin",)
        depends_on = None


        def upgrade() -> None:
            op.create_table("testplugin_things", sa.Column("id", sa.Integer, primary_key=True))


        def downgrade() -> None:
            op.drop_table("testplugin_things")
        '''),
        encoding="utf-8",
    )
    cfg = migrate.alembic_config(version_locations=[str(versions)])
    engine = make_engine(f"sqlite:///{tmp_path / 'j.db'}")
    migrate.upgrade(engine)  # the core's branch only
    state = migrate.state(engine, cfg=cfg)
    assert len(state.heads) == 2 and "p001" in state.heads
    assert not state.up_to_date and "run `jiuzhu db upgrade`" in state.describe()
    migrate.upgrade(engine, revision="heads", cfg=cfg)
    assert migrate.state(engine, cfg=cfg).up_to_date
    assert migrate.state(engine).unknown == {"p001"}  # a jiuzhu without that plugin
    assert "which this jiuzhu does not know" in migrate.state(engine).describe()


@pytest.mark.pg
def test_doctor_on_postgresql(pg_engine: Engine) -> None:
    url = pg_url()
    assert url is not None
    result = doctor(url, {"JIUZHU_SECRET_KEY": KEY})
    assert result.exit_code == 0, result.output
    assert statuses(result) == dict.fromkeys(CHECKS, "ok")
    assert "PostgreSQL" in result.stdout and "psycopg" in result.stdout
