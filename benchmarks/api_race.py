"""Race the money-moving API calls over HTTP against several server processes.

    # one database, several processes (PostgreSQL):
    export JIUZHU_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/jiuzhu
    export JIUZHU_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')
    jiuzhu db upgrade
    for p in 8121 8122 8123; do jiuzhu serve --port $p & done
    python benchmarks/api_race.py --servers http://127.0.0.1:8121,http://127.0.0.1:8122,http://127.0.0.1:8123

For every pair of place / cancel / finish / review visit / re-assessment / exit, on a fresh
case each round, PER_OP requests of each step are released at once, spread over the
servers. Then one entitlement takes ``--orders`` concurrent orders, and ``--keyed``
requests share one Idempotency-Key. Prints the answers by step and status, the number of
5xx (must be 0) and checks the ledger in the database: sum of ledger rows = entitlement
spent = sum of tier spent = live orders, never negative, never over the annual amount.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import func, select

from jiuzhu.core import idcard
from jiuzhu.core.plugins import load_regions, make_plugin_manager
from jiuzhu.core.services import Services
from jiuzhu.core.services.users import add_user, create_token
from jiuzhu.core.storage.engine import make_engine
from jiuzhu.core.storage.tables import entitlement_tiers, entitlements, ledger, orders

OPS = ("place", "cancel", "finish", "review", "reassess", "exit")
REGION = "changji"
AREA = "652301001001"
ITEM = "liudong_fuwubao"  # 流动服务包, 150 yuan, no frequency limit


class Race:
    def __init__(self, servers: list[str], svc: Services, per_op: int) -> None:
        self.servers = itertools.cycle(servers)
        self.lock = threading.Lock()
        self.svc = svc
        self.per_op = per_op
        tag = uuid.uuid4().hex[:8]
        self.admin = self._user(f"race-admin-{tag}", "admin")
        self.provider = self.post(
            self.admin, "/api/providers", {"name": f"并发测试中心{tag}", "area_code": "652301"}
        ).json()["id"]
        worker = self.post(
            self.admin, f"/api/providers/{self.provider}/workers", {"name": "并发社工"}
        ).json()["id"]
        self.worker = self._user(
            f"race-worker-{tag}", "worker", provider_id=self.provider, worker_id=worker
        )
        region = svc.regions.get(REGION)
        self.answers = {i.code: 0 for d in region.instrument.domains for i in d.indicators}
        self.steps = list(region.catalogue.item(ITEM).standard)
        self.serial = itertools.count(int(tag, 16) % 900)
        self.statuses: Counter[str] = Counter()

    def _user(self, name: str, role: str, **kw: Any) -> str:
        add_user(self.svc, name, "race-password-123", role, REGION, **kw)
        return create_token(self.svc, name)

    def url(self) -> str:
        with self.lock:
            return next(self.servers)

    def post(self, token: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        return httpx.post(
            self.url() + path,
            json=body,
            headers={"Authorization": f"Bearer {token}", **headers},
            timeout=60,
        )

    def case(self) -> int:
        from datetime import date

        number = idcard.make("652301", date(1975, 1, 1), next(self.serial))
        person = {
            "region_id": REGION,
            "id_number": number,
            "name": "并发对象",
            "area_code": AREA,
            "groups": ["低保"],
        }
        pid = self._ok(self.post(self.admin, "/api/persons", person))["id"]
        cid = self._ok(self.post(self.admin, "/api/cases", {"person_id": pid}))["id"]
        self._ok(self.post(self.admin, f"/api/cases/{cid}/assessments", {"answers": self.answers}))
        self._ok(self.post(self.admin, f"/api/cases/{cid}/entitlement", {}))
        return int(cid)

    def order(self, cid: int, serve: bool = False) -> int:
        oid = int(
            self._ok(self.post(self.admin, "/api/orders", {"case_id": cid, "item_code": ITEM}))[
                "id"
            ]
        )
        if serve:
            self._ok(
                self.post(self.admin, f"/api/orders/{oid}/dispatch", {"provider_id": self.provider})
            )
            self._ok(self.post(self.worker, f"/api/orders/{oid}/accept"))
            self._ok(self.post(self.worker, f"/api/orders/{oid}/start"))
        return oid

    @staticmethod
    def _ok(r: httpx.Response) -> dict[str, Any]:
        if r.status_code >= 300:
            raise SystemExit(
                f"setup failed: {r.request.method} {r.request.url} {r.status_code} {r.text}"
            )
        return dict(r.json())

    def step(
        self, op: str, j: int, cid: int, placed: list[int], serving: list[int]
    ) -> httpx.Response:
        admin = self.admin
        if op == "place":
            return self.post(admin, "/api/orders", {"case_id": cid, "item_code": ITEM})
        if op == "cancel":
            return self.post(
                admin, f"/api/orders/{placed[j % len(placed)]}/cancel", {"reason": "并发"}
            )
        if op == "finish":
            body = {"steps_done": self.steps, "confirmed_by": "本人", "minutes": 30}
            return self.post(self.worker, f"/api/orders/{serving[j % len(serving)]}/finish", body)
        if op == "review":
            return self.post(admin, f"/api/cases/{cid}/visits", {"kind": "review"})
        if op == "reassess":
            return self.post(admin, f"/api/cases/{cid}/assessments", {"answers": self.answers})
        return self.post(admin, f"/api/cases/{cid}/exit", {"reason": "并发退出"})

    def pair(self, a: str, b: str) -> None:
        cid = self.case()
        placed = [self.order(cid) for _ in range(self.per_op)]
        serving = (
            [self.order(cid, serve=True) for _ in range(self.per_op)] if "finish" in (a, b) else []
        )
        work = [(op, j) for op in (a, b) for j in range(self.per_op)]
        start = threading.Barrier(len(work))

        def one(item: tuple[str, int]) -> str:
            start.wait()
            r = self.step(item[0], item[1], cid, placed, serving)
            return f"{item[0]} {r.status_code}"

        with ThreadPoolExecutor(len(work)) as pool:
            self.statuses.update(pool.map(one, work))

    def many_orders(self, n: int) -> Counter[str]:
        cid = self.case()
        start = threading.Barrier(min(n, 50))

        def one(_: int) -> str:
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=5)
            r = self.post(self.admin, "/api/orders", {"case_id": cid, "item_code": ITEM})
            return f"order {r.status_code}" + (
                f" {r.json().get('rule')}" if r.status_code == 409 else ""
            )

        with ThreadPoolExecutor(50) as pool:
            return Counter(pool.map(one, range(n)))

    def keyed(self, n: int) -> Counter[str]:
        cid = self.case()
        key = str(uuid.uuid4())
        start = threading.Barrier(n)

        def one(_: int) -> str:
            start.wait()
            r = self.post(
                self.admin,
                "/api/orders",
                {"case_id": cid, "item_code": ITEM},
                **{"Idempotency-Key": key},
            )
            return f"keyed {r.status_code}" + (
                " replay" if r.headers.get("idempotent-replayed") else ""
            )

        with ThreadPoolExecutor(n) as pool:
            out = Counter(pool.map(one, range(n)))
        with self.svc.engine.connect() as conn:
            placed = conn.execute(select(func.count()).where(orders.c.case_id == cid)).scalar_one()
        out[f"orders placed under the key: {placed}"] = 1
        return out


def check_ledger(svc: Services) -> list[str]:
    problems = []
    with svc.engine.connect() as conn:
        for ent in conn.execute(select(entitlements)).mappings():
            eid = ent["id"]
            booked = conn.execute(
                select(func.coalesce(func.sum(ledger.c.amount_fen), 0)).where(
                    ledger.c.entitlement_id == eid
                )
            ).scalar_one()
            tiers = conn.execute(
                select(func.coalesce(func.sum(entitlement_tiers.c.spent_fen), 0)).where(
                    entitlement_tiers.c.entitlement_id == eid
                )
            ).scalar_one()
            low = conn.execute(
                select(func.min(entitlement_tiers.c.spent_fen)).where(
                    entitlement_tiers.c.entitlement_id == eid
                )
            ).scalar_one()
            live = conn.execute(
                select(func.coalesce(func.sum(orders.c.amount_fen), 0)).where(
                    orders.c.entitlement_id == eid, orders.c.status != "cancelled"
                )
            ).scalar_one()
            if not booked == ent["spent_fen"] == tiers == live:
                problems.append(
                    f"entitlement {eid}: ledger {booked} spent {ent['spent_fen']} "
                    f"tiers {tiers} orders {live}"
                )
            if ent["spent_fen"] > ent["annual_fen"] or (low is not None and low < 0):
                problems.append(
                    f"entitlement {eid}: spent {ent['spent_fen']} of {ent['annual_fen']}, "
                    f"lowest tier {low}"
                )
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", required=True, help="comma-separated base URLs")
    parser.add_argument("--database-url", default=os.environ.get("JIUZHU_DATABASE_URL"))
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every pair")
    parser.add_argument("--per-op", type=int, default=3, help="concurrent requests per step")
    parser.add_argument("--orders", type=int, default=200, help="concurrent orders on one case")
    parser.add_argument("--keyed", type=int, default=20, help="concurrent requests, one key")
    args = parser.parse_args()
    regions = load_regions(make_plugin_manager())
    svc = Services(engine=make_engine(args.database_url), regions=regions)
    race = Race(args.servers.split(","), svc, args.per_op)
    for _ in range(args.rounds):
        for a, b in itertools.combinations_with_replacement(OPS, 2):
            race.pair(a, b)
    print("pairs of steps, answers by step and status:")
    for key, n in sorted(race.statuses.items()):
        print(f"  {key}: {n}")
    many = race.many_orders(args.orders)
    print(f"{args.orders} concurrent orders on one case (2,000 yuan, 150 yuan each):")
    for key, n in sorted(many.items()):
        print(f"  {key}: {n}")
    keyed = race.keyed(args.keyed)
    print(f"{args.keyed} concurrent requests with one Idempotency-Key:")
    for key, n in sorted(keyed.items()):
        print(f"  {key}: {n}")
    everything = race.statuses + many + keyed
    server_errors = sum(n for k, n in everything.items() if " 5" in k)
    problems = check_ledger(svc)
    print(f"5xx answers: {server_errors}")
    print("ledger: " + ("balances" if not problems else "; ".join(problems)))
    if server_errors or problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
