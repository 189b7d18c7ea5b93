"""``jiuzhu compare``: one population through every region's model, side by side.

`jiuzhu --help` imports this module (entry point of group jiuzhu.commands), so the engine,
numpy, the report's templates and rich are imported in the functions that run it."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from jiuzhu.core.cli import Context, friendly, pass_ctx

if TYPE_CHECKING:
    from .engine import PlanSettings
    from .population import People, PopulationSettings
    from .results import Comparison

LONG_RUN = 1_000_000  # person x regions: a run this long shows progress even without a TTY


def build_people(
    people: int | None,
    seed: int | None,
    config: Path | None,
    roster: Path | None,
) -> People:
    """The population the options describe (a roster, or the synthetic generator)."""
    from .population import generate

    if roster is not None:
        check_roster_alone(people, seed, config)
        from .roster import read_roster

        return read_roster(roster)
    return generate(population_settings(people, seed, config))


def check_roster_alone(people: int | None, seed: int | None, config: Path | None) -> None:
    if people is not None or seed is not None or config is not None:
        raise click.UsageError(
            "--roster gives the population; do not combine it with --people, --seed "
            "or --population-config"
        )


def population_settings(
    people: int | None, seed: int | None, config: Path | None
) -> PopulationSettings:
    import msgspec

    from jiuzhu.core.base import Invalid

    from .population import PopulationSettings, load_settings

    settings = load_settings(config) if config is not None else PopulationSettings()
    changes: dict[str, int] = {}
    if people is not None:
        changes["people"] = people
    if seed is not None:
        changes["seed"] = seed
    if changes:
        try:
            settings = msgspec.structs.replace(settings, **changes)
            settings.__post_init__()
        except ValueError as exc:
            raise Invalid("--people/--seed", str(exc)) from None
    return settings


def run(
    ctx: Context,
    people: People,
    region_ids: list[str] | None,
    plan: PlanSettings,
) -> Comparison:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .engine import compare

    regions = ctx.regions
    ids = region_ids or sorted(regions.by_id)
    for rid in ids:
        if rid not in regions.by_id:
            raise click.UsageError(
                f"--regions: unknown region {rid!r}; known: {', '.join(sorted(regions.by_id))}"
            )
    work = len(people) * len(ids)
    if not (work >= LONG_RUN or (sys.stderr.isatty() and work >= 10_000)):
        return compare(regions, people, region_ids=ids, settings=plan)
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("比较 comparing", total=len(people) * len(ids))

        def step(region_id: str, done: int) -> None:
            bar.update(task, advance=done, description=f"比较 comparing: {region_id}")

        return compare(regions, people, region_ids=ids, settings=plan, progress=step)


def write_files(config_out: Path | None, template: Path | None, config: Path | None) -> None:
    """--write-population-config and --write-roster-template."""
    from .population import PopulationSettings, load_settings
    from .population_config import write_population_config
    from .roster import write_template

    if config_out is not None:
        settings = load_settings(config) if config is not None else PopulationSettings()
        write_population_config(config_out, settings)
        click.echo(f"wrote {config_out}", err=True)
    if template is not None:
        write_template(template)
        click.echo(f"wrote {template}", err=True)


def explain(
    ctx: Context,
    people: People,
    result: Comparison,
    plan: PlanSettings,
    sensitivity: bool,
    decompose: bool,
) -> Comparison:
    """The comparison with its sensitivity table and structure/parameter split."""
    import msgspec
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .results import Explanation
    from .sensitivity import decompose as run_decompose
    from .sensitivity import sensitivity as run_sensitivity

    regions = ctx.regions
    ids = [r.id for r in result.regions]
    s = msgspec.structs.replace(plan, on=result.plan.on)
    rows = []
    if sensitivity:
        console = Console(stderr=True)
        with Progress(
            TextColumn("敏感性 sensitivity"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
            disable=not sys.stderr.isatty(),
        ) as bar:
            task = bar.add_task("", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            rows = run_sensitivity(regions, people, ids, s, progress=step)
    parts = run_decompose(regions, people, ids, s, as_is=result) if decompose else None
    return msgspec.structs.replace(
        result, explanation=Explanation(sensitivity=rows, decomposition=parts)
    )


@click.command("compare")
@click.option(
    "--people",
    type=click.IntRange(0, 100_000_000),
    default=None,
    help="Size of the synthetic population (default 10,000).",
)
@click.option(
    "--seed",
    type=click.IntRange(0),
    default=None,
    help="Seed of the synthetic population (default 0): same seed, same people.",
)
@click.option(
    "--population-config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="TOML file of population settings (distributions).",
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="An anonymised roster (.csv, .parquet or .xlsx) instead of a synthetic population.",
)
@click.option(
    "--regions",
    "regions_opt",
    default=None,
    help="Comma-separated region ids (default: every region).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "html"]),
    default="table",
    show_default=True,
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write to this file instead of standard output.",
)
@click.option(
    "--on",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Day whose rules and prices apply (default: today).",
)
@click.option(
    "--reviews",
    type=click.IntRange(0),
    default=None,
    help="Stage reviews per person over the year (default: enough to open all).",
)
@click.option(
    "--normalise",
    "normalise",
    type=click.Choice(["budget", "prices"]),
    multiple=True,
    help="Give every region the same annual amount (budget) or the same price per kind of "
    "need (prices). Repeat for both.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="REGION.PATH=VALUE",
    help="Change one value of a region's data for this run, e.g. "
    "ordos.budget.annual_fen=150000 or '*.budget.annual_fen=100000'. Repeatable.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: this process, chunk by chunk. dask: partition by partition on a Dask "
    "cluster (pip install 'jiuzhu[dask]'); see docs/scale.md.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="The Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: start a local cluster).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=2,
    show_default=True,
    help="Worker processes of the local Dask cluster (without --scheduler).",
)
@click.option(
    "--write-population-config",
    "write_config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the population settings (with --population-config's, if given) as an "
    "annotated TOML file — each distribution with its source or flagged illustrative — "
    "and stop.",
)
@click.option(
    "--write-roster-template",
    "write_template",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write a roster template (.csv or .xlsx: the columns and one example person) and stop.",
)
@click.option(
    "--sensitivity",
    is_flag=True,
    help="Move each illustrative parameter -20%/+20%, one at a time, and report how far "
    "the headline figures move.",
)
@click.option(
    "--decompose",
    is_flag=True,
    help="Also run with the same budget, the same prices and both, to separate differences "
    "of model structure from differences of parameters.",
)
@pass_ctx
@friendly
def compare_command(
    ctx: Context,
    people: int | None,
    seed: int | None,
    config: Path | None,
    roster: Path | None,
    regions_opt: str | None,
    fmt: str,
    output: Path | None,
    on: datetime | None,
    reviews: int | None,
    normalise: tuple[str, ...],
    overrides: tuple[str, ...],
    engine: str,
    scheduler: str | None,
    workers: int,
    write_config: Path | None,
    write_template: Path | None,
    sensitivity: bool,
    decompose: bool,
) -> None:
    """Run one population through every region's model and show the results side by side.

    \b
    Examples:
      jiuzhu compare --people 100000 --seed 7
      jiuzhu compare --roster people.xlsx --regions ordos,changji --format html -o r.html
      jiuzhu compare --normalise budget --normalise prices
      jiuzhu compare --set ordos.budget.annual_fen=150000 --decompose --sensitivity
      jiuzhu compare --write-population-config pop.toml --write-roster-template roster.xlsx
      jiuzhu compare --engine dask --scheduler tcp://10.0.0.5:8786 --roster people.parquet
    """
    from .engine import PlanSettings
    from .report import print_table, render_html, render_json, table_console

    if write_config is not None or write_template is not None:
        write_files(write_config, write_template, config)
        return
    region_ids = [r.strip() for r in regions_opt.split(",") if r.strip()] if regions_opt else None
    if regions_opt is not None and not region_ids:
        raise click.UsageError("--regions: give at least one region id")
    plan = PlanSettings(
        on=on.date() if on is not None else None,
        reviews=reviews,
        normalise=sorted(set(normalise)),
        overrides=list(overrides),
    )
    if engine == "dask":
        if sensitivity or decompose:
            raise click.UsageError("--sensitivity and --decompose run on the local engine")
        from .distributed import compare_dask

        if roster is not None:
            check_roster_alone(people, seed, config)
        result = compare_dask(
            ctx.regions,
            population=None if roster else population_settings(people, seed, config),
            roster=roster,
            region_ids=region_ids,
            settings=plan,
            scheduler=scheduler,
            workers=workers,
        )
    else:
        if scheduler is not None:
            raise click.UsageError("--scheduler goes with --engine dask")
        pop = build_people(people, seed, config, roster)
        result = run(ctx, pop, region_ids, plan)
        if sensitivity or decompose:
            result = explain(ctx, pop, result, plan, sensitivity, decompose)
    if fmt == "json":
        text = render_json(result) + "\n"
    elif fmt == "html":
        text = render_html(result)
    else:
        if output is None:
            print_table(result, table_console(sys.stdout))
            return
        with output.open("w", encoding="utf-8") as fh:
            print_table(result, table_console(fh))
        click.echo(f"wrote {output}", err=True)
        return
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
