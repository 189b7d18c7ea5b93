"""Alembic environment: run with the connection jiuzhu.core.storage.migrate hands in."""

from __future__ import annotations

from alembic import context

from jiuzhu.core.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through jiuzhu db upgrade
    raise RuntimeError("run migrations with `jiuzhu db upgrade`")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
