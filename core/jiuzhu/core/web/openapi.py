"""What the OpenAPI document at /schema says about every API operation: a summary, a tag,
the bearer scheme, the error answers it really gives (in the one error shape), and the
limits of every input (from the msgspec definitions, see jiuzhu.core.limits).

``route()`` declares a handler with all of it, so an operation cannot be added without.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

import litestar
from litestar.datastructures import ResponseHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.params import HeaderParameter

from .. import __version__
from .callers import IDENTIFIES, in_request_thread
from .errors import ApiError

BEARER = "bearer"
ERROR_TEXT = {
    400: "请求格式有误，如请求体不是有效的 JSON（error=bad_request）",
    401: "未提供令牌或令牌无效、已吊销（error=unauthorized）",
    403: "角色无此权限（error=forbidden，rule=access）",
    404: "记录不存在，或不在调用者的管辖范围内（error=not_found）",
    409: "规则拒绝了操作，rule 说明是哪条规则，detail 说明原因（error=refused）",
    413: "请求体过大（error=too_large）",
    422: "输入有误，field 指出字段，detail 说明要求（error=invalid）",
    503: "并发冲突或数据库繁忙，本次未作任何更改；按 Retry-After 秒数后原样重试（error=busy）",
}
READ_ERRORS = (400, 401, 403, 404, 422)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 422, 503)
TAGS = [
    Tag(name="persons", description="服务对象（人员）：登记、查询"),
    Tag(name="households", description="户（一户一档）：建户、成员与关系、户档案"),
    Tag(name="cases", description="案件（一人一档）：立案、评估、额度、走访、退出"),
    Tag(name="orders", description="工单：点单、派单、接单、签到、签退、评价、取消"),
    Tag(name="providers", description="服务机构与社工"),
    Tag(name="sessions", description="小组工作与主题活动：计划、签到（人次）、结束"),
    Tag(name="supervision", description="监管：保障时长与天数未达标的对象"),
    Tag(name="statistics", description="统计：人数、人次、户数、时长、金额"),
    Tag(name="regions", description="地区配置"),
    Tag(name="applications", description="一类事一次办（联办申请）"),
    Tag(name="monitoring", description="政策找人：部门数据、预警、线索、核实走访、监管"),
]

# documented on every state-changing POST; the idempotency middleware reads it
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "幂等键（建议 UUID）：同一用户用同一个键重发同一请求，得到第一次的应答且不会重复执行；"
            "同一个键配不同的请求体为 422；保存24小时"
        ),
    ),
]
LOCATION = ResponseHeader(
    name="Location",
    description="新建记录的地址（可 GET）",
    documentation_only=True,
    required=True,
)


def errors(codes: Sequence[int]) -> dict[int, ResponseSpec]:
    return {
        code: ResponseSpec(
            data_container=ApiError, description=ERROR_TEXT[code], generate_examples=False
        )
        for code in codes
    }


def route(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    status: int = 200,
    created: bool = False,
    codes: Sequence[int] | None = None,
    **kw: Any,
) -> Callable[[Any], Any]:
    """A sync API handler with its OpenAPI metadata, run in one worker thread on one
    pinned connection, identifying its caller there (callers.in_request_thread).
    ``created``: answers 201 with a Location header. Reads document 401/403/404/422;
    writes also 400/409/413/503."""
    decorator = {"GET": litestar.get, "POST": litestar.post}[method]
    writes = method != "GET"
    made = decorator(
        path,
        summary=summary,
        tags=[tag],
        status_code=201 if created else status,
        responses=errors(codes or (WRITE_ERRORS if writes else READ_ERRORS)),
        response_headers=[LOCATION] if created else None,
        sync_to_thread=True,
        opt={**kw.pop("opt", {}), IDENTIFIES: True},
        **kw,
    )
    return lambda fn: made(in_request_thread(fn))


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="jiuzhu 服务类社会救助 API",
        version=__version__,
        path="/schema",
        description=(
            "JSON API of a jiuzhu region. Authenticate with `Authorization: Bearer <token>` "
            "(`jiuzhu tokens create USER`). Every error has the shape "
            '`{"error", "detail", "field" | "rule"}`; lists page with `limit` (≤ 200) and the '
            "opaque `next` cursor; every POST that changes state accepts `Idempotency-Key`. "
            "See docs/api.md."
        ),
        tags=TAGS,
        components=Components(
            security_schemes={
                BEARER: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="jz_…",
                    description="令牌由 `jiuzhu tokens create 用户名` 生成，只显示一次",
                )
            }
        ),
        security=[{BEARER: []}],
        use_handler_docstrings=True,
    )
