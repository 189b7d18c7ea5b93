"""Start-up does no needless work: `serve`'s schema check reads alembic_version against the
heads of the revision files without importing Alembic when they match (Alembic still
diagnoses anything else), and the heads read from the files are Alembic's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jiuzhu.core.plugins import Regions
from jiuzhu.core.storage import migrate
from jiuzhu.core.storage.engine import make_engine

CHECK = """
import sys
import jiuzhu.core.cli, jiuzhu.core.web.app
from jiuzhu.core.plugins import make_plugin_manager
from jiuzhu.core.storage import migrate
from jiuzhu.core.storage.engine import make_engine
migrate.require_current(make_engine(sys.argv[1]), make_plugin_manager())
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] == "alembic")))
"""


def test_file_heads_are_alembics_heads(regions: Regions) -> None:
    assert migrate.file_heads(regions.pm) == frozenset(migrate.heads(regions.pm))


def test_schema_check_of_a_current_database_imports_no_alembic(
    tmp_path: Path, regions: Regions
) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    migrate.upgrade(make_engine(url), regions.pm)
    out = subprocess.run(
        [sys.executable, "-c", CHECK, url], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_a_stale_database_is_still_diagnosed(tmp_path: Path, regions: Regions) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine, regions.pm, revision="0004_core_model")
    assert not migrate.at_heads_quickly(engine, regions.pm)
    with pytest.raises(migrate.SchemaError, match="jiuzhu db upgrade"):
        migrate.require_current(engine, regions.pm)
