"""Who is calling: a bearer token (other systems) or a signed session cookie (pages)."""

from __future__ import annotations

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
    session = request.scope.get("session") or {}
    username = session.get("user") if isinstance(session, dict) else None
    if username:
        try:
            user = get_user(svc, str(username))
        except NotFound:
            return None
        return user if user.active else None
    return None


def require_actor(request: Request[Any, Any, Any], svc: Services) -> Actor:
    user = current_user(request, svc)
    if user is None:
        raise NotAuthorizedException("sign in first")
    return user.actor()
