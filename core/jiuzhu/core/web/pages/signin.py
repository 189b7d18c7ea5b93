"""Sign-in and sign-out. Throttling is the service's: five failures lock the name for 15 min."""

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
from ..auth import session_user, start_session
from .common import page


class LoginForm(msgspec.Struct, kw_only=True):
    username: str = ""
    password: str = ""


Form = Body(media_type=RequestEncodingType.URL_ENCODED)


@litestar.get("/login", sync_to_thread=True)
def login_page(request: Request[Any, Any, Any], svc: Services) -> Template | Redirect:
    if session_user(request, svc) is not None:
        return Redirect(path="/", status_code=303)
    return page(request, None, "login.html", username="", error="")


@litestar.post("/login", sync_to_thread=True)
def login(
    request: Request[Any, Any, Any],
    svc: Services,
    data: Annotated[LoginForm, Form],
) -> Template | Redirect:
    username = data.username.strip()
    try:
        user = authenticate(svc, username, data.password)
    except Refused as exc:
        status = 429 if exc.rule == "login.throttled" else 401
        return page(request, None, "login.html", status, username=username, error=exc.detail)
    start_session(request, svc, user)
    return Redirect(path="/", status_code=303)


@litestar.post("/logout", sync_to_thread=False)
def logout(request: Request[Any, Any, Any]) -> Redirect:
    request.clear_session()
    return Redirect(path="/login", status_code=303)
