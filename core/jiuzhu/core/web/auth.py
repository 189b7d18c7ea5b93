"""Who is calling: a bearer token (other systems, the API) or a page session (people).

The API reads bearer tokens only: a page's cookie never opens it (the API is exempt from
CSRF checks, so it must not act on a cookie). Pages read the session cookie only: it holds a
random key for a row in `user_sessions`, checked on every request, so a session ends on the
server (logout, password change, deactivation, idle window, absolute lifetime) and a
replayed cookie is worth nothing afterwards.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.csrf import generate_csrf_token

from ..access import Actor, access_registry
from ..base import NotFound
from ..services import Services
from ..services import users as accounts
from ..services.audit import audit
from ..services.users import User, user_for_token
from .settings import WebSettings

SESSION_COOKIE = "jiuzhu_session"
USER_KEY = "jiuzhu_user"  # request.state: the signed-in user, once looked up


def settings_of(request: ASGIConnection[Any, Any, Any, Any]) -> WebSettings:
    found = request.app.state.get("jiuzhu_settings")
    return found if isinstance(found, WebSettings) else WebSettings()


def client_ip(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The peer's address as the server sees it. Behind a reverse proxy, uvicorn puts the
    real client here from X-Forwarded-For when the proxy is trusted (FORWARDED_ALLOW_IPS,
    see docs/security.md); the header is never read directly, so it cannot be forged."""
    return request.client.host if request.client else ""


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def bearer_user(request: ASGIConnection[Any, Any, Any, Any], svc: Services) -> User | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    try:
        return user_for_token(svc, header[7:].strip())
    except NotFound:
        raise NotAuthorizedException("invalid, expired or revoked token") from None


def current_user(request: Request[Any, Any, Any], svc: Services) -> User | None:
    """The API's caller: a bearer token, nothing else."""
    user = bearer_user(request, svc)
    if user is not None:
        request.state[USER_KEY] = user
    return user


def session_user(request: ASGIConnection[Any, Any, Any, Any], svc: Services) -> User | None:
    """The signed-in user of a page session, or None (no cookie, a damaged or unknown one,
    an ended, idle or expired session, an inactive user: all simply signed out)."""
    cached = request.state.get(USER_KEY)
    if isinstance(cached, User):
        return cached
    key = request.cookies.get(SESSION_COOKIE, "")
    user = accounts.session_user(svc, key, settings_of(request).session_idle) if key else None
    if user is not None:
        request.state[USER_KEY] = user
    return user


def start_session(request: Request[Any, Any, Any], svc: Services, user: User) -> list[Cookie]:
    """A new server-side session and the cookies that go with it: the session key, and a
    fresh CSRF token (the one the browser had before signing in is not reused)."""
    settings = settings_of(request)
    key = accounts.start_session(
        svc,
        user,
        settings.session_lifetime,
        client_ip(request),
        request.headers.get("user-agent", ""),
    )
    csrf = request.app.csrf_config
    cookies = [
        Cookie(
            key=SESSION_COOKIE,
            value=key,
            max_age=int(settings.session_lifetime.total_seconds()),
            path="/",
            httponly=True,
            samesite="lax",
        )
    ]
    if csrf is not None:
        cookies.append(
            Cookie(
                key=csrf.cookie_name,
                value=generate_csrf_token(csrf.secret),
                path=csrf.cookie_path,
                httponly=csrf.cookie_httponly,
                samesite=csrf.cookie_samesite,
            )
        )
    return cookies


def end_session(request: Request[Any, Any, Any], svc: Services) -> list[Cookie]:
    """Sign out: every page session of the user ends on the server (on every device);
    the cookie is cleared too."""
    user = session_user(request, svc)
    if user is not None:
        accounts.end_sessions(svc, user.id, "logout")
    return [Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/", httponly=True)]


def require_actor(request: Request[Any, Any, Any], svc: Services) -> Actor:
    user = current_user(request, svc)
    if user is None:
        raise NotAuthorizedException("sign in first")
    return user.actor(access_registry(svc.regions.pm))


def audit_request(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    action: str,
    case_id: int | None = None,
    **detail: Any,
) -> None:
    """An audit row for what this request viewed or changed, with its path and client IP."""
    audit(svc, actor, action, request.url.path, case_id, client_ip=client_ip(request), **detail)
