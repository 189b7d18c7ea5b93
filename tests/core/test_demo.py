"""`jiuzhu demo`: one `--regions a,b` convention, unknown regions refused with the known
ones listed, and Ctrl-C anywhere leaves whole steps that the next run completes — to exactly
what an uninterrupted run loads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

import jiuzhu.core.demo as demo_mod
from jiuzhu.core.cli import cli
from jiuzhu.core.demo import load_demo
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.storage.engine import make_engine
from jiuzhu.core.storage.tables import metadata, orders, users

from ..conftest import Clock, _truncate
from ..dbsafety import pg_url

COUNTED = [
    "providers",
    "workers",
    "persons",
    "cases",
    "assessments",
    "entitlements",
    "orders",
    "deliveries",
    "ratings",
    "ledger",
    "case_events",
    "users",
]


def summary(engine: Engine) -> dict[str, Any]:
    """What the demo loaded, without ids, times or passwords."""
    tables = {t.name: t for t in metadata.sorted_tables}
    with engine.connect() as conn:
        out: dict[str, Any] = {
            name: conn.execute(select(func.count()).select_from(tables[name])).scalar_one()
            for name in COUNTED
        }
        out["order states"] = Counter(
            (r.region_id, r.item_code, r.status)
            for r in conn.execute(select(orders.c.region_id, orders.c.item_code, orders.c.status))
        )
        out["users"] = sorted(conn.execute(select(users.c.username)).scalars())
        ledger = tables["ledger"]
        out["ledger"] = dict(
            conn.execute(
                select(ledger.c.source_code, func.sum(ledger.c.amount_fen)).group_by(
                    ledger.c.source_code
                )
            ).all()
        )
    return out


@pytest.fixture(scope="module")
def clean(regions: Regions, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo loaded in one go into a fresh SQLite database."""
    from jiuzhu.core.storage import migrate

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('clean') / 'demo.db'}")
    migrate.upgrade(engine)
    svc = Services(engine=engine, regions=regions, clock=Clock())
    list(load_demo(svc, ["ordos"]))
    return summary(engine)


def interrupt_at(monkeypatch: pytest.MonkeyPatch, name: str, call: int) -> None:
    """Make the demo's `name` step raise KeyboardInterrupt (Ctrl-C) on its `call`-th use."""
    real: Callable[..., Any] = getattr(demo_mod, name)
    seen = {"n": 0}

    def step(*args: Any, **kwargs: Any) -> Any:
        seen["n"] += 1
        if seen["n"] == call:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(demo_mod, name, step)


@pytest.mark.parametrize(
    ("step", "call"),
    [
        ("create_worker", 2),
        ("create_person", 3),
        ("record_assessment", 2),
        ("grant_entitlement", 1),
        ("place_order", 4),
        ("accept_order", 2),
        ("finish_order", 3),
        ("rate_order", 1),
        ("add_user", 5),
    ],
)
def test_interrupted_demo_is_completed_by_the_next_run(
    svc: Services,
    engine: Engine,
    clean: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    call: int,
) -> None:
    if pg_url() is not None:
        _truncate(engine)
    with monkeypatch.context() as m:
        interrupt_at(m, step, call)
        with pytest.raises(KeyboardInterrupt):
            list(load_demo(svc, ["ordos"]))
    assert summary(engine) != clean  # it did stop half-way
    lines = list(load_demo(svc, ["ordos"]))
    assert summary(engine) == clean
    # the data finished, or (interrupted among the users) the users still missing made
    assert any("finished an interrupted run" in ln or ln.startswith("  user") for ln in lines)
    again = list(load_demo(svc, ["ordos"]))
    assert [ln for ln in again if not ln.startswith("  user")] == [
        "ordos: demo data already loaded"
    ]
    assert summary(engine) == clean


def test_ctrl_c_in_the_cli_says_how_to_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    interrupt_at(monkeypatch, "place_order", 2)
    result = CliRunner().invoke(cli, ["--database-url", url, "demo", "--regions", "ordos"])
    assert result.exit_code == 130
    assert result.stderr.strip().endswith("run `jiuzhu demo` again to finish loading"), (
        result.stderr
    )
    monkeypatch.undo()
    again = CliRunner().invoke(cli, ["--database-url", url, "demo", "--regions", "ordos"])
    assert again.exit_code == 0 and "finished an interrupted run" in again.stdout


def test_regions_option_is_comma_separated_like_compare(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    result = CliRunner().invoke(cli, ["--database-url", url, "demo", "--regions", "ordos,binzhou"])
    assert result.exit_code == 0, result.output
    loaded = [ln.split(":")[0] for ln in result.stdout.splitlines() if not ln.startswith(" ")]
    assert loaded == ["binzhou", "ordos"]
    old = CliRunner().invoke(cli, ["--database-url", url, "demo", "--region", "ordos"])
    assert old.exit_code == 2 and "No such option" in old.output
