"""Errors as people read them: 422 names the field, 409 names the rule, 404 the id."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.response import Template
from sqlalchemy.exc import DataError

from ..base import Invalid, NotFound, Refused
from ..plugins import PluginError


class TooManyFields(ClientException):
    """A form with more fields than any page here has (web/security.FormFieldLimit)."""

    status_code = 400


def invalid(_: Request[Any, Any, Any], exc: Invalid) -> Response[dict[str, Any]]:
    return Response({"error": "invalid", "field": exc.field, "detail": exc.detail}, status_code=422)


def validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    field = ""
    detail = str(exc.detail)
    if extra and isinstance(extra[0], dict):
        field = str(extra[0].get("key", "")).removeprefix("$.")
        detail = str(extra[0].get("message", detail))
        if field == "data":  # the whole body: name the field msgspec's message points at
            field = _field_in(detail)
    return Response(
        {"error": "invalid", "field": field or "body", "detail": detail}, status_code=422
    )


_FIELD = re.compile(r"(?:at `\$\.([A-Za-z_][\w.\[\]]*)`|field `([^`]+)`)")


def _field_in(message: str) -> str:
    """`... - at `$.quantity`` or `unknown field `nickname`` -> the field; else "body"."""
    match = _FIELD.search(message)
    return (match.group(1) or match.group(2)) if match else "body"


def refused(_: Request[Any, Any, Any], exc: Refused) -> Response[dict[str, Any]]:
    status = 403 if exc.rule == "access" else 409
    facts = {k: v for k, v in exc.facts.items() if isinstance(v, (int, str, bool, list))}
    return Response(
        {"error": "refused", "rule": exc.rule, "detail": exc.detail, **facts}, status_code=status
    )


def not_found(_: Request[Any, Any, Any], exc: NotFound) -> Response[dict[str, Any]]:
    return Response(
        {"error": "not_found", "detail": f"{exc.kind} {exc.key} 不存在"}, status_code=404
    )


def unauthorized(_: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    return Response(
        {"error": "unauthorized", "detail": "请先登录或提供有效的令牌"}, status_code=401
    )


def forbidden(_: Request[Any, Any, Any], exc: PermissionDeniedException) -> Response[Any]:
    return Response({"error": "forbidden", "detail": str(exc.detail)}, status_code=403)


def out_of_range(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A value the database cannot hold (a number beyond its column, a NUL character) is
    bad input, not a server error: the services check fields first; this is the backstop."""
    return Response(
        {"error": "invalid", "field": "body", "detail": "取值超出允许范围或含有不允许的字符"},
        status_code=422,
    )


def _body_refused(
    request: Request[Any, Any, Any], status: int, error: str, detail: str
) -> Response[Any]:
    """A request body refused before any handler saw it: the error shape for the API, a
    Chinese error page for pages."""
    if request.url.path == "/api" or request.url.path.startswith("/api/"):
        return Response({"error": error, "field": "body", "detail": detail}, status_code=status)
    return Template(
        template_name="error.html",
        context={
            "actor": None,
            "nav": [],
            "path": request.url.path,
            "title": "请求未受理",
            "detail": detail,
        },
        status_code=status,
    )


def too_large(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return _body_refused(request, 413, "too_large", "提交的内容过大，请减少内容后重试")


def too_many_fields(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return _body_refused(request, 400, "invalid", "提交的表单字段过多")


def too_deep(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """JSON nested deeper than the decoder follows (msgspec raises RecursionError)."""
    return _body_refused(request, 400, "invalid", "JSON 嵌套层数过多")


def plugin_error(_: Request[Any, Any, Any], exc: PluginError) -> Response[Any]:
    return Response({"error": "plugin", "detail": str(exc)}, status_code=500)


HANDLERS: dict[Any, Any] = {
    Invalid: invalid,
    ValidationException: validation,
    Refused: refused,
    NotFound: not_found,
    NotAuthorizedException: unauthorized,
    PermissionDeniedException: forbidden,
    PluginError: plugin_error,
    DataError: out_of_range,
    OverflowError: out_of_range,
    RequestEntityTooLarge: too_large,
    TooManyFields: too_many_fields,
    RecursionError: too_deep,
}
