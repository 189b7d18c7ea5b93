"""What every response and request goes through: security headers, cookie flags, limits on
request bodies and form fields, and an audit row for every refused attempt.

- Headers (`security_headers`, a before-send hook, so 404s and errors get them too): a
  Content-Security-Policy allowing only this origin (no inline script or style; a page
  that must inline a style sends its own policy naming the style's hash, `csp_for`),
  `frame-ancestors 'none'` and X-Frame-Options, nosniff, no Referer (rating links carry
  tokens), and `Cache-Control: no-store` on everything but static assets.
- Cookies: `Secure` by the setting JIUZHU_SECURE_COOKIES (auto: unless the host is
  localhost), added here to every cookie the app sets (session and CSRF alike).
- Bodies: Litestar's `request_max_body_size` per router (pages 256 KB, API 1 MB); the
  number of form fields by `FormFieldLimit`, before anything parses the form.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions import (
    NotAuthorizedException,
    PermissionDeniedException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, HTTPRequestEvent, Message, Receive, ReceiveMessage, Scope, Send

from ..access import access_registry
from ..base import NotFound, Refused
from ..services import Services
from ..services.audit import audit
from .auth import USER_KEY
from .errors import TooManyFields
from .settings import WebSettings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"cross-origin-opener-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), payment=()",
}
CACHEABLE = ("/static/", "/schema/assets/")  # no personal data: browsers may keep them
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)


def csp_for(html: str) -> str:
    """The policy for a standalone page (a print view) whose <style> blocks are inline:
    the same policy, plus the hash of each of those blocks (and nothing else inline)."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in _STYLE.findall(html)
    )
    return CSP.replace("style-src 'self'", f"style-src 'self' {hashes}".rstrip())


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = value.decode("latin-1")
            return host.rsplit(":", 1)[0] if not host.endswith("]") else host
    server = scope.get("server")
    return str(server[0]) if server else ""


def secure_request(settings: WebSettings, scope: Scope) -> bool:
    if settings.secure_cookies != "auto":
        return settings.secure_cookies == "on"
    return scope.get("scheme") == "https" or _host(scope) not in LOCAL_HOSTS


def security_headers(settings: WebSettings) -> Any:
    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
        names = {name.lower() for name, _ in headers}
        path = str(scope.get("path", ""))
        secure = secure_request(settings, scope)
        out: list[tuple[bytes, bytes]] = []
        for name, value in headers:
            if name.lower() == b"set-cookie" and secure and b"secure" not in value.lower():
                value += b"; Secure"
            if name.lower() == b"cache-control" and not path.startswith(CACHEABLE):
                continue  # replaced below: nothing with personal data is stored
            out.append((name, value))
        if b"content-security-policy" not in names:
            out.append((b"content-security-policy", CSP.encode()))
        out += [(k, v) for k, v in HEADERS.items() if k not in names]
        if not path.startswith(CACHEABLE):
            out.append((b"cache-control", b"no-store"))
        if secure and scope.get("scheme") == "https":
            out.append((b"strict-transport-security", b"max-age=31536000"))
        message["headers"] = out

    return before_send


class FormFieldLimit:
    """Reads a URL-encoded body (within the route's size limit) and refuses it with 400
    when it has more than `max_fields` fields, before CSRF checks or handlers parse it;
    otherwise hands the same bytes on. Multipart forms are capped by Litestar's
    `multipart_form_part_limit`."""

    def __init__(self, app: ASGIApp, max_fields: int) -> None:
        self.app = app
        self.max_fields = max_fields

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        content_type = b""
        for name, value in scope.get("headers", ()):
            if name == b"content-type":
                content_type = value.lower()
        if not content_type.startswith(b"application/x-www-form-urlencoded"):
            await self.app(scope, receive, send)
            return
        handler = scope.get("route_handler")
        limit = (
            handler.resolve_request_max_body_size()
            if isinstance(handler, HTTPRouteHandler)
            else None
        )
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if limit is not None and len(body) > limit:
                raise RequestEntityTooLarge()
            if not message.get("more_body", False):
                break
        if body.count(b"&") + 1 > self.max_fields:
            raise TooManyFields(detail=f"表单字段过多（上限{self.max_fields}个）")
        sent = False

        async def replay() -> ReceiveMessage:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return HTTPRequestEvent(type="http.request", body=bytes(body), more_body=False)

        await self.app(scope, replay, send)


REFUSALS = (Refused, NotFound, PermissionDeniedException)
_CASE_PATH = re.compile(r"^(?:/api)?/cases/(\d{1,10})(?:/|$)")


def audit_refusals(svc: Services) -> Any:
    """After-exception hook: a refused attempt by a signed-in user (no permission, out of
    scope or absent, a rule said no) is on record with its path and client IP."""

    def after_exception(exc: Exception, scope: Scope) -> None:
        if not isinstance(exc, REFUSALS) or isinstance(exc, NotAuthorizedException):
            return
        user = scope.get("state", {}).get(USER_KEY)
        actor = getattr(user, "actor", None)
        if actor is None:
            return
        if isinstance(exc, Refused):
            detail: dict[str, Any] = {"rule": exc.rule}
        elif isinstance(exc, NotFound):
            detail = {"rule": "not_found", "kind": exc.kind}
        else:
            detail = {"rule": "forbidden"}
        client = scope.get("client")
        path = str(scope.get("path", ""))
        case = _CASE_PATH.match(path)
        audit(
            svc,
            actor(access_registry(svc.regions.pm)),
            "refused",
            path,
            int(case[1]) if case else None,
            client_ip=str(client[0]) if client else "",
            **detail,
        )

    return after_exception
