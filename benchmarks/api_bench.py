"""Throughput and latency of the API and a page against Litestar's hello world, served the
same way (methodology: benchmarks/README.md).

    python benchmarks/api_bench.py                       # SQLite in a temporary folder
    python benchmarks/api_bench.py --database-url postgresql+psycopg://…/bench_db --workers 2
    python benchmarks/api_bench.py --quick --json        # under a minute, JSON on stdout

For each endpoint — ``case_read`` (GET /api/cases/{id}), ``order_place_cancel`` (POST
/api/orders then POST /api/orders/{id}/cancel; each request counted), ``case_page`` (GET
/cases/{id} with a page session) — a separate process drives the server with
``--connections`` concurrent keep-alive connections for ``--seconds`` and reports requests
per second, p50 and p99; ``ratio`` is the endpoint's requests per second over the hello
world's, measured the same way just before.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
REGION, AREA, ITEM = "changji", "652301001001", "liudong_fuwubao"


# --- the load generator (runs in its own process) ----------------------------------------
async def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    base, kind, seconds = spec["base"], spec["kind"], spec["seconds"]
    headers = spec.get("headers", {})
    latencies: list[float] = []
    errors = 0
    failed: dict[int, int] = {}
    samples: list[str] = []
    connector = aiohttp.TCPConnector(limit=spec["connections"])
    async with aiohttp.ClientSession(base, headers=headers, connector=connector) as session:

        async def one(method: str, path: str, body: Any = None) -> Any:
            nonlocal errors
            t0 = time.perf_counter()
            async with session.request(method, path, json=body) as r:
                data = await r.read()
                if measuring:
                    latencies.append(time.perf_counter() - t0)
                if r.status >= 400:
                    errors += 1
                    failed[r.status] = failed.get(r.status, 0) + 1
                    if len(samples) < 3:
                        samples.append(data.decode(errors="replace")[:300])
                    return None
                return data

        async def worker(k: int) -> None:
            i = k
            while time.monotonic() < stop:
                i += spec["connections"]
                if kind == "get":
                    paths = spec["paths"]
                    await one("GET", paths[i % len(paths)])
                else:
                    case_ids = spec["cases"]
                    placed = await one(
                        "POST",
                        "/api/orders",
                        {"case_id": case_ids[k % len(case_ids)], "item_code": spec["item"]},
                    )
                    if placed is not None:
                        order_id = json.loads(placed)["id"]
                        await one("POST", f"/api/orders/{order_id}/cancel", {"reason": "压测"})

        measuring = False
        stop = time.monotonic() + spec["warmup"]
        await asyncio.gather(*(worker(k) for k in range(spec["connections"])))
        measuring = True
        started = time.monotonic()
        stop = started + seconds
        await asyncio.gather(*(worker(k) for k in range(spec["connections"])))
        elapsed = time.monotonic() - started
    latencies.sort()

    def q(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "errors": errors,
        "failed": {str(k): v for k, v in failed.items()},
        "samples": samples,
        "rps": len(latencies) / elapsed,
        "p50_ms": q(0.50) if latencies else 0.0,
        "p99_ms": q(0.99) if latencies else 0.0,
    }


def drive(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the load generator in a separate Python process."""
    out = subprocess.run(
        [sys.executable, __file__, "--drive", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


# --- servers --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    for _ in range(600):
        if proc.poll() is not None:
            sys.exit(f"the server for {url} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    sys.exit(f"{url} did not answer")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serve_hello(port: int, workers: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "hello_app.py"), str(port), str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait(f"http://127.0.0.1:{port}/hello", proc)
    return proc


def serve_jiuzhu(url: str, port: int, workers: int, secret: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "JIUZHU_DATABASE_URL": url, "JIUZHU_SECRET_KEY": secret}
    jiuzhu = str(Path(sys.executable).parent / "jiuzhu")
    proc = subprocess.Popen(
        [jiuzhu, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait(f"http://127.0.0.1:{port}/login", proc)
    return proc


# --- data -----------------------------------------------------------------------------
def prepare(url: str, n_cases: int) -> dict[str, Any]:
    """An empty, migrated database with an administrator (token and page session) and
    ``n_cases`` active cases with their entitlement."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from jiuzhu.core import idcard
    from jiuzhu.core.access import Role, access_registry
    from jiuzhu.core.domain import NewPerson
    from jiuzhu.core.plugins import load_regions, make_plugin_manager
    from jiuzhu.core.services import Services
    from jiuzhu.core.services import users as accounts
    from jiuzhu.core.services.cases import grant_entitlement, open_case, record_assessment
    from jiuzhu.core.services.people import create_person
    from jiuzhu.core.storage import migrate
    from jiuzhu.core.storage.engine import make_engine

    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        name = u.database or ""
        if "bench" not in name and "test" not in name:
            sys.exit(f"refusing to empty database {name!r}: its name has neither bench nor test")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        engine = make_engine(url)
    pm = make_plugin_manager()
    migrate.upgrade(engine, pm)
    svc = Services(engine=engine, regions=load_regions(pm))
    region = svc.regions.get(REGION)
    actor = access_registry(pm).actor(
        username="bench", role=Role.SYSTEM, region_id=REGION, area_code=region.info.code
    )
    answers = {i.code: 0 for d in region.instrument.domains for i in d.indicators}
    cases = []
    for k in range(n_cases):
        number = idcard.make("652301", date(1960, 1, 1) + timedelta(days=k), k % 1000)
        person = create_person(
            svc,
            actor,
            NewPerson(
                region_id=REGION, id_number=number, name="压测", area_code=AREA, groups=["低保"]
            ),
        )
        case = open_case(svc, actor, person.id, "压测")
        record_assessment(svc, actor, case.id, answers)
        grant_entitlement(svc, actor, case.id)
        cases.append(case.id)
    name = f"bench-{uuid.uuid4().hex[:8]}"
    accounts.add_user(svc, name, "bench-password-1", Role.ADMIN, REGION)
    token = accounts.create_token(svc, name)
    user = accounts.get_user(svc, name)
    session = accounts.start_session(svc, user, timedelta(hours=8), "127.0.0.1", "api_bench")
    engine.dispose()
    return {"cases": cases, "token": token, "session": session}


# --- the run --------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    url = args.database_url
    folder = None
    if url is None:
        folder = tempfile.TemporaryDirectory(prefix="jiuzhu-bench-")
        url = f"sqlite:///{folder.name}/bench.db"
    seconds = args.seconds if args.seconds is not None else (3.0 if args.quick else 10.0)
    warmup = 1.0 if args.quick else 3.0
    data = prepare(url, 16 if args.quick else 64)
    common = {"connections": args.connections, "seconds": seconds, "warmup": warmup}
    hello_port = args.port + 1 if args.port else free_port()
    proc = serve_hello(hello_port, args.workers)
    try:
        hello = drive(
            {**common, "base": f"http://127.0.0.1:{hello_port}", "kind": "get", "paths": ["/hello"]}
        )
    finally:
        _stop(proc)
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {data['token']}"}
    cases = data["cases"]
    specs = {
        "case_read": {"kind": "get", "headers": auth, "paths": [f"/api/cases/{c}" for c in cases]},
        "order_place_cancel": {
            "kind": "place_cancel",
            "headers": auth,
            "cases": cases,
            "item": ITEM,
        },
        "case_page": {
            "kind": "get",
            "headers": {"Cookie": f"jiuzhu_session={data['session']}"},
            "paths": [f"/cases/{c}" for c in cases],
        },
    }
    proc = serve_jiuzhu(url, port, args.workers, secrets.token_hex(32))
    results: dict[str, Any] = {}
    try:
        for name, spec in specs.items():
            results[name] = drive({**common, **spec, "base": base})
    finally:
        _stop(proc)
        if folder is not None:
            folder.cleanup()
    return {
        "database": url.split(":", 1)[0].split("+")[0],
        "workers": args.workers,
        "connections": args.connections,
        "seconds": seconds,
        "hello": {k: round(hello[k], 2) for k in ("requests", "errors", "rps", "p50_ms", "p99_ms")},
        "endpoints": {
            name: {
                "rps": round(r["rps"], 1),
                "p50_ms": round(r["p50_ms"], 1),
                "p99_ms": round(r["p99_ms"], 1),
                "ratio": round(r["rps"] / hello["rps"], 3) if hello["rps"] else 0.0,
                "errors": r["errors"],
                **({"failed": r["failed"], "samples": r["samples"]} if r["errors"] else {}),
            }
            for name, r in results.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=None, help="per endpoint (default 10)")
    parser.add_argument("--port", type=int, default=0, help="jiuzhu's (hello: +1); 0: free")
    parser.add_argument("--quick", action="store_true", help="3 s per endpoint, 16 cases")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.drive:
        print(json.dumps(asyncio.run(_drive(json.loads(args.drive)))))
        return
    out = run(args)
    if args.json:
        print(json.dumps(out))
        return
    h = out["hello"]
    print(
        f"{out['database']}, {out['workers']} worker(s), {out['connections']} connections, "
        f"{out['seconds']:.0f} s each"
    )
    print(
        f"  {'hello world':<20} {h['rps']:8.1f} req/s  p50 {h['p50_ms']:7.1f} ms  "
        f"p99 {h['p99_ms']:7.1f} ms"
    )
    for name, r in out["endpoints"].items():
        print(
            f"  {name:<20} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms  "
            f"p99 {r['p99_ms']:7.1f} ms  {r['ratio']:.3f}× hello"
            + (f"  ({r['errors']} errors)" if r["errors"] else "")
        )


if __name__ == "__main__":
    main()
