"""The schema is created only by Alembic; an empty database upgrades to head."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect as sa_inspect

from jiuzhu.core.storage import migrate
from jiuzhu.core.storage.engine import make_engine
from jiuzhu.core.storage.tables import metadata


def test_empty_sqlite_upgrades_to_head(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert migrate.current(engine) is None
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    assert set(sa_inspect(engine).get_table_names()) >= {t.name for t in metadata.sorted_tables}
    migrate.upgrade(engine)  # idempotent


def test_test_database_is_at_head(engine):
    """Runs on PostgreSQL when JIUZHU_TEST_DATABASE_URL is set (pg_engine migrated it)."""
    assert migrate.current(engine) == migrate.head()
    assert set(sa_inspect(engine).get_table_names()) >= {t.name for t in metadata.sorted_tables}


def test_models_match_the_migrations(engine):
    """No table or column defined in tables.py is missing from the migrated schema."""
    inspector = sa_inspect(engine)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert {c.name for c in table.columns} <= columns, table.name
