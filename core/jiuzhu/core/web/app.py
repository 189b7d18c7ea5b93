"""The Litestar application factory: one app, one plugin manager, one engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Message, Receive, Scope, Send

from ..services import Services
from .api import api_router
from .auth import SESSION_IDLE
from .errors import HANDLERS
from .idempotency import SVC_STATE
from .logs import log_request
from .openapi import openapi_config
from .pages import FILTERS, page_router
from .pages.plugin import PackageTemplates, check_pages
from .pages.secret import derive, load_secret

HERE = Path(__file__).parent


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
) -> Litestar:
    """`secret_key` signs sessions, CSRF tokens and rating links; by default it comes from
    JIUZHU_SECRET_KEY or a file next to the SQLite database (see pages/secret.py)."""
    key = secret_key or load_secret(svc.engine)
    plugin_routes: list[Any] = []
    svc.regions.pm.hook.jiuzhu_web_routes(register=plugin_routes.append)
    plugin_pages: list[Any] = []
    svc.regions.pm.hook.jiuzhu_web_pages(register=plugin_pages.append)
    nav = check_pages(plugin_pages)
    sessions = CookieBackendConfig(
        secret=derive(key, "session"),
        key="jiuzhu_session",
        max_age=int(SESSION_IDLE.total_seconds()),
        httponly=True,
        samesite="lax",
        exclude=["/api", "/static", "/schema"],
    )
    csrf = CSRFConfig(
        secret=derive(key, "csrf").hex(),
        cookie_name="jiuzhu_csrf",
        cookie_samesite="lax",
        exclude=["/api", "/schema"],
    )
    return JiuzhuApp(
        route_handlers=[
            api_router(plugin_routes),
            page_router(key, plugin_pages),
            create_static_files_router(path="/static", directories=[HERE / "static"]),
            *(extra_routes or []),
        ],
        dependencies={"svc": Provide(lambda: svc, use_cache=True, sync_to_thread=False)},
        middleware=[sessions.middleware],
        state=State({"jiuzhu_nav": nav, SVC_STATE: svc}),
        csrf_config=csrf,
        template_config=TemplateConfig(
            directory=HERE / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=_add_filters,
        ),
        exception_handlers=HANDLERS,
        openapi_config=openapi_config(),
        # logging is the process's to configure (logs.configure), not a side effect of
        # building an app: jiuzhu logs its requests and errors itself (logs.py, errors.py)
        logging_config=None,
        debug=debug,
    )


def _add_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters.update(FILTERS)
    # core templates by plain name; plugin templates as "<package>:<path>"
    core = engine.engine.loader
    assert core is not None
    engine.engine.loader = ChoiceLoader([core, PackageTemplates()])
