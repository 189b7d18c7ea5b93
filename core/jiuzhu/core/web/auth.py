"""Who is calling: a bearer token (other systems) or a signed session cookie (pages)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from ..access import Actor
from ..base import NotFound
from ..services import Services
from ..services.users import User, get_user, user_for_token


def current_user(request: Request[Any, Any, Any], svc: Services) -> User | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        try:
            return user_for_token(svc, header[7:].strip())
        except NotFound:
            raise NotAuthorizedException("invalid or revoked token") from None
    if request.method not in SAFE_METHODS and request.url.path.startswith("/api"):
        return None  # the API is exempt from CSRF checks, so it never acts on a cookie alone
    return session_user(request, svc)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_IDLE = timedelta(hours=8)  # a page session ends after 8 hours without a request


def session_user(request: Request[Any, Any, Any], svc: Services) -> User | None:
    """The signed-in user of a page session; an idle or stale session is cleared."""
    session = request.scope.get("session")
    if not isinstance(session, dict) or not session.get("user"):
        return None
    now = svc.now().timestamp()
    seen = session.get("seen")
    if not isinstance(seen, (int, float)) or now - seen > SESSION_IDLE.total_seconds():
        request.clear_session()
        return None
    try:
        user = get_user(svc, str(session["user"]))
    except NotFound:
        request.clear_session()
        return None
    if not user.active:
        request.clear_session()
        return None
    if now - seen > 60:  # refresh the idle clock (at most once a minute)
        request.set_session({**session, "seen": now})
    return user


def start_session(request: Request[Any, Any, Any], svc: Services, user: User) -> None:
    request.set_session({"user": user.username, "seen": svc.now().timestamp()})


def require_actor(request: Request[Any, Any, Any], svc: Services) -> Actor:
    user = current_user(request, svc)
    if user is None:
        raise NotAuthorizedException("sign in first")
    return user.actor()
