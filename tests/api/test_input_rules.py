"""Input rules through the API: a year without rules names `year`; a retried stage
review counts once."""

from __future__ import annotations

from typing import Any

from jiuzhu.core.plugins import Regions

from ..conftest import Clock
from ..loop.helpers import some_area, zero_answers
from .conftest import Api
from .test_api_loop import person_body

ELIGIBLE_BODY: dict[str, Any] = {"groups": ["低保"], "disability_grade": 4}


def ordos_case(api: Api, admin: str, regions: Regions) -> int:
    region = regions.get("ordos")
    body = person_body("ordos", some_area(region), **ELIGIBLE_BODY)
    pid = api.post(admin, "/api/persons", body).json()["id"]
    cid = int(api.post(admin, "/api/cases", {"person_id": pid}).json()["id"])
    api.post(admin, f"/api/cases/{cid}/assessments", {"answers": zero_answers(region)})
    return cid


def test_the_api_answers_422_naming_year(api: Api, regions: Regions) -> None:
    admin = api.user("admin", "admin", "ordos")
    cid = ordos_case(api, admin, regions)
    for year in (1990, 2023, 99999):
        r = api.post(admin, f"/api/cases/{cid}/entitlement", {"year": year})
        assert r.status_code == 422 and r.json()["field"] == "year", r.text
        assert "2024" in r.json()["detail"]


def test_a_retried_review_post_counts_once(api: Api, regions: Regions, clock: Clock) -> None:
    """With the same Idempotency-Key the retry is the first answer; without one the second
    review is refused by the interval. Either way one review is counted."""
    admin = api.user("admin", "admin", "ordos")
    cid = ordos_case(api, admin, regions)
    api.post(admin, f"/api/cases/{cid}/entitlement", {})
    clock.advance(days=91)
    headers = {**api.headers(admin), "Idempotency-Key": "review-1"}
    first = api.client.post(f"/api/cases/{cid}/visits", json={"kind": "review"}, headers=headers)
    again = api.client.post(f"/api/cases/{cid}/visits", json={"kind": "review"}, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    unkeyed = api.post(admin, f"/api/cases/{cid}/visits", {"kind": "review"})
    assert unkeyed.status_code == 409 and unkeyed.json()["rule"] == "stage.interval"
    view = api.get(admin, f"/api/cases/{cid}/entitlement").json()
    assert view["entitlement"]["reviews"] == 1
