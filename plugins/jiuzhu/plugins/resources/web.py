"""The 融救联助 API, mounted under /api through the jiuzhu_web_routes hook. The same
services as the pages and the CLI, so the same permissions and area scope."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec
from litestar import Response
from litestar.params import Parameter
from msgspec import Meta

from jiuzhu.core.access import Actor
from jiuzhu.core.limits import AreaCodeOrBlank, Fen, Id, Minutes, Note, Notes, Reason
from jiuzhu.core.services import Services
from jiuzhu.core.web.openapi import READ_ERRORS, IdempotencyKey, route

from . import charity, library, package, teams, volunteers, wishes
from .config import Offer, Resource

TAG = "resources"
# reads also answer 409 when the region has no resources.toml (融救联助 not configured)
READS = (*READ_ERRORS, 409)
Code = Annotated[str, Meta(min_length=1, max_length=40)]
Text60 = Annotated[str, Meta(min_length=1, max_length=60)]
Text120 = Annotated[str, Meta(max_length=120)]
Text200 = Annotated[str, Meta(max_length=200)]
Kind = Literal["organisation", "unit", "business", "volunteer", "sentinel"]


class NewOffer(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    content: Annotated[str, Meta(min_length=1, max_length=200)]
    needs: Annotated[list[Annotated[str, Meta(max_length=40)]], Meta(max_length=20)] = []
    area_code: AreaCodeOrBlank = ""
    capacity: Annotated[int, Meta(ge=0, le=1_000_000)] = 0
    owner: Text120 = ""
    standard: Annotated[str, Meta(max_length=2000)] = ""
    contact: Text120 = ""


class NewResource(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: Code
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    kind: Kind
    area_code: AreaCodeOrBlank
    contact: Text120 = ""
    location: Text200 = ""
    offers: Annotated[list[NewOffer], Meta(max_length=50)] = []
    origin: Literal["", "recipient", "family"] = ""
    person_id: Id | None = None
    source: Annotated[str, Meta(max_length=500)] = ""


@route("GET", "/resources", codes=READS, summary="Search the resource library (资源库)", tag=TAG)
def search_resources(
    svc: Services,
    actor: Actor,
    need: Annotated[str, Parameter(max_length=40, description="需求，如 助医、学习用品")] = "",
    area: Annotated[str, Parameter(max_length=12, description="区划代码：服务该地的资源")] = "",
    kind: Annotated[Kind | None, Parameter(description="资源类别")] = None,
) -> list[library.ResourceView]:
    return library.search(svc, actor, need, area, kind or "")


@route("POST", "/resources", summary="Add a resource with its offers", tag=TAG, created=True)
def add_resource(
    svc: Services, actor: Actor, data: NewResource, idempotency_key: IdempotencyKey = None
) -> Response[library.ResourceView]:
    res = Resource(
        code=data.code,
        name=data.name,
        kind=data.kind,
        area_code=data.area_code,
        contact=data.contact,
        location=data.location,
        offers=[msgspec.convert(msgspec.to_builtins(o), Offer) for o in data.offers],
        source=data.source,
        illustrative=not data.source,
    )
    view = library.add_resource(svc, actor, res, data.origin, data.person_id)
    return Response(view, status_code=201, headers={"Location": f"/api/resources/{view.id}"})


@route(
    "GET",
    "/resources/counts",
    codes=READS,
    summary="The library by kind, beside reported counts",
    tag=TAG,
)
def resource_counts(svc: Services, actor: Actor) -> list[library.LibraryCounts]:
    return library.counts(svc, actor)


@route(
    "GET",
    "/resources/{resource_id:int}",
    codes=READS,
    summary="One resource and its offers",
    tag=TAG,
)
def read_resource(svc: Services, actor: Actor, resource_id: int) -> library.ResourceView:
    return library.get_resource(svc, actor, resource_id)


# --- charity funds -------------------------------------------------------------------------
class NewDonation(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    amount_fen: Annotated[int, Meta(ge=1, le=10**12)]
    donor: Annotated[str, Meta(min_length=1, max_length=120)]
    note: Note = ""


class NewGrant(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    amount_fen: Annotated[int, Meta(ge=1, le=10**12)]
    household_id: Id
    note: Note = ""


@route(
    "GET", "/funds", codes=READS, summary="Charity funds and their statements (慈善资金)", tag=TAG
)
def list_funds(svc: Services, actor: Actor) -> list[charity.FundStatement]:
    return charity.statements(svc, actor)


@route("GET", "/funds/{code:str}/entries", codes=READS, summary="A fund's ledger rows", tag=TAG)
def fund_entries(svc: Services, actor: Actor, code: str) -> list[charity.Entry]:
    return charity.entries(svc, actor, code)


@route("POST", "/funds/{code:str}/donations", summary="Book a donation", tag=TAG)
def donate(
    svc: Services,
    actor: Actor,
    code: str,
    data: NewDonation,
    idempotency_key: IdempotencyKey = None,
) -> charity.FundStatement:
    return charity.donate(svc, actor, code, data.amount_fen, data.donor, data.note)


@route("POST", "/funds/{code:str}/grants", summary="A grant to a household", tag=TAG)
def grant(
    svc: Services,
    actor: Actor,
    code: str,
    data: NewGrant,
    idempotency_key: IdempotencyKey = None,
) -> charity.FundStatement:
    return charity.grant(svc, actor, code, data.amount_fen, data.household_id, data.note)


# --- micro-wishes --------------------------------------------------------------------------
class NewWish(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    case_id: Id
    title: Annotated[str, Meta(min_length=1, max_length=60)]
    description: Annotated[str, Meta(min_length=1, max_length=500)]
    value_fen: Annotated[int, Meta(ge=1, le=10**12)]
    need: Annotated[str, Meta(max_length=40)] = ""


class Fulfilment(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    note: Annotated[str, Meta(min_length=1, max_length=500)]


class Withdrawal(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[Reason, Meta(min_length=1)]


WishStatus = Literal["published", "expired", "claimed", "fulfilled", "confirmed", "withdrawn"]


@route("POST", "/wishes", summary="Publish a micro-wish (发布微心愿)", tag=TAG, created=True)
def publish_wish(
    svc: Services, actor: Actor, data: NewWish, idempotency_key: IdempotencyKey = None
) -> Response[wishes.WishView]:
    view = wishes.publish(
        svc, actor, data.case_id, data.title, data.description, data.value_fen, data.need
    )
    return Response(view, status_code=201, headers={"Location": f"/api/wishes/{view.wall.number}"})


@route("GET", "/wishes", codes=READS, summary="Wishes of the actor's area (staff)", tag=TAG)
def staff_wishes(
    svc: Services, actor: Actor, status: WishStatus | None = None
) -> list[wishes.WishView]:
    return wishes.staff_list(svc, actor, status or "")


@route(
    "GET", "/wishes/wall", codes=READS, summary="The wish wall (许愿池): no personal data", tag=TAG
)
def wish_wall(
    svc: Services, actor: Actor, status: WishStatus | None = None
) -> list[wishes.WallWish]:
    actor.require("wish.read")
    return wishes.wall(svc, actor.region_id, status or "")


@route(
    "GET",
    "/wishes/stats",
    codes=READS,
    summary="Wish statistics (published, claimed, fulfilled)",
    tag=TAG,
)
def wish_stats(svc: Services, actor: Actor) -> wishes.WishStats:
    return wishes.statistics(svc, actor, actor.region_id)


@route("GET", "/wishes/mine", codes=READS, summary="The wishes the unit claimed", tag=TAG)
def unit_wishes(svc: Services, actor: Actor) -> list[wishes.WallWish]:
    return wishes.unit_claims(svc, actor)


@route("GET", "/wishes/{number:str}", codes=READS, summary="One wish (staff of its area)", tag=TAG)
def read_wish(svc: Services, actor: Actor, number: str) -> wishes.WishView:
    return wishes.get_wish(svc, actor, number)


@route("POST", "/wishes/{number:str}/claim", summary="A unit claims a wish (认领)", tag=TAG)
def claim_wish(
    svc: Services, actor: Actor, number: str, idempotency_key: IdempotencyKey = None
) -> wishes.WallWish:
    return wishes.claim(svc, actor, number)


@route("POST", "/wishes/{number:str}/fulfil", summary="The unit fulfilled it (圆梦)", tag=TAG)
def fulfil_wish(
    svc: Services,
    actor: Actor,
    number: str,
    data: Fulfilment,
    idempotency_key: IdempotencyKey = None,
) -> wishes.WallWish:
    return wishes.fulfil(svc, actor, number, data.note)


@route("POST", "/wishes/{number:str}/confirm", summary="Confirm on the recipient's behalf", tag=TAG)
def confirm_wish(
    svc: Services, actor: Actor, number: str, idempotency_key: IdempotencyKey = None
) -> wishes.WallWish:
    return wishes.confirm(svc, actor, number)


@route("POST", "/wishes/{number:str}/withdraw", summary="Withdraw a published wish", tag=TAG)
def withdraw_wish(
    svc: Services,
    actor: Actor,
    number: str,
    data: Withdrawal,
    idempotency_key: IdempotencyKey = None,
) -> wishes.WishView:
    return wishes.withdraw(svc, actor, number, data.reason)


# --- case teams ----------------------------------------------------------------------------
Grade = Literal["general", "key", "difficult"]


class NewTeam(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    lead: Text60
    officer: Text60
    holders: Annotated[dict[str, Annotated[str, Meta(max_length=60)]], Meta(max_length=50)] = {}
    grade: Grade = "general"


class NewReview(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    attendees: Annotated[list[Annotated[str, Meta(max_length=60)]], Meta(max_length=50)]
    record: Notes
    decisions: Annotated[list[Reason], Meta(max_length=50)]
    grade: Grade | None = None


def _holders(raw: dict[str, str]) -> dict[int, str]:
    from jiuzhu.core.base import Invalid

    out: dict[int, str] = {}
    for key, rep in raw.items():
        if not key.isdigit() or not 0 < int(key) < 2**31:
            raise Invalid("holders", f"资源方应以资源编号为键，收到 {key!r}")
        out[int(key)] = rep
    return out


@route("POST", "/cases/{case_id:int}/team", summary="Form a 1+1+N case team", tag=TAG, created=True)
def form_team(
    svc: Services,
    actor: Actor,
    case_id: int,
    data: NewTeam,
    idempotency_key: IdempotencyKey = None,
) -> Response[teams.TeamView]:
    view = teams.form_team(
        svc, actor, case_id, data.lead, data.officer, _holders(data.holders), data.grade
    )
    return Response(view, status_code=201, headers={"Location": f"/api/cases/{case_id}/team"})


@route(
    "GET",
    "/cases/{case_id:int}/team",
    codes=READS,
    summary="A case's team and its reviews",
    tag=TAG,
)
def read_team(svc: Services, actor: Actor, case_id: int) -> teams.TeamView:
    return teams.get_team(svc, actor, case_id)


@route(
    "POST",
    "/cases/{case_id:int}/team/reviews",
    summary="Record a graded review (分级研判)",
    tag=TAG,
)
def review_team(
    svc: Services,
    actor: Actor,
    case_id: int,
    data: NewReview,
    idempotency_key: IdempotencyKey = None,
) -> teams.TeamView:
    return teams.review(
        svc, actor, case_id, data.attendees, data.record, data.decisions, data.grade
    )


# --- the household's package, volunteers ---------------------------------------------------
class NewBenefit(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    kind: Literal["cash", "goods", "aid"]
    description: Annotated[str, Meta(min_length=1, max_length=200)]
    amount_fen: Fen
    giver: Text120 = ""
    policy_code: Annotated[str, Meta(max_length=40)] = ""


@route(
    "GET",
    "/households/{household_id:int}/package",
    codes=READS,
    summary="The household's whole package (救助大礼包)",
    tag=TAG,
)
def read_package(svc: Services, actor: Actor, household_id: int) -> package.Package:
    return package.package(svc, actor, household_id)


@route(
    "POST",
    "/households/{household_id:int}/benefits",
    summary="Record cash, goods or an aid a household received",
    tag=TAG,
)
def record_benefit(
    svc: Services,
    actor: Actor,
    household_id: int,
    data: NewBenefit,
    idempotency_key: IdempotencyKey = None,
) -> package.Package:
    package.record_benefit(
        svc,
        actor,
        household_id,
        data.kind,
        data.giver,
        data.description,
        data.amount_fen,
        data.policy_code,
    )
    return package.package(svc, actor, household_id)


class NewHours(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    minutes: Minutes
    served_on: date
    note: Note = ""


@route(
    "POST",
    "/volunteers/{code:str}/hours",
    summary="Book a volunteer's hours",
    tag=TAG,
)
def volunteer_hours(
    svc: Services, actor: Actor, code: str, data: NewHours, idempotency_key: IdempotencyKey = None
) -> volunteers.VolunteerStats:
    volunteers.record_hours(svc, actor, code, data.minutes, data.served_on, data.note)
    return volunteers.statistics(svc, actor)


@route(
    "GET",
    "/volunteers/stats",
    codes=READS,
    summary="Volunteers: hours, recipients who volunteer",
    tag=TAG,
)
def volunteer_stats(svc: Services, actor: Actor) -> volunteers.VolunteerStats:
    return volunteers.statistics(svc, actor)


ROUTES = [
    search_resources,
    add_resource,
    resource_counts,
    read_resource,
    list_funds,
    fund_entries,
    donate,
    grant,
    publish_wish,
    staff_wishes,
    wish_wall,
    wish_stats,
    unit_wishes,
    read_wish,
    claim_wish,
    fulfil_wish,
    confirm_wish,
    withdraw_wish,
    form_team,
    read_team,
    review_team,
    read_package,
    record_benefit,
    volunteer_hours,
    volunteer_stats,
]
