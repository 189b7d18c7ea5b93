"""Under CI=true a skip is a failure, except a PostgreSQL test skipped because the run is
on SQLite (JIUZHU_TEST_DATABASE_URL unset). A skip that hides work cannot pass CI green."""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

from .dbsafety import PG_SKIP, pg_url


def under_ci() -> bool:
    return os.environ.get("CI") == "true"


def expected(reason: str) -> bool:
    return pg_url() is None and reason.startswith(PG_SKIP)


def _reason(longrepr: Any) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and under_ci() and not hasattr(report, "wasxfail"):
        reason = _reason(report.longrepr)
        if not expected(reason):
            report.outcome = "failed"
            report.longrepr = f"skipped under CI=true, which hides work: {reason}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    if report.skipped and under_ci() and not expected(_reason(report.longrepr)):
        report.outcome = "failed"
        report.longrepr = (
            f"module skipped under CI=true, which hides work: {_reason(report.longrepr)}"
        )
    return report
