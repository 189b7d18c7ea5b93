"""Schema changes only through Alembic; the migrations ship inside the package.

The schema may have several branches (the core's and, later, one per plugin that owns
tables), so "up to date" means: the database is at every head of the script directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

UPGRADE_HINT = "run `jiuzhu db upgrade`"


class SchemaError(RuntimeError):
    """The database's schema is missing or not at the revisions this jiuzhu expects."""


def alembic_config(version_locations: Sequence[str] = ()) -> Config:
    """The core's migrations, plus any extra version folders (a plugin's branch)."""
    cfg = Config()
    cfg.set_main_option("script_location", "jiuzhu.core:migrations")
    if version_locations:
        core = "jiuzhu.core:migrations/versions"
        cfg.set_main_option("version_locations", " ".join([core, *version_locations]))
        cfg.set_main_option("path_separator", "space")
    return cfg


def upgrade(engine: Engine, revision: str = "heads", cfg: Config | None = None) -> None:
    cfg = cfg or alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current(engine: Engine) -> str | None:
    """The single revision of a one-branch schema (None: no schema yet)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def current_heads(engine: Engine) -> set[str]:
    """Every revision the database is at (one per branch)."""
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def heads(cfg: Config | None = None) -> set[str]:
    """Every head of the script directory: the revisions an up-to-date database is at."""
    return set(ScriptDirectory.from_config(cfg or alembic_config()).get_heads())


@dataclass(frozen=True)
class SchemaState:
    current: frozenset[str]
    heads: frozenset[str]
    unknown: frozenset[str]  # revisions in the database that no migration here defines

    @property
    def up_to_date(self) -> bool:
        return self.current == self.heads

    def describe(self) -> str:
        at = ", ".join(sorted(self.current)) or "nothing"
        want = ", ".join(sorted(self.heads))
        if self.unknown:
            return (
                f"the database is at revision {', '.join(sorted(self.unknown))}, which this "
                f"jiuzhu does not know (expects {want}); a newer jiuzhu migrated it: "
                "upgrade jiuzhu, or restore a backup taken before that upgrade"
            )
        if not self.current:
            return f"the database has no jiuzhu schema yet; {UPGRADE_HINT}"
        if self.up_to_date:
            return f"at {at} (all heads)"
        return f"the database schema is at {at} but this jiuzhu expects {want}; {UPGRADE_HINT}"


def state(engine: Engine, cfg: Config | None = None) -> SchemaState:
    script = ScriptDirectory.from_config(cfg or alembic_config())
    at = current_heads(engine)
    known = {rev.revision for rev in script.walk_revisions()}
    return SchemaState(
        current=frozenset(at),
        heads=frozenset(script.get_heads()),
        unknown=frozenset(at - known),
    )


def require_current(engine: Engine, cfg: Config | None = None) -> None:
    """Raise SchemaError unless the database is at every head."""
    st = state(engine, cfg)
    if not st.up_to_date:
        raise SchemaError(st.describe())


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration (for developers)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)
