"""The ``Idempotency-Key`` header on every state-changing API request (see
services/idempotency.py for the states a key goes through and why it is safe).

For a POST under /api that carries the header and a valid bearer token: the key is reserved
for (user, key) with the request's fingerprint before the handler runs; a retry gets the
first answer back (same status, body and Location, plus ``Idempotent-Replayed: true``)
without running anything; the same key with another request is 422; a retry while the
first is still running is 409 with Retry-After. Without a token the request passes through
(and gets its 401).
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar.enums import ScopeType
from litestar.exceptions import ClientException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPReceiveMessage, Message, Receive, Scope, Send

from ..access import access_registry
from ..base import NotFound
from ..services import Services, idempotency
from ..services.audit import audit
from ..services.users import User, user_for_token

HEADER = b"idempotency-key"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


SVC_STATE = "jiuzhu_svc"  # where the app keeps its Services (app.state)


class IdempotencyMiddleware(ASGIMiddleware):
    """Stateless (the router is copied when registered): the Services come from app.state."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        key = _header(scope, HEADER)
        method = str(scope.get("method", ""))
        if key is None or method not in WRITES:
            await next_app(scope, receive, send)
            return
        idempotency.check_key(key)
        svc: Services = scope["litestar_app"].state[SVC_STATE]
        await _Request(svc).handle(scope, receive, send, next_app, key, method)


class _Request:
    """One request with an Idempotency-Key."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        next_app: ASGIApp,
        key: str,
        method: str,
    ) -> None:
        user = await anyio.to_thread.run_sync(self._user, scope)
        if user is None:  # no valid token: the handler answers 401
            await next_app(scope, receive, send)
            return
        body = await _read_body(scope, receive)
        fingerprint = idempotency.fingerprint(
            method,
            str(scope["path"]),
            bytes(scope.get("query_string", b"")).decode("latin-1"),
            body,
        )
        held = await anyio.to_thread.run_sync(
            idempotency.reserve, self.svc.engine, user.id, key, fingerprint, self.svc.now()
        )
        if isinstance(held, idempotency.Replay):
            await anyio.to_thread.run_sync(self._audit_replay, user, scope)
            await _replay(send, held)
            return
        await self._run(scope, body, receive, send, next_app, held)

    async def _run(
        self,
        scope: Scope,
        body: bytes,
        receive: Receive,
        send: Send,
        next_app: ASGIApp,
        held: idempotency.Claim,
    ) -> None:
        answer: dict[str, Any] = {"status": 500, "headers": [], "body": bytearray()}
        delivered = False

        async def replay_body() -> HTTPReceiveMessage:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # type: ignore[return-value]

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = int(message["status"])
                answer["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
            await send(message)

        token = idempotency.CURRENT.set(held)
        try:
            await next_app(scope, replay_body, capture)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(idempotency.release, self.svc.engine, held)
            raise
        finally:
            idempotency.CURRENT.reset(token)
        headers = {bytes(k).lower(): bytes(v).decode("latin-1") for k, v in answer["headers"]}
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(
                idempotency.finish,
                self.svc.engine,
                held,
                answer["status"],
                headers.get(b"content-type", ""),
                headers.get(b"location", ""),
                bytes(answer["body"]),
            )

    def _user(self, scope: Scope) -> User | None:
        header = _header(scope, b"authorization") or ""
        if not header.lower().startswith("bearer "):
            return None
        try:
            return user_for_token(self.svc, header[7:].strip())
        except NotFound:
            return None

    def _audit_replay(self, user: User, scope: Scope) -> None:
        method = str(scope.get("method", ""))
        audit(
            self.svc,
            user.actor(access_registry(self.svc.regions.pm)),
            f"api.{method}",
            str(scope["path"]),
            replay=True,
        )


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    """The whole request body, refusing (413) one beyond the route's limit."""
    handler = scope.get("route_handler")
    limit = (
        handler.resolve_request_max_body_size() if isinstance(handler, HTTPRouteHandler) else None
    )
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks += message.get("body", b"")
        if limit is not None and len(chunks) > limit:
            raise ClientException(status_code=413, detail="Request Entity Too Large")
        if not message.get("more_body", False):
            break
    return bytes(chunks)


async def _replay(send: Send, stored: idempotency.Replay) -> None:
    headers = [
        (b"content-type", (stored.content_type or "application/json").encode("latin-1")),
        (b"content-length", str(len(stored.body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    if stored.location:
        headers.append((b"location", stored.location.encode("latin-1")))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})
