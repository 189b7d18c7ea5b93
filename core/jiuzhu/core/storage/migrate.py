"""Schema changes only through Alembic; the migrations ship inside the packages.

The core's revisions form one line; each plugin owning tables adds a branch of its own
(``jiuzhu_migrations``), whose first revision depends on a core revision. ``upgrade`` runs
every head, so one command brings the core and all plugins up to date.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pluggy
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from sqlalchemy import Engine

CORE_VERSIONS = Path(__file__).parents[1] / "migrations" / "versions"


class MigrationError(RuntimeError):
    """A plugin registered migrations that cannot be used; the message names it."""


def plugin_locations(pm: pluggy.PluginManager | None) -> list[tuple[Path, str]]:
    """(versions folder, branch label) of every plugin that owns tables."""
    if pm is None:
        return []
    found: list[tuple[Path, str]] = []

    def register(versions_dir: Path, branch_label: str) -> None:
        folder = Path(versions_dir)
        if not folder.is_dir():
            raise MigrationError(
                f"jiuzhu_migrations: {folder} (branch {branch_label!r}) is not a folder"
            )
        if any(label == branch_label for _, label in found):
            raise MigrationError(f"jiuzhu_migrations: two plugins register branch {branch_label!r}")
        found.append((folder, branch_label))

    pm.hook.jiuzhu_migrations(register=register)
    return found


def alembic_config(pm: pluggy.PluginManager | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "jiuzhu.core:migrations")
    cfg.set_main_option("path_separator", "os")
    locations: Iterable[Path] = [CORE_VERSIONS, *(p for p, _ in plugin_locations(pm))]
    cfg.set_main_option("version_locations", ":".join(str(p) for p in locations))
    return cfg


def upgrade(
    engine: Engine, pm: pluggy.PluginManager | None = None, revision: str = "heads"
) -> None:
    """Upgrade the core and every plugin branch ``pm`` registers (all heads)."""
    cfg = alembic_config(pm)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.dbapi_connection
        if sqlite and raw is not None:
            # SQLite rebuilds a table to change a column; with foreign keys enforced, dropping
            # the old copy of a referenced table fails. Alembic's advice: switch them off
            # for the migration (outside a transaction) and check them after.
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise MigrationError(f"foreign keys broken by the migration: {broken}")
        finally:
            if sqlite and raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def stored(engine: Engine) -> tuple[str, ...]:
    """The revisions recorded in alembic_version (Alembic omits one another depends on)."""
    with engine.connect() as conn:
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def applied(engine: Engine, pm: pluggy.PluginManager | None = None) -> set[str]:
    """Every revision the database holds: those stored and all they build on."""
    script = ScriptDirectory.from_config(alembic_config(pm))
    rows = stored(engine)
    known = []
    for r in rows:
        try:
            script.revision_map.get_revision(r)
        except ResolutionError:
            continue  # a plugin's revision, and that plugin is not loaded
        known.append(r)
    return {r.revision for r in script.revision_map.iterate_revisions(tuple(known), "base")}


def heads(pm: pluggy.PluginManager | None = None) -> tuple[str, ...]:
    """The revisions an up-to-date database is at: the core's head and each plugin's."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config(pm)).get_heads()))


def current_heads(engine: Engine, pm: pluggy.PluginManager | None = None) -> tuple[str, ...]:
    """Of ``heads(pm)``, those the database is at (equal to ``heads(pm)`` when current)."""
    done = applied(engine, pm)
    return tuple(h for h in heads(pm) if h in done)


def is_current(engine: Engine, pm: pluggy.PluginManager | None = None) -> bool:
    return current_heads(engine, pm) == heads(pm)


def current(engine: Engine, pm: pluggy.PluginManager | None = None) -> str | None:
    """The core's revision: the newest core revision the database holds (give ``pm`` when
    plugins own tables: their revisions may be all that alembic_version records)."""
    script = ScriptDirectory.from_config(alembic_config())
    done = applied(engine, pm)
    for rev in script.walk_revisions():  # newest first
        if rev.revision in done:
            return rev.revision
    return None


def head() -> str | None:
    """The core's head revision."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a core migration (for developers)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)
