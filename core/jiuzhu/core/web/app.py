"""The Litestar application factory: one app, one plugin manager, one engine."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from sqlalchemy import Engine

from .. import __version__
from ..plugins import Regions
from ..services import Services
from .api import api_router
from .errors import HANDLERS


def create_app(
    svc: Services, extra_routes: list[Any] | None = None, debug: bool = False
) -> Litestar:
    plugin_routes: list[Any] = []
    svc.regions.pm.hook.jiuzhu_web_routes(register=plugin_routes.append)
    return Litestar(
        route_handlers=[api_router(plugin_routes), *(extra_routes or [])],
        dependencies={"svc": Provide(lambda: svc, use_cache=True, sync_to_thread=False)},
        exception_handlers=HANDLERS,
        openapi_config=OpenAPIConfig(title="jiuzhu", version=__version__, path="/schema"),
        debug=debug,
    )


def make_services(engine: Engine, regions: Regions) -> Services:
    return Services(engine=engine, regions=regions)
