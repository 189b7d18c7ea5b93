"""Junk bodies never produce a 500: bad input is 422 (naming the field), a refused rule
409, an unknown id 404."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiuzhu.core.plugins import Regions

from ..loop.helpers import some_area
from .conftest import Api
from .test_api_loop import granted_case, person_body

ALLOWED = {201, 403, 404, 409, 422}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=80),
    st.sampled_from(["", "低保", "652301", "X", "2025-03-03", "1" * 19, "changji", "0"]),
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=8,
)

PERSON_KEYS = [
    "region_id",
    "id_number",
    "name",
    "area_code",
    "sex",
    "phone",
    "household_id",
    "groups",
    "disability_grade",
    "major_illness",
    "chronic_illness",
    "covered_by",
    "student",
    "living_alone",
    "household_size",
    "income_per_capita_fen",
]
ORDER_KEYS = ["case_id", "item_code", "quantity", "urgent", "note"]


def mutated(valid: dict[str, Any], keys: list[str]) -> st.SearchStrategy[Any]:
    """A valid body with some fields replaced, dropped or added; or plain junk."""
    changes = st.dictionaries(st.sampled_from([*keys, "extra"]), junk, max_size=3)
    drops = st.sets(st.sampled_from(keys), max_size=2)
    edited = st.builds(
        lambda ch, dr: {k: v for k, v in {**valid, **ch}.items() if k not in dr}, changes, drops
    )
    return st.one_of(edited, edited, junk)


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check(api: Api, user: str, path: str, body: Any) -> None:
    r = api.client.post(
        path,
        content=json.dumps(body),
        headers={**api.headers(user), "Content-Type": "application/json"},
    )
    assert r.status_code in ALLOWED, (r.status_code, r.text, body)
    if r.status_code == 422:
        assert r.json()["field"], r.text


def test_junk_persons(api: Api, regions: Regions):
    clerk = api.user("clerk", "clerk", "changji")
    valid = person_body("changji", some_area(regions.get("changji")))

    @FUZZ
    @given(body=mutated(valid, PERSON_KEYS))
    def run(body: Any) -> None:
        check(api, clerk, "/api/persons", body)

    run()


def test_junk_orders(api: Api, regions: Regions):
    admin = api.user("admin", "admin", "changji")
    _pid, cid = granted_case(api, admin, "changji", some_area(regions.get("changji")))
    valid = {"case_id": cid, "item_code": "zhuxing", "quantity": 1, "urgent": False}

    @FUZZ
    @given(body=mutated(valid, ORDER_KEYS))
    def run(body: Any) -> None:
        check(api, admin, "/api/orders", body)

    run()


def test_not_json_at_all(api: Api):
    clerk = api.user("clerk", "clerk", "changji")
    for raw in (b"", b"{", b"\xff\xfe", b"[1,2", b"null"):
        for path in ("/api/persons", "/api/orders"):
            r = api.client.post(
                path,
                content=raw,
                headers={**api.headers(clerk), "Content-Type": "application/json"},
            )
            assert r.status_code in {400, 422}, (path, raw, r.status_code, r.text)


EDGES = [
    ("household_id", 2**63),
    ("household_id", 2**31),
    ("household_id", 5),
    ("household_size", 2**40),
    ("income_per_capita_fen", 2**63),
    ("income_per_capita_fen", 2**64 - 1),
    ("name", "名" * 100),
    ("phone", "1" * 30),
    ("name", "a\x00b"),
    ("region_id", "x" * 100),
]


def test_edge_values_are_422_or_404_never_500(api: Api, regions: Regions):
    """Values beyond what a column holds: found by the fuzzers above on PostgreSQL."""
    admin = api.user("admin", "admin", "changji")
    area = some_area(regions.get("changji"))
    for key, value in EDGES:
        r = api.post(admin, "/api/persons", {**person_body("changji", area), key: value})
        assert r.status_code in {404, 422}, (key, r.status_code, r.text)
        if r.status_code == 422:
            assert r.json()["field"] == key, r.text
    _pid, cid = granted_case(api, admin, "changji", area)
    for body in (
        {"case_id": 2**63, "item_code": "zhuxing"},
        {"case_id": 2**31, "item_code": "zhuxing"},
        {"case_id": cid, "item_code": "zhuxing", "note": "x\x00"},
    ):
        r = api.post(admin, "/api/orders", body)
        assert r.status_code in {404, 422}, (body, r.status_code, r.text)
    oid = api.post(admin, "/api/orders", {"case_id": cid, "item_code": "zhuxing"}).json()["id"]
    for provider_id in (2**31, 2**63, -1):
        r = api.post(admin, f"/api/orders/{oid}/dispatch", {"provider_id": provider_id})
        assert r.status_code == 422 and r.json()["field"] == "provider_id", r.text
    for path in (f"/api/cases/{2**40}", f"/api/orders/{2**63}", f"/api/persons/{2**31}"):
        assert api.get(admin, path).status_code == 404, path
    r = api.post(admin, f"/api/cases/{cid}/visits", {"kind": "return", "order_id": 2**40})
    assert r.status_code == 422, r.text
