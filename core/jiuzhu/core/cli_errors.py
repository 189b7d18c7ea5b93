"""Every failure of a `jiuzhu` command as one line for an operator: the cause and the fix.

The CLI turns exceptions into these lines at its boundary (see cli.FriendlyGroup); no
traceback, no SQL statement and no bound parameters (which may hold a password hash) are
printed. An exception nobody foresaw still gets one line, and JIUZHU_TRACEBACK=1 shows it.

The CLI imports this module at start, so what explains errors is imported only when there
is one to explain.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError

TRACEBACK_ENV = "JIUZHU_TRACEBACK"


class OperatorError(Exception):
    """A failure whose message is already written for the operator."""


def lines_for(exc: BaseException, url: str | None = None) -> list[str]:
    """The lines to print (without the `error: ` prefix) for an exception."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

    from .base import ConfigError, Invalid, NotFound, Refused
    from .entrypoints import PluginError
    from .storage.migrate import SchemaError
    from .storage.urls import POSTGRES_EXTRA, DatabaseUrlError, safe

    if isinstance(exc, ConfigError):
        return list(exc.problems)
    if isinstance(exc, (OperatorError, DatabaseUrlError, SchemaError, PluginError)):
        return [str(exc)]
    if isinstance(exc, (Refused, Invalid, NotFound)):
        return [str(exc)]
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").startswith("psycopg"):
        return [f"the PostgreSQL driver psycopg is not installed; {POSTGRES_EXTRA}"]
    if isinstance(exc, DBAPIError):
        return [database_problem(exc, url)]
    if isinstance(exc, (ArgumentError, NoSuchModuleError)):
        return [
            f"database URL {safe(url or '')}: {exc}; write sqlite:///… or postgresql+psycopg://…"
        ]
    if isinstance(exc, SQLAlchemyError):
        return [f"database error: {type(exc).__name__}: {_first_line(str(exc))}"]
    if isinstance(exc, PermissionError):
        return [f"permission denied: {exc.filename or exc}; check the file's owner and mode"]
    if isinstance(exc, OSError) and exc.filename:
        return [f"{exc.filename}: {exc.strerror}"]
    return [
        f"unexpected {type(exc).__name__}: {_first_line(str(exc))} — a bug in jiuzhu or a "
        f"plugin; rerun with {TRACEBACK_ENV}=1 for the traceback and report it"
    ]


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else "(no message)"


_DB_MISSING = re.compile(r'database "(?P<name>[^"]+)" does not exist')
_ROLE_MISSING = re.compile(r'role "(?P<name>[^"]+)" does not exist')


def database_problem(exc: DBAPIError, url: str | None) -> str:
    """What a driver error means, from its message only (never the statement or its
    parameters, which `str(exc)` of a SQLAlchemy error would include)."""
    from .storage.migrate import UPGRADE_HINT
    from .storage.urls import safe

    message = str(exc.orig) if exc.orig is not None else ""
    where = _where(url)
    if m := _DB_MISSING.search(message):
        return (
            f"database {m['name']!r} does not exist on {where}; create it "
            f"(createdb {m['name']}) or correct the database URL"
        )
    if m := _ROLE_MISSING.search(message):
        return f"PostgreSQL user {m['name']!r} does not exist on {where}; correct the URL's user"
    if "password authentication failed" in message or "no password supplied" in message:
        return f"PostgreSQL at {where} refused the user's password; correct the database URL"
    if "Connection refused" in message or "No such file or directory" in message:
        return (
            f"nothing is listening at {where} (connection refused); start PostgreSQL "
            "or correct the host and port in the database URL"
        )
    if "failed to resolve host" in message or "could not translate host name" in message:
        return f"unknown database host in {safe(url or '')}; correct the database URL"
    if "timeout" in message.lower() and "connect" in message.lower():
        return f"PostgreSQL at {where} did not answer in time; check the network and firewall"
    if (
        "no such table" in message
        or "UndefinedTable" in type(exc.orig).__name__
        or re.search(r'relation "[^"]+" does not exist', message)
    ):
        return f"the database at {where} has no jiuzhu schema (or an old one); {UPGRADE_HINT}"
    if "unable to open database file" in message:
        return f"SQLite cannot open {where}; check that the folder exists and is writable"
    if "readonly database" in message or "read-only" in message:
        return f"the database at {where} is read-only for this user; check file or role rights"
    if "database is locked" in message:
        return f"the SQLite database {where} is busy (another process is writing); try again"
    return f"database error at {where}: {_first_line(message) if message else type(exc).__name__}"


def _where(url: str | None) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if not url:
        return "the database"
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "the database"
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or "(memory)"
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
