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
from ..domain import NewPerson, Order, Person, Visit
from ..services import Services, cases, orders, people, providers, stats
from ..services.cases import CaseFile, EntitlementView
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
    return cases.grant_entitlement(svc, actor, case_id, data.year, data.reason)


@get("/cases/{case_id:int}/entitlement")
def read_entitlement(
    svc: Services, actor: Actor, case_id: int, year: int | None = Parameter(default=None)
) -> EntitlementView:
    return cases.entitlement_view(svc, actor, case_id, year)


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
    visit,
    exit_case,
    place,
    read_order,
    dispatch,
    accept,
    start,
    finish,
    rate,
    cancel,
    overdue,
    escalate,
    create_provider,
    create_worker,
    read_provider,
    read_stats,
    list_regions,
    read_region,
]


def api_router(extra: list[Any]) -> Router:
    return Router(
        path="/api",
        route_handlers=[*HANDLERS, *extra],
        dependencies={"actor": Provide(provide_actor, sync_to_thread=True)},
    )
