"""`/cases`: the case files (一人一档) in the actor's scope — counted, paged, filtered by
area, status and opening date, searched by name (pages/lists.py)."""

from __future__ import annotations

from typing import Any

import litestar
from litestar import Request
from litestar.response import Template
from sqlalchemy import func, select

from ...access import Actor, case_scope
from ...services import Services, plain
from ...storage.tables import cases, persons
from ..auth import audit_request
from .common import page
from .lists import ListFilters, Paged, area_choices

STATUSES = (("open", "待授予"), ("active", "服务中"), ("exited", "已退出"))


@litestar.get("/cases", sync_to_thread=True)
def case_list(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Template:
    actor.require("case.read")
    region = svc.region(actor.region_id)
    f = ListFilters.from_request(request, region, tuple(s for s, _ in STATUSES))
    joined = cases.join(persons, persons.c.id == cases.c.person_id)
    where = [case_scope(actor, region.info), *f.case_where(region)]
    with svc.reading() as conn:
        total = conn.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
        paged = Paged(int(total), f.page)
        rows = [
            plain(r)
            for r in conn.execute(
                select(
                    cases.c.id,
                    cases.c.status,
                    cases.c.area_code,
                    cases.c.opened_at,
                    persons.c.name,
                    persons.c.groups,
                )
                .select_from(joined)
                .where(*where)
                .order_by(cases.c.opened_at.desc(), cases.c.id.desc())
                .limit(paged.size)
                .offset(paged.offset)
            ).mappings()
        ]
        everything = conn.execute(
            select(func.count()).select_from(cases).where(case_scope(actor, region.info))
        ).scalar_one()
    audit_request(request, svc, actor, "cases.list", cases=[r["id"] for r in rows])
    return page(
        request,
        actor,
        "cases.html",
        rows=rows,
        f=f,
        paged=paged,
        everything=int(everything),
        areas=area_choices(region, actor),
        statuses=STATUSES,
        area_name=region.info.area_name,
    )
