"""`jiuzhu feeds …` and `jiuzhu warnings …`: load department data, list the queue.

ID numbers are printed as a supervisor sees them (masked, through jiuzhu.core.access).
`jiuzhu --help` imports this module, so the commands import the services where they run."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from jiuzhu.core.cli import Context, pass_ctx, services
from jiuzhu.core.money import yuan
from jiuzhu.core.textcols import table
from jiuzhu.core.times import shown

if TYPE_CHECKING:
    from jiuzhu.core.access import Actor


def _viewer(ctx: Context, region_id: str, area: str) -> Actor:
    """Who the printed lines are shaped for: a supervisor of the region (IDs masked)."""
    from jiuzhu.core.access import Role, access_registry

    return access_registry(ctx.pm).actor(
        username="cli", role=Role.SUPERVISOR, region_id=region_id, area_code=area
    )


@click.group()
def feeds() -> None:
    """Department data feeds (政策找人): load a file, list loads."""


@feeds.command("load")
@click.argument("region_id")
@click.argument("kind")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--by", "by", default=None, help="Who loads it (default: cli:<login name>).")
@pass_ctx
def feeds_load(ctx: Context, region_id: str, kind: str, path: Path, by: str | None) -> None:
    """Load PATH (CSV in UTF-8 or GBK, or XLSX) as feed KIND of REGION_ID, then run the
    region's warning rules. A file with any bad row is refused whole."""
    from jiuzhu.core.access import shown_id, system_actor

    from .feeds import FeedRefused
    from .service import load_feed

    ctx.region_id(region_id)
    svc = services(ctx)
    region = svc.region(region_id)
    who = by or f"cli:{getpass.getuser()}"
    actor = system_actor(region.id, region.info.code, who[:60])
    try:
        result = load_feed(svc, actor, region_id, kind, path.name, path.read_bytes())
    except FeedRefused as exc:
        for problem in exc.problems:
            click.echo(f"error: {path}: {problem}", err=True)
        click.echo(
            f"error: {path}: {len(exc.problems)} problem(s), nothing loaded; "
            "fix the rows above and load the file again",
            err=True,
        )
        sys.exit(1)
    viewer = _viewer(ctx, region.id, region.info.code)
    click.echo(
        f"loaded {result.rows} rows of {result.kind_name} ({result.kind}) from {path.name} "
        f"as load #{result.load_id}: {result.matched} matched, "
        f"{result.unregistered} unregistered; {result.warnings} new warning(s); "
        f"sha256 {result.sha256[:16]}…"
    )
    if result.exited:
        click.echo("exited on a death record: " + ", ".join(f"case #{c}" for c in result.exited))
    for why in result.not_exited:
        click.echo(f"warning: not exited now: {why}", err=True)
    if result.unregistered_ids:
        shown_ids = ", ".join(shown_id(viewer, n) for n in result.unregistered_ids[:5])
        click.echo(f"unregistered: {shown_ids}")


@feeds.command("list")
@click.argument("region_id")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def feeds_list(ctx: Context, region_id: str, as_json: bool) -> None:
    """Every load of REGION_ID: who, when, which file (sha256), how many rows."""
    import msgspec

    from jiuzhu.core.access import system_actor

    from .service import loads

    ctx.region_id(region_id)
    svc = services(ctx)
    region = svc.region(region_id)
    rows = loads(svc, system_actor(region.id, region.info.code, "cli"), region_id)
    if as_json:
        click.echo(msgspec.json.encode(rows).decode())
        return
    lines = [
        [
            str(r.id),
            r.kind,
            r.filename,
            str(r.rows),
            str(r.matched),
            str(r.unregistered),
            str(r.warnings),
            r.loaded_by,
            shown(r.loaded_at),
            r.sha256[:12],
        ]
        for r in rows
    ]
    heads = ["#", "种类", "文件", "行", "匹配", "未登记", "预警", "导入人", "时间", "sha256"]
    for line in table(heads, lines, "<<<>>>><<<"):
        click.echo(line)


@click.group()
def warnings() -> None:
    """The queue of warnings and leads (政策找人)."""


@warnings.command("list")
@click.option("--region", "region_id", required=True)
@click.option("--level", type=click.Choice(["red", "orange", "yellow"]), default=None)
@click.option(
    "--status",
    type=click.Choice(["open", "closed", "all"]),
    default="open",
    show_default=True,
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_ctx
def warnings_list(ctx: Context, region_id: str, level: str | None, status: str, fmt: str) -> None:
    """The open warnings and leads of a region, most urgent first (ID numbers masked)."""
    import msgspec

    from .service import list_signals, monitoring_of

    ctx.region_id(region_id)
    svc = services(ctx)
    region = svc.region(region_id)
    monitoring_of(region)
    viewer = _viewer(ctx, region.id, region.info.code)
    found = list_signals(
        svc, viewer, region_id, status=None if status == "all" else status, level=level
    )
    if fmt == "json":
        click.echo(msgspec.json.encode(found).decode())
        return
    if not found:
        click.echo("no warnings")
        return
    lines = [
        [
            str(s.id),
            s.level_label,
            s.rule_name or s.source_label,
            s.id_number or "-",
            s.name or ("未登记" if not s.registered else ""),
            s.area_code,
            yuan(s.value) if s.trigger.get("unit") == "money" else str(s.value),
            shown(s.due_at) + ("（已超时）" if s.overdue else ""),
        ]
        for s in found
    ]
    heads = ["#", "等级", "规则/来源", "身份证号", "姓名", "区划", "触发值", "响应期限"]
    for line in table(heads, lines, "<<<<<<><"):
        click.echo(line)


@warnings.command("due")
@click.option("--region", "region_id", required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_ctx
def warnings_due(ctx: Context, region_id: str, fmt: str) -> None:
    """Open cases whose periodic re-certification (动态复核) is due."""
    import msgspec

    from .dynamic import due_recertifications
    from .service import monitoring_of

    ctx.region_id(region_id)
    svc = services(ctx)
    region = svc.region(region_id)
    monitoring_of(region)
    found = due_recertifications(svc, _viewer(ctx, region.id, region.info.code))
    if fmt == "json":
        click.echo(msgspec.json.encode(found).decode())
        return
    if not found:
        click.echo("no re-certification due")
        return
    lines = [[str(d.case_id), d.name, d.area_code, str(d.since), str(d.due_on)] for d in found]
    for line in table(["案件", "姓名", "区划", "上次", "应复核"], lines):
        click.echo(line)


@warnings.command("escalate")
@click.option("--region", "region_id", required=True)
@pass_ctx
def warnings_escalate(ctx: Context, region_id: str) -> None:
    """Escalate (督办) every open warning or lead past its deadline, once; run it from a
    timer as often as the region likes."""
    from jiuzhu.core.access import system_actor

    from .service import monitoring_of
    from .work import escalate_overdue

    ctx.region_id(region_id)
    svc = services(ctx)
    region = svc.region(region_id)
    monitoring_of(region)
    done = escalate_overdue(svc, system_actor(region.id, region.info.code, "cli"))
    click.echo(f"escalated {done} overdue warning(s)")


@warnings.command("compare")
@click.option(
    "--feed",
    "feeds_given",
    multiple=True,
    required=True,
    metavar="KIND=FILE",
    help="A department file as feed KIND (e.g. medical=医保.csv); repeat for more kinds.",
)
@click.option(
    "--applied",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="A text or CSV file whose first column holds the ID numbers of people who applied.",
)
@click.option("--regions", "region_ids", default="", help="Comma-separated; default: all.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_ctx
def warnings_compare(
    ctx: Context,
    feeds_given: tuple[str, ...],
    applied: Path | None,
    region_ids: str,
    fmt: str,
) -> None:
    """Every region's warning rules over the same department files: how many people each
    rule finds, and how many of them beyond those who applied (nothing is stored)."""
    import csv

    import msgspec

    from .comparison import compare_rules
    from .feeds import FeedRefused

    files: dict[str, Path] = {}
    for given in feeds_given:
        kind, sep, name = given.partition("=")
        path = Path(name)
        if not sep or not kind or not name:
            raise click.BadParameter(f"{given!r}: expected KIND=FILE", param_hint="--feed")
        if not path.is_file():
            raise click.BadParameter(f"{name}: no such file", param_hint="--feed")
        files[kind] = path
    who: set[str] = set()
    if applied is not None:
        with applied.open(encoding="utf-8-sig", newline="") as f:
            who = {r[0].strip().upper() for r in csv.reader(f) if r and r[0].strip()}
    wanted = ctx.region_ids(region_ids)
    chosen = [r for r in ctx.regions if wanted is None or r.id in wanted]
    try:
        found = compare_rules(chosen, files, applied=who)
    except FeedRefused as exc:
        for problem in exc.problems:
            click.echo(f"error: {exc.filename}: {problem}", err=True)
        click.echo(f"error: {exc.filename}: {len(exc.problems)} problem(s)", err=True)
        sys.exit(1)
    if fmt == "json":
        click.echo(msgspec.json.encode(found).decode())
        return
    if not found:
        click.echo("no region with warning rules (monitoring.toml) among those chosen")
        return
    lines = [
        [
            r.region_id,
            r.name + ("（示例）" if r.illustrative else ""),
            r.level,
            str(r.flagged),
            str(r.beyond_applicants),
        ]
        for r in found
    ]
    for line in table(["地区", "规则", "等级", "发现人数", "其中未申请"], lines, "<<<>>"):
        click.echo(line)


# Both groups, for the entry point of group jiuzhu.commands (pyproject.toml).
COMMANDS = [feeds, warnings]
