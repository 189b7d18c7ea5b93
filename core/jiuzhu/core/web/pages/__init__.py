"""Server-rendered pages in Chinese (zh-CN), usable on a phone.

Each handler builds the Actor from the session and calls the same services as the API, so
permissions and area scope are checked in one place. Anonymous visitors are sent to /login;
refusals and out-of-scope records become Chinese error pages (403/404/409)."""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar.di import Provide

from . import (
    case,
    caselist,
    casework,
    dispatch,
    home,
    households,
    oversight,
    people,
    rating,
    sessions,
    signin,
    work,
)
from .common import FILTERS, PAGE_HANDLERS, page_actor


def page_router(
    secret_key: bytes, plugin_pages: list[Any] | None = None, max_body_size: int = 256 * 1024
) -> Router:
    """The built-in pages and those plugins add (jiuzhu_web_pages), with one set of
    dependencies and error pages, and one cap on request bodies (forms are small)."""
    return Router(
        path="/",
        route_handlers=[
            signin.login_page,
            signin.login,
            signin.logout,
            home.home,
            case.case_page,
            caselist.case_list,
            people.persons_page,
            people.persons_search,
            people.register,
            people.person_page,
            people.open_case_page,
            *households.ROUTES,
            *casework.ROUTES,
            dispatch.dispatch_board,
            dispatch.dispatch,
            dispatch.dispatch_batch,
            work.work_list,
            work.accept,
            work.start,
            work.finish,
            work.image,
            *sessions.ROUTES,
            rating.rating_page,
            rating.rate,
            rating.recipient_page,
            oversight.supervision,
            oversight.stats_page,
            oversight.stats_export,
            oversight.config_page,
            *(plugin_pages or []),
        ],
        dependencies={
            # in a request thread: the session check reads (and now and then touches) its
            # row, which must never hold up the event loop
            "actor": Provide(page_actor, sync_to_thread=True),
            "secret_key": Provide(lambda: secret_key, use_cache=True, sync_to_thread=False),
        },
        exception_handlers=PAGE_HANDLERS,
        include_in_schema=False,
        request_max_body_size=max_body_size,
    )


__all__ = ["FILTERS", "page_router"]
