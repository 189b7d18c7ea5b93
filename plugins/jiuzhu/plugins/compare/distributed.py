"""The comparison beyond one machine: the same region rules, partition by partition, on Dask.

``jiuzhu compare --engine dask --scheduler tcp://HOST:8786`` (or a local cluster when no
address is given). Partitions are the synthetic population's blocks (a worker draws its
block itself from the seed: no people travel) or a Parquet roster's row groups (a worker
reads its row group). Each worker builds the regions' models from the plugins installed on
it — through the same hooks, with the same scenario — runs ``run_chunk`` over its partition
and returns the additive ``Totals``; the client merges them and summarises exactly as the
local engine does, so the result is the same ``Comparison``, figure for figure.

Workers must have the same jiuzhu and region plugins installed as the client: each task
returns the plugin versions it ran, and a mismatch is an error.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec

from jiuzhu.core.base import Invalid
from jiuzhu.core.plugins import Regions, load_regions, make_plugin_manager

from .engine import (
    PlanSettings,
    RegionModel,
    Totals,
    build_models,
    resolve,
    run_chunk,
)
from .population import BLOCK, People, PopulationInfo, PopulationSettings, Synthetic, concat
from .results import Comparison
from .summary import comparison_of
from .versions import plugin_version

# Synthetic partitions: 8 blocks (524,288 people) each — large enough that the per-task
# overhead is small, small enough that a worker holds ~150 MB per task.
PARTITION_BLOCKS = 8


@dataclass(frozen=True)
class Source:
    """Where a partition's people come from: a synthetic population or a Parquet roster."""

    settings: bytes = b""  # PopulationSettings as JSON (synthetic)
    roster: str = ""  # path of a Parquet roster, as the workers see it
    parts: int = 0
    blocks: int = 1  # synthetic: blocks of BLOCK people per partition


@lru_cache(maxsize=4)
def _models(plan: bytes, ids: tuple[str, ...]) -> tuple[list[RegionModel], dict[str, str]]:
    """The regions' models on this worker, built once per worker process and plan."""
    regions = load_regions(make_plugin_manager())
    settings = msgspec.json.decode(plan, type=PlanSettings)
    s, on, rids, scen, changed, _ = resolve(regions, 0, list(ids), settings)
    versions = {rid: plugin_version(regions, rid) for rid in rids}
    return build_models(scen, rids, s, on, changed), versions


def run_partition(source: Source, part: int, plan: bytes, ids: tuple[str, ...]) -> Any:
    """One partition through every region's model: (Totals per region, plugin versions)."""
    models, versions = _models(plan, ids)
    if source.settings:
        settings = msgspec.json.decode(source.settings, type=PopulationSettings)
        synthetic = Synthetic(settings)
        first = part * source.blocks
        pop, needs = concat([synthetic.block(b) for b in range(first, first + source.blocks)])
    else:
        from .roster import read_parquet_part

        pop, needs = read_parquet_part(Path(source.roster), part)
    totals = []
    for model in models:
        t = Totals()
        run_chunk(model, pop, needs, t)
        totals.append(t)
    return totals, versions


def compare_dask(
    regions: Regions,
    *,
    population: PopulationSettings | None = None,
    roster: Path | None = None,
    region_ids: Sequence[str] | None = None,
    settings: PlanSettings | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
    partition_blocks: int = PARTITION_BLOCKS,
) -> Comparison:
    """The comparison on a Dask cluster (``scheduler``: its address; None starts a local
    cluster of ``workers`` processes). Give ``population`` settings or a Parquet ``roster``."""
    try:
        dd: Any = importlib.import_module("distributed")  # optional: jiuzhu[dask]
    except ImportError:
        raise Invalid(
            "--engine dask", "Dask is not installed: pip install 'jiuzhu[dask]'"
        ) from None
    started = time.perf_counter()
    s, on, ids, scen, changed, normalised = resolve(regions, 0, region_ids, settings)
    s = msgspec.structs.replace(s, on=on)
    models = build_models(scen, ids, s, on, changed)  # the client's own, to summarise
    source, info = _source(population, roster, partition_blocks)
    plan = msgspec.json.encode(s)
    local = scheduler is None
    cluster = (
        dd.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        if local
        else None
    )
    try:
        client = dd.Client(cluster if cluster is not None else scheduler)
    except OSError as exc:
        raise Invalid("--scheduler", f"cannot reach {scheduler}: {exc}") from None
    try:
        futures = client.map(
            run_partition,
            [source] * source.parts,
            range(source.parts),
            plan=plan,
            ids=tuple(ids),
            pure=False,
        )
        totals = [Totals() for _ in models]
        mine = {rid: plugin_version(regions, rid) for rid in ids}
        for done, future in enumerate(dd.as_completed(futures), start=1):
            parts, versions = future.result()
            if versions != mine:
                raise Invalid(
                    "--engine dask",
                    f"a worker runs other plugin versions ({versions}) than this machine "
                    f"({mine}); install the same jiuzhu and region plugins on every worker",
                )
            totals = [a.merge(b) for a, b in zip(totals, parts, strict=True)]
            future.release()
            if progress is not None:
                progress(done, source.parts)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    people = _Info(info)
    return comparison_of(
        models, totals, people, s, on, normalised, time.perf_counter() - started, engine="dask"
    )


class _Info(People):
    """Only the provenance of a population the workers read (comparison_of needs .info)."""

    def __init__(self, info: PopulationInfo) -> None:
        self.info = info
        self._ids = []


def _source(
    population: PopulationSettings | None, roster: Path | None, partition_blocks: int
) -> tuple[Source, PopulationInfo]:
    if roster is not None:
        if roster.suffix.lower() != ".parquet":
            raise Invalid(
                "--roster",
                f"{roster.name}: --engine dask reads a .parquet roster (its row groups are "
                "the partitions); convert the file, or use the local engine",
            )
        import pyarrow.parquet as pq

        from .roster import _sha256, parquet_parts

        if not roster.exists():
            raise Invalid("--roster", f"{roster}: no such file")
        parts = parquet_parts(roster)
        people = int(pq.ParquetFile(roster).metadata.num_rows)
        info = PopulationInfo(
            source="roster", people=people, roster=roster.name, roster_sha256=_sha256(roster)
        )
        return Source(roster=str(roster.resolve()), parts=parts), info
    settings = population or PopulationSettings()
    blocks = -(-settings.people // BLOCK)
    parts = -(-blocks // partition_blocks)
    info = PopulationInfo(
        source="synthetic", people=settings.people, seed=settings.seed, settings=settings
    )
    return Source(
        settings=msgspec.json.encode(settings), parts=parts, blocks=partition_blocks
    ), info


def same_figures(a: Comparison, b: Comparison) -> bool:
    """Equal figure for figure (wall time and engine name aside)."""
    strip: Callable[[Comparison], Any] = lambda c: msgspec.to_builtins(  # noqa: E731
        msgspec.structs.replace(c, seconds=0.0, engine="")
    )
    return bool(strip(a) == strip(b))


__all__ = ["compare_dask", "run_partition", "same_figures"]
