"""The `jiuzhu` command line. Bad input and bad config get a message, never a traceback."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import pluggy

from . import __version__
from .base import ConfigError, Invalid, NotFound, Refused
from .describe import region_data, region_text
from .plugins import PluginError, load_region_dir, load_regions, make_plugin_manager

F = TypeVar("F", bound=Callable[..., Any])


def friendly(func: F) -> F:
    """Turn the errors that are meant for people into a message and exit code 1 or 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            sys.exit(1)
        except (PluginError, Refused, Invalid, NotFound) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


class Context:
    """Per-invocation state: the plugin manager is built once, lazily."""

    def __init__(self, database_url: str | None) -> None:
        self.database_url = database_url
        self._pm: pluggy.PluginManager | None = None

    @property
    def pm(self) -> pluggy.PluginManager:
        if self._pm is None:
            self._pm = make_plugin_manager()
        return self._pm


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="jiuzhu")
@click.option(
    "--database-url",
    envvar="JIUZHU_DATABASE_URL",
    default=None,
    help="SQLAlchemy URL; default: a SQLite file jiuzhu.db in the current folder.",
)
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """jiuzhu — service-type social assistance (服务类社会救助) pilots."""
    ctx.obj = Context(database_url)


@cli.group()
def regions() -> None:
    """List, show and check regions."""


@regions.command("list")
@pass_ctx
@friendly
def regions_list(ctx: Context) -> None:
    """List every region the installed plugins provide."""
    loaded = load_regions(ctx.pm)
    for region in sorted(loaded, key=lambda r: r.id):
        source = loaded.sources[region.id]
        click.echo(
            f"{region.id:<12} {region.info.code}  {region.info.name} ({region.info.name_en})"
            f"  items {len(region.catalogue.items)}  plugin {source.plugin} {source.version}"
        )


@regions.command("show")
@click.argument("region_id")
@click.option("--json", "as_json", is_flag=True, help="Print the region's data as JSON.")
@pass_ctx
@friendly
def regions_show(ctx: Context, region_id: str, as_json: bool) -> None:
    """Print a region's catalogue, tiers, funding and policies."""
    loaded = load_regions(ctx.pm)
    try:
        region = loaded.get(region_id)
    except KeyError as exc:
        raise NotFound("region", exc.args[0]) from None
    if as_json:
        click.echo(json.dumps(region_data(region), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(region_text(region))


@regions.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@pass_ctx
@friendly
def regions_check(ctx: Context, path: Path) -> None:
    """Validate the region files in PATH (a folder, or one of its .toml files)."""
    folder = path.parent if path.suffix == ".toml" else path
    region = load_region_dir(ctx.pm, folder)
    click.echo(
        f"ok: {region.info.name} ({region.id}): {len(region.catalogue.items)} items, "
        f"{len(region.budget.versions)} budget version(s), files in {folder}"
    )


def services(ctx: Context) -> Any:
    from .services import Services
    from .storage.engine import make_engine

    return Services(engine=make_engine(ctx.database_url), regions=load_regions(ctx.pm))


@cli.group()
def db() -> None:
    """Database schema (Alembic migrations shipped with jiuzhu)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_ctx
@friendly
def db_upgrade(ctx: Context, revision: str) -> None:
    """Create or upgrade the schema to REVISION."""
    from .storage import migrate
    from .storage.engine import database_url, make_engine

    engine = make_engine(ctx.database_url)
    migrate.upgrade(engine, revision)
    click.echo(
        f"database at revision {migrate.current(engine)} ({_safe(database_url(ctx.database_url))})"
    )


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db.command("current")
@pass_ctx
@friendly
def db_current(ctx: Context) -> None:
    """Print the schema revision of the database."""
    from .storage import migrate
    from .storage.engine import make_engine

    click.echo(migrate.current(make_engine(ctx.database_url)) or "empty (run jiuzhu db upgrade)")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@pass_ctx
@friendly
def serve(ctx: Context, host: str, port: int) -> None:
    """Start the web application (API under /api, OpenAPI at /schema)."""
    import uvicorn

    from .storage import migrate
    from .web.app import create_app

    svc = services(ctx)
    if migrate.current(svc.engine) != migrate.head():
        raise ConfigError(
            ["database: schema is not at the latest revision; run `jiuzhu db upgrade`"]
        )
    click.echo(f"jiuzhu {__version__} serving on http://{host}:{port}")
    from .web.logs import configure

    configure()  # JIUZHU_LOG_FORMAT=json: one JSON line per request (no personal data)
    # uvicorn's access log would print query strings (ID numbers, names): jiuzhu logs instead
    uvicorn.run(create_app(svc), host=host, port=port, log_level="info", access_log=False)


@cli.command()
@click.option("--region", "region_ids", multiple=True, help="Only these regions (default: all).")
@pass_ctx
@friendly
def demo(ctx: Context, region_ids: tuple[str, ...]) -> None:
    """Load demo data (idempotent: a second run adds nothing)."""
    from .demo import load_demo
    from .storage import migrate

    svc = services(ctx)
    migrate.upgrade(svc.engine)
    for line in load_demo(svc, list(region_ids) or None):
        click.echo(line)


@cli.command()
@click.option("--region", "region_id", required=True)
@click.option(
    "--by",
    "group_by",
    default="item",
    show_default=True,
    type=click.Choice(["region", "area", "item", "category", "provider", "month"]),
)
@click.option("--area", default=None)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@friendly
def stats(
    ctx: Context,
    region_id: str,
    group_by: str,
    area: str | None,
    start: Any,
    end: Any,
    as_json: bool,
) -> None:
    """Statistics in persons (人), person-times (人次), hours and money by funding source."""
    import msgspec

    from .access import system_actor
    from .money import yuan
    from .services.stats import statistics

    svc = services(ctx)
    region = svc.region(region_id)
    result = statistics(
        svc,
        system_actor(region.id, region.info.code),
        group_by,
        area,
        start.date() if start else None,
        end.date() if end else None,
    )
    if as_json:
        click.echo(msgspec.json.encode(result).decode())
        return
    click.echo(f"{region.info.name} — by {group_by}")
    click.echo(f"{'':<24}{'人':>8}{'人次':>8}{'小时':>10}{'金额':>16}")
    for row in [*result.rows, result.total]:
        click.echo(
            f"{row.label:<24}{row.persons:>8}{row.person_times:>8}{row.hours:>10.1f}"
            f"{yuan(row.amount_fen):>16}"
        )
    click.echo(
        "资金来源："
        + "；".join(f"{result.funding_names[k]} {yuan(v)}" for k, v in result.funding.items())
    )


@cli.group()
def users() -> None:
    """Users of the web application and the API."""


@users.command("add")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(
        [
            "admin",
            "officer",
            "clerk",
            "approver",
            "provider_admin",
            "worker",
            "supervisor",
            "evaluator",
        ]
    ),
)
@click.option("--region", "region_id", required=True)
@click.option("--area", default=None, help="Area code the user is bound to (default: region).")
@click.option("--name", "display_name", default="")
@click.option("--provider-id", type=int, default=None)
@click.option("--worker-id", type=int, default=None)
@click.option("--department", default="")
@click.password_option(envvar="JIUZHU_NEW_PASSWORD")
@pass_ctx
@friendly
def users_add(
    ctx: Context,
    username: str,
    role: str,
    region_id: str,
    area: str | None,
    display_name: str,
    provider_id: int | None,
    worker_id: int | None,
    department: str,
    password: str,
) -> None:
    """Create a user bound to a region and an area of its hierarchy."""
    from .services.users import add_user

    user = add_user(
        services(ctx),
        username,
        password,
        role,
        region_id,
        area,
        display_name,
        provider_id,
        worker_id,
        department,
    )
    click.echo(f"created {user.username} ({user.role.label}) in {user.region_id}/{user.area_code}")


@cli.group()
def tokens() -> None:
    """Bearer tokens for other systems calling the API."""


@tokens.command("create")
@click.argument("username")
@click.option("--label", default="")
@pass_ctx
@friendly
def tokens_create(ctx: Context, username: str, label: str) -> None:
    """Print a new token for USERNAME (shown once; only its hash is stored)."""
    from .services.users import create_token

    click.echo(create_token(services(ctx), username, label))


@tokens.command("revoke")
@click.argument("username")
@pass_ctx
@friendly
def tokens_revoke(ctx: Context, username: str) -> None:
    """Revoke every token of USERNAME."""
    from .services.users import revoke_tokens

    click.echo(f"revoked {revoke_tokens(services(ctx), username)} token(s)")


def main() -> None:
    pm_for_commands = None
    try:
        pm_for_commands = make_plugin_manager()
    except PluginError as exc:
        # still run built-in commands; the error shows again where plugins are needed
        click.echo(f"warning: {exc}", err=True)
    if pm_for_commands is not None:
        pm_for_commands.hook.jiuzhu_cli_commands(cli=cli)
    cli(prog_name="jiuzhu")
