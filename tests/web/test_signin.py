from __future__ import annotations

from typing import Any

from jiuzhu.core.web.pages.secret import load_secret

from .conftest import PASSWORD, csrf, sign_in


def test_anonymous_pages_redirect_to_login(client: Any) -> None:
    for path in ("/", "/cases/1", "/dispatch", "/work", "/supervision", "/stats", "/config"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        # back to the page asked for once signed in; no timeout said (no session ended)
        want = "/login" if path == "/" else "/login?next=" + path.replace("/", "%2F")
        assert r.headers["location"] == want


def test_login_page_is_chinese_and_mobile(client: Any) -> None:
    r = client.get("/login")
    assert r.status_code == 200
    assert 'lang="zh-CN"' in r.text and "登录" in r.text
    assert 'name="viewport"' in r.text
    assert client.get("/static/jiuzhu.css").status_code == 200


def test_sign_in_and_out(client: Any) -> None:
    r = sign_in(client, "ordos-officer")
    assert r.status_code == 303 and r.headers["location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "今日待办" in home.text
    r = client.post("/logout", data={"_csrf_token": csrf(home.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_slows_down_this_name_from_this_address(client: Any) -> None:
    for _ in range(3):  # a few honest typos cost nothing
        r = sign_in(client, "ordos-officer", "wrong-password")
        assert r.status_code == 401
        assert "用户名或密码错误" in r.text
    r = sign_in(client, "ordos-officer", PASSWORD)  # the next try must wait a moment
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "秒后再试" in r.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_post_without_csrf_token_is_refused(client: Any) -> None:
    client.get("/login")
    r = client.post("/login", data={"username": "ordos-officer", "password": PASSWORD})
    assert r.status_code == 403
    sign_in(client, "ordos-officer")
    r = client.post("/dispatch/1", data={"provider_id": "1"}, follow_redirects=False)
    assert r.status_code == 403


def test_api_is_exempt_from_csrf_but_ignores_cookies(client: Any) -> None:
    sign_in(client, "ordos-officer")
    r = client.post("/api/cases", json={"person_id": 1})
    assert r.status_code == 401  # bearer token needed; the session cookie does not count


def test_session_ends_when_idle_or_too_old(client: Any, clock: Any) -> None:
    sign_in(client, "ordos-officer")
    assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(hours=7)
    assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(hours=4, minutes=59)  # 11 h 59 min after sign-in, in use: still open
    assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(minutes=2)  # the absolute lifetime (12 h) ends it however active
    assert client.get("/", follow_redirects=False).status_code == 303
    sign_in(client, "ordos-officer")
    clock.advance(hours=8, minutes=1)  # 8 h without a request
    assert client.get("/", follow_redirects=False).status_code == 303


def test_secret_is_kept_next_to_the_sqlite_database(tmp_path: Any, monkeypatch: Any) -> None:
    from jiuzhu.core.storage.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'secret.db'}")  # the fallback is SQLite's
    monkeypatch.delenv("JIUZHU_SECRET_KEY", raising=False)
    first = load_secret(engine)
    assert (tmp_path / "secret.secret").exists()
    assert load_secret(engine) == first and len(first) == 32
    monkeypatch.setenv("JIUZHU_SECRET_KEY", "x" * 40)
    assert load_secret(engine) != first
