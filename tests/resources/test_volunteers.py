"""Volunteers: hours given, and recipients and family members who became volunteers — the
outcome Changji reports (35 of 61 social-integration participants and 47 family members
became volunteers; DOMAIN.md, seeds 000/001)."""

from __future__ import annotations

from datetime import date

import pytest

from jiuzhu.core.base import Invalid, NotFound
from jiuzhu.plugins.resources import library, volunteers
from jiuzhu.plugins.resources.config import Resource

from .helpers import ANHE, library_ready, zhang_family


def vol(code: str) -> Resource:
    return Resource(
        code=code, name=f"志愿者{code}", kind="volunteer", area_code=ANHE, illustrative=True
    )


def test_hours_and_origins(svc, regions) -> None:
    admin = library_ready(svc, regions)
    home = zhang_family(svc, regions)
    library.add_resource(svc, admin, vol("v1"), "recipient", home.head_id)
    library.add_resource(svc, admin, vol("v2"), "family", home.child_id)
    library.add_resource(svc, admin, vol("v3"))
    before = volunteers.statistics(svc, admin)
    assert (before.volunteers, before.from_recipients, before.from_families) == (4, 1, 1)
    volunteers.record_hours(svc, admin, "v1", 90, date(2025, 3, 1), "陪伴写作业")
    volunteers.record_hours(svc, admin, "v2", 30, date(2025, 3, 2))
    volunteers.record_hours(svc, admin, "v1", 60, date(2025, 3, 2))
    s = volunteers.statistics(svc, admin)
    assert (s.minutes, s.hours, s.active) == (180, 3.0, 2)
    for minutes, day, field in (
        (0, date(2025, 3, 1), "minutes"),
        (1441, date(2025, 3, 1), "minutes"),
        (30, date(2025, 3, 4), "served_on"),
    ):
        with pytest.raises(Invalid) as exc:
            volunteers.record_hours(svc, admin, "v1", minutes, day)
        assert exc.value.field == field
    with pytest.raises(NotFound):  # an organisation is not a volunteer
        volunteers.record_hours(svc, admin, "nxgycs", 30, date(2025, 3, 1))
    with pytest.raises(Invalid) as exc:  # a former recipient names the person
        library.add_resource(svc, admin, vol("v4"), "recipient")
    assert exc.value.field == "person_id"
    with pytest.raises(Invalid):  # only volunteers have an origin
        library.add_resource(
            svc,
            admin,
            Resource(
                code="o1", name="组织", kind="organisation", area_code=ANHE, illustrative=True
            ),
            "family",
            home.child_id,
        )
