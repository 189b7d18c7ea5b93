"""Read latency while writers move money, against a running server (SQLite or PostgreSQL).

    export JIUZHU_DATABASE_URL=sqlite:////tmp/bench/jiuzhu.db JIUZHU_SECRET_KEY=…
    jiuzhu db upgrade && jiuzhu serve --port 8102 &
    python benchmarks/read_latency.py --server http://127.0.0.1:8102

Writers place and cancel orders on a set of cases; readers read case files. Prints the
reads' p50 / p95 / p99 and the writes done. On SQLite a read must not wait for the write
lock: only write units of work begin IMMEDIATE.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
import uuid
from datetime import date

import httpx

from jiuzhu.core import idcard
from jiuzhu.core.plugins import load_regions, make_plugin_manager
from jiuzhu.core.services import Services
from jiuzhu.core.services.users import add_user, create_token
from jiuzhu.core.storage.engine import make_engine

REGION, AREA, ITEM = "changji", "652301001001", "liudong_fuwubao"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--database-url", default=os.environ.get("JIUZHU_DATABASE_URL"))
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--cases", type=int, default=20)
    args = parser.parse_args()
    svc = Services(
        engine=make_engine(args.database_url), regions=load_regions(make_plugin_manager())
    )
    name = f"bench-{uuid.uuid4().hex[:8]}"
    add_user(svc, name, "bench-password-1", "admin", REGION)
    client = httpx.Client(
        base_url=args.server, headers={"Authorization": f"Bearer {create_token(svc, name)}"}
    )
    region = svc.regions.get(REGION)
    answers = {i.code: 0 for d in region.instrument.domains for i in d.indicators}
    cases = []
    serial = random.randrange(100, 900)
    for k in range(args.cases):
        number = idcard.make("652301", date(1970, 1, 1 + k % 28), serial + k)
        body = {"region_id": REGION, "id_number": number, "name": "压测", "area_code": AREA}
        pid = client.post("/api/persons", json={**body, "groups": ["低保"]}).json()["id"]
        cid = client.post("/api/cases", json={"person_id": pid}).json()["id"]
        client.post(f"/api/cases/{cid}/assessments", json={"answers": answers})
        client.post(f"/api/cases/{cid}/entitlement", json={})
        cases.append(cid)
    stop = time.monotonic() + args.seconds
    reads: list[float] = []
    writes = [0]
    errors = [0]
    lock = threading.Lock()

    def writer() -> None:
        c = httpx.Client(base_url=args.server, headers=client.headers, timeout=60)
        while time.monotonic() < stop:
            r = c.post("/api/orders", json={"case_id": random.choice(cases), "item_code": ITEM})
            if r.status_code == 201:
                c.post(f"/api/orders/{r.json()['id']}/cancel", json={"reason": "压测"})
            with lock:
                writes[0] += 1
                errors[0] += r.status_code >= 500

    def reader() -> None:
        c = httpx.Client(base_url=args.server, headers=client.headers, timeout=60)
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            r = c.get(f"/api/cases/{random.choice(cases)}")
            took = (time.perf_counter() - t0) * 1000
            with lock:
                reads.append(took)
                errors[0] += r.status_code >= 500

    threads = [threading.Thread(target=writer) for _ in range(args.writers)]
    threads += [threading.Thread(target=reader) for _ in range(args.readers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q = statistics.quantiles(reads, n=100)
    print(
        f"reads: {len(reads)}, p50 {q[49]:.0f} ms, p95 {q[94]:.0f} ms, p99 {q[98]:.0f} ms; "
        f"order+cancel pairs: {writes[0]}; 5xx: {errors[0]}"
    )


if __name__ == "__main__":
    main()
