"""``jiuzhu import`` and ``jiuzhu export``.

Who acts: by default the CLI acts as the system role (username ``cli``) of the region —
whoever runs it already holds the database URL, so it sees whole ID numbers and every area.
``--as USER`` acts as that user account instead: its role's permissions, its area, and its
masking of ID numbers. Every import and export is written to the audit log either way."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from jiuzhu.core.cli import Context, pass_ctx, services

from .kinds import EXPORTS, FORMATS, KINDS

if TYPE_CHECKING:  # imported where used: `jiuzhu --help` imports this module
    from jiuzhu.core.access import Actor


def acting(ctx: Context, svc: object, region_id: str, username: str | None) -> Actor:
    from jiuzhu.core.access import access_registry, system_actor
    from jiuzhu.core.base import Refused
    from jiuzhu.core.services import Services
    from jiuzhu.core.services.users import get_user

    assert isinstance(svc, Services)
    region = svc.region(region_id)
    if username is None:
        return system_actor(region.id, region.info.code, "cli")
    user = get_user(svc, username)
    if not user.active:
        raise Refused("access", f"用户 {username} 已停用")
    actor = user.actor(access_registry(ctx.pm))
    if actor.region_id != region_id:
        raise Refused("access", f"用户 {username} 不属于地区 {region_id}")
    return actor


AS_HELP = "Act as this user account (its role, area and ID masking); default: the system role."


@click.group("import")
def import_group() -> None:
    """Bulk import of rosters (CSV UTF-8/GBK or XLSX): dry run by default, --apply writes."""


def _import_command(kind: str) -> click.Command:
    @click.command(kind)
    @click.argument("region_id")
    @click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
    @click.option("--apply", "apply_", is_flag=True, help="Write all rows (one transaction).")
    @click.option(
        "--errors",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Where to write the error workbook (default: FILE.问题.xlsx beside FILE).",
    )
    @click.option("--as", "as_user", default=None, help=AS_HELP)
    @pass_ctx
    def command(
        ctx: Context,
        region_id: str,
        file: Path,
        apply_: bool,
        errors: Path | None,
        as_user: str | None,
    ) -> None:
        from .importer import run_import
        from .reader import FileProblem, read_path
        from .report import write_error_workbook

        ctx.region_id(region_id)
        svc = services(ctx)
        actor = acting(ctx, svc, region_id, as_user)
        try:
            sheet = read_path(file)
        except FileProblem as exc:
            click.echo(f"error: {file}: {exc}", err=True)
            sys.exit(1)
        outcome = run_import(svc, actor, kind, region_id, sheet, apply=apply_, source=file.name)
        click.echo(outcome.summary())
        if outcome.problems:
            target = errors or file.with_name(f"{file.stem}.问题.xlsx")
            write_error_workbook(outcome, target)
            click.echo(f"问题清单：{target}")
            for p in outcome.problems[:5]:
                where = f"第{p.row}行" + (f"「{p.column}」" if p.column else "")
                click.echo(f"  {where}：{p.message}")
            if len(outcome.problems) > 5:
                click.echo(f"  …… 共{len(outcome.problems)}处，见问题清单")
            if apply_:
                click.echo("error: 有问题的行，未写入任何数据；按问题清单改正后重新导入", err=True)
                sys.exit(1)
            return
        if outcome.applied:
            click.echo(f"已写入：新增{outcome.new}，更新{outcome.updated}。")
        elif apply_:
            click.echo("没有变化，未写入。")
        else:
            click.echo("试导入（未写入）：没有问题；加 --apply 写入。")

    command.__doc__ = (
        f"Import {kind} of REGION_ID from FILE (CSV or XLSX). Dry run by default: checks "
        "every row and writes an error workbook when a row has problems; --apply writes "
        "all rows in one transaction, or none."
    )
    return command


for _kind in KINDS:
    import_group.add_command(_import_command(_kind))


@import_group.command("template")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--region", "region_id", default=None, help="Lists this region's areas.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None)
@pass_ctx
def template_command(ctx: Context, kind: str, region_id: str | None, output: Path | None) -> None:
    """Write an empty KIND workbook: headers, a help row and drop-down lists."""
    from .template import write_template

    info = ctx.regions.get(ctx.region_id(region_id)).info if region_id else None
    target = output or Path(f"{kind}-模板.xlsx")
    write_template(kind, info, target)
    click.echo(f"模板：{target}")


@click.command("export")
@click.argument("kind", type=click.Choice(EXPORTS))
@click.argument("region_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="xlsx", show_default=True)
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--area", default=None, help="Only this area code and the areas below it.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--as", "as_user", default=None, help=AS_HELP)
@pass_ctx
def export_command(
    ctx: Context,
    kind: str,
    region_id: str,
    fmt: str,
    start: datetime | None,
    end: datetime | None,
    area: str | None,
    output: Path | None,
    as_user: str | None,
) -> None:
    """Export KIND of REGION_ID (cases, orders, deliveries, statistics by area and month,
    one-form applications) as XLSX or CSV; every export is audited. Dates are days in
    Shanghai, both included (statistics default: this year to today)."""
    from jiuzhu.core.times import local_date

    from .export import Filters, default_name, export

    ctx.region_id(region_id)
    svc = services(ctx)
    actor = acting(ctx, svc, region_id, as_user)
    target = output or Path(default_name(kind, region_id, fmt, local_date(svc.now())))
    filters = Filters(
        start=start.date() if start else None, end=end.date() if end else None, area=area
    )
    n = export(svc, actor, kind, region_id, fmt, target, filters, via=f"cli:{actor.username}")
    masked = "" if actor.can("id.full") else "，身份证号已脱敏"
    click.echo(f"{target}：{n}行{masked}")


# Both commands, for the entry point of group jiuzhu.commands (pyproject.toml).
COMMANDS = [import_group, export_command]
