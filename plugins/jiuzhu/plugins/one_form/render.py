"""Printable A4 pages (Chinese, no external assets): the blank joint form and the receipt."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import jinja2
from litestar import MediaType, Response

from jiuzhu.core.access import Actor
from jiuzhu.core.regions import Region
from jiuzhu.core.services import Services
from jiuzhu.core.times import local_date, shown
from jiuzhu.core.web.pages.common import staff_names
from jiuzhu.core.web.security import csp_for

from .service import STATUS_LABELS, form_schema, get_application, policy_list


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("jiuzhu.plugins.one_form", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )


def printable(html: str) -> Response[str]:
    """A standalone print view: its own inline stylesheet is allowed by hash, nothing else
    inline (web.security.csp_for)."""
    return Response(
        html, media_type=MediaType.HTML, headers={"Content-Security-Policy": csp_for(html)}
    )


# who applies: printed first on every paper form, when the region's fields lack them
IDENTITY = (
    (("name", "applicant_name"), "申请人姓名"),
    (("id_number",), "身份证号"),
    (("phone",), "联系电话"),
    (("address",), "现居住地址"),
)


def identity_rows(codes: Iterable[str]) -> list[str]:
    """The identity rows a region's form fields do not already give."""
    have = set(codes)
    return [label for names, label in IDENTITY if not have & set(names)]


def render_form(region: Region, ticked: Iterable[str] = ()) -> str:
    """The blank joint form of a region; `ticked` policies are printed pre-ticked."""
    form = form_schema(region)
    return (
        environment()
        .get_template("form.html")
        .render(
            form=form,
            by_code={p.code: p for p in form.policies},
            ticked=set(ticked),
            identity=identity_rows(f.code for f in form.fields),
        )
    )


def render_receipt(svc: Services, actor: Actor, receipt: str) -> str:
    """The receipt (受理回执) with every policy, its department, deadline and result."""
    app = get_application(svc, actor, receipt)
    region = svc.region(app.region_id)
    plist = policy_list(region)
    due = {t.department: str(local_date(t.due_at)) for t in app.tasks if t.kind == "decision"}
    return (
        environment()
        .get_template("receipt.html")
        .render(
            app=app,
            form_name=plist.name,
            region_name=region.info.name,
            due=due,
            names={p.code: p.name for p in app.policies},
            status_labels=STATUS_LABELS,
            shown=shown,
            staff=staff_names(svc, [app.accepted_by]),
        )
    )
