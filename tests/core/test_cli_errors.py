"""Every CLI failure is one line naming the cause and the fix: database URLs, drivers,
connections, a schema that was never created, a short secret key, unknown regions."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import make_url

from jiuzhu.core.cli import cli

from ..dbsafety import pg_url

RUN_CLI = "from jiuzhu.core.cli import main; main()"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def one_line(result: Result) -> str:
    """The single `error: …` line of a failed command (and nothing else on stderr)."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_not_a_url() -> None:
    line = one_line(run("--database-url", "not a url", "stats", "--region", "ordos"))
    assert "'not a url' is not a URL" in line and "postgresql+psycopg://" in line


def test_nothing_listening_and_postgres_scheme_accepted() -> None:
    url = f"postgres://postgres@127.0.0.1:{closed_port()}/jiuzhu_test"
    line = one_line(run("--database-url", url, "stats", "--region", "ordos"))
    assert "nothing is listening at 127.0.0.1:" in line and "start PostgreSQL" in line


def test_sqlite_in_a_missing_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'j.db'}"
    line = one_line(run("--database-url", url, "db", "upgrade"))
    assert f"folder {tmp_path / 'no' / 'such'} does not exist" in line
    assert not (tmp_path / "no").exists()


def test_unsupported_database() -> None:
    line = one_line(run("--database-url", "mysql://u@h/db", "db", "upgrade"))
    assert "SQLite or PostgreSQL, not 'mysql'" in line


@pytest.mark.parametrize(
    "args",
    [
        ("stats", "--region", "ordos"),
        ("tokens", "create", "nobody"),
        ("providers", "list", "--region", "ordos"),
        ("users", "add", "li", "--role", "officer", "--region", "ordos"),
    ],
    ids=lambda a: a[0],
)
def test_commands_before_db_upgrade(tmp_path: Path, args: tuple[str, ...]) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = run("--database-url", url, *args, env={"JIUZHU_NEW_PASSWORD": "long-enough-pw"})
    line = one_line(result)
    assert line == "error: the database has no jiuzhu schema yet; run `jiuzhu db upgrade`"
    assert "argon2" not in result.output  # no SQL parameters (a password hash) in the output


def test_short_secret_key_stops_serve_before_it_starts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    assert run("--database-url", url, "db", "upgrade").exit_code == 0
    line = one_line(
        run("--database-url", url, "serve", "--port", "9", env={"JIUZHU_SECRET_KEY": "short"})
    )
    assert "JIUZHU_SECRET_KEY has 5 characters; it needs at least 32" in line
    assert "secrets.token_hex(32)" in line


def test_several_workers_need_a_shared_secret_on_postgresql() -> None:
    from jiuzhu.core.cli import checked_secret
    from jiuzhu.core.cli_errors import OperatorError
    from jiuzhu.core.storage.engine import make_engine

    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")  # never connects
    env = {k: v for k, v in os.environ.items() if k != "JIUZHU_SECRET_KEY"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "environ", env)
        with pytest.raises(OperatorError, match="--workers 4 needs JIUZHU_SECRET_KEY"):
            checked_secret(engine, 4)


def test_unknown_region_is_listed_with_the_known_ones() -> None:
    for args in (
        ("regions", "show", "ordoss"),
        ("demo", "--regions", "ordos,ordoss"),
        ("stats", "--region", "ordoss"),
        ("regions", "test", "ordoss"),
    ):
        line = one_line(run(*args))
        assert line == (
            "error: unknown region 'ordoss' (did you mean ordos?); "
            "known: beilin, binzhou, changji, ordos, qiaojia, shizuishan, xingqing"
        ), args


def test_missing_driver_names_the_extra(tmp_path: Path) -> None:
    """As after `pip install -e .` without `[postgres]`: psycopg cannot be imported."""
    script = "import sys; sys.modules['psycopg'] = None; " + RUN_CLI
    done = subprocess.run(
        [sys.executable, "-c", script, "--database-url", "postgresql://u@h/db", "db", "upgrade"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: the PostgreSQL driver psycopg is not installed; "
        "pip install 'jiuzhu[postgres]' (in a clone: pip install -e '.[postgres]')"
    ]


def test_unexpected_errors_are_one_line_and_the_traceback_is_on_request() -> None:
    import click

    from jiuzhu.core.cli import FriendlyGroup

    @click.group(cls=FriendlyGroup)
    def group() -> None:
        pass

    @group.command()
    def boom() -> None:
        raise ZeroDivisionError("division by zero")

    line = one_line(CliRunner().invoke(group, ["boom"]))
    assert "unexpected ZeroDivisionError: division by zero" in line
    assert "JIUZHU_TRACEBACK=1" in line
    shown = CliRunner().invoke(group, ["boom"], env={"JIUZHU_TRACEBACK": "1"})
    assert isinstance(shown.exception, ZeroDivisionError)


@pytest.mark.pg
def test_missing_postgresql_database() -> None:
    base = pg_url()
    if base is None:
        pytest.skip("needs PostgreSQL: JIUZHU_TEST_DATABASE_URL is not set")
    url = make_url(base).set(database="jiuzhu_test_no_such_database")
    plain = url.render_as_string(hide_password=False)
    line = one_line(run("--database-url", plain, "stats", "--region", "ordos"))
    assert "database 'jiuzhu_test_no_such_database' does not exist on" in line
    assert "createdb jiuzhu_test_no_such_database" in line


def test_several_workers_on_sqlite_are_refused_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    assert run("--database-url", url, "db", "upgrade").exit_code == 0
    result = run(
        "--database-url",
        url,
        "serve",
        "--port",
        "9",
        "--workers",
        "2",
        env={"JIUZHU_SECRET_KEY": "x" * 40},
    )
    assert result.exit_code != 0
    line = one_line(result)
    assert "--workers 2 needs PostgreSQL" in line and "--workers 1" in line


def test_server_processes_default_to_the_cores_on_postgresql() -> None:
    from jiuzhu.core.cli import server_processes
    from jiuzhu.core.storage.engine import make_engine

    pg = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")  # never connects
    assert server_processes(pg, None) == (os.cpu_count() or 1)
    assert server_processes(pg, 3) == 3
    assert server_processes(make_engine("sqlite://"), None) == 1
