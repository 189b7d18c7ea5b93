"""A small world for the page tests: ordos, two providers, people in two districts, a user per
role. Users in 康巴什区 (150603) must not see 东胜区 (150602) files and vice versa."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient

from jiuzhu.core import idcard
from jiuzhu.core.access import system_actor
from jiuzhu.core.domain import NewPerson
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import grant_entitlement, open_case, record_assessment
from jiuzhu.core.services.orders import NewOrder, place_order
from jiuzhu.core.services.people import create_person
from jiuzhu.core.services.providers import create_provider, create_worker
from jiuzhu.core.services.users import add_user
from jiuzhu.core.web.app import create_app

PASSWORD = "correct-horse-9"
SECRET = b"k" * 32
DONGSHENG = "150602004001"  # 永兴社区, 东胜区
KANGBASHI = "150603001001"  # 哈巴格希社区, 康巴什区
ITEM = "deep_clean"


@dataclass
class World:
    svc: Services
    case_east: int = 0
    case_west: int = 0
    orders: list[int] = field(default_factory=list)
    provider: int = 0
    red_provider: int = 0
    worker: int = 0
    id_number: str = ""


def _case(svc: Services, area: str, serial: int, name: str) -> tuple[int, str]:
    actor = system_actor("ordos", "150600", "setup")
    number = idcard.make("150600", date(1979, 3, 12), serial)
    person = create_person(
        svc,
        actor,
        NewPerson(
            region_id="ordos",
            id_number=number,
            name=name,
            area_code=area,
            groups=["低保"],
            disability_grade=4,
        ),
    )
    case = open_case(svc, actor, person.id, "测试")
    answers = {i.code: 0 for d in svc.region("ordos").instrument.domains for i in d.indicators}
    record_assessment(svc, actor, case.id, answers)
    grant_entitlement(svc, actor, case.id)
    return case.id, number


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at production cost makes each user ~0.1 s; the page tests need many users."""
    from argon2 import PasswordHasher

    from jiuzhu.core.services import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=64))


@pytest.fixture
def world(svc: Services) -> World:
    actor = system_actor("ordos", "150600", "setup")
    w = World(svc=svc)
    w.provider = create_provider(svc, actor, "ordos", "东胜阳光社工服务中心", "150602").id
    w.red_provider = create_provider(svc, actor, "ordos", "红灯服务中心", "150602").id
    with svc.engine.begin() as conn:
        from jiuzhu.core.storage.tables import providers

        conn.execute(
            providers.update()
            .where(providers.c.id == w.red_provider)
            .values(light="red", light_label="红灯", light_reason="满意率低", blocks_dispatch=True)
        )
    w.worker = create_worker(svc, actor, w.provider, "张慧", ["助理社会工作师"]).id
    w.case_east, w.id_number = _case(svc, DONGSHENG, 901, "王秀兰")
    w.case_west, _ = _case(svc, KANGBASHI, 902, "李建国")
    w.orders = [
        place_order(svc, actor, NewOrder(case_id=w.case_east, item_code=ITEM)).id,
        place_order(svc, actor, NewOrder(case_id=w.case_east, item_code=ITEM, urgent=True)).id,
    ]
    users = [
        ("officer", "150600", {}),
        ("clerk", "150600", {}),
        ("supervisor", "150600", {}),
        ("evaluator", "150600", {}),
        ("admin", "150600", {}),
        ("approver", "150600", {"department": "mz"}),
        ("unit", "150600", {}),
        ("provider_admin", "150600", {"provider_id": w.provider}),
        ("worker", "150602", {"provider_id": w.provider, "worker_id": w.worker}),
    ]
    for role, area, extra in users:
        add_user(svc, f"ordos-{role}", PASSWORD, role, "ordos", area, **extra)  # type: ignore[arg-type]
    add_user(
        svc,
        "ordos-worker-west",
        PASSWORD,
        "worker",
        "ordos",
        "150603",
        provider_id=w.provider,
        worker_id=w.worker,
    )
    return w


@pytest.fixture
def app(world: World) -> Litestar:
    return create_app(world.svc, secret_key=SECRET)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app, base_url="https://testserver.local") as c:  # Secure cookies
        yield c


CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(client: TestClient[Litestar], username: str, password: str = PASSWORD) -> Response:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": csrf(page.text)},
        follow_redirects=False,
    )


def post_form(client: TestClient[Litestar], page: str, action: str, **data: object) -> Response:
    html = client.get(page).text
    return client.post(action, data={**data, "_csrf_token": csrf(html)}, follow_redirects=False)


def png_bytes(width: int = 300, height: int = 100, fmt: str = "PNG") -> bytes:
    """A small real image (a stroke on white), as the signature canvas or a camera sends."""
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(img).line([(10, height - 10), (width - 10, 10)], fill="black", width=3)
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def signature_data_url() -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(png_bytes()).decode()


def draw_signature(page: Any, card: Any) -> None:
    """Sign on the check-out canvas with the mouse, as a finger would."""
    canvas = card.locator("canvas[data-signature]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box, "no signature canvas"
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x + w * (0.1 + 0.08 * i), y + h * (0.7 - 0.05 * i * (-1) ** i), steps=2)
    page.mouse.up()
