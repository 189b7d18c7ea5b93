"""A fresh clone's README commands, and every shell command in docs/, run as written
(tests/docsrun.py says how commands are found and where they run).

Blocks tagged `postgres` run against JIUZHU_TEST_DATABASE_URL's database (after it is
emptied, as every PostgreSQL test does). The README's test command is the suite itself: it
is not run inside the suite, but it must be what .ci/run runs."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ..conftest import _truncate
from ..dbsafety import pg_url
from ..docsrun import ROOT, Block, Sandbox, all_blocks

SUITE = "pip install -e '.[test]' && python -m pytest"
BLOCKS = all_blocks()
DOCS = sorted({b.doc for b in BLOCKS})


def runnable(tag: str | None) -> dict[str, list[Block]]:
    out: dict[str, list[Block]] = {}
    for b in BLOCKS:
        if b.tags & {"docker", "example"}:
            continue
        where = b.tags - {"server"}  # a server block runs on the database of its run
        if (tag is None and not where) or (tag is not None and tag in where):
            out.setdefault(b.doc, []).append(b)
    return out


ON_SQLITE = runnable(None)
ON_POSTGRES = runnable("postgres")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path_factory.mktemp("docs"))
    # what a reader has done before the first command: an activated venv with jiuzhu
    installed = box.run("pip install -q -e .")
    assert installed.returncode == 0, installed.stderr
    yield box


def inputs(box: Sandbox, command: str) -> None:
    """Files a command reads that the reader brings (a population config, a roster)."""
    if "pop.toml" in command and not (box.root / "pop.toml").exists():
        (box.root / "pop.toml").write_text("people = 2000\nseed = 7\n", encoding="utf-8")
    if "people.xlsx" in command and not (box.root / "people.xlsx").exists():
        made = box.run(
            "python -c 'from pathlib import Path; "
            "from jiuzhu.plugins.compare import PopulationSettings, generate; "
            "from jiuzhu.plugins.compare.roster import write_roster; "
            'write_roster(generate(PopulationSettings(people=300, seed=1)), Path("people.xlsx"))\''
        )
        assert made.returncode == 0, made.stderr


def run_blocks(box: Sandbox, blocks: list[Block], env: dict[str, str] | None = None) -> None:
    for block in blocks:
        if "server" in block.tags:
            run_against_server(box, block, env)
            continue
        for command in block.commands:
            if command == SUITE:
                continue  # the suite itself: test_readme_test_command_is_what_ci_runs
            inputs(box, command)
            if "jiuzhu serve" in command:
                page = box.serve(command, env)
                assert "登录" in page, f"{block.where}: `{command}` served no sign-in page"
                continue
            done = box.run(command, env)
            shown = (
                f"{block.where}: `{command}` exited {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
            assert done.returncode == 0, shown
            assert "Traceback" not in done.stdout + done.stderr, shown


def run_against_server(box: Sandbox, block: Block, env: dict[str, str] | None) -> None:
    """A `server` block: the reader has a server running and $JZ, $TOKEN set."""
    made = box.run("jiuzhu tokens create changji-admin --label docs", env)
    assert made.returncode == 0, made.stderr
    server_env = {
        **(env or {}),
        "JZ": f"http://127.0.0.1:{box.port}",
        "TOKEN": made.stdout.strip().splitlines()[-1],
    }

    def commands() -> None:
        # one script: its lines share variables, as in the reader's shell; any failure fails
        script = "set -euo pipefail\n" + "\n".join(block.commands)
        done = box.run(script, server_env)
        shown = f"{block.where}: the block exited {done.returncode}\n{done.stdout}\n{done.stderr}"
        assert done.returncode == 0, shown
        assert "Traceback" not in done.stdout + done.stderr, shown

    box.serve("jiuzhu serve", env, while_up=commands)


def test_the_docs_have_commands() -> None:
    assert {"README.md", "docs/deploy.md"} <= set(DOCS)
    assert any("jiuzhu serve" in c for b in ON_SQLITE["README.md"] for c in b.commands)
    assert ON_POSTGRES, "no command is marked for PostgreSQL"


def test_readme_test_command_is_what_ci_runs() -> None:
    assert any(SUITE in b.commands for b in ON_SQLITE["README.md"])
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert SUITE in ci, ".ci/run must run the README's test command as written"


@pytest.mark.parametrize("doc", sorted(ON_SQLITE))
def test_doc_commands_run_as_written(sandbox: Sandbox, doc: str) -> None:
    run_blocks(sandbox, ON_SQLITE[doc])


@pytest.mark.pg
@pytest.mark.parametrize("doc", sorted(ON_POSTGRES))
def test_doc_postgresql_commands_run_as_written(
    sandbox: Sandbox, pg_engine: Engine, doc: str, tmp_path: Path
) -> None:
    url = pg_url()
    assert url is not None
    _truncate(pg_engine)
    env = {"JIUZHU_DATABASE_URL": url, "JIUZHU_SECRET_KEY": secrets.token_hex(32)}
    run_blocks(sandbox, ON_POSTGRES[doc], env)
