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
from .access import Role
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
    files = ", ".join(["region", "catalogue", "assessment", *sorted(region.sections)])
    click.echo(
        f"ok: {region.info.name} ({region.id}): {len(region.catalogue.items)} items, "
        f"files {files} in {folder}"
    )


def services(ctx: Context) -> Any:
    from .services import Services
    from .storage.engine import make_engine

    return Services(engine=make_engine(ctx.database_url), regions=load_regions(ctx.pm))


@cli.group()
def db() -> None:
    """Database schema (Alembic migrations shipped with jiuzhu)."""


@db.command("upgrade")
@click.option(
    "--revision",
    default="heads",
    show_default=True,
    help="heads: the core and every plugin's tables; or one revision.",
)
@pass_ctx
@friendly
def db_upgrade(ctx: Context, revision: str) -> None:
    """Create or upgrade the schema: the core's and every plugin's (all heads)."""
    from .storage import migrate
    from .storage.engine import database_url, make_engine

    engine = make_engine(ctx.database_url)
    migrate.upgrade(engine, ctx.pm, revision)
    heads = ", ".join(migrate.current_heads(engine, ctx.pm)) or "empty"
    click.echo(f"database at {heads} ({_safe(database_url(ctx.database_url))})")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db.command("current")
@pass_ctx
@friendly
def db_current(ctx: Context) -> None:
    """Print every head (the core's and each plugin's) and whether the database is at it."""
    from .storage import migrate
    from .storage.engine import make_engine

    engine = make_engine(ctx.database_url)
    done = migrate.applied(engine, ctx.pm)
    if not done:
        click.echo("empty (run jiuzhu db upgrade)")
        return
    for head in migrate.heads(ctx.pm):
        click.echo(f"{head}  {'ok' if head in done else 'pending (run jiuzhu db upgrade)'}")


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
    if not migrate.is_current(svc.engine, ctx.pm):
        raise ConfigError(
            ["database: schema is not at the latest revisions; run `jiuzhu db upgrade`"]
        )
    click.echo(f"jiuzhu {__version__} serving on http://{host}:{port}")
    uvicorn.run(create_app(svc), host=host, port=port, log_level="info")


@cli.command()
@click.option("--region", "region_ids", multiple=True, help="Only these regions (default: all).")
@pass_ctx
@friendly
def demo(ctx: Context, region_ids: tuple[str, ...]) -> None:
    """Load demo data (idempotent: a second run adds nothing)."""
    from .demo import load_demo
    from .storage import migrate

    svc = services(ctx)
    migrate.upgrade(svc.engine, ctx.pm)
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
    """Statistics in households (户), persons (人), person-times (人次), hours and money."""
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
    click.echo(f"{'':<24}{'户':>8}{'人':>8}{'人次':>8}{'小时':>10}{'金额':>16}")
    for row in [*result.rows, result.total]:
        click.echo(
            f"{row.label:<24}{row.households:>8}{row.persons:>8}{row.person_times:>8}"
            f"{row.hours:>10.1f}{yuan(row.amount_fen):>16}"
        )
    click.echo(
        "资金来源："
        + "；".join(f"{result.funding_names[k]} {yuan(v)}" for k, v in result.funding.items())
    )


@cli.group()
def entitlements() -> None:
    """Entitlements: close a period of time floors (records each shortfall on its case)."""


@entitlements.command("close-period")
@click.argument("region_id")
@click.argument("period")
@pass_ctx
@friendly
def entitlements_close_period(ctx: Context, region_id: str, period: str) -> None:
    """After PERIOD (e.g. 2025-03) has ended, append an entitlement.shortfall event to every
    case of REGION_ID whose floor fell short. Running it again adds nothing."""
    from .access import system_actor
    from .services.entitlements import close_period

    svc = services(ctx)
    region = svc.region(region_id)
    written = close_period(svc, system_actor(region.id, region.info.code), region.id, period)
    for f in written:
        click.echo(f"case {f.case_id} {f.person_name}: {f.text}")
    click.echo(f"{region.info.name} {period}: {len(written)} shortfall(s) recorded")


@cli.group()
def users() -> None:
    """Users of the web application and the API."""


def _read_password(prompt: str) -> str:
    """The password from JIUZHU_NEW_PASSWORD, else from standard input when it is not a
    terminal (one line: `echo "$PW" | jiuzhu users add …`), else asked once, hidden."""
    import os

    env = os.environ.get("JIUZHU_NEW_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=False))


ROLES = [r.value for r in Role if r != Role.SYSTEM]


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--region", "region_id", required=True)
@click.option(
    "--area",
    default=None,
    help="Area code the user is bound to. Required except for admin and evaluator; "
    "give the region's own code for region-wide access.",
)
@click.option("--name", "display_name", default="")
@click.option("--provider-id", type=int, default=None)
@click.option("--worker-id", type=int, default=None)
@click.option(
    "--department", default="", help="Approvers: a department of the region's joint form."
)
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
) -> None:
    """Create a user bound to a region and an area of its hierarchy. The password is read
    from JIUZHU_NEW_PASSWORD or standard input, or asked for once."""
    from .services.users import add_user

    svc = services(ctx)
    svc.region(region_id)  # an unknown region is named before the password is asked for
    user = add_user(
        svc,
        username,
        _read_password("Password"),
        role,
        region_id,
        area,
        display_name,
        provider_id,
        worker_id,
        department,
    )
    click.echo(f"created {user.username} ({user.role.label}) in {user.region_id}/{user.area_code}")


@users.command("list")
@click.option("--region", "region_id", default=None)
@pass_ctx
@friendly
def users_list(ctx: Context, region_id: str | None) -> None:
    """Every user: role, region/area, binding, state, open sessions, live tokens, last login."""
    from .services.users import list_users
    from .times import shown

    for info in list_users(services(ctx), region_id):
        u = info.user
        bound = [
            f"provider {u.provider_id}" if u.provider_id else "",
            f"worker {u.worker_id}" if u.worker_id else "",
            f"department {u.department}" if u.department else "",
        ]
        click.echo(
            f"{u.username:<28} {u.role.value:<15} {u.region_id}/{u.area_code:<12} "
            f"{'active' if u.active else 'INACTIVE':<8} sessions {info.sessions} "
            f"tokens {info.tokens} last login {shown(info.last_login) or '-'}"
            + "".join(f", {b}" for b in bound if b)
        )


@users.command("passwd")
@click.argument("username")
@pass_ctx
@friendly
def users_passwd(ctx: Context, username: str) -> None:
    """Set a new password (from JIUZHU_NEW_PASSWORD, standard input, or asked for once);
    every session and API token of the user ends at once."""
    from .services.users import get_user, set_password

    svc = services(ctx)
    get_user(svc, username)  # an unknown name is named before the password is asked for
    ended = set_password(svc, username, _read_password("New password"))
    click.echo(f"password of {username} changed; {ended} session(s) and token(s) ended")


@users.command("deactivate")
@click.argument("username")
@pass_ctx
@friendly
def users_deactivate(ctx: Context, username: str) -> None:
    """Stop the user signing in; every session and token ends at once."""
    from .services.users import set_active

    ended = set_active(services(ctx), username, False)
    click.echo(f"deactivated {username}; {ended} session(s) and token(s) ended")


@users.command("activate")
@click.argument("username")
@pass_ctx
@friendly
def users_activate(ctx: Context, username: str) -> None:
    """Let the user sign in again (old sessions and tokens stay ended)."""
    from .services.users import set_active

    set_active(services(ctx), username, True)
    click.echo(f"activated {username}")


@cli.group()
def tokens() -> None:
    """Bearer tokens for other systems calling the API."""


def _duration(value: str) -> Any:
    """`90d`, `12h`, `30m` → a timedelta; anything else is a usage error."""
    from datetime import timedelta

    units = {"d": "days", "h": "hours", "m": "minutes"}
    number, unit = value[:-1], value[-1:].lower()
    if unit not in units or not number.isdigit() or int(number) < 1 or int(number) > 10**5:
        raise click.BadParameter(f"{value!r}: expected a number and d, h or m (e.g. 90d)")
    return timedelta(**{units[unit]: int(number)})


@tokens.command("create")
@click.argument("username")
@click.option("--label", default="")
@click.option("--expires", default=None, help="Lifetime, e.g. 90d, 12h (default: until revoked).")
@pass_ctx
@friendly
def tokens_create(ctx: Context, username: str, label: str, expires: str | None) -> None:
    """Print a new token for USERNAME (shown once; only its hash is stored). The token is
    the only line on standard output; its id and expiry go to standard error."""
    from .services.users import issue_token
    from .times import shown

    info, token = issue_token(
        services(ctx), username, label, _duration(expires) if expires else None
    )
    click.echo(token)
    until = f"expires {shown(info.expires_at)}" if info.expires_at else "no expiry"
    click.echo(f"token id {info.id} for {username}, {until}", err=True)


@tokens.command("list")
@click.option("--user", "username", default=None)
@pass_ctx
@friendly
def tokens_list(ctx: Context, username: str | None) -> None:
    """Tokens by id: user, label, created, expiry, state (never the token itself)."""
    from .services.users import list_tokens
    from .times import shown

    svc = services(ctx)
    now = svc.now()
    for t in list_tokens(svc, username):
        click.echo(
            f"{t.id:>6}  {t.username:<28} {t.state(now):<8} created {shown(t.created_at)}  "
            f"expires {shown(t.expires_at) or '-'}  {t.label}"
        )


@tokens.command("revoke")
@click.argument("token_id", type=int, required=False)
@click.option("--all-of", "username", default=None, help="Revoke every token of this user.")
@pass_ctx
@friendly
def tokens_revoke(ctx: Context, token_id: int | None, username: str | None) -> None:
    """Revoke the token TOKEN_ID (see `tokens list`), or every token of a user."""
    from .services.users import revoke_token, revoke_tokens

    if (token_id is None) == (username is None):
        raise click.UsageError("give a token id, or --all-of USERNAME")
    if username is not None:
        click.echo(f"revoked {revoke_tokens(services(ctx), username)} token(s) of {username}")
        return
    assert token_id is not None
    info = revoke_token(services(ctx), token_id)
    click.echo(f"revoked token {info.id} of {info.username}")


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
