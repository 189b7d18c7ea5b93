"""The JSON API under /api. Every handler goes through the same services as pages and CLI.

Creations answer 201 with the new record and its ``Location``; state transitions answer
200 with the changed record; lists answer a page (``items`` and the ``next`` cursor).
Request bodies are decoded strictly (a number sent as a string is refused, see bodies.py),
every POST that changes state accepts ``Idempotency-Key`` (see idempotency.py), and every
failure has the one error shape (errors.py). docs/api.md is the integrator's guide.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from litestar import Response, Router
from litestar.di import Provide
from litestar.params import Parameter
from msgspec import Meta
from sqlalchemy import Table

from .. import access
from ..access import Actor, PersonView
from ..base import NotFound
from ..describe import region_data
from ..domain import (
    Assessment,
    Attendee,
    Case,
    Delivery,
    Entitlement,
    GroupSession,
    Household,
    NewPerson,
    Order,
    Person,
    Provider,
    Visit,
    Worker,
)
from ..limits import (
    Answer,
    AreaCode,
    Id,
    Notes,
    PersonName,
    Phone,
    ProviderName,
    Reason,
    Tag,
)
from ..services import (
    Services,
    cases,
    entitlements,
    fetch_one,
    households,
    orders,
    people,
    providers,
    search,
    sessions,
    stats,
)
from ..services.cases import CaseFile, EntitlementView
from ..services.entitlements import ShortfallView
from ..services.orders import Finish, NewOrder, NewRating
from ..services.providers import ProviderView
from ..storage.tables import assessments, visits, workers
from ..times import local_date
from .callers import before_api_request, provide_actor
from .idempotency import IdempotencyMiddleware
from .openapi import IdempotencyKey, route


def shown_person(actor: Actor, person: Person, on: date | None = None) -> PersonView:
    """The API's entry point for shaping a person: access.shown_person, the one function
    that masks for the role (the ID, the birth date, the fields the role may see); the
    age is counted on `on` (today by default)."""
    return access.shown_person(actor, person, on)


# --- inputs ----------------------------------------------------------------------------
class NewCase(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    person_id: Id
    reason: Reason = ""


class NewAssessment(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    answers: Annotated[dict[Tag, Answer], Meta(min_length=1, max_length=200)]
    reason: Reason = ""


class Grant(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    year: (
        Annotated[
            int,
            Meta(
                description="额度年度（默认今年）：须有本地区生效的额度规则，"
                "不早于服务对象出生年份，至多为明年"
            ),
        ]
        | None
    ) = None
    reason: Reason = ""


class Dispatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    provider_id: Id


class Accept(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    worker_id: Id | None = None


class ReasonBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Reason = ""


class NewVisit(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    kind: Literal["return", "review", "home", "supervision", "survey"]
    satisfied: bool | None = None
    notes: Notes = ""
    order_id: Id | None = None


class NewProvider(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: ProviderName
    area_code: AreaCode


class NewWorker(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: PersonName
    qualifications: Annotated[
        list[Annotated[str, Meta(min_length=1, max_length=60)]], Meta(max_length=20)
    ] = []
    phone: Phone = ""


# --- outputs ---------------------------------------------------------------------------
class PersonPage(msgspec.Struct, kw_only=True):
    items: list[PersonView]
    next: str | None  # pass back as `cursor` for the next page; null on the last page


class CasePage(msgspec.Struct, kw_only=True):
    items: list[Case]
    next: str | None


class OrderPage(msgspec.Struct, kw_only=True):
    items: list[Order]
    next: str | None


class Activated(msgspec.Struct, kw_only=True):
    """A grant for an assessment level that carries no individual entitlement (e.g.
    short-term recipients who only attend group sessions): the case, now active."""

    case: Case
    entitlement: None = None


class CheckIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    case_id: Id


Period = Annotated[
    str | None,
    Parameter(
        min_length=4,
        max_length=7,
        pattern=r"^\d{4}(-Q[1-4]|-\d{2})?$",
        description="期间：2025（年）、2025-Q1（季度）或 2025-03（月）；默认当前期间",
    ),
]


class RegionSummary(msgspec.Struct, kw_only=True):
    id: str
    name: str
    name_en: str
    code: str


def created(resource: Any, location: str) -> Response[Any]:
    return Response(resource, status_code=201, headers={"Location": location})


Limit = Annotated[
    int, Parameter(ge=1, le=search.MAX_LIMIT, description="每页条数（1至200，默认50）")
]
Cursor = Annotated[
    str | None,
    Parameter(max_length=200, description="上一页应答中的 next，原样传回；首页不传"),
]


# --- persons ---------------------------------------------------------------------------
@route("POST", "/persons", summary="Register a person (登记服务对象)", tag="persons", created=True)
def create_person(
    svc: Services, actor: Actor, data: NewPerson, idempotency_key: IdempotencyKey = None
) -> Response[PersonView]:
    person = people.create_person(svc, actor, data)
    return created(shown_person(actor, person, local_date(svc.now())), f"/api/persons/{person.id}")


@route("GET", "/persons", summary="Search people in scope (按身份证号或姓名查找)", tag="persons")
def list_persons(
    svc: Services,
    actor: Actor,
    id_number: Annotated[
        str | None, Parameter(min_length=1, max_length=18, description="身份证号（精确）")
    ] = None,
    name: Annotated[
        str | None, Parameter(min_length=1, max_length=60, description="姓名开头")
    ] = None,
    limit: Limit = search.DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PersonPage:
    items, nxt = search.list_persons(
        svc, actor, id_number=id_number, name=name, limit=limit, cursor=cursor
    )
    today = local_date(svc.now())
    return PersonPage(items=[shown_person(actor, p, today) for p in items], next=nxt)


@route("GET", "/persons/{person_id:int}", summary="Read a person (服务对象)", tag="persons")
def read_person(svc: Services, actor: Actor, person_id: int) -> PersonView:
    return shown_person(actor, people.get_person(svc, actor, person_id), local_date(svc.now()))


# --- households (一户一档) ---------------------------------------------------------------
@route(
    "POST",
    "/households",
    summary="Register a household (建户；可指定户主)",
    tag="households",
    created=True,
)
def create_household(
    svc: Services,
    actor: Actor,
    data: households.NewHousehold,
    idempotency_key: IdempotencyKey = None,
) -> Response[Household]:
    home = households.create_household(svc, actor, data)
    return created(home, f"/api/households/{home.id}")


@route(
    "GET",
    "/households/{household_id:int}",
    summary="Read a household file (一户一档)",
    tag="households",
)
def read_household(svc: Services, actor: Actor, household_id: int) -> households.HouseholdFile:
    """Members (shaped for the caller), their cases, orders, visits, home visits, totals
    and what plugins add (e.g. one-form applications)."""
    return households.household_file(svc, actor, household_id)


@route(
    "POST",
    "/households/{household_id:int}/members",
    summary="Add, move in or re-relate a member (家庭成员)",
    tag="households",
)
def set_member(
    svc: Services,
    actor: Actor,
    household_id: int,
    data: households.Member,
    idempotency_key: IdempotencyKey = None,
) -> Household:
    return households.set_member(svc, actor, household_id, data.person_id, data.relation)


@route(
    "POST",
    "/households/{household_id:int}/members/{person_id:int}/remove",
    summary="A member leaves the household (迁出)",
    tag="households",
)
def remove_member(
    svc: Services,
    actor: Actor,
    household_id: int,
    person_id: int,
    idempotency_key: IdempotencyKey = None,
) -> Household:
    return households.remove_member(svc, actor, household_id, person_id)


# --- cases -----------------------------------------------------------------------------
@route("POST", "/cases", summary="Open a case (立案，一人一档)", tag="cases", created=True)
def open_case(
    svc: Services, actor: Actor, data: NewCase, idempotency_key: IdempotencyKey = None
) -> Response[Case]:
    case = cases.open_case(svc, actor, data.person_id, data.reason)
    return created(case, f"/api/cases/{case.id}")


@route("GET", "/cases", summary="List cases in scope (案件列表)", tag="cases")
def list_cases(
    svc: Services,
    actor: Actor,
    status: Annotated[
        Literal["open", "active", "exited"] | None, Parameter(description="案件状态")
    ] = None,
    area: Annotated[
        str | None, Parameter(min_length=1, max_length=12, description="区划代码（含下级）")
    ] = None,
    limit: Limit = search.DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> CasePage:
    items, nxt = search.list_cases(svc, actor, status=status, area=area, limit=limit, cursor=cursor)
    return CasePage(items=items, next=nxt)


@route("GET", "/cases/{case_id:int}", summary="Read a case file (一人一档)", tag="cases")
def read_case(svc: Services, actor: Actor, case_id: int) -> CaseFile:
    return cases.case_file(svc, actor, case_id)  # shaped for the actor by the service


@route(
    "POST",
    "/cases/{case_id:int}/assessments",
    summary="Record a needs assessment (需求评估；复评可计为阶段评估)",
    tag="cases",
    created=True,
)
def assess(
    svc: Services,
    actor: Actor,
    case_id: int,
    data: NewAssessment,
    idempotency_key: IdempotencyKey = None,
) -> Response[Assessment]:
    done = cases.record_assessment(svc, actor, case_id, data.answers, data.reason)
    return created(done, f"/api/cases/{case_id}/assessments/{done.id}")


@route(
    "GET",
    "/cases/{case_id:int}/assessments/{assessment_id:int}",
    summary="Read an assessment (评估记录)",
    tag="cases",
)
def read_assessment(svc: Services, actor: Actor, case_id: int, assessment_id: int) -> Assessment:
    row = _case_record(svc, actor, case_id, assessments, "assessment", assessment_id)
    return msgspec.convert(row, Assessment)


@route(
    "POST",
    "/cases/{case_id:int}/entitlement",
    summary="Grant the year's entitlement (授予服务额度)",
    tag="cases",
    created=True,
)
def grant(
    svc: Services, actor: Actor, case_id: int, data: Grant, idempotency_key: IdempotencyKey = None
) -> Response[Entitlement | Activated]:
    """The entitlement granted under the rule a plugin gives for the case's assessment
    level, in that rule's unit and period. When the level carries no individual
    entitlement, the case is activated and the answer is the case with
    ``entitlement: null``."""
    ent = cases.grant_entitlement(svc, actor, case_id, data.year, data.reason)
    if ent is None:
        case = cases.get_case(svc, actor, case_id)
        return created(Activated(case=case), f"/api/cases/{case_id}")
    return created(ent, f"/api/cases/{case_id}/entitlement?year={ent.year}")


@route(
    "GET",
    "/cases/{case_id:int}/entitlement",
    summary="Read an entitlement: its buckets in its unit, per period (服务额度)",
    tag="cases",
)
def read_entitlement(
    svc: Services,
    actor: Actor,
    case_id: int,
    year: Annotated[int | None, Parameter(ge=1900, le=9999, description="年度（默认今年）")] = None,
    period: Period = None,
) -> EntitlementView:
    """The entitlement of a year (default: this one) in a period of it (default: the
    current one): buckets, what is used and left, in the entitlement's unit."""
    return entitlements.entitlement_view(svc, actor, case_id, year, period)


@route(
    "GET",
    "/cases/{case_id:int}/shortfall",
    summary="A time floor's standing for a period (保障时长与天数)",
    tag="cases",
)
def read_shortfall(
    svc: Services, actor: Actor, case_id: int, period: Period = None
) -> ShortfallView:
    """Owed and served in a period (default: the current one), in days and hours."""
    return entitlements.case_shortfall(svc, actor, case_id, period)


@route(
    "GET",
    "/shortfalls",
    summary="Every time floor in the caller's area for a period (未达保障标准)",
    tag="supervision",
)
def list_shortfalls(
    svc: Services,
    actor: Actor,
    period: Period = None,
    only_short: Annotated[bool, Parameter(description="只列未达标的")] = False,
) -> list[ShortfallView]:
    """For supervisors: default period this month; names only for case readers."""
    return entitlements.shortfalls(svc, actor, period, only_short)


@route(
    "POST",
    "/cases/{case_id:int}/visits",
    summary="Record a visit (回访、阶段评估、入户走访、服务督导、满意度调查)",
    tag="cases",
    created=True,
)
def visit(
    svc: Services,
    actor: Actor,
    case_id: int,
    data: NewVisit,
    idempotency_key: IdempotencyKey = None,
) -> Response[Visit]:
    done = cases.record_visit(
        svc, actor, case_id, data.kind, data.satisfied, data.notes, data.order_id
    )
    return created(shown_visit(actor, done), f"/api/cases/{case_id}/visits/{done.id}")


@route(
    "GET",
    "/cases/{case_id:int}/visits/{visit_id:int}",
    summary="Read a visit (走访记录)",
    tag="cases",
)
def read_visit(svc: Services, actor: Actor, case_id: int, visit_id: int) -> Visit:
    visit = msgspec.convert(_case_record(svc, actor, case_id, visits, "visit", visit_id), Visit)
    return shown_visit(actor, visit)


def shown_visit(actor: Actor, visit: Visit) -> Visit:
    """ID numbers typed into the visit's notes are masked for roles without id.full."""
    return msgspec.structs.replace(visit, notes=access.shown_text(actor, visit.notes))


@route("POST", "/cases/{case_id:int}/exit", summary="Exit a case (动态退出)", tag="cases")
def exit_case(
    svc: Services,
    actor: Actor,
    case_id: int,
    data: ReasonBody,
    idempotency_key: IdempotencyKey = None,
) -> Case:
    return cases.exit_case(svc, actor, case_id, data.reason)


def _case_record(
    svc: Services, actor: Actor, case_id: int, table: Table, kind: str, record_id: int
) -> dict[str, Any]:
    """One record of a case the actor may read (the case's scope decides)."""
    cases.get_case(svc, actor, case_id)
    with svc.reading() as conn:
        return fetch_one(conn, table, kind, record_id, id=record_id, case_id=case_id)


# --- orders ----------------------------------------------------------------------------
@route("POST", "/orders", summary="Place an order (群众点单)", tag="orders", created=True)
def place(
    svc: Services, actor: Actor, data: NewOrder, idempotency_key: IdempotencyKey = None
) -> Response[Order]:
    order = orders.place_order(svc, actor, data)
    return created(order, f"/api/orders/{order.id}")


@route("GET", "/orders", summary="List orders in scope (工单列表)", tag="orders")
def list_orders(
    svc: Services,
    actor: Actor,
    case_id: Annotated[int | None, Parameter(ge=1, le=2**31 - 1, description="案件编号")] = None,
    status: Annotated[
        Literal["placed", "dispatched", "accepted", "in_service", "delivered", "rated", "cancelled"]
        | None,
        Parameter(description="工单状态"),
    ] = None,
    provider_id: Annotated[
        int | None, Parameter(ge=1, le=2**31 - 1, description="服务机构编号")
    ] = None,
    limit: Limit = search.DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> OrderPage:
    items, nxt = search.list_orders(
        svc,
        actor,
        case_id=case_id,
        status=status,
        provider_id=provider_id,
        limit=limit,
        cursor=cursor,
    )
    return OrderPage(items=items, next=nxt)


@route("GET", "/orders/{order_id:int}", summary="Read an order (工单)", tag="orders")
def read_order(svc: Services, actor: Actor, order_id: int) -> Order:
    return orders.get_order(svc, actor, order_id)


@route("POST", "/orders/{order_id:int}/dispatch", summary="Dispatch (平台派单)", tag="orders")
def dispatch(
    svc: Services,
    actor: Actor,
    order_id: int,
    data: Dispatch,
    idempotency_key: IdempotencyKey = None,
) -> Order:
    return orders.dispatch_order(svc, actor, order_id, data.provider_id)


@route("POST", "/orders/{order_id:int}/accept", summary="Accept (社工接单)", tag="orders")
def accept(
    svc: Services,
    actor: Actor,
    order_id: int,
    data: Accept | None = None,
    idempotency_key: IdempotencyKey = None,
) -> Order:
    return orders.accept_order(svc, actor, order_id, data.worker_id if data else None)


@route("POST", "/orders/{order_id:int}/start", summary="Check in (签到开始服务)", tag="orders")
def start(
    svc: Services, actor: Actor, order_id: int, idempotency_key: IdempotencyKey = None
) -> Order:
    return orders.start_order(svc, actor, order_id)


@route("POST", "/orders/{order_id:int}/finish", summary="Check out (签退完成服务)", tag="orders")
def finish(
    svc: Services,
    actor: Actor,
    order_id: int,
    data: Finish,
    idempotency_key: IdempotencyKey = None,
) -> Order:
    return orders.finish_order(svc, actor, order_id, data)


@route("POST", "/orders/{order_id:int}/rate", summary="Rate (群众评单)", tag="orders")
def rate(
    svc: Services,
    actor: Actor,
    order_id: int,
    data: NewRating,
    idempotency_key: IdempotencyKey = None,
) -> Order:
    return orders.rate_order(svc, actor, order_id, data)


@route(
    "POST",
    "/orders/{order_id:int}/close",
    summary="Close early between visits (提前结单，退回未服务部分)",
    tag="orders",
)
def close(
    svc: Services,
    actor: Actor,
    order_id: int,
    data: ReasonBody,
    idempotency_key: IdempotencyKey = None,
) -> Order:
    return orders.close_order(svc, actor, order_id, data.reason)


@route(
    "GET",
    "/orders/{order_id:int}/deliveries",
    summary="The order's visits: check-in, check-out, minutes, signer (上门记录)",
    tag="orders",
)
def read_deliveries(svc: Services, actor: Actor, order_id: int) -> list[Delivery]:
    return orders.order_deliveries(svc, actor, order_id)


@route(
    "POST", "/orders/{order_id:int}/cancel", summary="Cancel and refund (取消工单)", tag="orders"
)
def cancel(
    svc: Services,
    actor: Actor,
    order_id: int,
    data: ReasonBody | None = None,
    idempotency_key: IdempotencyKey = None,
) -> Order:
    return orders.cancel_order(svc, actor, order_id, data.reason if data else "")


@route(
    "GET",
    "/orders/overdue",
    summary="Orders past their response deadline (超时未接单)",
    tag="orders",
)
def overdue(svc: Services, actor: Actor) -> list[Order]:
    actor.require("order.dispatch")
    scope = access.order_scope(actor, svc.region(actor.region_id).info)
    with svc.reading() as conn:
        rows = orders.overdue_rows(conn, actor.region_id, svc.now(), scope)
    return [orders.shown_order(actor, msgspec.convert(row, Order)) for row in rows]


@route(
    "POST",
    "/orders/escalate",
    summary="Escalate overdue orders one area level up (超时上报)",
    tag="orders",
)
def escalate(svc: Services, actor: Actor, idempotency_key: IdempotencyKey = None) -> list[Order]:
    return orders.escalate_overdue(svc, actor, actor.region_id)


# --- providers -------------------------------------------------------------------------
@route(
    "POST", "/providers", summary="Register a provider (服务机构)", tag="providers", created=True
)
def create_provider(
    svc: Services, actor: Actor, data: NewProvider, idempotency_key: IdempotencyKey = None
) -> Response[Provider]:
    provider = providers.create_provider(svc, actor, actor.region_id, data.name, data.area_code)
    return created(provider, f"/api/providers/{provider.id}")


@route(
    "POST",
    "/providers/{provider_id:int}/workers",
    summary="Add a social worker (社工)",
    tag="providers",
    created=True,
)
def create_worker(
    svc: Services,
    actor: Actor,
    provider_id: int,
    data: NewWorker,
    idempotency_key: IdempotencyKey = None,
) -> Response[Worker]:
    worker = providers.create_worker(
        svc, actor, provider_id, data.name, data.qualifications, data.phone
    )
    return created(worker, f"/api/providers/{provider_id}/workers/{worker.id}")


@route(
    "GET",
    "/providers/{provider_id:int}",
    summary="Read a provider with its light and workers (服务机构)",
    tag="providers",
)
def read_provider(svc: Services, actor: Actor, provider_id: int) -> ProviderView:
    return providers.get_provider(svc, actor, provider_id)


@route(
    "GET",
    "/providers/{provider_id:int}/workers/{worker_id:int}",
    summary="Read a social worker (社工)",
    tag="providers",
)
def read_worker(svc: Services, actor: Actor, provider_id: int, worker_id: int) -> Worker:
    providers.get_provider(svc, actor, provider_id)  # the region check
    with svc.reading() as conn:
        row = fetch_one(conn, workers, "worker", worker_id, id=worker_id, provider_id=provider_id)
    return msgspec.convert(row, Worker)


# --- statistics and regions -------------------------------------------------------------
@route(
    "GET",
    "/stats",
    summary="Statistics: persons, person-times, hours, money (统计)",
    tag="statistics",
)
def read_stats(
    svc: Services,
    actor: Actor,
    group_by: Literal["region", "area", "item", "provider", "category", "month"] = "item",
    area: Annotated[str | None, Parameter(min_length=1, max_length=12)] = None,
    start: date | None = None,
    end: date | None = None,
    provider_id: Annotated[int | None, Parameter(ge=1, le=2**31 - 1)] = None,
    item_code: Annotated[str | None, Parameter(min_length=1, max_length=40)] = None,
) -> stats.Stats:
    return stats.statistics(svc, actor, group_by, area, start, end, provider_id, item_code)


# --- group sessions -----------------------------------------------------------------------
@route(
    "POST",
    "/sessions",
    summary="Plan a group session of a group item (小组工作、主题活动)",
    tag="sessions",
    created=True,
)
def create_session(
    svc: Services,
    actor: Actor,
    data: sessions.NewSession,
    idempotency_key: IdempotencyKey = None,
) -> Response[GroupSession]:
    session = sessions.create_session(svc, actor, data)
    return created(session, f"/api/sessions/{session.id}")


@route("GET", "/sessions", summary="Group sessions in scope (活动列表)", tag="sessions")
def list_sessions(
    svc: Services,
    actor: Actor,
    status: Annotated[Literal["open", "closed"] | None, Parameter(description="活动状态")] = None,
) -> list[GroupSession]:
    return sessions.list_sessions(svc, actor, status)


@route("GET", "/sessions/{session_id:int}", summary="A session with its attendees", tag="sessions")
def read_session(svc: Services, actor: Actor, session_id: int) -> sessions.SessionView:
    return sessions.get_session(svc, actor, session_id)


@route(
    "GET",
    "/sessions/{session_id:int}/candidates",
    summary="Active cases in the session's area to check in (可签到对象)",
    tag="sessions",
)
def session_candidates(
    svc: Services,
    actor: Actor,
    session_id: int,
    q: Annotated[str, Parameter(max_length=60, description="姓名包含")] = "",
) -> list[sessions.Candidate]:
    return sessions.candidates(svc, actor, session_id, q)


@route(
    "POST",
    "/sessions/{session_id:int}/attendees",
    summary="Check an attendee in (签到：一人次)",
    tag="sessions",
    created=True,
)
def check_in(
    svc: Services,
    actor: Actor,
    session_id: int,
    data: CheckIn,
    idempotency_key: IdempotencyKey = None,
) -> Response[Attendee]:
    """The attendee's order (delivered) and visit; their entitlement is used if the
    item spends it."""
    done = sessions.check_in(svc, actor, session_id, data.case_id)
    return created(done, f"/api/orders/{done.order_id}")


@route("POST", "/sessions/{session_id:int}/close", summary="Close a session", tag="sessions")
def close_session(
    svc: Services, actor: Actor, session_id: int, idempotency_key: IdempotencyKey = None
) -> GroupSession:
    return sessions.close_session(svc, actor, session_id)


@route("GET", "/regions", summary="The caller's region (地区)", tag="regions")
def list_regions(svc: Services, actor: Actor) -> list[RegionSummary]:
    return [
        RegionSummary(id=r.id, name=r.info.name, name_en=r.info.name_en, code=r.info.code)
        for r in svc.regions
        if r.id == actor.region_id
    ]


@route(
    "GET",
    "/regions/{region_id:str}",
    summary="Everything the caller's region declares (地区配置)",
    tag="regions",
)
def read_region(svc: Services, actor: Actor, region_id: str) -> dict[str, Any]:
    if region_id != actor.region_id:
        raise NotFound("region", region_id)
    return region_data(svc.region(region_id))


HANDLERS = [
    create_person,
    list_persons,
    read_person,
    create_household,
    read_household,
    set_member,
    remove_member,
    open_case,
    list_cases,
    read_case,
    assess,
    read_assessment,
    grant,
    read_entitlement,
    read_shortfall,
    list_shortfalls,
    visit,
    read_visit,
    exit_case,
    place,
    list_orders,
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
    read_worker,
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
        dependencies={"actor": Provide(provide_actor)},  # routes made without openapi.route
        before_request=before_api_request,
        middleware=[IdempotencyMiddleware()],
    )
