"""Structured request logs: request id, user, route, status, duration — as JSON lines by a
setting — and no personal data; database errors are logged, never swallowed."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from jiuzhu.core.plugins import Regions
from jiuzhu.core.web import logs

from ..loop.helpers import some_area
from .conftest import Api
from .test_api_loop import person_body

FIELDS = {"request_id", "user", "method", "route", "status", "duration_ms"}


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    formatter = logs.JsonLines()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "jiuzhu.request"]


def test_one_json_line_per_request_without_personal_data(
    api: Api, regions: Regions, caplog: pytest.LogCaptureFixture
) -> None:
    clerk = api.user("clerk-li", "clerk", "changji")
    body = person_body(
        "changji", some_area(regions.get("changji")), name="王秀英", phone="13912345678"
    )
    with caplog.at_level(logging.INFO, logger="jiuzhu.request"):
        created = api.post(clerk, "/api/persons", body)
        pid = created.json()["id"]
        api.get(clerk, "/api/persons", params={"id_number": body["id_number"], "name": "王秀英"})
        api.get(clerk, f"/api/persons/{pid}")
        api.client.get("/api/nowhere", headers={"X-Request-ID": "abc-123"})
    lines = request_lines(caplog)
    assert len(lines) == 4
    for line in lines:
        assert set(line) >= FIELDS and line["level"] == "info" and line["msg"] == "request"
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert [(x["method"], x["route"], x["status"], x["user"]) for x in lines] == [
        ("POST", "/api/persons", 201, "clerk-li"),
        ("GET", "/api/persons", 200, "clerk-li"),
        ("GET", "/api/persons/{person_id}", 200, "clerk-li"),
        ("GET", "(no route)", 404, ""),
    ]
    assert lines[3]["request_id"] == "abc-123"
    assert created.headers["x-request-id"] == lines[0]["request_id"]
    everything = json.dumps(lines, ensure_ascii=False)
    for secret in (body["id_number"], "王秀英", "13912345678", f"/api/persons/{pid}"):
        assert secret not in everything


def test_a_request_id_that_is_not_a_short_token_is_replaced(api: Api) -> None:
    r = api.client.get("/api/regions", headers={"X-Request-ID": "x" * 65})
    assert r.headers["x-request-id"] != "x" * 65 and len(r.headers["x-request-id"]) == 32


def test_database_errors_are_logged_not_swallowed(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from jiuzhu.core.services import orders

    admin = api.user("admin", "admin", "changji")

    class Gone(Exception):
        sqlstate = "08006"  # connection failure

    def down(*_: object, **__: object) -> None:
        raise OperationalError("SELECT …", {}, Gone("server closed the connection"))

    monkeypatch.setattr(orders, "overdue_rows", down)
    with caplog.at_level(logging.ERROR, logger="jiuzhu.web"):
        r = api.get(admin, "/api/orders/overdue")
    assert r.status_code == 500 and r.json()["error"] == "internal"
    [record] = [x for x in caplog.records if x.name == "jiuzhu.web"]
    assert record.exc_info and "OperationalError" in record.getMessage()


def test_configure_writes_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger("jiuzhu")
    saved = (root.handlers[:], root.level, root.propagate)
    try:
        logs.configure("json")
        logging.getLogger("jiuzhu.request").info("request", extra={"status": 200, "user": "u"})
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert (line["status"], line["user"], line["logger"]) == (200, "u", "jiuzhu.request")
        logs.configure("text")
        logging.getLogger("jiuzhu.request").info("request", extra={"status": 404})
        assert "status=404" in capsys.readouterr().err
        with pytest.raises(ValueError, match="JIUZHU_LOG_FORMAT"):
            logs.configure("xml")
    finally:
        root.handlers, root.level, root.propagate = saved


def test_page_requests_are_logged_with_their_user(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    import re

    from jiuzhu.core.services.users import add_user

    add_user(api.svc, "page-officer", "horse-battery-staple-47", "officer", "changji", "652300")
    page = api.client.get("/login").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert token
    api.client.post(
        "/login",
        data={
            "username": "page-officer",
            "password": "horse-battery-staple-47",
            "_csrf_token": token[1],
        },
        follow_redirects=False,
    )
    with caplog.at_level(logging.INFO, logger="jiuzhu.request"):
        assert api.client.get("/").status_code == 200
    [line] = [x for x in request_lines(caplog) if x["route"] == "/" and x["method"] == "GET"]
    assert (line["user"], line["status"]) == ("page-officer", 200)
