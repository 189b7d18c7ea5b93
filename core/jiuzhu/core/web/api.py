"""The JSON API under /api. Every handler goes through the same services as pages and CLI."""

from __future__ import annotations

import re
from datetime import date
from functools import partial
from typing import Any

import litestar
import msgspec
from litestar import Request, Router
from litestar.di import Provide
from litestar.params import Parameter

from .. import access
from ..access import Actor, PersonView
from ..describe import region_data
from ..domain import Attendee, Delivery, GroupSession, NewPerson, Order, Person, Visit
from ..services import Services, cases, entitlements, orders, people, providers, sessions, stats
from ..services.cases import CaseFile, EntitlementView
from ..services.entitlements import ShortfallView
from ..services.orders import Finish, NewOrder, NewRating
from ..services.providers import ProviderView
from ..times import local_date
from .auth import audit_request, require_actor

# handlers are sync (sync SQLAlchemy): run them in the thread pool
get = partial(litestar.get, sync_to_thread=True)
post = partial(litestar.post, sync_to_thread=True)


def shown_person(actor: Actor, person: Person, on: date | None = None) -> PersonView:
    """The API's entry point for shaping a person: access.shown_person, the one function
    that masks for the role (the ID, the birth date, the fields the role may see); the
    age is counted on `on` (today by default)."""
    return access.shown_person(actor, person, on)


class NewCase(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    person_id: int
    reason: str = ""


class NewAssessment(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    answers: dict[str, int]
    reason: str = ""


class Grant(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    year: int | None = None
    reason: str = ""


class Dispatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    provider_id: int


class Accept(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    worker_id: int | None = None


class Reason(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: str = ""


class NewVisit(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    kind: str
    satisfied: bool | None = None
    notes: str = ""
    order_id: int | None = None


class NewProvider(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    area_code: str


class NewWorker(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    qualifications: list[str] = []
    phone: str = ""


@post("/persons", status_code=201)
def create_person(svc: Services, actor: Actor, data: NewPerson) -> PersonView:
    return shown_person(actor, people.create_person(svc, actor, data), local_date(svc.now()))


@get("/persons/{person_id:int}")
def read_person(svc: Services, actor: Actor, person_id: int) -> PersonView:
    return shown_person(actor, people.get_person(svc, actor, person_id), local_date(svc.now()))


@post("/cases", status_code=201)
def open_case(svc: Services, actor: Actor, data: NewCase) -> Any:
    return cases.open_case(svc, actor, data.person_id, data.reason)


@get("/cases/{case_id:int}")
def read_case(svc: Services, actor: Actor, case_id: int) -> CaseFile:
    return cases.case_file(svc, actor, case_id)  # shaped for the actor by the service


@post("/cases/{case_id:int}/assessments", status_code=201)
def assess(svc: Services, actor: Actor, case_id: int, data: NewAssessment) -> Any:
    return cases.record_assessment(svc, actor, case_id, data.answers, data.reason)


@post("/cases/{case_id:int}/entitlement", status_code=201)
def grant(svc: Services, actor: Actor, case_id: int, data: Grant) -> Any:
    """The entitlement granted, or — when the case's assessment level carries none (group
    sessions only) — the activated case with ``entitlement: null``."""
    granted = cases.grant_entitlement(svc, actor, case_id, data.year, data.reason)
    if granted is not None:
        return granted
    return {"case": cases.get_case(svc, actor, case_id), "entitlement": None}


@get("/cases/{case_id:int}/entitlement")
def read_entitlement(
    svc: Services,
    actor: Actor,
    case_id: int,
    year: int | None = Parameter(default=None),
    period: str | None = Parameter(default=None),
) -> EntitlementView:
    """The entitlement of a year (default: this one) in a period of it (default: the
    current one): buckets, what is used and left, in the entitlement's unit."""
    return entitlements.entitlement_view(svc, actor, case_id, year, period)


@get("/cases/{case_id:int}/shortfall")
def read_shortfall(
    svc: Services, actor: Actor, case_id: int, period: str | None = Parameter(default=None)
) -> ShortfallView:
    """A time floor's standing for a period (default: the current one): owed and served,
    in days and hours."""
    return entitlements.case_shortfall(svc, actor, case_id, period)


@get("/shortfalls")
def list_shortfalls(
    svc: Services,
    actor: Actor,
    period: str | None = Parameter(default=None),
    only_short: bool = Parameter(default=False),
) -> list[ShortfallView]:
    """Every floor in the caller's area for a period (default: this month; supervisors)."""
    return entitlements.shortfalls(svc, actor, period, only_short)


@post("/cases/{case_id:int}/visits", status_code=201)
def visit(svc: Services, actor: Actor, case_id: int, data: NewVisit) -> Visit:
    return cases.record_visit(
        svc, actor, case_id, data.kind, data.satisfied, data.notes, data.order_id
    )


@post("/cases/{case_id:int}/exit")
def exit_case(svc: Services, actor: Actor, case_id: int, data: Reason) -> Any:
    return cases.exit_case(svc, actor, case_id, data.reason)


@post("/orders", status_code=201)
def place(svc: Services, actor: Actor, data: NewOrder) -> Order:
    return orders.place_order(svc, actor, data)


@get("/orders/{order_id:int}")
def read_order(svc: Services, actor: Actor, order_id: int) -> Order:
    return orders.get_order(svc, actor, order_id)


@post("/orders/{order_id:int}/dispatch")
def dispatch(svc: Services, actor: Actor, order_id: int, data: Dispatch) -> Order:
    return orders.dispatch_order(svc, actor, order_id, data.provider_id)


@post("/orders/{order_id:int}/accept")
def accept(svc: Services, actor: Actor, order_id: int, data: Accept | None = None) -> Order:
    return orders.accept_order(svc, actor, order_id, data.worker_id if data else None)


@post("/orders/{order_id:int}/start")
def start(svc: Services, actor: Actor, order_id: int) -> Order:
    return orders.start_order(svc, actor, order_id)


@post("/orders/{order_id:int}/finish")
def finish(svc: Services, actor: Actor, order_id: int, data: Finish) -> Order:
    return orders.finish_order(svc, actor, order_id, data)


@post("/orders/{order_id:int}/rate")
def rate(svc: Services, actor: Actor, order_id: int, data: NewRating) -> Order:
    return orders.rate_order(svc, actor, order_id, data)


@post("/orders/{order_id:int}/close")
def close(svc: Services, actor: Actor, order_id: int, data: Reason) -> Order:
    """提前结单 between visits: the undelivered remainder is refunded."""
    return orders.close_order(svc, actor, order_id, data.reason)


@get("/orders/{order_id:int}/deliveries")
def read_deliveries(svc: Services, actor: Actor, order_id: int) -> list[Delivery]:
    """The order's visits: check-in and -out, minutes, steps ticked, signer."""
    return orders.order_deliveries(svc, actor, order_id)


@post("/orders/{order_id:int}/cancel")
def cancel(svc: Services, actor: Actor, order_id: int, data: Reason | None = None) -> Order:
    return orders.cancel_order(svc, actor, order_id, data.reason if data else "")


@get("/orders/overdue")
def overdue(svc: Services, actor: Actor) -> list[Order]:
    actor.require("order.dispatch")
    scope = access.order_scope(actor, svc.region(actor.region_id).info)
    with svc.engine.connect() as conn:
        rows = orders.overdue_rows(conn, actor.region_id, svc.now(), scope)
    return [orders.shown_order(actor, msgspec.convert(row, Order)) for row in rows]


@post("/orders/escalate")
def escalate(svc: Services, actor: Actor) -> list[Order]:
    return orders.escalate_overdue(svc, actor, actor.region_id)


@post("/providers", status_code=201)
def create_provider(svc: Services, actor: Actor, data: NewProvider) -> Any:
    return providers.create_provider(svc, actor, actor.region_id, data.name, data.area_code)


@post("/providers/{provider_id:int}/workers", status_code=201)
def create_worker(svc: Services, actor: Actor, provider_id: int, data: NewWorker) -> Any:
    return providers.create_worker(
        svc, actor, provider_id, data.name, data.qualifications, data.phone
    )


@get("/providers/{provider_id:int}")
def read_provider(svc: Services, actor: Actor, provider_id: int) -> ProviderView:
    return providers.get_provider(svc, actor, provider_id)


@get("/stats")
def read_stats(
    svc: Services,
    actor: Actor,
    group_by: str = "item",
    area: str | None = None,
    start: date | None = None,
    end: date | None = None,
    provider_id: int | None = None,
    item_code: str | None = None,
) -> stats.Stats:
    return stats.statistics(svc, actor, group_by, area, start, end, provider_id, item_code)


@post("/sessions", status_code=201)
def create_session(svc: Services, actor: Actor, data: sessions.NewSession) -> GroupSession:
    """Plan a group session (小组工作 / 主题活动) of a group item."""
    return sessions.create_session(svc, actor, data)


@get("/sessions")
def list_sessions(
    svc: Services, actor: Actor, status: str | None = Parameter(default=None)
) -> list[GroupSession]:
    return sessions.list_sessions(svc, actor, status)


@get("/sessions/{session_id:int}")
def read_session(svc: Services, actor: Actor, session_id: int) -> sessions.SessionView:
    return sessions.get_session(svc, actor, session_id)


@get("/sessions/{session_id:int}/candidates")
def session_candidates(
    svc: Services, actor: Actor, session_id: int, q: str = Parameter(default="")
) -> list[sessions.Candidate]:
    """Active cases in scope whose name contains ``q``, to check in."""
    return sessions.candidates(svc, actor, session_id, q)


class CheckIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    case_id: int


@post("/sessions/{session_id:int}/attendees", status_code=201)
def check_in(svc: Services, actor: Actor, session_id: int, data: CheckIn) -> Attendee:
    """签到: the attendee's order (delivered) and visit; a person-time."""
    return sessions.check_in(svc, actor, session_id, data.case_id)


@post("/sessions/{session_id:int}/close")
def close_session(svc: Services, actor: Actor, session_id: int) -> GroupSession:
    return sessions.close_session(svc, actor, session_id)


@get("/regions")
def list_regions(svc: Services, actor: Actor) -> list[dict[str, Any]]:
    return [
        {"id": r.id, "name": r.info.name, "name_en": r.info.name_en, "code": r.info.code}
        for r in svc.regions
        if r.id == actor.region_id
    ]


@get("/regions/{region_id:str}")
def read_region(svc: Services, actor: Actor, region_id: str) -> dict[str, Any]:
    if region_id != actor.region_id:
        from ..base import NotFound

        raise NotFound("region", region_id)
    return region_data(svc.region(region_id))


_CASE_PATH = re.compile(r"^/api/cases/(\d+)")


def provide_actor(request: Request[Any, Any, Any], svc: Services) -> Actor:
    """The signed-in caller; every authenticated API call leaves an audit row (who, which
    path, which case), so views through the API are on record as on the pages."""
    actor = require_actor(request, svc)
    match = _CASE_PATH.match(request.url.path)
    case_id = int(match[1]) if match else None
    audit_request(request, svc, actor, f"api.{request.method}", case_id)
    return actor


HANDLERS = [
    create_person,
    read_person,
    open_case,
    read_case,
    assess,
    grant,
    read_entitlement,
    read_shortfall,
    list_shortfalls,
    visit,
    exit_case,
    place,
    read_order,
    dispatch,
    accept,
    start,
    finish,
    rate,
    close,
    read_deliveries,
    cancel,
    overdue,
    escalate,
    create_provider,
    create_worker,
    read_provider,
    read_stats,
    create_session,
    list_sessions,
    read_session,
    session_candidates,
    check_in,
    close_session,
    list_regions,
    read_region,
]


def api_router(extra: list[Any]) -> Router:
    return Router(
        path="/api",
        route_handlers=[*HANDLERS, *extra],
        dependencies={"actor": Provide(provide_actor, sync_to_thread=True)},
    )
