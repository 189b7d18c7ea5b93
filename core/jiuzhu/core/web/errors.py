"""Errors as people read them, in ONE shape for every failure of the API — the framework's
own (bad JSON, unknown path, wrong method, body too large, a server error) included:

    {"error": code, "detail": Chinese message, "field": the input at fault}
    {"error": code, "detail": Chinese message, "rule": the rule or condition that refused}

422 names the field, 409 (and 403) the rule, 404 what is missing; a refusal may add facts
(what is left, the limit). Outside /api (the pages) a browser gets the Chinese error page.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from ..base import Invalid, NotFound, Refused
from ..plugins import PluginError
from ..services import Busy, is_busy

log = logging.getLogger("jiuzhu.web")


class TooManyFields(ClientException):
    """A form with more fields than any page here has (web/security.FormFieldLimit)."""

    status_code = 400


class ApiError(msgspec.Struct, omit_defaults=True, kw_only=True):
    """The body of every error answer. ``field`` or ``rule`` says what to fix; a refusal
    may carry more facts beside them (e.g. ``amount_fen``, ``limit``, ``used``)."""

    error: str  # stable code: invalid, refused, forbidden, not_found, unauthorized, busy …
    detail: str  # for people, in Chinese
    field: str | None = None  # the body field (dotted path), query parameter or header at fault
    rule: str | None = None  # the rule or condition that refused


CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "refused",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "internal",
    503: "busy",
}
STATUS_DETAIL = {
    400: "请求格式有误",
    401: "请先登录或提供有效的令牌",
    403: "无权执行此操作",
    404: "没有这个地址",
    405: "此地址不支持该请求方法",
    413: "请求体过大",
    415: "不支持的请求体格式，请使用 application/json",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误",
    503: "服务暂时不可用，请稍后重试",
}
KIND_NAMES = {
    "application": "申请",
    "area": "区划",
    "assessment": "评估记录",
    "case": "案件",
    "delivery": "服务记录",
    "department": "部门",
    "entitlement": "服务额度",
    "household": "户",
    "member": "户成员",
    "order": "工单",
    "person": "服务对象",
    "policies": "联办事项",
    "provider": "服务机构",
    "region": "地区",
    "session": "活动",
    "task": "任务",
    "token": "令牌",
    "user": "用户",
    "visit": "走访记录",
    "worker": "社工",
}


def error_response(
    request: Request[Any, Any, Any],
    status: int,
    body: ApiError,
    headers: dict[str, str] | None = None,
    facts: dict[str, Any] | None = None,
) -> Response[Any]:
    """JSON in the one shape; outside /api the Chinese error page, in the layout with the
    signed-in user's menu (unless the client asks for JSON only)."""
    if _wants_page(request):
        detail = PAGE_DETAIL.get(body.rule or "", body.detail)
        shown: Response[Any] = error_page(request, status, _title(status), detail)
        return shown
    content = {**msgspec.to_builtins(body), **(facts or {})}
    return Response(content, status_code=status, headers=headers, media_type=MediaType.JSON)


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    if path.startswith(("/api", "/schema", "/static")):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "json" not in accept


def error_page(request: Request[Any, Any, Any], status: int, title: str, detail: str) -> Any:
    """The error page with the menu of whoever is signed in (none if no one is)."""
    from .pages.common import page, signed_in

    return page(request, signed_in(request), "error.html", status, title=title, detail=detail)


def _title(status: int) -> str:
    return {
        400: "请求有误",
        401: "请先登录",
        403: "无权访问",
        404: "未找到",
        405: "无法打开此地址",
        409: "操作未执行",
        413: "提交内容过大",
        422: "填写有误",
        429: "操作过于频繁",
        503: "系统繁忙",
    }.get(status, "出错了")


# what a person is told on a page (the API's detail names the method and path)
PAGE_DETAIL = {
    "http.route": "没有这个页面。地址可能输错了，或页面已不存在；请从菜单进入。",
    "http.method": "这个地址只接受表单提交，不能直接打开。请返回上一页，用页面上的按钮操作。",
    "csrf": "页面已过期（安全校验未通过），您填写的内容没有提交。请返回上一页，刷新后重新提交。",
}


# --- msgspec's messages, in Chinese -----------------------------------------------------
_TYPES = {
    "int": "整数",
    "str": "字符串",
    "bool": "布尔值（true 或 false）",
    "float": "数字",
    "object": "JSON 对象",
    "array": "数组",
    "null": "null",
    "date": "日期（YYYY-MM-DD）",
    "datetime": "带时区的时间",
}
_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_RULES: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"^Object missing required field `(?P<f>[^`]+)`$"),
        lambda m: (m["f"], "缺少必填字段"),
    ),
    (
        re.compile(r"^Object contains unknown field `(?P<f>[^`]+)`$"),
        lambda m: (m["f"], "没有这个字段（请检查拼写）"),
    ),
    (
        re.compile(r"^Expected `(?P<t>[^`]+)`, got `(?P<g>[^`]+)`$"),
        lambda m: (None, f"应为{_type(m['t'])}，收到的是{_type(m['g'])}"),
    ),
    (
        re.compile(r"^Expected `(?:str|array|object)` of length <= (?P<n>\d+)$"),
        lambda m: (None, f"长度不能超过{m['n']}"),
    ),
    (
        re.compile(r"^Expected `(?:str|array|object)` of length >= (?P<n>\d+)$"),
        lambda m: (None, "不能为空" if m["n"] == "1" else f"长度至少为{m['n']}"),
    ),
    (re.compile(r"^Expected `\w+` >= (?P<n>-?[\d.]+)$"), lambda m: (None, f"应不小于{m['n']}")),
    (re.compile(r"^Expected `\w+` <= (?P<n>-?[\d.]+)$"), lambda m: (None, f"应不大于{m['n']}")),
    (re.compile(r"^Expected `\w+` > (?P<n>-?[\d.]+)$"), lambda m: (None, f"应大于{m['n']}")),
    (re.compile(r"^Expected `\w+` < (?P<n>-?[\d.]+)$"), lambda m: (None, f"应小于{m['n']}")),
    (re.compile(r"^Expected `str` matching regex"), lambda m: (None, "格式不正确")),
    (re.compile(r"^Invalid enum value (?P<v>.+)$"), lambda m: (None, f"取值无效：{m['v']}")),
    (re.compile(r"^Invalid (?P<what>\w+)"), lambda m: (None, f"取值无效（{m['what']}）")),
    (re.compile(r"^Integer value out of range"), lambda m: (None, "整数超出允许范围")),
]


def _type(name: str) -> str:
    return " 或 ".join(_TYPES.get(part.strip(), part.strip()) for part in name.split("|"))


def translate(message: str, field: str = "") -> tuple[str, str]:
    """msgspec's English message → (field, Chinese detail). The field comes from the
    message's ``- at `$.path``` or the named field; else the one given."""
    path = ""
    if match := _AT.search(message):
        path = match["path"].lstrip(".")
        message = message[: match.start()]
    for pattern, render in _RULES:
        if m := pattern.search(message):
            named, detail = render(m)
            if named:
                path = f"{path}.{named}" if path else named
            return path or field or "body", detail
    return path or field or "body", f"取值无效：{message}"


# --- handlers ---------------------------------------------------------------------------
def invalid(request: Request[Any, Any, Any], exc: Invalid) -> Response[Any]:
    return error_response(
        request, 422, ApiError(error="invalid", field=exc.field, detail=exc.detail)
    )


def validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Litestar's own validation (query and path parameters, the body's shape)."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    field, detail = "body", "请求内容有误"
    if extra and isinstance(extra[0], dict):
        key = str(extra[0].get("key", "")).removeprefix("$.")
        key = "" if key == "data" else _public_name(request, key)
        field, detail = translate(str(extra[0].get("message", "")), key)
    return error_response(request, 422, ApiError(error="invalid", field=field, detail=detail))


def _public_name(request: Request[Any, Any, Any], key: str) -> str:
    """A parameter as the client names it: the header or query name, not the Python one."""
    handler = request.scope.get("route_handler")
    if handler is None:
        return key
    field = handler.parsed_fn_signature.parameters.get(key)
    kwarg = getattr(field, "kwarg_definition", None)
    return str(getattr(kwarg, "header", None) or getattr(kwarg, "query", None) or key)


def refused(request: Request[Any, Any, Any], exc: Refused) -> Response[Any]:
    status = 403 if exc.rule == "access" else 409
    facts = {k: v for k, v in exc.facts.items() if isinstance(v, (int, str, bool, list))}
    facts = {k: v for k, v in facts.items() if k not in ("error", "detail", "field", "rule")}
    error = "forbidden" if status == 403 else "refused"
    retry = facts.get("retry_after")
    headers = {"Retry-After": str(retry)} if isinstance(retry, int) else None
    return error_response(
        request,
        status,
        ApiError(error=error, rule=exc.rule, detail=exc.detail),
        headers=headers,
        facts=facts,
    )


def not_found(request: Request[Any, Any, Any], exc: NotFound) -> Response[Any]:
    name = KIND_NAMES.get(exc.kind, exc.kind)
    return error_response(
        request,
        404,
        ApiError(
            error="not_found",
            rule=f"{exc.kind}.not_found",
            detail=f"{name} {exc.key} 不存在，或不在您的管辖范围内",
        ),
    )


def unauthorized(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    return error_response(
        request,
        401,
        ApiError(error="unauthorized", rule="auth", detail=STATUS_DETAIL[401]),
        headers={"WWW-Authenticate": 'Bearer realm="jiuzhu"'},
    )


def forbidden(request: Request[Any, Any, Any], exc: PermissionDeniedException) -> Response[Any]:
    if "CSRF" in str(exc.detail or ""):  # litestar's CSRF middleware: a stale or missing token
        return error_response(
            request,
            403,
            ApiError(error="forbidden", rule="csrf", detail="安全校验未通过，请刷新页面后重新提交"),
        )
    return error_response(
        request, 403, ApiError(error="forbidden", rule="access", detail=STATUS_DETAIL[403])
    )


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Every other error the framework raises (400, 404, 405, 413, 415, 429 …)."""
    status = exc.status_code
    text = str(exc.detail or "")
    body = ApiError(
        error=CODES.get(status, "bad_request" if status < 500 else "internal"),
        rule=f"http.{status}",
        detail=STATUS_DETAIL.get(status, text),
    )
    if status == 400 and ("JSON" in text or "malformed" in text or "decode" in text.lower()):
        body = ApiError(error="bad_request", field="body", detail="请求体不是有效的 JSON")
    elif status == 404:
        body = ApiError(
            error="not_found",
            rule="http.route",
            detail=f"没有这个地址：{request.method} {request.url.path}",
        )
    elif status == 405:
        allowed = (exc.headers or {}).get("allow", "")
        body = ApiError(
            error="method_not_allowed",
            rule="http.method",
            detail=f"{request.url.path} 不支持 {request.method}"
            + (f"（可用：{allowed}）" if allowed else ""),
        )
    elif status == 413:
        body = ApiError(error="too_large", field="body", detail="请求体过大")
    headers = {k: v for k, v in (exc.headers or {}).items()}
    return error_response(request, status, body, headers=headers or None)


def too_many_fields(request: Request[Any, Any, Any], exc: TooManyFields) -> Response[Any]:
    return error_response(
        request, 400, ApiError(error="bad_request", field="body", detail="提交的表单字段过多")
    )


def too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """JSON nested deeper than the decoder follows (msgspec raises RecursionError)."""
    return error_response(
        request, 400, ApiError(error="bad_request", field="body", detail="JSON 嵌套层数过多")
    )


def busy(request: Request[Any, Any, Any], exc: Busy) -> Response[Any]:
    return error_response(
        request,
        503,
        ApiError(error="busy", rule="database.busy", detail=exc.detail),
        headers={"Retry-After": str(exc.retry_after)},
    )


def database(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    """A database error that escaped the services: concurrency is 503 (retry), a value the
    database cannot hold 422, a constraint 409; anything else is a server error."""
    if is_busy(exc):
        return busy(request, Busy())
    if isinstance(exc, DataError):
        return out_of_range(request, exc)
    if isinstance(exc, IntegrityError):
        return error_response(
            request,
            409,
            ApiError(
                error="refused",
                rule="database.conflict",
                detail="与已有记录冲突（可能已被他人同时修改），请刷新后重试",
            ),
        )
    return internal(request, exc)


def out_of_range(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A value the database cannot hold (a number beyond its column, a NUL character) is
    bad input, not a server error: the services check fields first; this is the backstop."""
    return error_response(
        request,
        422,
        ApiError(error="invalid", field="body", detail="取值超出允许范围或含有不允许的字符"),
    )


def plugin_error(request: Request[Any, Any, Any], exc: PluginError) -> Response[Any]:
    log.error("plugin error: %s", exc)
    return error_response(
        request, 500, ApiError(error="plugin", rule="plugin", detail=f"插件配置错误：{exc}")
    )


def internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything unexpected: logged with the request id (never its body), answered 500."""
    request_id = str(request.scope.get("state", {}).get("request_id", ""))
    log.error(
        "unhandled %s on %s %s (request %s)",
        type(exc).__name__,
        request.method,
        request.scope.get("path_template") or request.url.path,
        request_id,
        exc_info=exc,
    )
    return error_response(
        request,
        500,
        ApiError(
            error="internal",
            rule="internal",
            detail=f"服务器内部错误，已记录（请求编号 {request_id}），请联系管理员",
        ),
    )


HANDLERS: dict[Any, Any] = {
    Invalid: invalid,
    ValidationException: validation,
    Refused: refused,
    NotFound: not_found,
    NotAuthorizedException: unauthorized,
    PermissionDeniedException: forbidden,
    HTTPException: http_error,
    TooManyFields: too_many_fields,
    RecursionError: too_deep,
    PluginError: plugin_error,
    Busy: busy,
    DBAPIError: database,
    DataError: out_of_range,
    OverflowError: out_of_range,
    Exception: internal,
}
