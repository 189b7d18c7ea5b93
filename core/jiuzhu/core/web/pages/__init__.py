"""Server-rendered pages in Chinese (zh-CN), usable on a phone.

Each handler builds the Actor from the session and calls the same services as the API, so
permissions and area scope are checked in one place. Anonymous visitors are sent to /login;
refusals and out-of-scope records become Chinese error pages (403/404/409)."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from . import case, dispatch, home, oversight, rating, signin, work
from .common import FILTERS, PAGE_HANDLERS, page_actor


def page_router(secret_key: bytes) -> Router:
    return Router(
        path="/",
        route_handlers=[
            signin.login_page,
            signin.login,
            signin.logout,
            home.home,
            case.case_page,
            dispatch.dispatch_board,
            dispatch.dispatch,
            work.work_list,
            work.accept,
            work.start,
            work.finish,
            rating.rating_page,
            rating.rate,
            oversight.supervision,
            oversight.stats_page,
            oversight.config_page,
        ],
        dependencies={
            "actor": Provide(page_actor, sync_to_thread=False),
            "secret_key": Provide(lambda: secret_key, use_cache=True, sync_to_thread=False),
        },
        exception_handlers=PAGE_HANDLERS,
        include_in_schema=False,
    )


__all__ = ["FILTERS", "page_router"]
