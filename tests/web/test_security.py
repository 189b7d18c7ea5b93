"""Issue 10 through the web: sessions end on the server (4), request limits (6), security
headers and cookie flags (7), API docs without outside requests (8), audit of views,
refusals and client addresses (9), anchored CSRF exclusions (11)."""

from __future__ import annotations

import re
from typing import Any

import litestar
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from jiuzhu.core.services.users import create_token, set_active, set_password
from jiuzhu.core.storage.tables import audit_log
from jiuzhu.core.web.app import create_app
from jiuzhu.core.web.settings import WebSettings

from .conftest import PASSWORD, SECRET, World, csrf, sign_in


def cookie(client: Any, name: str) -> str:
    return str(client.cookies.get(name, ""))


# --- 4: sessions ---------------------------------------------------------------------------
def test_a_cookie_replayed_after_logout_is_worthless(client: Any, world: World) -> None:
    sign_in(client, "ordos-officer")
    stolen = cookie(client, "jiuzhu_session")
    home = client.get("/")
    assert home.status_code == 200
    r = client.post("/logout", data={"_csrf_token": csrf(home.text)}, follow_redirects=False)
    assert r.status_code == 303
    client.cookies.set("jiuzhu_session", stolen)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_password_change_and_deactivation_end_sessions_at_once(client: Any, world: World) -> None:
    sign_in(client, "ordos-officer")
    assert client.get("/", follow_redirects=False).status_code == 200
    set_password(world.svc, "ordos-officer", "a-brand-new-horse")
    assert client.get("/", follow_redirects=False).status_code == 303
    sign_in(client, "ordos-officer", "a-brand-new-horse")
    old = cookie(client, "jiuzhu_session")
    set_active(world.svc, "ordos-officer", False)
    set_active(world.svc, "ordos-officer", True)  # reactivation revives no old cookie
    client.cookies.set("jiuzhu_session", old)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_in_starts_a_new_session_and_renews_the_csrf_cookie(client: Any, world: World) -> None:
    page = client.get("/login")
    before = cookie(client, "jiuzhu_csrf")
    client.cookies.set("jiuzhu_session", "planted-by-someone-else", domain="testserver.local")
    r = client.post(
        "/login",
        data={"username": "ordos-officer", "password": PASSWORD, "_csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    raw = r.headers.get_list("set-cookie")
    sent = {c.split("=", 1)[0]: c.split("=", 1)[1].split(";")[0] for c in raw}
    assert sent["jiuzhu_csrf"] not in ("", before)  # renewed at sign-in
    assert sent["jiuzhu_session"] not in ("", "planted-by-someone-else")
    assert "HttpOnly" in next(c for c in raw if c.startswith("jiuzhu_session="))
    assert client.get("/", follow_redirects=False).status_code == 200


def test_a_damaged_session_cookie_signs_out(client: Any, world: World) -> None:
    for junk in ("garbage", "x" * 5000, "%00%ff", '"quoted"'):
        client.cookies.set("jiuzhu_session", junk)
        r = client.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?expired=1"


# --- 6: limits -----------------------------------------------------------------------------
def test_oversized_bodies_and_too_many_fields_are_refused_cheaply(
    client: Any, world: World
) -> None:
    client.get("/login")
    token = cookie(client, "jiuzhu_csrf")
    big = "a=" + "x" * (300 * 1024)
    r = client.post(
        "/login", content=big, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 413 and "过大" in r.text
    many = "&".join(f"f{i}=" for i in range(5000)) + f"&_csrf_token={token}"
    r = client.post(
        "/login", content=many, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 400 and "字段过多" in r.text
    auth = {"Authorization": f"Bearer {create_token(world.svc, 'ordos-clerk')}"}
    r = client.post(
        "/api/persons", content=b"[" * 100_000, headers={**auth, "content-type": "application/json"}
    )
    assert r.status_code == 400 and r.json() == {
        "error": "bad_request",
        "field": "body",
        "detail": "JSON 嵌套层数过多",
    }
    r = client.post(
        "/api/persons",
        content=b'{"name": "' + b"x" * (1100 * 1024) + b'"}',
        headers={**auth, "content-type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["error"] == "too_large"


def test_odd_paths_are_not_found(client: Any) -> None:
    for path in ("/static/%00", "/static/%01x.css", "/static/..%2f..%2fetc%2fpasswd"):
        assert client.get(path).status_code == 404, path


# --- 7: headers and cookies ----------------------------------------------------------------
def test_security_headers_on_every_response(client: Any, world: World) -> None:
    sign_in(client, "ordos-officer")
    auth = {"Authorization": f"Bearer {create_token(world.svc, 'ordos-officer')}"}
    for r in (
        client.get("/login"),
        client.get(f"/cases/{world.case_east}"),
        client.get("/no-such-page"),
        client.get(f"/api/cases/{world.case_east}", headers=auth),
        client.get("/api/cases/99999", headers=auth),
        client.get("/api/regions"),  # 401
    ):
        h = r.headers
        csp = h["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "http" not in csp
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"
        assert h["cache-control"] == "no-store", r.url
    assert "no-store" not in client.get("/static/jiuzhu.css").headers["cache-control"]


def test_print_views_allow_only_their_own_stylesheet(client: Any, world: World) -> None:
    sign_in(client, "ordos-clerk")
    r = client.get("/apply/print")
    assert r.status_code == 200 and "<style>" in r.text
    assert re.search(
        r"style-src 'self' 'sha256-[A-Za-z0-9+/=]+'", r.headers["content-security-policy"]
    )
    assert "onclick" not in r.text and "style=" not in r.text


def secure_flag(app: Litestar, base_url: str) -> bool:
    with TestClient(app, base_url=base_url) as c:
        r = c.get("/login")
        return "secure" in r.headers["set-cookie"].lower()


@pytest.mark.filterwarnings("ignore:The base_url:UserWarning")  # localhost on purpose
def test_secure_cookies_by_setting(world: World) -> None:
    auto = create_app(world.svc, secret_key=SECRET, settings=WebSettings())
    assert secure_flag(auto, "http://jiuzhu.example.gov.cn")  # not localhost: Secure
    assert not secure_flag(auto, "http://127.0.0.1:8000")
    assert not secure_flag(auto, "http://localhost:8000")
    off = create_app(world.svc, secret_key=SECRET, settings=WebSettings(secure_cookies="off"))
    assert not secure_flag(off, "http://jiuzhu.example.gov.cn")
    on = create_app(world.svc, secret_key=SECRET, settings=WebSettings(secure_cookies="on"))
    assert secure_flag(on, "http://localhost:8000")


def test_settings_from_the_environment_name_the_variable() -> None:
    import pytest

    from jiuzhu.core.base import ConfigError

    s = WebSettings.from_env({"JIUZHU_SESSION_HOURS": "4", "JIUZHU_SECURE_COOKIES": "on"})
    assert s.session_lifetime.total_seconds() == 4 * 3600 and s.secure_cookies == "on"
    with pytest.raises(ConfigError) as caught:
        WebSettings.from_env({"JIUZHU_SESSION_HOURS": "forever", "JIUZHU_API_DOCS": "maybe"})
    assert "JIUZHU_SESSION_HOURS" in str(caught.value) and "JIUZHU_API_DOCS" in str(caught.value)


# --- 8: API docs ---------------------------------------------------------------------------
def test_api_docs_for_signed_in_users_from_this_server_only(client: Any, world: World) -> None:
    r = client.get("/schema", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/schema/openapi.json").status_code == 401
    ra = client.get("/schema/assets/swagger-ui-bundle.js", follow_redirects=False)
    assert ra.status_code in (303, 401), ra.headers
    token = create_token(world.svc, "ordos-officer")
    schema = client.get("/schema/openapi.json", headers={"Authorization": f"Bearer {token}"})
    assert schema.status_code == 200 and "/api/cases/{case_id}" in schema.json()["paths"]
    sign_in(client, "ordos-supervisor")
    page = client.get("/schema")
    assert page.status_code == 200 and 'id="swagger-ui"' in page.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith(("/", "data:")) for s in sources), sources
    for s in sources:
        if s.startswith("/"):
            assert client.get(s).status_code == 200, s
    assert "fonts.googleapis" not in page.text and "cdn" not in page.text
    off = create_app(world.svc, secret_key=SECRET, settings=WebSettings(api_docs=False))
    with TestClient(off, base_url="https://testserver.local") as c:
        sign_in(c, "ordos-supervisor")
        assert c.get("/schema").status_code == 404
        assert c.get("/schema/openapi.json").status_code == 200


# --- 9: audit ------------------------------------------------------------------------------
def test_views_of_personal_data_and_refusals_are_audited_with_the_address(
    client: Any, world: World
) -> None:
    sign_in(client, "ordos-officer")
    page = client.get("/persons")
    client.post("/persons/search", data={"q": "王", "_csrf_token": csrf(page.text)})
    for path in (
        "/dispatch",
        f"/cases/{world.case_east}/assess",
        f"/cases/{world.case_east}/order",
    ):
        assert client.get(path).status_code == 200
    sign_in(client, "ordos-worker")
    client.get("/work")
    assert client.get(f"/cases/{world.case_east}").status_code == 403
    with world.svc.engine.connect() as conn:
        rows = conn.execute(
            select(
                audit_log.c.username, audit_log.c.action, audit_log.c.client_ip, audit_log.c.detail
            )
        ).all()
    actions = {(r[0], r[1]) for r in rows}
    assert {
        ("ordos-officer", "person.search"),
        ("ordos-officer", "dispatch.view"),
        ("ordos-officer", "assess.view"),
        ("ordos-officer", "order.form"),
        ("ordos-worker", "work.view"),
        ("ordos-worker", "refused"),
    } <= actions
    assert all(r[2] == "testclient" for r in rows)  # the client address, on every row
    refusal = next(r[3] for r in rows if r[1] == "refused")
    assert refusal["rule"] == "access"


# --- 11: CSRF exclusions are anchored --------------------------------------------------------
@litestar.post("/reports/api-usage", sync_to_thread=False)
def api_usage_report() -> str:
    return "done"


def test_csrf_is_checked_on_pages_whose_path_contains_api(world: World) -> None:
    app = create_app(world.svc, extra_routes=[api_usage_report], secret_key=SECRET)
    with TestClient(app, base_url="https://testserver.local") as c:
        c.get("/login")
        assert c.post("/reports/api-usage").status_code == 403  # no token: refused
        token = cookie(c, "jiuzhu_csrf")
        assert c.post("/reports/api-usage", data={"_csrf_token": token}).status_code == 201


def test_a_page_password_form_still_signs_in(client: Any, world: World) -> None:
    assert sign_in(client, "ordos-officer", PASSWORD).status_code == 303
