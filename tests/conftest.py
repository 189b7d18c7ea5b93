"""Shared fixtures. The suite runs on SQLite; with JIUZHU_TEST_DATABASE_URL set (as .ci/run
does) every storage test runs on that PostgreSQL database instead — whose public schema it
DROPs, so a database whose name does not contain "test" is refused unless confirmed with
JIUZHU_TEST_DATABASE_CONFIRM=<its name>. Under CI=true an unexpected skip fails."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from jiuzhu.core.access import Actor, Role, access_registry
from jiuzhu.core.plugins import Regions, load_regions, make_plugin_manager
from jiuzhu.core.services import Services
from jiuzhu.core.storage import migrate
from jiuzhu.core.storage.engine import make_engine
from jiuzhu.core.storage.tables import metadata
from jiuzhu.core.testing import all_builtin_plugins

from .dbsafety import CONFIRM_ENV, PG_ENV, PG_SKIP, pg_url, refusal

pytest_plugins = ["tests.skip_policy", "pytester"]


def pytest_configure(config: pytest.Config) -> None:
    url = pg_url()
    if url is not None:
        why = refusal(url, os.environ.get(CONFIRM_ENV))
        if why is not None:
            raise pytest.UsageError(why)


@pytest.fixture(scope="session")
def regions() -> Regions:
    return load_regions(make_plugin_manager(entry_points=False, plugins=all_builtin_plugins()))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, regions: Regions) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine, regions.pm)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_engine(regions: Regions) -> Iterator[Engine]:
    url = pg_url()
    if url is None:
        pytest.skip(f"{PG_SKIP}: {PG_ENV} is not set")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {url} is not reachable under CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    migrate.upgrade(engine, regions.pm)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if pg_url() is not None:
        eng: Engine = request.getfixturevalue("pg_engine")
        _truncate(eng)
        yield eng
        return
    template: Path = request.getfixturevalue("sqlite_template")
    path = tmp_path / "jiuzhu.db"
    shutil.copy(template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(engine: Engine, regions: Regions, clock: Clock) -> Services:
    return Services(engine=engine, regions=regions, clock=clock)


def actor_for(regions: Regions, region_id: str, role: str = Role.ADMIN, **kw: object) -> Actor:
    """An actor of ``role`` (any registered role) holding what the plugin manager's registry
    grants it; region-wide unless ``area_code`` is given."""
    region = regions.get(region_id)
    values: dict[str, object] = {
        "username": f"{role}-{region_id}",
        "role": role,
        "region_id": region_id,
        "area_code": region.info.code,
    }
    values.update(kw)
    return access_registry(regions.pm).actor(**values)  # type: ignore[arg-type]
