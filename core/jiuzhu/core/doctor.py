"""`jiuzhu doctor`: is this installation ready to serve? One line per check.

Checks, in order: the database URL, its driver, the connection, the schema (at every
Alembic head), the web secret key, the installed plugins and the regions' data. A check
that cannot run because an earlier one failed is skipped, and says which.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

import pluggy
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from .base import ConfigError
from .cli_errors import database_problem
from .plugins import PluginError, load_regions, make_plugin_manager, plugin_dist
from .storage import migrate
from .storage.engine import DEFAULT_URL, URL_ENV, make_engine
from .storage.urls import DatabaseUrlError, parse_url, require_driver, safe
from .web.pages.secret import SECRET_ENV

Status = Literal["ok", "FAIL", "skip"]
MIN_SECRET = 32


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.name}: {self.detail}"


def run_checks(
    database_url: str | None = None,
    origin: str = "",
    env: Mapping[str, str] | None = None,
    pm_factory: Callable[[], pluggy.PluginManager] = make_plugin_manager,
) -> Iterator[Check]:
    env = os.environ if env is None else env
    raw = database_url or env.get(URL_ENV) or DEFAULT_URL
    url: URL | None = None
    try:
        url = parse_url(raw)
        if not database_url:
            origin = URL_ENV if env.get(URL_ENV) else f"the default; set {URL_ENV} for PostgreSQL"
        yield Check("database URL", "ok", f"{safe(url)} ({origin or 'given'})")
    except DatabaseUrlError as exc:
        yield Check("database URL", "FAIL", str(exc))
    engine = None
    if url is None:
        yield Check("driver", "skip", "needs a valid database URL")
    else:
        try:
            yield Check("driver", "ok", require_driver(url))
            engine = make_engine(url.render_as_string(hide_password=False))
        except DatabaseUrlError as exc:
            yield Check("driver", "FAIL", str(exc))
    try:  # the plugins' own migration branches count among the heads
        pm: pluggy.PluginManager | None = pm_factory()
    except PluginError:
        pm = None  # reported by the plugin checks below
    yield from _database_checks(engine, url, pm)
    yield _secret_check(env, url)
    yield from _plugin_checks(pm_factory)


def _database_checks(
    engine: Engine | None, url: URL | None, pm: pluggy.PluginManager | None = None
) -> Iterator[Check]:
    if engine is None or url is None:
        yield Check("connection", "skip", "needs a database URL and its driver")
        yield Check("schema", "skip", "needs a connection")
        return
    plain = url.render_as_string(hide_password=False)
    try:
        try:
            with engine.connect() as conn:
                if engine.dialect.name == "postgresql":
                    version = str(conn.execute(text("SHOW server_version")).scalar_one())
                    yield Check("connection", "ok", f"PostgreSQL {version} at {safe(url)}")
                else:
                    version = str(conn.execute(text("select sqlite_version()")).scalar_one())
                    yield Check("connection", "ok", f"SQLite {version}, file {url.database}")
        except DBAPIError as exc:
            yield Check("connection", "FAIL", database_problem(exc, plain))
            yield Check("schema", "skip", "needs a connection")
            return
        try:
            state = migrate.state(engine, pm)
        except DBAPIError as exc:
            yield Check("schema", "FAIL", database_problem(exc, plain))
            return
        except migrate.MigrationError as exc:
            yield Check("schema", "FAIL", str(exc))
            return
        yield Check("schema", "ok" if state.up_to_date else "FAIL", state.describe())
    finally:
        engine.dispose()


def _secret_check(env: Mapping[str, str], url: URL | None) -> Check:
    key = env.get(SECRET_ENV, "").strip()
    if key:
        if len(key) < MIN_SECRET:
            return Check(
                "secret key",
                "FAIL",
                f"{SECRET_ENV} has {len(key)} characters, needs at least {MIN_SECRET}; "
                "generate one: python -c 'import secrets; print(secrets.token_hex(32))'",
            )
        return Check("secret key", "ok", f"{SECRET_ENV} is set ({len(key)} characters)")
    if (
        url is not None
        and url.get_backend_name() == "sqlite"
        and url.database
        not in (
            None,
            "",
            ":memory:",
        )
    ):
        from pathlib import Path

        path = Path(url.database or "").with_suffix(".secret")
        state = "exists" if path.exists() else "is created by the first `jiuzhu serve`"
        return Check("secret key", "ok", f"kept in {path} ({state}); {SECRET_ENV} is not set")
    return Check(
        "secret key",
        "FAIL",
        f"{SECRET_ENV} is not set: with PostgreSQL every server process must share one key "
        "(at least 32 characters); generate one: "
        "python -c 'import secrets; print(secrets.token_hex(32))'",
    )


def _plugin_checks(pm_factory: Callable[[], pluggy.PluginManager]) -> Iterator[Check]:
    try:
        pm = pm_factory()
    except PluginError as exc:
        yield Check("plugins", "FAIL", str(exc))
        yield Check("regions", "skip", "needs the plugins")
        return
    names = sorted(n for n, _ in pm.list_name_plugin() if n and not n.startswith("_"))
    described = ", ".join(f"{n} {_version(plugin_dist(pm, n))}".strip() for n in names)
    yield Check("plugins", "ok", f"{len(names)} loaded: {described}")
    try:
        regions = load_regions(pm)
    except ConfigError as exc:
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        yield Check("regions", "FAIL", f"{exc.problems[0]}{more}; `jiuzhu regions list` shows all")
        return
    except PluginError as exc:
        yield Check("regions", "FAIL", str(exc))
        return
    if not len(regions):
        yield Check("regions", "FAIL", "no plugin registers a region; install a region plugin")
        return
    ids = ", ".join(sorted(regions.by_id))
    yield Check("regions", "ok", f"{len(regions)} load and pass their checks: {ids}")


def _version(dist: str) -> str:
    return dist.rsplit(" ", 1)[-1] if " " in dist else ""
