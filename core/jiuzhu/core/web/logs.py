"""Structured request logs: one line per HTTP request with its request id, user, route,
status and duration — and nothing personal.

The route is the path template (``/api/persons/{person_id:int}``), never the path with its
values nor the query string (a search by ID number or name would put them in the log);
no body, no header but the request id. ``JIUZHU_LOG_FORMAT=json`` (or ``configure(\"json\")``)
writes every jiuzhu log record as one JSON object per line; the default is plain text.

The request id comes from the client's ``X-Request-ID`` (when it is a short token) or is
made here; it is sent back in ``X-Request-ID`` and named in every 500 answer.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.types import Message, Receive, Scope, Send

FORMAT_ENV = "JIUZHU_LOG_FORMAT"
REQUEST_ID = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

log = logging.getLogger("jiuzhu.request")

# attributes every LogRecord has; anything else was passed in ``extra`` and is a field
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonLines(logging.Formatter):
    """A log record as one JSON object: time (UTC), level, logger, message, the ``extra``
    fields, and the exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return msgspec.json.encode(out, enc_hook=str).decode()


class Text(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        return line + ("".join(f" {k}={v}" for k, v in extra.items()) if extra else "")


def configure(fmt: str | None = None, level: int = logging.INFO) -> None:
    """Send jiuzhu's log records (requests, retries, observer failures) to stderr as JSON
    lines or text. For a server process; tests keep pytest's own capture."""
    fmt = (fmt or os.environ.get(FORMAT_ENV) or "text").lower()
    if fmt not in ("json", "text"):
        raise ValueError(f"{FORMAT_ENV} must be json or text, not {fmt!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonLines() if fmt == "json" else Text("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger("jiuzhu")
    root.handlers = [handler]
    root.setLevel(level)
    root.propagate = False


def request_id_of(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == REQUEST_ID.encode():
            given = bytes(value).decode("latin-1")
            if _SAFE_ID.match(given):
                return given
    return uuid.uuid4().hex


async def log_request(
    scope: Scope,
    receive: Receive,
    send: Send,
    app: Callable[[Scope, Receive, Send], Awaitable[None]],
) -> None:
    """Wrap one HTTP request: give it an id, time it, log one line when it is answered."""
    request_id = request_id_of(scope)
    state = scope.setdefault("state", {})
    state["request_id"] = request_id
    started = time.perf_counter()
    status = 500

    async def send_with_id(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            headers = list(message.get("headers", []))
            headers.append((REQUEST_ID.encode(), request_id.encode()))
            message = {**message, "headers": headers}
        await send(message)

    try:
        await app(scope, receive, send_with_id)
    finally:
        log.info(
            "request",
            extra={
                "request_id": request_id,
                "user": state.get("user", ""),
                "method": scope.get("method", ""),
                "route": scope.get("path_template") or "(no route)",
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
