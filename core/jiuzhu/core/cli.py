"""The `jiuzhu` command line. Every failure is one line naming the cause and the fix:
the root group turns exceptions into `error: …` lines (jiuzhu.core.cli_errors).

Start-up is light: this module imports click and little else, so `jiuzhu --help` and
`jiuzhu COMMAND --help` need no database layer, plugin manager or numpy; commands import
what they use in their bodies, and plugins' commands come from entry points of group
``jiuzhu.commands``, loaded only when a command is not a built-in one or for the list."""

from __future__ import annotations

import difflib
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from .cli_errors import TRACEBACK_ENV, OperatorError, lines_for
from .entrypoints import (
    COMMANDS_GROUP,
    DISABLE_ENV,
    PluginError,
    blocked_from_env,
    entry_points,
    load,
)
from .textcols import pad, table

if TYPE_CHECKING:
    import pluggy
    from sqlalchemy import Engine

    from .plugins import Regions

F = TypeVar("F", bound=Callable[..., Any])
SECRET_HINT = "generate one: python -c 'import secrets; print(secrets.token_hex(32))'"


def friendly(func: F) -> F:
    """Turn the errors that are meant for people into a message and exit code 1 or 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .base import ConfigError, Invalid, NotFound, Refused

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


class Interrupted(OperatorError):
    """Ctrl-C; the message says what state was left and how to go on."""

    exit_code = 130


class FriendlyGroup(click.Group):
    """The root group: any failure of any subcommand (plugins' too) becomes `error: …`
    lines and exit status 1 (130 for Ctrl-C); `region` is accepted for `regions`.

    Plugins add commands with an entry point of group ``jiuzhu.commands`` named after the
    plugin (so blocking the plugin hides them) that names a click command or a list of them;
    they are loaded when a name is not a built-in command's, or to list them all."""

    aliases = {"region": "regions"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plugin_commands: dict[str, click.Command] | None = None

    def plugin_commands(self) -> dict[str, click.Command]:
        """Every plugin's commands by name, loaded once; a plugin that fails to load is a
        warning, and the built-in commands still run."""
        if self._plugin_commands is None:
            self._plugin_commands = {}
            for ep in entry_points(COMMANDS_GROUP, blocked_from_env()):
                try:
                    found = load(ep)
                except PluginError as exc:
                    click.echo(f"warning: {exc}", err=True)
                    continue
                for command in found if isinstance(found, list | tuple) else [found]:
                    if not isinstance(command, click.Command) or not command.name:
                        click.echo(
                            f"warning: plugin '{ep.name}' ({ep.value}): {command!r} is not a "
                            "named click command; ignored",
                            err=True,
                        )
                    elif command.name in self.commands or command.name in self._plugin_commands:
                        click.echo(
                            f"warning: plugin '{ep.name}' adds a command '{command.name}', "
                            f"a name already taken; ignored (block it with "
                            f"{DISABLE_ENV}={ep.name})",
                            err=True,
                        )
                    else:
                        self._plugin_commands[command.name] = command
        return self._plugin_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.plugin_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        name = self.aliases.get(cmd_name, cmd_name)
        found = self.commands.get(name) or self.plugin_commands().get(name)
        return found or self.hook_commands().get(name)

    def hook_commands(self) -> dict[str, click.Command]:
        """Commands of plugins still adding them by the ``jiuzhu_cli_commands`` hook: the
        plugins load only for a name found nowhere else (a typo costs that once)."""
        try:
            pm = make_plugin_manager()
        except PluginError:
            return {}  # the command that needs plugins says so; an unknown name stays unknown
        added = click.Group()
        pm.hook.jiuzhu_cli_commands(cli=added)
        return {n: c for n, c in added.commands.items() if n not in self.commands}

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # `jiuzhu plugins | head`: the reader left; so do we, quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(1)
        except Exception as exc:
            if os.environ.get(TRACEBACK_ENV):
                raise
            url = ctx.obj.raw_url if isinstance(ctx.obj, Context) else None
            for line in lines_for(exc, url):
                click.echo(f"error: {line}", err=True)
            ctx.exit(getattr(exc, "exit_code", 1))


def make_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager of a command run, built when the command first needs it (tests
    replace this to run on the built-in plugins alone)."""
    from .plugins import make_plugin_manager as from_entry_points

    return from_entry_points()


class Context:
    """Per-invocation state: the database URL is checked, and the plugin manager, the
    regions and the engine are built, once and only when a command needs them."""

    def __init__(self, database_url: str | None) -> None:
        self.database_url = database_url
        self.url_origin = ""  # where the URL came from: an option, the environment, or ""
        self._pm: pluggy.PluginManager | None = None
        self._regions: Regions | None = None
        self._engine: Engine | None = None

    @property
    def raw_url(self) -> str:
        from .storage.engine import database_url

        return database_url(self.database_url)

    @property
    def url(self) -> str:
        from .storage.urls import check_url

        return check_url(self.raw_url)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from .storage.engine import make_engine

            self._engine = make_engine(self.url)
        return self._engine

    @property
    def pm(self) -> pluggy.PluginManager:
        if self._pm is None:
            self._pm = make_plugin_manager()
        return self._pm

    @property
    def regions(self) -> Regions:
        if self._regions is None:
            from .plugins import load_regions

            self._regions = load_regions(self.pm)
        return self._regions

    def region_id(self, region_id: str) -> str:
        """`region_id` if a plugin registers it; else an error listing the known ones."""
        known = sorted(self.regions.by_id)
        if region_id in known:
            return region_id
        raise unknown_region(region_id, known)

    def region_ids(self, value: str | None) -> list[str] | None:
        """A comma-separated `--regions` value, every id checked (None: all regions)."""
        if value is None or not value.strip():
            return None
        return [self.region_id(r.strip()) for r in value.split(",") if r.strip()]


def unknown_region(region_id: str, known: list[str]) -> OperatorError:
    listed = ", ".join(known) or "none (install a region plugin)"
    close = difflib.get_close_matches(region_id, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return OperatorError(f"unknown region {region_id!r}{hint}; known: {listed}")


pass_ctx = click.make_pass_decorator(Context)
REGIONS_HELP = "Comma-separated region ids, e.g. ordos,changji (default: every region)."


@click.group(cls=FriendlyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    source = ctx.get_parameter_source("database_url")
    if source == click.core.ParameterSource.ENVIRONMENT:
        ctx.obj.url_origin = "JIUZHU_DATABASE_URL"
    elif source == click.core.ParameterSource.COMMANDLINE:
        ctx.obj.url_origin = "--database-url"


@cli.group()
def regions() -> None:
    """List, show, check, test and scaffold regions."""


@regions.command("list")
@pass_ctx
def regions_list(ctx: Context) -> None:
    """List every region the installed plugins provide."""
    loaded = ctx.regions
    rows = []
    for region in sorted(loaded, key=lambda r: r.id):
        source = loaded.sources[region.id]
        rows.append(
            [
                region.id,
                region.info.code,
                f"{region.info.name} ({region.info.name_en})",
                str(len(region.catalogue.items)),
                f"{source.plugin} {source.version}".strip(),
            ]
        )
    for line in table(["id", "code", "name", "items", "plugin"], rows, "<<<><"):
        click.echo(line)


@regions.command("show")
@click.argument("region_id")
@click.option("--json", "as_json", is_flag=True, help="Print the region's data as JSON.")
@pass_ctx
def regions_show(ctx: Context, region_id: str, as_json: bool) -> None:
    """Print a region's catalogue, tiers, funding, eligibility and every other file."""
    from .describe import region_data, region_text

    region = ctx.regions.get(ctx.region_id(region_id))
    if as_json:
        click.echo(json.dumps(region_data(region), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(region_text(region))


@regions.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@pass_ctx
def regions_check(ctx: Context, path: Path) -> None:
    """Validate the region files in PATH (a folder, or one of its .toml files): every
    problem in every file, each as `file: key.path: what was expected`."""
    from .plugins import load_region_dir

    folder = path.parent if path.suffix == ".toml" else path
    region = load_region_dir(ctx.pm, folder)
    files = ", ".join(["region", "catalogue", "assessment", *sorted(region.sections)])
    click.echo(
        f"ok: {region.info.name} ({region.id}): {len(region.catalogue.items)} items, "
        f"files {files} in {folder}"
    )


@regions.command("test")
@click.argument("region_ids", nargs=-1)
@click.option("-v", "--verbose", is_flag=True, help="Print every scenario, not only failures.")
@pass_ctx
def regions_test(ctx: Context, region_ids: tuple[str, ...], verbose: bool) -> None:
    """Run the scenario tests a region package ships (scenarios/*.toml): facts in,
    eligibility, stage, split and refusal out. Default: every region."""
    from .scenarios import run_region_scenarios

    ids = [ctx.region_id(r) for r in region_ids] or sorted(ctx.regions.by_id)
    failed = total = 0
    for rid in ids:
        results = run_region_scenarios(ctx.regions, rid)
        for result in results:
            total += 1
            if result.ok:
                if verbose:
                    click.echo(f"ok    {rid}: {result.name}")
                continue
            failed += 1
            click.echo(f"FAIL  {rid}: {result.name} ({result.where})")
            for problem in result.problems:
                click.echo(f"        {problem}")
        if not results:
            click.echo(f"note  {rid}: no scenarios (add scenarios/*.toml to its package)")
    click.echo(f"{total - failed} of {total} scenario(s) passed in {len(ids)} region(s)")
    if failed:
        raise OperatorError(f"{failed} scenario(s) failed")


@regions.command("new")
@click.argument("name")
@click.option("--from", "template", required=True, help="The region to copy, e.g. ordos.")
@click.option(
    "--into",
    "parent",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    show_default=True,
    help="Folder to create the package in.",
)
@click.option("--title", default=None, help="The region's Chinese name (default: the template's).")
@click.option("--code", default=None, help="Its 6-digit GB/T 2260 code (default: the template's).")
@pass_ctx
def regions_new(
    ctx: Context,
    name: str,
    template: str,
    parent: Path,
    title: str | None,
    code: str | None,
) -> None:
    """Scaffold an installable region package NAME from an installed region: pyproject
    with the entry point, data, scenarios, tests and a README."""
    from .scaffold import new_region

    source = ctx.regions.get(ctx.region_id(template))
    made = new_region(source, name, parent, title=title, code=code)
    click.echo(f"created {made.root} (package {made.package}, region id {name})")
    click.echo("next: " + " && ".join(made.next_steps))


def services(ctx: Context, schema: bool = True) -> Any:
    """The services on the command's database; with `schema`, refuse a database that is
    not at every migration head (one line saying to run `jiuzhu db upgrade`)."""
    from .services import Services
    from .storage import migrate

    engine = ctx.engine
    if schema:
        migrate.require_current(engine, ctx.pm)
    return Services(engine=engine, regions=ctx.regions)


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
def db_upgrade(ctx: Context, revision: str) -> None:
    """Create or upgrade the schema: the core's and every plugin's (all heads)."""
    from .storage import migrate
    from .storage.urls import safe

    migrate.upgrade(ctx.engine, ctx.pm, revision)
    at = ", ".join(migrate.current_heads(ctx.engine, ctx.pm)) or "empty"
    click.echo(f"database at {at} ({safe(ctx.url)})")


@db.command("current")
@pass_ctx
def db_current(ctx: Context) -> None:
    """Print every head (the core's and each plugin's) and whether the database is at it."""
    from .storage import migrate

    state = migrate.state(ctx.engine, ctx.pm)
    if not state.current and not state.unknown:
        click.echo("empty (run jiuzhu db upgrade)")
        return
    click.echo(state.describe())
    done = migrate.applied(ctx.engine, ctx.pm)
    for head in sorted(state.heads):
        click.echo(f"  {head}  {'ok' if head in done else 'pending (run jiuzhu db upgrade)'}")


def checked_secret(engine: Engine, workers: int) -> bytes:
    """The web secret, refusing what would break sessions: a short key, or processes that
    would each make up their own."""
    from .web.pages.secret import SECRET_ENV, load_secret, secret_file

    key = os.environ.get(SECRET_ENV, "").strip()
    if key and len(key) < 32:
        raise OperatorError(
            f"{SECRET_ENV} has {len(key)} characters; it needs at least 32: {SECRET_HINT}"
        )
    if not key and secret_file(engine) is None:
        if workers > 1:
            raise OperatorError(
                f"--workers {workers} needs {SECRET_ENV} (each process would make up its own "
                f"key and sessions would fail between them): {SECRET_HINT}"
            )
        click.echo(
            f"warning: {SECRET_ENV} is not set: sessions and rating links end when the "
            "server restarts",
            err=True,
        )
    return load_secret(engine)


def server_processes(engine: Engine, asked: int | None) -> int:
    """How many server processes: what was asked, else one per core; SQLite runs one (its
    writers queue for one lock, and its secret key file is per process's first start)."""
    if engine.dialect.name == "sqlite":
        if asked is not None and asked > 1:
            raise OperatorError(
                f"--workers {asked} needs PostgreSQL: SQLite takes one server process; run "
                "with --workers 1, or set JIUZHU_DATABASE_URL to a PostgreSQL database"
            )
        return 1
    return asked if asked is not None else max(1, os.cpu_count() or 1)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="JIUZHU_HOST")
@click.option("--port", default=8000, show_default=True, type=int, envvar="JIUZHU_PORT")
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    envvar="JIUZHU_WORKERS",
    help="Server processes (they share JIUZHU_SECRET_KEY and the database); default: one "
    "per core on PostgreSQL, 1 on SQLite (which takes no more).",
)
@pass_ctx
def serve(ctx: Context, host: str, port: int, workers: int | None) -> None:
    """Start the web application (API under /api, OpenAPI at /schema).

    Host, port and workers can also come from JIUZHU_HOST, JIUZHU_PORT and JIUZHU_WORKERS.
    Behind a reverse proxy on this host, X-Forwarded-* headers from 127.0.0.1 are trusted
    (uvicorn's FORWARDED_ALLOW_IPS widens that)."""
    import uvicorn

    from .storage.engine import URL_ENV
    from .web.app import create_app

    svc = services(ctx)
    workers = server_processes(svc.engine, workers)
    key = checked_secret(svc.engine, workers)
    click.echo(f"jiuzhu {__version__} serving on http://{host}:{port} ({workers} process(es))")
    from .web.logs import configure

    configure()  # JIUZHU_LOG_FORMAT=json: one JSON line per request (no personal data)
    # uvicorn's access log would print query strings (ID numbers, names): jiuzhu logs instead
    if workers == 1:
        uvicorn.run(
            create_app(svc, secret_key=key),
            host=host,
            port=port,
            log_level="info",
            access_log=False,
        )
        return
    os.environ[URL_ENV] = ctx.url  # the worker processes build their app from it
    uvicorn.run(
        "jiuzhu.core.web.entry:app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )


@cli.command()
@click.option("--regions", "regions_opt", default=None, help=REGIONS_HELP)
@pass_ctx
def demo(ctx: Context, regions_opt: str | None) -> None:
    """Load demo data. Idempotent and resumable: a second run adds nothing, and a run
    stopped half-way (Ctrl-C) is finished by the next."""
    from .demo import load_demo
    from .storage import migrate

    ids = ctx.region_ids(regions_opt)
    svc = services(ctx, schema=False)
    migrate.upgrade(svc.engine, ctx.pm)
    try:
        for line in load_demo(svc, ids):
            click.echo(line)
    except KeyboardInterrupt:
        raise Interrupted(
            "interrupted: every step done so far is complete (each commits on its own); "
            "run `jiuzhu demo` again to finish loading"
        ) from None


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

    ctx.region_id(region_id)
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
    rows = [
        [
            row.label,
            str(row.households),
            str(row.persons),
            str(row.person_times),
            f"{row.hours:.1f}",
            yuan(row.amount_fen),
        ]
        for row in [*result.rows, result.total]
    ]
    for line in table(["", "户", "人", "人次", "小时", "金额"], rows, "<>>>>>"):
        click.echo(line)
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
def entitlements_close_period(ctx: Context, region_id: str, period: str) -> None:
    """After PERIOD (e.g. 2025-03) has ended, append an entitlement.shortfall event to every
    case of REGION_ID whose floor fell short. Running it again adds nothing."""
    from .access import system_actor
    from .services.entitlements import close_period

    ctx.region_id(region_id)
    svc = services(ctx)
    region = svc.region(region_id)
    written = close_period(svc, system_actor(region.id, region.info.code), region.id, period)
    for f in written:
        click.echo(f"case {f.case_id} {f.person_name}: {f.text}")
    click.echo(f"{region.info.name} {period}: {len(written)} shortfall(s) recorded")


@cli.group()
def providers() -> None:
    """Service providers (服务机构) of a region."""


@providers.command("add")
@click.argument("name")
@click.option("--region", "region_id", required=True)
@click.option("--area", default=None, help="Area code it is based in (default: the region).")
@pass_ctx
def providers_add(ctx: Context, name: str, region_id: str, area: str | None) -> None:
    """Register a provider NAME in a region (its standing comes from the region's rule)."""
    from .access import system_actor
    from .services.providers import create_provider

    region = ctx.regions.get(ctx.region_id(region_id))
    svc = services(ctx)
    actor = system_actor(region.id, region.info.code, "cli")
    provider = create_provider(svc, actor, region.id, name, area or region.info.code)
    click.echo(
        f"created provider {provider.id} {provider.name} in {region.id}/{provider.area_code}"
    )


@providers.command("list")
@click.option("--region", "region_id", required=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def providers_list(ctx: Context, region_id: str, as_json: bool) -> None:
    """The region's providers with their traffic light and number of workers."""
    import msgspec

    from .access import system_actor
    from .services.providers import get_provider, list_providers

    region = ctx.regions.get(ctx.region_id(region_id))
    svc = services(ctx)
    actor = system_actor(region.id, region.info.code, "cli")
    found = [get_provider(svc, actor, p.id) for p in list_providers(svc, actor)]
    if as_json:
        click.echo(msgspec.json.encode([v.provider for v in found]).decode())
        return
    rows = [
        [
            str(v.provider.id),
            v.provider.name,
            region.info.area_name(v.provider.area_code),
            v.provider.light or "—",
            str(sum(w.active for w in v.workers)),
            "yes" if v.provider.active else "no",
        ]
        for v in found
    ]
    for line in table(["id", "name", "area", "light", "workers", "active"], rows, "><<<><"):
        click.echo(line)


@cli.group()
def workers() -> None:
    """Social workers and carers (社工、护工) of a provider."""


@workers.command("add")
@click.argument("name")
@click.option("--provider", "provider_id", type=int, required=True, help="Provider id.")
@click.option("--qualification", "qualifications", multiple=True, help="Repeat for several.")
@click.option("--phone", default="")
@pass_ctx
def workers_add(
    ctx: Context, name: str, provider_id: int, qualifications: tuple[str, ...], phone: str
) -> None:
    """Add a worker NAME to a provider."""
    from .access import system_actor
    from .services.providers import create_worker, provider_region

    svc = services(ctx)
    region = svc.region(provider_region(svc, provider_id))
    actor = system_actor(region.id, region.info.code, "cli")
    worker = create_worker(svc, actor, provider_id, name, list(qualifications), phone)
    click.echo(f"created worker {worker.id} {worker.name} of provider {provider_id}")


@workers.command("list")
@click.option("--provider", "provider_id", type=int, required=True, help="Provider id.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def workers_list(ctx: Context, provider_id: int, as_json: bool) -> None:
    """A provider's workers (phone numbers masked)."""
    import msgspec

    from .access import system_actor
    from .services.providers import get_provider, masked_phone, provider_region

    svc = services(ctx)
    region = svc.region(provider_region(svc, provider_id))
    view = get_provider(svc, system_actor(region.id, region.info.code, "cli"), provider_id)
    shown = [msgspec.structs.replace(w, phone=masked_phone(w.phone)) for w in view.workers]
    if as_json:
        click.echo(msgspec.json.encode(shown).decode())
        return
    click.echo(f"{view.provider.name} ({region.id})")
    rows = [
        [str(w.id), w.name, "、".join(w.qualifications), w.phone, "yes" if w.active else "no"]
        for w in shown
    ]
    for line in table(["id", "name", "qualifications", "phone", "active"], rows, "><<<<"):
        click.echo(line)


@cli.command()
@pass_ctx
def doctor(ctx: Context) -> None:
    """Check the installation: database URL, driver, connection, schema, secret key,
    plugins and region data; one line each, exit status 1 on any failure."""
    from .doctor import run_checks

    failed = 0
    checks = run_checks(ctx.database_url, origin=ctx.url_origin, pm_factory=lambda: ctx.pm)
    for check in checks:
        click.echo(check.line())
        failed += check.status == "FAIL"
    if failed:
        raise OperatorError(f"{failed} check(s) failed")


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--hooks/--no-hooks", default=True, show_default=True, help="Show each plugin's hooks."
)
@pass_ctx
def plugins_cmd(ctx: Context, as_json: bool, hooks: bool) -> None:
    """The installed plugins: name, distribution and version, and the hooks they implement."""
    from .plugins import describe_plugins

    found = describe_plugins(ctx.pm)
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in found], ensure_ascii=False, indent=2))
        return
    width = max((len(p.name) for p in found), default=0)
    for p in found:
        click.echo(f"{pad(p.name, width)}  {p.distribution} {p.version}".rstrip())
        if hooks:
            for hook in p.hooks:
                click.echo(f"{'':<{width}}    {hook}")


@cli.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("docs/reference"),
    show_default=True,
)
@click.option("--check", is_flag=True, help="Only compare: exit 1 if OUTPUT is out of date.")
@pass_ctx
def reference(ctx: Context, output: Path, check: bool) -> None:
    """Write the reference of every region file (from the Structs the core and the installed
    plugins register), the fact vocabulary and the scenario format, as Markdown."""
    from .reference import render_reference, stale_files, write_reference

    pages = render_reference(ctx.pm)
    if check:
        stale = stale_files(pages, output)
        if stale:
            raise OperatorError(
                f"{output} is out of date ({', '.join(stale)}); run `jiuzhu reference -o {output}`"
            )
        click.echo(f"ok: {output} is up to date ({len(pages)} pages)")
        return
    for path in write_reference(pages, output):
        click.echo(f"wrote {path}")


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


@users.command("add")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    help="A registered role: admin, officer, clerk, provider_admin, worker, supervisor, "
    "evaluator, and those plugins add (the one-form's approver); `jiuzhu users roles` "
    "lists them.",
)
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
    "--department",
    default="",
    help="For roles whose accounts belong to a department (approvers: a department of the "
    "region's joint form).",
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
    from .access import access_registry
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
    label = access_registry(svc.regions.pm).role(user.role).label
    click.echo(f"created {user.username} ({label}) in {user.region_id}/{user.area_code}")


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
            f"{u.username:<28} {u.role:<15} {u.region_id}/{u.area_code:<12} "
            f"{'active' if u.active else 'INACTIVE':<8} sessions {info.sessions} "
            f"tokens {info.tokens} last login {shown(info.last_login) or '-'}"
            + "".join(f", {b}" for b in bound if b)
        )


@users.command("roles")
@pass_ctx
@friendly
def users_roles(ctx: Context) -> None:
    """Every registered role (the core's and the plugins') and the permissions it holds."""
    from .access import Role, access_registry

    registry = access_registry(ctx.pm)
    for role in registry.roles.values():
        if role.name == Role.SYSTEM:
            continue
        held = ", ".join(sorted(registry.grants[role.name])) or "-"
        area = "area-bound" if role.area_bound else "region-wide allowed"
        click.echo(f"{role.name:<15} {role.label}  ({area})\n    {held}")


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
    cli(prog_name="jiuzhu")
