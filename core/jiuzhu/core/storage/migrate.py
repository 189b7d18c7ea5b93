"""Schema changes only through Alembic; the migrations ship inside the packages.

The core's revisions form one line; each plugin owning tables adds a branch of its own
(``jiuzhu_migrations``), whose first revision depends on a core revision. ``upgrade`` runs
every head, so one command brings the core and all plugins up to date, and "up to date"
means: the database holds every head — the core's and each loaded plugin's.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy
from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:  # Alembic is imported only where a schema is changed or diagnosed
    from alembic.config import Config
    from alembic.script import ScriptDirectory

CORE_VERSIONS = Path(__file__).parents[1] / "migrations" / "versions"
UPGRADE_HINT = "run `jiuzhu db upgrade`"


class MigrationError(RuntimeError):
    """A plugin registered migrations that cannot be used; the message names it."""


class SchemaError(RuntimeError):
    """The database's schema is missing or not at the revisions this jiuzhu expects."""


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


def alembic_config(
    pm: pluggy.PluginManager | None = None, version_locations: Sequence[str] = ()
) -> Config:
    """The core's migrations, every branch the plugins of ``pm`` register, and any extra
    version folders."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "jiuzhu.core:migrations")
    cfg.set_main_option("path_separator", "os")
    locations: Iterable[str] = [
        str(CORE_VERSIONS),
        *(str(p) for p, _ in plugin_locations(pm)),
        *version_locations,
    ]
    cfg.set_main_option("version_locations", ":".join(locations))
    return cfg


def upgrade(
    engine: Engine,
    pm: pluggy.PluginManager | None = None,
    revision: str = "heads",
    cfg: Config | None = None,
) -> None:
    """Upgrade the core and every plugin branch ``pm`` registers (all heads)."""
    from alembic import command

    cfg = cfg or alembic_config(pm)
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
                cfg.attributes["plugin_manager"] = pm  # data migrations read the regions
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
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def _script(pm: pluggy.PluginManager | None, cfg: Config | None) -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(cfg or alembic_config(pm))


def applied(
    engine: Engine, pm: pluggy.PluginManager | None = None, cfg: Config | None = None
) -> set[str]:
    """Every revision the database holds: those stored and all they build on."""
    from alembic.script.revision import ResolutionError

    script = _script(pm, cfg)
    known = []
    for r in stored(engine):
        try:
            script.revision_map.get_revision(r)
        except ResolutionError:
            continue  # a plugin's revision, and that plugin is not loaded
        known.append(r)
    return {r.revision for r in script.revision_map.iterate_revisions(tuple(known), "base")}


def heads(pm: pluggy.PluginManager | None = None, cfg: Config | None = None) -> tuple[str, ...]:
    """The revisions an up-to-date database is at: the core's head and each plugin's."""
    return tuple(sorted(_script(pm, cfg).get_heads()))


def current_heads(
    engine: Engine, pm: pluggy.PluginManager | None = None, cfg: Config | None = None
) -> tuple[str, ...]:
    """Of ``heads(pm)``, those the database is at (equal to ``heads(pm)`` when current)."""
    done = applied(engine, pm, cfg)
    return tuple(h for h in heads(pm, cfg) if h in done)


def is_current(
    engine: Engine, pm: pluggy.PluginManager | None = None, cfg: Config | None = None
) -> bool:
    return state(engine, pm, cfg).up_to_date


def current(engine: Engine, pm: pluggy.PluginManager | None = None) -> str | None:
    """The core's revision: the newest core revision the database holds (give ``pm`` when
    plugins own tables: their revisions may be all that alembic_version records)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    done = applied(engine, pm)
    for rev in script.walk_revisions():  # newest first
        if rev.revision in done:
            return rev.revision
    return None


def head() -> str | None:
    """The core's head revision."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@dataclass(frozen=True)
class SchemaState:
    current: frozenset[str]  # the heads the database is at
    heads: frozenset[str]
    unknown: frozenset[str]  # revisions in the database that no migration here defines

    @property
    def up_to_date(self) -> bool:
        return self.current == self.heads and not self.unknown

    def describe(self) -> str:
        at = ", ".join(sorted(self.current)) or "nothing"
        want = ", ".join(sorted(self.heads))
        if self.unknown:
            return (
                f"the database is at revision {', '.join(sorted(self.unknown))}, which this "
                f"jiuzhu does not know (expects {want}); a newer jiuzhu or a plugin that is "
                "not installed migrated it: install it, or restore a backup taken before"
            )
        if not self.current:
            return f"the database has no jiuzhu schema yet; {UPGRADE_HINT}"
        if self.up_to_date:
            return f"at {at} (all heads)"
        return f"the database schema is at {at} but this jiuzhu expects {want}; {UPGRADE_HINT}"


def state(
    engine: Engine, pm: pluggy.PluginManager | None = None, cfg: Config | None = None
) -> SchemaState:
    """Where the database is against every head of the core and of ``pm``'s plugins."""
    script = _script(pm, cfg)
    rows = set(stored(engine))
    known = {rev.revision for rev in script.walk_revisions()}
    done = applied(engine, pm, cfg)
    all_heads = frozenset(script.get_heads())
    return SchemaState(
        current=frozenset(h for h in all_heads if h in done),
        heads=all_heads,
        unknown=frozenset(rows - known),
    )


def require_current(
    engine: Engine, pm: pluggy.PluginManager | None = None, cfg: Config | None = None
) -> None:
    """Raise SchemaError unless the database is at every head. When alembic_version holds
    exactly the heads of the revision files (the usual case at start-up), that is read
    without Alembic; anything else is diagnosed by Alembic."""
    if cfg is None and at_heads_quickly(engine, pm):
        return
    st = state(engine, pm, cfg)
    if not st.up_to_date:
        raise SchemaError(st.describe())


_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*(.+)$", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.M)


def file_heads(pm: pluggy.PluginManager | None) -> frozenset[str] | None:
    """The heads of the core's and ``pm``'s plugins' revision files, read as text (each
    file's literal ``revision`` and ``down_revision``), or None if a file does not say them
    plainly (then only Alembic can tell)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for folder in [CORE_VERSIONS, *(p for p, _ in plugin_locations(pm))]:
        for path in Path(folder).glob("*.py"):
            if path.name.startswith("_"):
                continue
            source = path.read_text(encoding="utf-8")
            rev, down = _REVISION.search(source), _DOWN.search(source)
            if rev is None or down is None:
                return None
            try:
                revision_id = ast.literal_eval(rev[1].strip())
                down_ids = ast.literal_eval(down[1].strip())
            except (ValueError, SyntaxError):
                return None
            if not isinstance(revision_id, str):
                return None
            revisions.add(revision_id)
            if isinstance(down_ids, str):
                parents.add(down_ids)
            elif isinstance(down_ids, (tuple, list)):
                parents.update(str(d) for d in down_ids)
            elif down_ids is not None:
                return None
    return frozenset(revisions - parents)


def at_heads_quickly(engine: Engine, pm: pluggy.PluginManager | None) -> bool:
    """True when alembic_version holds exactly the heads of the revision files: the schema
    is current, known without importing Alembic. False means "ask Alembic", not "stale"."""
    heads_now = file_heads(pm)
    if not heads_now:
        return False
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        stored_now = {
            str(r[0]) for r in conn.execute(text("SELECT version_num FROM alembic_version"))
        }
    return stored_now == set(heads_now)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a core migration (for developers)."""
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)
