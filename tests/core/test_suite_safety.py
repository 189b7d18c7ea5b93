"""The suite's own safety: it refuses to wipe a database that does not look like a test
database, an empty JIUZHU_TEST_DATABASE_URL (what `nox -s tests` sets) means SQLite, an
unexpected skip fails under CI=true, and the web secret file is never committed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..dbsafety import CONFIRM_ENV, PG_ENV, pg_url, refusal

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("url", "confirm", "refused"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:5432/test", None, False),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/jiuzhu_test", None, False),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/jiuzhu", None, True),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/ordos_prod", "ordos", True),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/ordos_prod", "ordos_prod", False),
        ("not a url", None, True),
    ],
)
def test_which_databases_the_suite_may_wipe(url: str, confirm: str | None, refused: bool) -> None:
    assert (refusal(url, confirm) is not None) == refused


def test_the_suite_refuses_before_touching_anything() -> None:
    env = {**os.environ, PG_ENV: "postgresql+psycopg://postgres@127.0.0.1:1/jiuzhu"}
    env.pop(CONFIRM_ENV, None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/core/test_demo.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 4  # a usage error: nothing ran
    assert "names the database 'jiuzhu', which does not look like a test database" in done.stderr
    assert f"{CONFIRM_ENV}=jiuzhu" in done.stderr


def test_an_empty_url_means_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PG_ENV, "")
    assert pg_url() is None
    nox = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    assert 'env={"JIUZHU_TEST_DATABASE_URL": ""}' in nox  # the `tests` session: SQLite


SKIPPING = """
import pytest

def test_hides_work():
    pytest.skip("not finished")

def test_postgres_only():
    pytest.skip("needs PostgreSQL: JIUZHU_TEST_DATABASE_URL is not set")

def test_fine():
    pass
"""


def test_an_unexpected_skip_fails_under_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PG_ENV, raising=False)
    pytester.makepyfile(test_skips=SKIPPING)
    monkeypatch.delenv("CI", raising=False)
    pytester.runpytest("-p", "tests.skip_policy").assert_outcomes(passed=1, skipped=2)
    monkeypatch.setenv("CI", "true")
    result = pytester.runpytest("-p", "tests.skip_policy")
    result.assert_outcomes(passed=1, skipped=1, failed=1)
    result.stdout.fnmatch_lines(["*skipped under CI=true, which hides work: not finished*"])


def test_a_skipped_module_fails_under_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PG_ENV, raising=False)
    monkeypatch.setenv("CI", "true")
    pytester.makepyfile(test_gone='import pytest\npytest.importorskip("no_such_module_here")\n')
    result = pytester.runpytest("-p", "tests.skip_policy")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*module skipped under CI=true*"])


def test_the_web_secret_file_is_ignored_by_git() -> None:
    for path in ("jiuzhu.secret", "data/ordos.secret", "backups/jiuzhu-1.dump"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0
