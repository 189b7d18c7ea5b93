"""An app over the suite's database, and signed-in users of each role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from jiuzhu.core.services import Services
from jiuzhu.core.services.users import add_user, create_token
from jiuzhu.core.web.app import create_app


class Api:
    """A TestClient plus bearer tokens by username."""

    def __init__(self, svc: Services, client: TestClient[Any]) -> None:
        self.svc = svc
        self.client = client
        self.tokens: dict[str, str] = {}

    def user(
        self, username: str, role: str, region_id: str, area_code: str | None = None, **kw: Any
    ) -> str:
        area = area_code or self.svc.region(region_id).info.code  # explicit: region-wide
        add_user(self.svc, username, "correct-horse-battery", role, region_id, area, **kw)
        self.tokens[username] = create_token(self.svc, username)
        return username

    def headers(self, username: str | None) -> dict[str, str]:
        return {} if username is None else {"Authorization": f"Bearer {self.tokens[username]}"}

    def get(self, as_: str | None, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(as_), **kw)

    def post(self, as_: str | None, path: str, body: Any = None, **kw: Any) -> Any:
        if body is not None:
            kw["json"] = body
        return self.client.post(path, headers=self.headers(as_), **kw)


@pytest.fixture
def api(svc: Services) -> Iterator[Api]:
    # https: session and CSRF cookies are Secure off localhost (web/settings.py)
    with TestClient(create_app(svc), base_url="https://testserver.local") as client:
        yield Api(svc, client)
