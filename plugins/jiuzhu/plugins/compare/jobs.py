"""Comparisons run from the web app as background jobs, their state in the database.

An evaluator starts a run (``submit``): a row in ``compare_jobs`` (this plugin's table, its
own Alembic branch ``compare``), then a thread of the server process that accepted it runs
the comparison and writes its progress, a heartbeat and finally the results (JSON and the
HTML report) to that row. Every page reads the row, so a reload, another browser or another
server process (several uvicorn workers on PostgreSQL) sees the same job. A job whose
process stopped (a restart) stops beating: after ``STALE`` it is shown as interrupted and
may be started again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine

from jiuzhu.core.access import Actor
from jiuzhu.core.base import Base, Invalid, NotFound, Refused
from jiuzhu.core.plugins import Regions
from jiuzhu.core.storage.engine import writer
from jiuzhu.core.storage.tables import metadata
from jiuzhu.core.storage.types import UTCDateTime
from jiuzhu.core.times import utcnow

log = logging.getLogger(__name__)

compare_jobs = Table(
    "compare_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False, index=True),  # the evaluator's region
    Column("created_by", String(60), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String(12), nullable=False),  # queued running done failed
    Column("options", JSON, nullable=False),
    Column("progress_done", BigInteger, nullable=False, server_default="0"),
    Column("progress_total", BigInteger, nullable=False, server_default="0"),
    Column("stage", String(80), nullable=False, server_default=""),
    Column("error", Text, nullable=False, server_default=""),
    Column("worker", String(120), nullable=False, server_default=""),
    Column("started_at", UTCDateTime, nullable=True),
    Column("heartbeat_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("result_json", Text, nullable=True),
    Column("result_html", Text, nullable=True),
)

MAX_PEOPLE = 1_000_000  # a web run; larger populations: the CLI (docs/scale.md)
STALE = timedelta(seconds=60)  # no heartbeat for this long: the process running it stopped
BEAT = 1.0  # seconds between progress writes
STATUS_LABELS = {
    "queued": "排队中",
    "running": "运行中",
    "done": "已完成",
    "failed": "失败",
    "stale": "已中断",
}


class JobOptions(Base, frozen=True, kw_only=True):
    """What an evaluator asks for (the page's form)."""

    people: int = 10_000
    seed: int = 0
    regions: list[str] = []  # empty: every region
    normalise: list[str] = []
    area_code: str = ""  # everyone's division code (a region serving some areas only)

    def __post_init__(self) -> None:
        if not 1 <= self.people <= MAX_PEOPLE:
            raise ValueError(f"人数应在 1 到 {MAX_PEOPLE:,} 之间")
        if self.seed < 0:
            raise ValueError("种子应为非负整数")
        if self.area_code and not self.area_code.isdigit():
            raise ValueError("区划代码应为数字")


class Job(Base, frozen=True, kw_only=True):
    id: int
    region_id: str
    created_by: str
    created_at: datetime
    status: str
    options: JobOptions
    progress_done: int = 0
    progress_total: int = 0
    stage: str = ""
    error: str = ""
    worker: str = ""
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None
    has_result: bool = False

    def state(self, now: datetime) -> str:
        """The status as shown: a running or queued job without a recent heartbeat was
        interrupted (its process stopped)."""
        if self.status in ("queued", "running"):
            beat = self.heartbeat_at or self.created_at
            if now - beat > STALE:
                return "stale"
        return self.status

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        if not self.progress_total:
            return 0
        return min(99, int(100 * self.progress_done / self.progress_total))


COLUMNS = [c for c in compare_jobs.c if c.name not in ("result_json", "result_html")]


def _job(row: Any) -> Job:
    data = {str(k): v for k, v in row._asdict().items()}  # plain str keys for msgspec
    data["has_result"] = bool(data.pop("has_result", False))
    return msgspec.convert(data, Job, from_attributes=False, strict=False)


def _select() -> Any:
    return select(*COLUMNS, compare_jobs.c.result_json.is_not(None).label("has_result"))


def get_job(engine: Engine, actor: Actor, job_id: int) -> Job:
    """A job of the actor's region (another region's jobs do not exist for them)."""
    actor.require("compare.run")
    with engine.connect() as conn:
        row = conn.execute(
            _select().where(
                compare_jobs.c.id == job_id, compare_jobs.c.region_id == actor.region_id
            )
        ).first()
    if row is None:
        raise NotFound("comparison job", job_id)
    return _job(row)


def list_jobs(engine: Engine, actor: Actor, limit: int = 20) -> list[Job]:
    actor.require("compare.run")
    with engine.connect() as conn:
        rows = conn.execute(
            _select()
            .where(compare_jobs.c.region_id == actor.region_id)
            .order_by(compare_jobs.c.id.desc())
            .limit(limit)
        ).all()
    return [_job(r) for r in rows]


def result(engine: Engine, actor: Actor, job_id: int, what: str) -> str:
    """The stored JSON or HTML of a finished job."""
    job = get_job(engine, actor, job_id)
    if job.status != "done":
        raise Refused("compare.not_done", f"比较 #{job_id} 尚未完成（{STATUS_LABELS[job.status]}）")
    column = compare_jobs.c.result_json if what == "json" else compare_jobs.c.result_html
    with engine.connect() as conn:
        text = conn.execute(select(column).where(compare_jobs.c.id == job_id)).scalar_one()
    return str(text or "")


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def submit(
    engine: Engine, regions: Regions, actor: Actor, options: JobOptions, start: bool = True
) -> int:
    """Record a job and start it in a background thread of this process. One running job
    per evaluator at a time (a second is refused while the first is alive)."""
    actor.require("compare.run")
    unknown = [r for r in options.regions if r not in regions.by_id]
    if unknown:
        raise Invalid("regions", f"未知地区：{'、'.join(unknown)}")
    now = utcnow()
    with writer(engine).begin() as conn:
        alive = conn.execute(
            select(compare_jobs.c.id, compare_jobs.c.heartbeat_at, compare_jobs.c.created_at).where(
                compare_jobs.c.created_by == actor.username,
                compare_jobs.c.region_id == actor.region_id,
                compare_jobs.c.status.in_(("queued", "running")),
            )
        ).all()
        for row in alive:
            if now - (row.heartbeat_at or row.created_at) <= STALE:
                raise Refused(
                    "compare.busy", f"您的比较 #{row.id} 仍在运行，请等待其完成后再开始新的比较"
                )
        job_id = conn.execute(
            insert(compare_jobs)
            .values(
                region_id=actor.region_id,
                created_by=actor.username,
                created_at=now,
                heartbeat_at=now,
                status="queued",
                options=msgspec.to_builtins(options),
                progress_total=options.people * max(len(options.regions or regions.by_id), 1),
            )
            .returning(compare_jobs.c.id)
        ).scalar_one()
    if start:
        thread = threading.Thread(
            target=run_job,
            args=(engine, regions, int(job_id)),
            name=f"compare-{job_id}",
            daemon=True,
        )
        thread.start()
    return int(job_id)


def _update(engine: Engine, job_id: int, **values: Any) -> None:
    with writer(engine).begin() as conn:
        conn.execute(update(compare_jobs).where(compare_jobs.c.id == job_id).values(**values))


def run_job(engine: Engine, regions: Regions, job_id: int) -> None:
    """Run a recorded job to its end, writing progress and the results (or the error)."""
    from .engine import PlanSettings, compare
    from .population import PopulationSettings, generate
    from .report import render_html, render_json

    with engine.connect() as conn:
        raw = conn.execute(
            select(compare_jobs.c.options).where(compare_jobs.c.id == job_id)
        ).scalar_one()
    try:
        options = msgspec.convert(raw, JobOptions)
        _update(
            engine,
            job_id,
            status="running",
            started_at=utcnow(),
            heartbeat_at=utcnow(),
            worker=_worker_name()[:120],
            stage="生成人群",
        )
        people = generate(
            PopulationSettings(
                people=options.people, seed=options.seed, area_code=options.area_code
            )
        )
        done = 0
        last = time.monotonic()

        def progress(region_id: str, n: int) -> None:
            nonlocal done, last
            done += n
            if time.monotonic() - last >= BEAT:
                last = time.monotonic()
                _update(
                    engine,
                    job_id,
                    progress_done=done,
                    heartbeat_at=utcnow(),
                    stage=f"比较：{regions.get(region_id).info.name}"[:80],
                )

        comparison = compare(
            regions,
            people,
            region_ids=options.regions or None,
            settings=PlanSettings(normalise=sorted(set(options.normalise))),
            progress=progress,
        )
        _update(engine, job_id, stage="生成报告", heartbeat_at=utcnow(), progress_done=done)
        _update(
            engine,
            job_id,
            status="done",
            stage="",
            progress_done=done,
            finished_at=utcnow(),
            heartbeat_at=utcnow(),
            result_json=render_json(comparison),
            result_html=render_html(comparison),
        )
    except (Invalid, ValueError, LookupError, msgspec.ValidationError) as exc:
        _update(engine, job_id, status="failed", error=str(exc)[:2000], finished_at=utcnow())
    except Exception as exc:
        log.exception("comparison job %s failed", job_id)
        _update(
            engine,
            job_id,
            status="failed",
            error=f"内部错误：{type(exc).__name__}（详见服务器日志）",
            finished_at=utcnow(),
        )
