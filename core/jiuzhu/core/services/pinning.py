"""One database connection per request: a *pin scope* around the work a request thread
does, so its token check, audit row, reads and unit of work check out one connection once.

The web app runs its sync handlers on ``RequestThreads`` (the event loop's default
executor), which opens a scope around each call; ``Services`` takes the connection lazily,
on first use, and the scope returns it when the call ends, in the same thread. A thread so
holds at most its pinned connection and, briefly, one more (an audit row written while a
unit of work is open), so request threads never wait on each other's connections; see
storage.engine for the pool sized to match.

The scope is thread-local, not a context variable: the executor's scope must reach the
copied context Litestar runs each handler in. PostgreSQL only; on SQLite nothing is pinned
(one server process; a read's deferred transaction and a writer's BEGIN IMMEDIATE keep
their own connections).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")
_local = threading.local()


@contextmanager
def pin_scope() -> Iterator[None]:
    """Pin connections for what runs inside, in this thread; nested scopes join the outer."""
    if getattr(_local, "conns", None) is not None:
        yield
        return
    conns: dict[int, Connection] = {}
    _local.conns = conns
    try:
        yield
    finally:
        _local.conns = None
        for conn in conns.values():
            conn.close()


def pinned(reader: Engine) -> Connection | None:
    """The scope's connection of ``reader``'s pool (checked out now if needed), or None
    outside a scope."""
    conns: dict[int, Connection] | None = getattr(_local, "conns", None)
    if conns is None:
        return None
    key = id(reader.pool)
    conn = conns.get(key)
    if conn is None or conn.closed:
        conn = conns[key] = reader.connect()
    return conn


def _scoped(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with pin_scope():
        return fn(*args, **kwargs)


class RequestThreads(ThreadPoolExecutor):
    """The threads sync handlers run in, each call in its own pin scope."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return super().submit(_scoped, fn, *args, **kwargs)
