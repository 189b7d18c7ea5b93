"""Sign-in and sign-out. Throttling is the service's: growing delays per name and address
(services/users.py), never a lock a stranger could put on someone else's account."""

from __future__ import annotations

from typing import Annotated, Any

import litestar
import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from ...base import Refused
from ...services import Services
from ...services.users import authenticate
from ..auth import client_ip, end_session, session_user, start_session
from .common import page, safe_next


class LoginForm(msgspec.Struct, kw_only=True):
    username: str = ""
    password: str = ""
    next: str = ""  # the page to return to (pages/common.safe_next)


Form = Body(media_type=RequestEncodingType.URL_ENCODED)


@litestar.get("/login", sync_to_thread=True)
def login_page(
    request: Request[Any, Any, Any], svc: Services, next: str = "", expired: str = ""
) -> Template | Redirect:
    back = safe_next(next)
    if session_user(request, svc) is not None:
        return Redirect(path=back or "/", status_code=303)
    return page(
        request,
        None,
        "login.html",
        username="",
        error="",
        next=back,
        expired=expired == "1",
    )


@litestar.post("/login", sync_to_thread=True)
def login(
    request: Request[Any, Any, Any],
    svc: Services,
    data: Annotated[LoginForm, Form],
) -> Template | Redirect:
    username = data.username.strip()[:60]
    try:
        user = authenticate(svc, username, data.password, client_ip(request))
    except Refused as exc:
        throttled = exc.rule == "login.throttled"
        shown = page(
            request,
            None,
            "login.html",
            429 if throttled else 401,
            username=username,
            error=exc.detail,
            next=safe_next(data.next),
            expired=False,
        )
        if throttled:
            shown.headers["Retry-After"] = str(exc.facts.get("retry_after", 1))
        return shown
    back = safe_next(data.next) or "/"
    return Redirect(path=back, status_code=303, cookies=start_session(request, svc, user))


@litestar.post("/logout", sync_to_thread=True)
def logout(request: Request[Any, Any, Any], svc: Services) -> Redirect:
    return Redirect(path="/login", status_code=303, cookies=end_session(request, svc))
