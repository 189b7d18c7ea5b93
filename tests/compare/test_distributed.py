"""--engine dask: the same region rules partition by partition on a two-worker local cluster,
equal figure for figure to the local engine (issue 14 item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from jiuzhu.core import cli as core_cli
from jiuzhu.core.base import Invalid
from jiuzhu.core.plugins import Regions, make_plugin_manager
from jiuzhu.core.testing import all_builtin_plugins
from jiuzhu.plugins.compare.distributed import compare_dask, same_figures
from jiuzhu.plugins.compare.engine import PlanSettings, compare
from jiuzhu.plugins.compare.population import BLOCK, PopulationSettings, generate
from jiuzhu.plugins.compare.roster import read_roster, write_roster

from .helpers import ON


@pytest.fixture(scope="module")
def cluster() -> object:
    """One two-worker local cluster (processes) for the module."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        yield c


def test_synthetic_population_equal_figure_for_figure(regions: Regions, cluster: object) -> None:
    ps = PopulationSettings(people=2 * BLOCK + 1234, seed=13)  # three partitions
    plan = PlanSettings(on=ON, overrides=["changji.budget.annual_fen=150000"])
    local = compare(regions, generate(ps), settings=plan)
    parts: list[int] = []
    remote = compare_dask(
        regions,
        population=ps,
        settings=plan,
        scheduler=cluster.scheduler_address,  # type: ignore[attr-defined]
        progress=lambda done, total: parts.append(total),
        partition_blocks=1,
    )
    assert parts == [3, 3, 3]
    assert remote.engine == "dask" and local.engine == "local"
    assert same_figures(local, remote)
    assert remote.region("changji").entitlement.annual_fen == 150000


def test_parquet_roster_partitions(regions: Regions, cluster: object, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    people = generate(PopulationSettings(people=3000, seed=21, area_code="652327"))
    path = tmp_path / "roster.parquet"
    write_roster(people, path)
    table = pq.read_table(path)
    pq.write_table(table, path, row_group_size=1000)  # three row groups: three partitions
    plan = PlanSettings(on=ON)
    local = compare(regions, read_roster(path), settings=plan)
    remote = compare_dask(
        regions,
        roster=path,
        settings=plan,
        scheduler=cluster.scheduler_address,  # type: ignore[attr-defined]
    )
    assert same_figures(local, remote)
    assert remote.population.roster_sha256 == local.population.roster_sha256


def test_a_bad_cell_in_a_partition_names_its_row(
    regions: Regions, cluster: object, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "bad.parquet"
    ages = [str(40 + i % 30) for i in range(30)]
    ages[25] = "abc"
    pq.write_table(pa.table({"age": ages}), path, row_group_size=10)
    with pytest.raises(Invalid, match=r"bad.parquet: row 27, column A \(age\)"):
        compare_dask(
            regions,
            roster=path,
            settings=PlanSettings(on=ON),
            scheduler=cluster.scheduler_address,  # type: ignore[attr-defined]
        )


def test_only_parquet_rosters(regions: Regions, tmp_path: Path) -> None:
    with pytest.raises(Invalid, match=r"reads a \.parquet roster"):
        compare_dask(regions, roster=tmp_path / "people.csv", settings=PlanSettings(on=ON))


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> click.Group:
    def builtins() -> object:
        return make_plugin_manager(entry_points=False, plugins=all_builtin_plugins())

    monkeypatch.setattr(core_cli, "make_plugin_manager", builtins)
    return core_cli.cli


def test_cli_engine_dask(cli: click.Group, cluster: object) -> None:
    args = ["compare", "--people", "2000", "--seed", "4", "--on", "2025-06-01", "--format", "json"]
    local = CliRunner().invoke(cli, args)
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    remote = CliRunner().invoke(cli, [*args, "--engine", "dask", "--scheduler", address])
    assert local.exit_code == 0 and remote.exit_code == 0, remote.output
    a, b = json.loads(local.stdout), json.loads(remote.stdout)
    for x in (a, b):
        x.pop("seconds")
        x.pop("engine")
    assert a == b
    bad = CliRunner().invoke(cli, [*args, "--scheduler", address])
    assert bad.exit_code != 0 and "--engine dask" in bad.output
