"""API docs without outside requests: Swagger UI from the swagger-ui-py package's vendored
files (no CDN, no web fonts), served only to signed-in users (a page session or a bearer
token), and only when JIUZHU_API_DOCS is on. `/schema/openapi.json` answers integrators
with a bearer token (and the signed-in docs page) whatever that setting says.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import swagger_ui  # type: ignore[import-untyped]
from litestar import Request, Response, Router
from litestar.connection import ASGIConnection
from litestar.enums import MediaType
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from ..services import Services
from .auth import bearer_user, session_user, settings_of
from .errors import unauthorized
from .idempotency import SVC_STATE

ASSETS = Path(swagger_ui.__file__).parent / "static"
PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} API 文档</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/schema/assets/swagger-ui.css">
<link rel="stylesheet" href="/schema/assets/index.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/schema/assets/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


class VendoredSwagger(OpenAPIRenderPlugin):
    """Swagger UI at /schema, its files at /schema/assets (see ASSETS)."""

    def __init__(self) -> None:
        super().__init__(path="/swagger")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if not settings_of(request).api_docs:
            raise NotFoundException()
        return PAGE.format(title=openapi_schema["info"]["title"]).encode()

    def receive_router(self, router: Router) -> None:
        router.register(
            create_static_files_router(
                path="/assets", directories=[ASSETS], name="docs_assets", guards=[signed_in]
            )
        )


def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    svc: Services = connection.app.state[SVC_STATE]
    if bearer_user(connection, svc) is None and session_user(connection, svc) is None:
        raise NotAuthorizedException("sign in first")


def _sign_in(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    if request.url.path.endswith(".json"):
        return unauthorized(request, exc)
    return Redirect(path="/login", status_code=303)


def with_docs_ui(config: OpenAPIConfig) -> OpenAPIConfig:
    """The API's OpenAPI document and the vendored Swagger UI, both for signed-in users
    (a session or a bearer token) only."""
    router = Router(
        path=config.path or "/schema",
        route_handlers=[],
        guards=[signed_in],
        exception_handlers={NotAuthorizedException: _sign_in},
        include_in_schema=False,
    )
    return replace(config, render_plugins=[VendoredSwagger()], openapi_router=router)


__all__ = ["MediaType", "with_docs_ui"]
