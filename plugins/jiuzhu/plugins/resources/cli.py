"""`jiuzhu resources …`: the library from the command line (the same services as the API).
`jiuzhu --help` imports this module, so the commands import the services where they run."""

from __future__ import annotations

from pathlib import Path

import click
import msgspec

from jiuzhu.core.cli import Context, pass_ctx, services
from jiuzhu.core.money import yuan
from jiuzhu.core.textcols import table

from .config import KIND_LABELS, Offer, Resource


def _actor(ctx: Context, region_id: str):  # type: ignore[no-untyped-def]
    from jiuzhu.core.access import system_actor

    ctx.region_id(region_id)
    svc = services(ctx)
    region = svc.region(region_id)
    return svc, system_actor(region.id, region.info.code, "cli")


@click.group("resources")
def resources_command() -> None:
    """融救联助: the resource library, charity funds, wishes and volunteers."""


@resources_command.command("list")
@click.option("--region", "region_id", required=True)
@click.option("--need", default="", help="A need (助医, 学习用品 …): resources that answer it.")
@click.option("--area", default="", help="An area code: resources that serve it.")
@click.option("--kind", default="", type=click.Choice(["", *KIND_LABELS]))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def list_command(
    ctx: Context, region_id: str, need: str, area: str, kind: str, as_json: bool
) -> None:
    """Search the library by need and area."""
    from . import library

    svc, actor = _actor(ctx, region_id)
    found = library.search(svc, actor, need, area, kind)
    if as_json:
        click.echo(msgspec.json.encode(found).decode())
        return
    rows = [
        [r.code, r.kind_label, r.name, r.area_name, "；".join(o.content for o in r.offers)]
        for r in found
    ]
    for line in table(["code", "类别", "名称", "区域", "服务内容"], rows, "<<<<<"):
        click.echo(line)
    click.echo(f"{len(found)} 个资源")


@resources_command.command("add")
@click.option("--region", "region_id", required=True)
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(list(KIND_LABELS)))
@click.option("--area", "area_code", required=True, help="Area code where the resource is.")
@click.option("--offer", "contents", multiple=True, help="Service content (repeatable).")
@click.option("--needs", default="", help="Need tags the offers answer, comma-separated.")
@click.option("--capacity", default=0, type=click.IntRange(0))
@click.option("--standard", default="")
@click.option("--contact", default="")
@click.option("--location", default="", help="A 需求哨点's place (小区院落).")
@click.option("--source", default="", help="Where the entry comes from (else illustrative).")
@pass_ctx
def add_command(
    ctx: Context,
    region_id: str,
    code: str,
    name: str,
    kind: str,
    area_code: str,
    contents: tuple[str, ...],
    needs: str,
    capacity: int,
    standard: str,
    contact: str,
    location: str,
    source: str,
) -> None:
    """Add one resource with its offers."""
    from . import library

    svc, actor = _actor(ctx, region_id)
    tags = [t.strip() for t in needs.split(",") if t.strip()]
    res = Resource(
        code=code,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        area_code=area_code,
        contact=contact,
        location=location,
        offers=[
            Offer(content=c, needs=tags, capacity=capacity, standard=standard) for c in contents
        ],
        source=source,
        illustrative=not source,
    )
    view = library.add_resource(svc, actor, res)
    click.echo(f"added {view.code} ({view.kind_label}) #{view.id} with {len(view.offers)} offers")


@resources_command.command("import")
@click.option("--region", "region_id", required=True)
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A CSV file (code,name,kind,area_code,contact,location,content,needs[,source]); "
    "default: the library and funds of the region's resources.toml.",
)
@pass_ctx
def import_command(ctx: Context, region_id: str, path: Path | None) -> None:
    """Add the resources not yet in the library (by code); all or nothing."""
    from . import charity, library

    svc, actor = _actor(ctx, region_id)
    if path is None:
        items = library.config(svc.region(region_id)).library
        funds = charity.ensure_funds(svc, actor)
    else:
        items, funds = library.read_csv(path.read_text(encoding="utf-8-sig")), 0
    added, had = library.import_library(svc, actor, items)
    click.echo(f"imported {added} resources ({had} already there), {funds} new charity funds")


@resources_command.command("link-account")
@click.option("--region", "region_id", required=True)
@click.argument("username")
@click.argument("code")
@pass_ctx
def link_command(ctx: Context, region_id: str, username: str, code: str) -> None:
    """Let a unit account (role unit) act for the library's resource CODE."""
    from . import library

    svc, actor = _actor(ctx, region_id)
    library.link_unit_account(svc, actor, username, code)
    click.echo(f"{username} acts for {code}")


@resources_command.command("stats")
@click.option("--region", "region_id", required=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def stats_command(ctx: Context, region_id: str, as_json: bool) -> None:
    """The library, wishes, charity funds and volunteers in figures."""
    from . import charity, library, volunteers, wishes

    svc, actor = _actor(ctx, region_id)
    counts = library.counts(svc, actor)
    ws = wishes.statistics(svc, actor, region_id)
    funds = charity.statements(svc, actor)
    vs = volunteers.statistics(svc, actor)
    if as_json:
        click.echo(
            msgspec.json.encode(
                {"library": counts, "wishes": ws, "funds": funds, "volunteers": vs}
            ).decode()
        )
        return
    for c in counts:
        reported = f"（来源报告 {c.reported}）" if c.reported is not None else ""
        click.echo(f"{c.label}: {c.in_library}{reported}")
    click.echo(
        f"微心愿: 发布 {ws.published}，认领 {ws.claimed}，圆梦 {ws.fulfilled}，"
        f"确认 {ws.confirmed}；"
        f"价值 {yuan(ws.value_published_fen)}，已圆梦 {yuan(ws.value_fulfilled_fen)}"
    )
    for f in funds:
        click.echo(
            f"慈善资金 {f.name}: 捐赠 {yuan(f.donations_fen)}，支出 {yuan(f.grants_fen)}，"
            f"服务分担 {yuan(f.services_fen)}，余额 {yuan(f.balance_fen)}"
        )
    click.echo(
        f"志愿者: {vs.volunteers} 人（救助对象 {vs.from_recipients}，"
        f"家庭成员 {vs.from_families}），"
        f"服务 {vs.hours} 小时"
    )
