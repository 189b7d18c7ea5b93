"""The Litestar application factory: one app, one plugin manager, one engine."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import anyio.to_thread
from jinja2 import ChoiceLoader
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Message, Receive, Scope, Send

from ..services import Services
from ..services.pinning import RequestThreads
from ..storage.engine import pool_size
from .api import api_router
from .docs import with_docs_ui
from .errors import HANDLERS
from .idempotency import SVC_STATE
from .logs import log_request
from .openapi import openapi_config
from .pages import FILTERS, page_router
from .pages.plugin import PackageTemplates, check_pages
from .pages.secret import derive, load_secret
from .security import FormFieldLimit, audit_refusals, security_headers
from .settings import WebSettings

HERE = Path(__file__).parent


def _plain_path(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A static path with a NUL or control character names no file: 404, not an OS error."""
    if any(ord(c) < 32 for c in connection.url.path):
        raise NotFoundException()


class JiuzhuApp(Litestar):
    """Litestar, with every HTTP request — routed or not — given a request id and logged
    in one structured line (logs.py); middleware would miss unrouted 404s and 405s."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] != ScopeType.HTTP:
            await super().__call__(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            send = self._allow_every_method(scope, send)
        await log_request(scope, receive, send, super().__call__)

    def _allow_every_method(self, scope: Scope, send: Send) -> Send:
        """Litestar's automatic OPTIONS answer lists only the methods registered for a path
        before it was made (GET /api/cases added after POST is missing from ``Allow``):
        answer with every method the app routes for the path."""
        if self._methods is None:
            self._methods = {}
            for route in self.routes:
                self._methods.setdefault(route.path_format, set()).update(route.methods)

        async def fixed(message: Message) -> None:
            methods = self._methods.get(scope.get("path_template", "")) if self._methods else None
            if message["type"] == "http.response.start" and methods:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                headers.append((b"allow", ", ".join(sorted(methods)).encode()))
                message = {**message, "headers": headers}
            await send(message)

        return fixed

    _methods: dict[str, set[str]] | None = None


def create_app(
    svc: Services,
    extra_routes: list[Any] | None = None,
    debug: bool = False,
    secret_key: bytes | None = None,
    settings: WebSettings | None = None,
) -> Litestar:
    """`secret_key` signs CSRF tokens and rating links; by default it comes from
    JIUZHU_SECRET_KEY or a file next to the SQLite database (see pages/secret.py).
    `settings` default to the environment's (web/settings.py)."""
    key = secret_key or load_secret(svc.engine)
    settings = settings or WebSettings.from_env()
    plugin_routes: list[Any] = []
    svc.regions.pm.hook.jiuzhu_web_routes(register=plugin_routes.append)
    plugin_pages: list[Any] = []
    svc.regions.pm.hook.jiuzhu_web_pages(register=plugin_pages.append)
    nav = check_pages(plugin_pages)
    csrf = CSRFConfig(
        secret=derive(key, "csrf").hex(),
        cookie_name="jiuzhu_csrf",
        cookie_samesite="lax",
        exclude=["^/api/"],  # anchored: a page path that merely contains "/api" is checked
    )
    return JiuzhuApp(
        route_handlers=[
            api_router(plugin_routes),
            page_router(key, plugin_pages, settings.page_body_limit),
            create_static_files_router(
                path="/static",
                directories=[HERE / "static"],
                guards=[_plain_path],
                cache_control=CacheControlHeader(max_age=3600),
            ),
            *(extra_routes or []),
        ],
        dependencies={"svc": Provide(lambda: svc, use_cache=True, sync_to_thread=False)},
        middleware=[DefineMiddleware(FormFieldLimit, max_fields=settings.max_form_fields)],
        state=State({"jiuzhu_nav": nav, "jiuzhu_settings": settings, SVC_STATE: svc}),
        csrf_config=csrf,
        template_config=TemplateConfig(
            directory=HERE / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=_add_filters,
        ),
        exception_handlers=HANDLERS,
        on_startup=[_request_threads],
        before_send=[security_headers(settings)],
        after_exception=[audit_refusals(svc)],
        request_max_body_size=settings.api_body_limit,
        multipart_form_part_limit=settings.max_form_fields,
        openapi_config=with_docs_ui(openapi_config()),
        # logging is the process's to configure (logs.configure), not a side effect of
        # building an app: jiuzhu logs its requests and errors itself (logs.py, errors.py)
        logging_config=None,
        debug=debug,
    )


def _request_threads() -> None:
    """Sync handlers run on RequestThreads (services.pinning: one pinned connection per
    call), as many as the pool has connections, and so do anyio's worker threads: a request
    beyond them waits on the event loop for a thread, not in a thread for a connection."""
    size = pool_size()
    asyncio.get_running_loop().set_default_executor(
        RequestThreads(max_workers=size, thread_name_prefix="jiuzhu-request")
    )
    anyio.to_thread.current_default_thread_limiter().total_tokens = size


def _add_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters.update(FILTERS)
    # core templates by plain name; plugin templates as "<package>:<path>"
    core = engine.engine.loader
    assert core is not None
    engine.engine.loader = ChoiceLoader([core, PackageTemplates()])
