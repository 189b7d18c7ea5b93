"""Builders for the resources-plugin tests: a Xingqing household like the seed's 张建军 family
(seed 004: grandparents raising three grandchildren; 孤儿津贴 and 低保; desks and lamps
from a caring unit), the library imported, a unit account linked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jiuzhu.core import idcard
from jiuzhu.core.access import Actor, Role
from jiuzhu.core.domain import NewPerson
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import open_case
from jiuzhu.core.services.households import NewHousehold, create_household, set_member
from jiuzhu.core.services.people import create_person
from jiuzhu.plugins.resources import charity, library
from jiuzhu.plugins.resources.roles import UNIT
from tests.conftest import actor_for

ANHE = "640104002001"  # 新华街街道安和社区 (seed 004)
XINNING = "640104002002"  # 新华街街道新宁社区 (seed 004)
KANGXIN = "640104003001"  # 胜利街街道康馨社区 (seed 004)
XINHUA = "640104002"  # 新华街街道
_serial = iter(range(100, 100_000))


@dataclass
class Home:
    household_id: int
    head_id: int
    child_id: int
    case_id: int  # the child's case
    names: list[str]
    id_numbers: list[str]


def person(
    svc: Services,
    actor: Actor,
    name: str,
    born: date,
    area: str = XINNING,
    groups: tuple[str, ...] = ("低保",),
    region_id: str = "xingqing",
    code: str = "640104",
) -> tuple[int, str]:
    number = idcard.make(code, born, next(_serial))
    p = create_person(
        svc,
        actor,
        NewPerson(
            region_id=region_id,
            id_number=number,
            name=name,
            area_code=area,
            groups=list(groups),
            phone="13900001111",
        ),
    )
    return p.id, number


def zhang_family(svc: Services, regions: Regions, area: str = XINNING) -> Home:
    """张建军 (a pseudonym in the seed) and his grandchildren; the names here are made up."""
    admin = actor_for(regions, "xingqing")
    head, n1 = person(svc, admin, "张建军", date(1955, 3, 1), area)
    child, n2 = person(svc, admin, "张小雨", date(2014, 6, 1), area, ("孤儿", "低保"))
    home = create_household(
        svc, admin, NewHousehold(area_code=area, address="百货小区3号楼", head_person_id=head)
    )
    set_member(svc, admin, home.id, child, "孙子女")
    case = open_case(svc, admin, child, "新宁社区动态监测发现")
    return Home(home.id, head, child, case.id, ["张建军", "张小雨"], [n1, n2])


def library_ready(svc: Services, regions: Regions) -> Actor:
    admin = actor_for(regions, "xingqing")
    library.import_library(svc, admin, library.config(regions.get("xingqing")).library)
    charity.ensure_funds(svc, admin)
    return admin


def unit_account(svc: Services, regions: Regions, code: str = "nxgycs", name: str = "") -> Actor:
    admin = actor_for(regions, "xingqing")
    username = name or f"unit-{code}"
    library.link_unit_account(svc, admin, username, code)
    return actor_for(regions, "xingqing", UNIT, username=username)


def officer(regions: Regions, area: str | None = None) -> Actor:
    kw = {"area_code": area} if area else {}
    return actor_for(regions, "xingqing", Role.OFFICER, username="officer-xq", **kw)
