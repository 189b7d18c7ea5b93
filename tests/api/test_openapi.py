"""The OpenAPI document tells the truth: the bearer scheme, a summary, a tag and the real
error answers of every operation, a response schema for every operation, the limits of
every input — and schemathesis, over every operation with all its checks, finds the API
keeping to it (fixed seed, a bounded number of examples per operation)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from jiuzhu.core.plugins import Regions
from jiuzhu.core.storage.engine import make_engine

from ..conftest import Clock, _truncate
from ..dbsafety import pg_url
from ..loop.helpers import some_area
from .conftest import Api
from .test_api_loop import granted_case, provider

READ_ONLY_POSTS = {"/api/regions/{region_id}/form/check"}  # checks a form, changes nothing
REGION = "shizuishan"  # has the one-form policies too, so every operation can succeed


def document(api: Api) -> dict[str, Any]:
    reader = api.user("schema-reader", "evaluator", "ordos")
    r = api.get(reader, "/schema/openapi.json")
    assert r.status_code == 200
    return dict(r.json())


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_every_operation_is_documented(api: Api) -> None:
    doc = document(api)
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "jz_…",
        "description": doc["components"]["securitySchemes"]["bearer"]["description"],
    }
    assert doc["security"] == [{"bearer": []}]
    ops = operations(doc)
    app_routes = {
        (method, route.path_format)
        for route in api.client.app.routes
        if route.path.startswith("/api")
        for method in route.methods - {"OPTIONS", "HEAD"}
    }
    assert {(m, p) for m, p, _ in ops} == app_routes  # nothing under /api is left out
    error_ref = "#/components/schemas/ApiError"
    for method, path, op in ops:
        where = f"{method} {path}"
        assert op.get("summary") and op.get("tags"), where
        codes = set(op["responses"])
        expected = {"400", "401", "403", "404", "422"}
        if method == "POST":
            expected |= {"409", "413", "503"}
        assert expected <= codes, (where, codes)
        for code in expected:
            schema = op["responses"][code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": error_ref}, (where, code)
        [ok] = [c for c in codes if c.startswith("2")]
        content = op["responses"][ok].get("content", {})
        assert content, where
        for media in content.values():
            schema = media["schema"]
            assert schema not in ({}, {"type": "object"}) or path.endswith("{region_id}"), where
        if ok == "201":
            assert op["responses"]["201"]["headers"]["Location"]["required"] is True, where
        if method == "POST" and path not in READ_ONLY_POSTS:
            names = [p["name"] for p in op.get("parameters", [])]
            assert "Idempotency-Key" in names, where


def test_the_limits_come_from_the_definitions(api: Api) -> None:
    schemas = document(api)["components"]["schemas"]
    rating = schemas["NewRating"]["properties"]["score"]
    assert (rating["minimum"], rating["maximum"]) == (1, 5)
    quantity = schemas["NewOrder"]["properties"]["quantity"]
    assert (quantity["minimum"], quantity["maximum"]) == (1, 1000)
    assert schemas["NewOrder"]["properties"]["note"]["maxLength"] == 500
    person = schemas["NewPerson"]["properties"]
    assert (person["name"]["minLength"], person["name"]["maxLength"]) == (1, 60)
    assert person["phone"]["maxLength"] == 20 and person["id_number"]["maxLength"] == 18
    assert set(person["sex"]["enum"]) == {"", "男", "女"}
    assert schemas["NewVisit"]["properties"]["notes"]["maxLength"] == 2000
    assert schemas["NewProvider"]["properties"]["name"]["maxLength"] == 100
    finish = schemas["Finish"]["properties"]  # signer, or confirmed_by (its first name)
    assert finish["signer"]["maxLength"] == finish["confirmed_by"]["maxLength"] == 60
    error = schemas["ApiError"]
    assert set(error["required"]) == {"error", "detail"}
    assert {"field", "rule"} <= set(error["properties"])


# --- schemathesis over every operation ------------------------------------------------
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            # Valid by the schema is not always valid by the rules: a check digit, an area
            # of the region, a budget left. Those answers are 409 (a rule) or 422 (a field).
            "positive_data_acceptance": {"expected-statuses": ["2xx", "404", "409", "422"]},
        }
    }
)


class CurrentApp:
    """The ASGI app schemathesis calls: the current test's app (a fresh database each)."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def _document_app() -> Any:
    """An app over an empty in-memory database, only to serve the OpenAPI document."""
    from jiuzhu.core.plugins import load_regions, make_plugin_manager
    from jiuzhu.core.services import Services
    from jiuzhu.core.storage.engine import make_engine
    from jiuzhu.core.testing import all_builtin_plugins
    from jiuzhu.core.web.app import create_app

    regions = load_regions(make_plugin_manager(entry_points=False, plugins=all_builtin_plugins()))
    return create_app(Services(make_engine("sqlite://"), regions), secret_key=b"s" * 32)


def _document_json() -> dict[str, Any]:
    """The document as /schema/openapi.json serves it to a signed-in integrator (the docs
    are not served to anonymous callers)."""
    import msgspec

    schema = _document_app().openapi_schema.to_schema()
    return dict(msgspec.json.decode(msgspec.json.encode(schema)))


CURRENT = CurrentApp()
contract = schemathesis.openapi.from_dict(_document_json(), config=CONFIG)
contract.app = CURRENT
contract.location = "/schema/openapi.json"


@pytest.fixture(scope="module")
def token(request: pytest.FixtureRequest, regions: Regions) -> Iterator[str]:
    """One app and database for every operation (on the suite's database): a region with
    data to act on. Records the operations create stay for the next ones."""
    from argon2 import PasswordHasher
    from litestar.testing import TestClient

    from jiuzhu.core.services import Services, users
    from jiuzhu.core.web.app import create_app

    with ExitStack() as stack:
        if pg_url() is not None:
            engine = request.getfixturevalue("pg_engine")
            _truncate(engine)
        else:
            template: Path = request.getfixturevalue("sqlite_template")
            path = request.getfixturevalue("tmp_path_factory").mktemp("contract") / "db.sqlite"
            shutil.copy(template, path)
            engine = make_engine(f"sqlite:///{path}")
            stack.callback(engine.dispose)
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        patch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=64))
        svc = Services(engine=engine, regions=regions, clock=Clock())
        client = stack.enter_context(TestClient(create_app(svc, secret_key=b"c" * 32)))
        api = Api(svc, client)
        admin = api.user("schema-admin", "admin", REGION)
        _pid, cid = granted_case(api, admin, REGION, some_area(regions.get(REGION)))
        provider(api, admin, REGION, "契约测试中心")
        item = next(i.code for i in regions.get(REGION).catalogue.items if i.name == "上门助洁")
        api.post(admin, "/api/orders", {"case_id": cid, "item_code": item})
        CURRENT.app = client.app
        yield api.tokens[admin]


@contract.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(case: Any, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
