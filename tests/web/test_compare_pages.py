"""The evaluator's page (issue 17 point 7): a comparison runs as a background job whose
state is in the database — progress, the report, downloads of HTML, JSON and XLSX — on
SQLite and PostgreSQL, readable from another process and after a reload."""

from __future__ import annotations

import io
import json
import time
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import update

from jiuzhu.core.services import Services
from jiuzhu.core.services.users import add_user
from jiuzhu.core.storage.engine import make_engine
from jiuzhu.core.times import utcnow
from jiuzhu.plugins.compare import jobs
from jiuzhu.plugins.compare.results import from_json

from .conftest import PASSWORD, World, post_form, sign_in

ORDOS_EVALUATOR = "ordos-evaluator"


def wait_done(client: TestClient[Litestar], job_id: int, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        status: dict[str, Any] = client.get(f"/compare/jobs/{job_id}/status").json()
        if status["done"]:
            return status
        assert time.monotonic() < deadline, f"job {job_id} did not finish: {status}"
        time.sleep(0.2)


def start(client: TestClient[Litestar], **data: object) -> int:
    res = post_form(client, "/compare", "/compare", **data)
    assert res.status_code == 303, res.text
    return int(res.headers["location"].rsplit("/", 1)[1])


def test_an_evaluator_runs_a_comparison_and_downloads_it(
    client: TestClient[Litestar], world: World
) -> None:
    sign_in(client, ORDOS_EVALUATOR)
    home = client.get("/compare")
    assert home.status_code == 200 and "开始比较" in home.text and 'href="/compare"' in home.text
    job_id = start(client, people="1500", seed="3", regions=["ordos", "changji"])
    page = client.get(f"/compare/jobs/{job_id}")
    assert page.status_code == 200 and f"模式比较 #{job_id}" in page.text
    status = wait_done(client, job_id)
    assert status["state"] == "done" and status["percent"] == 100
    page = client.get(f"/compare/jobs/{job_id}")  # a reload: the state is the database's
    assert "已完成" in page.text and 'id="download-xlsx"' in page.text

    report = client.get(f"/compare/jobs/{job_id}/report")
    assert report.status_code == 200 and "服务类社会救助：同一人群在各地模式下的结果" in report.text
    assert "'sha256-" in report.headers["content-security-policy"]  # its stylesheet, by hash
    assert "unsafe-inline" not in report.headers["content-security-policy"]

    data = client.get(f"/compare/jobs/{job_id}/download/json")
    assert "attachment" in data.headers["content-disposition"]
    result = from_json(data.content)
    assert [r.id for r in result.regions] == ["ordos", "changji"]  # as chosen
    assert result.population.people == 1500 and result.population.seed == 3
    html = client.get(f"/compare/jobs/{job_id}/download/html")
    assert html.text == report.text.replace('<link rel="icon" href="data:,">', "")

    xlsx = client.get(f"/compare/jobs/{job_id}/download/xlsx")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert {"说明", "总览", "需求满足", "资金来源", "服务项目", "其他维度", "校准"} <= set(
        book.sheetnames
    )
    summary = book["总览"]
    rows = {row[0].value: row for row in summary.iter_rows(min_row=2)}
    eligible = rows["符合条件 eligible"]
    assert [c.value for c in eligible[1:3]] == [r.eligibility.eligible for r in result.regions]
    spent = rows["支出（元）spent"]
    assert spent[1].value == result.regions[0].entitlement.spent_fen / 100
    # provenance: an illustrative figure is filled yellow, commented and marked
    assert spent[1].fill.fgColor.rgb.endswith("FFF4D6") and spent[1].comment is not None
    assert spent[3].value == "*"
    assert "来源标记" in [c.value for c in book["说明"]["A"]]


def test_the_page_refuses_bad_input_and_other_roles(
    client: TestClient[Litestar], world: World
) -> None:
    sign_in(client, "ordos-clerk")
    assert client.get("/compare").status_code == 403
    client.cookies.clear()
    sign_in(client, ORDOS_EVALUATOR)
    bad = post_form(client, "/compare", "/compare", people="0", seed="x", area_code="65a")
    assert bad.status_code == 422
    assert "人数应在 1 到 1,000,000 之间" in bad.text and 'id="err-seed"' in bad.text
    assert 'id="err-area_code"' in bad.text
    unknown = post_form(client, "/compare", "/compare", people="10", regions=["atlantis"])
    assert unknown.status_code == 422 and "未知地区：atlantis" in unknown.text
    assert client.get("/compare/jobs/999").status_code == 404
    assert client.get("/compare/jobs/999/download/csv").status_code == 404


def test_one_job_at_a_time_and_an_interrupted_one(
    client: TestClient[Litestar], world: World, svc: Services
) -> None:
    sign_in(client, ORDOS_EVALUATOR)
    actor = evaluator(svc)
    queued = jobs.submit(svc.engine, svc.regions, actor, jobs.JobOptions(people=10), start=False)
    busy = post_form(client, "/compare", "/compare", people="10")
    assert busy.status_code == 409 and f"您的比较 #{queued} 仍在运行" in busy.text
    assert client.get(f"/compare/jobs/{queued}/report").status_code == 409  # not done
    # its process stopped: no heartbeat for over a minute
    with svc.engine.begin() as conn:
        conn.execute(
            update(jobs.compare_jobs)
            .where(jobs.compare_jobs.c.id == queued)
            .values(heartbeat_at=utcnow() - timedelta(minutes=5))
        )
    page = client.get(f"/compare/jobs/{queued}")
    assert "已中断" in page.text and "服务进程已停止" in page.text
    assert client.get(f"/compare/jobs/{queued}/status").json()["state"] == "stale"
    again = start(client, people="10", regions=["ordos"])  # a stale job does not block
    assert wait_done(client, again)["state"] == "done"


def test_jobs_are_read_from_the_database_by_any_process(
    client: TestClient[Litestar], world: World, svc: Services
) -> None:
    """A job recorded by one server process and run by another (its own engine and pool)
    is followed from a third: nothing lives in one process's memory."""
    actor = evaluator(svc)
    job_id = jobs.submit(
        svc.engine,
        svc.regions,
        actor,
        jobs.JobOptions(people=800, regions=["qiaojia"], area_code="530622001001"),
        start=False,
    )
    other = make_engine(svc.engine.url.render_as_string(hide_password=False))
    try:
        jobs.run_job(other, svc.regions, job_id)
    finally:
        other.dispose()
    sign_in(client, ORDOS_EVALUATOR)
    assert client.get(f"/compare/jobs/{job_id}/status").json()["state"] == "done"
    result = json.loads(client.get(f"/compare/jobs/{job_id}/download/json").text)
    q = result["regions"][0]
    assert q["id"] == "qiaojia" and q["eligibility"]["eligible"] > 0
    assert result["calibration"][0]["totals"]  # Qiaojia's published totals beside the model
    # another region's evaluator does not see it
    add_user(svc, "changji-evaluator", PASSWORD, "evaluator", "changji", "")
    client.cookies.clear()
    sign_in(client, "changji-evaluator")
    assert client.get(f"/compare/jobs/{job_id}").status_code == 404
    assert f"#{job_id}" not in client.get("/compare").text


def test_a_failing_job_says_why(svc: Services, world: World) -> None:
    actor = evaluator(svc)
    job_id = jobs.submit(svc.engine, svc.regions, actor, jobs.JobOptions(people=10), start=False)
    with svc.engine.begin() as conn:  # a region removed since the job was recorded
        conn.execute(
            update(jobs.compare_jobs)
            .where(jobs.compare_jobs.c.id == job_id)
            .values(options={"people": 10, "regions": ["atlantis"]})
        )
    jobs.run_job(svc.engine, svc.regions, job_id)
    job = jobs.get_job(svc.engine, actor, job_id)
    assert job.status == "failed" and "atlantis" in job.error


def evaluator(svc: Services) -> Any:
    from jiuzhu.core.access import Role
    from tests.conftest import actor_for

    return actor_for(svc.regions, "ordos", Role.EVALUATOR, username=ORDOS_EVALUATOR)


@pytest.fixture(autouse=True)
def _no_stray_threads() -> Any:
    yield
    import threading

    for t in threading.enumerate():
        if t.name.startswith("compare-"):
            t.join(timeout=60)
