"""The evaluator's page (mounted through jiuzhu_web_pages): start a comparison as a
background job, follow its progress, read the report, download HTML, JSON and XLSX.

Job state lives in the database (jobs.py), so the pages work after a reload and from any
server process. The progress page refreshes itself with a script served from this plugin
(/compare/progress.js: same origin, nothing inline, as the CSP requires); without scripts
it offers a refresh link.
"""

from __future__ import annotations

from functools import partial
from importlib import resources
from typing import Any

import litestar
import msgspec
from litestar import MediaType, Request, Response
from litestar.response import Redirect, Template

from jiuzhu.core.access import Actor
from jiuzhu.core.base import NotFound, Refused
from jiuzhu.core.services import Services
from jiuzhu.core.times import utcnow
from jiuzhu.core.web.pages import forms
from jiuzhu.core.web.pages.common import page
from jiuzhu.core.web.security import csp_for

from . import jobs
from .results import from_json

get = partial(litestar.get, sync_to_thread=True)
post = partial(litestar.post, sync_to_thread=True)
T = "jiuzhu.plugins.compare:templates/pages/"
NORMALISE = {"budget": "统一每人每年额度", "prices": "统一价格"}


def _index(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    now = utcnow()
    listed = jobs.list_jobs(svc.engine, actor)
    return page(
        request,
        actor,
        T + "compare.html",
        status_code,
        jobs=listed,
        states={j.id: j.state(now) for j in listed},
        labels=jobs.STATUS_LABELS,
        regions=sorted(svc.regions, key=lambda r: r.id),
        normalise=NORMALISE,
        values=values or {"people": "10000", "seed": "0", "regions": [], "normalise": []},
        errors=errors or {},
        max_people=jobs.MAX_PEOPLE,
    )


@get("/compare", nav="模式比较", permission="compare.run")
def compare_index(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Template:
    """The form to start a comparison, and the recent runs of the region."""
    actor.require("compare.run")
    return _index(request, svc, actor)


@post("/compare")
def compare_start(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: forms.FormData
) -> Template | Redirect:
    """Start a run (a background job) and go to its progress page."""
    actor.require("compare.run")
    errors: dict[str, str] = {}
    people = forms.integer(data, "people", errors, 10_000)
    seed = forms.integer(data, "seed", errors, 0)
    region_ids = forms.many(data, "regions")
    normalise = [n for n in forms.many(data, "normalise") if n in NORMALISE]
    area_code = forms.text(data, "area_code")
    values = {
        "people": forms.text(data, "people"),
        "seed": forms.text(data, "seed"),
        "regions": region_ids,
        "normalise": normalise,
        "area_code": area_code,
    }
    if people is not None and not 1 <= people <= jobs.MAX_PEOPLE:
        errors["people"] = f"人数应在 1 到 {jobs.MAX_PEOPLE:,} 之间（更大的人群请用命令行）"
    if area_code and not area_code.isdigit():
        errors["area_code"] = "区划代码应为数字"
    unknown = [r for r in region_ids if r not in svc.regions.by_id]
    if unknown:
        errors["regions"] = f"未知地区：{'、'.join(unknown)}"
    if errors:
        return _index(request, svc, actor, values, errors, 422)
    options = jobs.JobOptions(
        people=people or 10_000,
        seed=seed or 0,
        regions=region_ids,
        normalise=normalise,
        area_code=area_code,
    )
    try:
        job_id = jobs.submit(svc.engine, svc.regions, actor, options)
    except Refused as exc:
        return _index(request, svc, actor, values, {"form": exc.detail}, 409)
    return Redirect(path=f"/compare/jobs/{job_id}", status_code=303)


@get("/compare/jobs/{job_id:int}")
def compare_job(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, job_id: int
) -> Template:
    """A run's progress; when done, the report and the downloads."""
    job = jobs.get_job(svc.engine, actor, job_id)
    return page(
        request,
        actor,
        T + "job.html",
        job=job,
        state=job.state(utcnow()),
        labels=jobs.STATUS_LABELS,
        names={r.id: r.info.name for r in svc.regions},
        normalise=NORMALISE,
    )


class JobStatus(msgspec.Struct, kw_only=True):
    id: int
    state: str
    label: str
    percent: int
    stage: str
    done: bool


@get("/compare/jobs/{job_id:int}/status", media_type=MediaType.JSON)
def compare_job_status(svc: Services, actor: Actor, job_id: int) -> JobStatus:
    """The progress page's script polls this."""
    job = jobs.get_job(svc.engine, actor, job_id)
    state = job.state(utcnow())
    return JobStatus(
        id=job.id,
        state=state,
        label=jobs.STATUS_LABELS[state],
        percent=job.percent,
        stage=job.stage,
        done=state in ("done", "failed", "stale"),
    )


@get("/compare/progress.js", media_type="text/javascript")
def progress_script() -> Response[str]:
    script = resources.files("jiuzhu.plugins.compare").joinpath("static", "progress.js")
    return Response(
        script.read_text(encoding="utf-8"),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )


@get("/compare/jobs/{job_id:int}/report")
def compare_report(svc: Services, actor: Actor, job_id: int) -> Response[str]:
    """The HTML report, as a standalone page (its own stylesheet allowed by hash)."""
    html = jobs.result(svc.engine, actor, job_id, "html")
    # no favicon request from the page (the file itself stays free of links)
    html = html.replace('<meta charset="utf-8">', '<meta charset="utf-8">' + ICON, 1)
    return Response(
        html, media_type=MediaType.HTML, headers={"Content-Security-Policy": csp_for(html)}
    )


ICON = '<link rel="icon" href="data:,">'

DOWNLOADS = {
    "html": ("text/html; charset=utf-8", "html"),
    "json": ("application/json", "json"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


@get("/compare/jobs/{job_id:int}/download/{fmt:str}")
def compare_download(svc: Services, actor: Actor, job_id: int, fmt: str) -> Response[bytes]:
    """The report, the JSON or the workbook as a file."""
    if fmt not in DOWNLOADS:
        raise NotFound("download", fmt)
    media, suffix = DOWNLOADS[fmt]
    if fmt == "xlsx":
        from .xlsx import to_xlsx

        body = to_xlsx(from_json(jobs.result(svc.engine, actor, job_id, "json")))
    else:
        body = jobs.result(svc.engine, actor, job_id, fmt).encode("utf-8")
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="compare-{job_id}.{suffix}"'},
    )


PAGES = [
    compare_index,
    compare_start,
    compare_job,
    compare_job_status,
    progress_script,
    compare_report,
    compare_download,
]
