"""Who is calling the API, and the request's thread.

Every authenticated API call leaves an audit row (who, which path, which case), written by
the same statement that checks the token (users.token_user_audited), so views through the
API are on record as on the pages and a revoked token is refused at once in every process.

A handler made with ``openapi.route`` runs in ONE worker thread with ONE pinned connection
(``in_request_thread``): the token check and audit row, the handler's reads and its unit of
work. ``before_api_request`` answers 401 at once without a bearer token; a token this process
has not seen within the user cache's minute is checked there, before the body (401 before
400); a known one is checked by the handler's thread, saving a thread hop per request.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from litestar import Request
from litestar.exceptions import NotAuthorizedException

from .. import access
from ..access import Actor
from ..base import NotFound
from ..services import Services
from ..services import users as accounts
from ..services.pinning import pin_scope
from .auth import USER_KEY, client_ip
from .bodies import strict_body
from .idempotency import SVC_STATE

ACTOR_STATE = "jiuzhu_actor"  # scope state: the caller, once identified
IDENTIFIES = "jiuzhu_identifies"  # handler opt: it identifies its caller in its own thread
_CASE_PATH = re.compile(r"^/api/cases/(\d+)")


def _bearer(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise NotAuthorizedException("sign in first")
    return header[7:].strip()


def identify(request: Request[Any, Any, Any], svc: Services) -> Actor:
    """The signed-in caller, checked and audited now (in a worker thread)."""
    match = _CASE_PATH.match(request.url.path)
    try:
        user = accounts.token_user_audited(
            svc,
            _bearer(request),
            f"api.{request.method}",
            request.url.path,
            int(match[1]) if match else None,
            client_ip(request),
        )
    except NotFound:
        raise NotAuthorizedException("invalid, expired or revoked token") from None
    request.state[USER_KEY] = user
    request.scope.setdefault("state", {})["user"] = user.username  # for the request log
    actor = user.actor(access.access_registry(svc.regions.pm))
    request.scope["state"][ACTOR_STATE] = actor
    return actor


def _identified(request: Request[Any, Any, Any], svc: Services) -> Actor:
    known = request.scope.get("state", {}).get(ACTOR_STATE)
    return known if isinstance(known, Actor) else identify(request, svc)


async def before_api_request(request: Request[Any, Any, Any]) -> None:
    """Who is calling (401 first), then whether the body's types are exactly right.
    OPTIONS only lists the methods of a path: no caller needed."""
    if request.method == "OPTIONS":
        return
    token = _bearer(request)
    deferred = request.route_handler.opt.get(IDENTIFIES, False)
    if not (deferred and accounts.token_known(token)):
        svc: Services = request.app.state[SVC_STATE]
        await anyio.to_thread.run_sync(identify, request, svc)
    await strict_body(request)


async def provide_actor(request: Request[Any, Any, Any], svc: Services) -> Actor:
    """The caller, for a route made without ``openapi.route`` (before_api_request has
    identified it: a dictionary lookup on the event loop)."""
    known = request.scope.get("state", {}).get(ACTOR_STATE)
    if isinstance(known, Actor):
        return known
    return await anyio.to_thread.run_sync(identify, request, svc)


def in_request_thread(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` as a handler that pins one connection for the request and identifies the
    caller in its own thread (module doc). Litestar sees ``fn``'s parameters, with
    ``request`` and ``svc`` in place of ``actor``."""
    sig = inspect.signature(fn)
    wants = set(sig.parameters)
    params = [p for name, p in sig.parameters.items() if name != "actor"]
    extra = {
        "request": Request,
        "svc": Services,
    }
    for name, kind in extra.items():
        if name not in wants:
            params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind))

    @functools.wraps(fn)
    def handler(**kw: Any) -> Any:
        request = kw["request"] if "request" in wants else kw.pop("request")
        svc = kw["svc"] if "svc" in wants else kw.pop("svc")
        with pin_scope():  # RequestThreads opens it already; here too if run elsewhere
            actor = _identified(request, svc)
            if "actor" in wants:
                kw["actor"] = actor
            return fn(**kw)

    handler.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    handler.__annotations__ = {
        **{k: v for k, v in fn.__annotations__.items() if k != "actor"},
        **{k: v for k, v in extra.items() if k not in wants},
    }
    return handler
