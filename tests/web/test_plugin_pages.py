"""The jiuzhu_web_pages hook: plugin pages get the session actor, CSRF, error pages, the
menu, and templates read from the plugin's own package that extend the core's base.html."""

from __future__ import annotations

import types
from typing import Annotated, Any

import litestar
import pytest
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from litestar.testing import TestClient

from jiuzhu.core import hookimpl
from jiuzhu.core.access import Actor
from jiuzhu.core.base import NotFound
from jiuzhu.core.plugins import load_regions, make_plugin_manager
from jiuzhu.core.services import Services
from jiuzhu.core.testing import all_builtin_plugins
from jiuzhu.core.web.app import create_app
from jiuzhu.core.web.pages.common import page

from .conftest import SECRET, World, csrf, sign_in

TEMPLATE = "tests.web:templates/plugin_hello.html"


@litestar.get("/hello", nav="插件菜单", permission="stats.read", sync_to_thread=False)
def hello(request: Request[Any, Any, Any], actor: Actor) -> Template:
    return page(request, actor, TEMPLATE, greeting="你好")


@litestar.post("/hello", sync_to_thread=False)
def hello_post(
    request: Request[Any, Any, Any],
    actor: Actor,
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template:
    return page(request, actor, TEMPLATE, greeting=str(data.get("word", "")))


@litestar.get("/hello/missing", sync_to_thread=False)
def missing(actor: Actor) -> None:
    raise NotFound("thing", 1)


def plugin_app(svc: Services, *handlers: Any) -> litestar.Litestar:
    @hookimpl
    def jiuzhu_web_pages(register):
        for h in handlers:
            register(h)

    mod = types.ModuleType("pages_plugin")
    mod.jiuzhu_web_pages = jiuzhu_web_pages  # type: ignore[attr-defined]
    pm = make_plugin_manager(
        entry_points=False, plugins=[*all_builtin_plugins(), ("pages_plugin", mod)]
    )
    regs = load_regions(pm)
    return create_app(Services(engine=svc.engine, regions=regs, clock=svc.clock), secret_key=SECRET)


def test_jiuzhu_web_pages_mounts_pages_with_the_session_actor(world: World) -> None:
    app = plugin_app(world.svc, hello, hello_post, missing)
    with TestClient(app, base_url="https://testserver.local") as client:
        r = client.get("/hello", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fhello"
        sign_in(client, "ordos-supervisor")
        r = client.get("/hello")
        assert r.status_code == 200
        assert "插件页面：你好" in r.text and "ordos-supervisor" in r.text
        assert 'lang="zh-CN"' in r.text and "退出登录" in r.text  # base.html around it
        assert '<a href="/hello"' in r.text and "插件菜单" in r.text  # in the menu
        assert "插件菜单" in client.get("/").text  # on built-in pages too
        # no CSRF token: refused; with it: handled
        assert client.post("/hello", data={"word": "x"}).status_code == 403
        r = client.post("/hello", data={"word": "好的", "_csrf_token": csrf(r.text)})
        assert r.status_code == 200 and "插件页面：好的" in r.text
        # the core's error pages apply
        r = client.get("/hello/missing")
        assert r.status_code == 404 and "不在您的管辖范围内" in r.text
        # the menu entry follows the permission
        sign_in(client, "ordos-worker")
        assert "插件菜单" not in client.get("/").text
        # not part of the API schema
        assert "/hello" not in client.get("/schema/openapi.json").text


def test_pages_may_not_take_api_paths(world: World) -> None:
    @litestar.get("/api/sneaky", sync_to_thread=False)
    def sneaky() -> str:
        return ""

    with pytest.raises(ValueError, match=r"sneaky .*/api/sneaky.*jiuzhu_web_routes"):
        plugin_app(world.svc, sneaky)
    with pytest.raises(TypeError, match="not a Litestar route handler"):
        plugin_app(world.svc, "not a handler")


def test_package_templates_refuse_odd_names() -> None:
    import jinja2

    from jiuzhu.core.web.pages.plugin import PackageTemplates

    loader = PackageTemplates()
    env = jinja2.Environment(loader=loader)
    source, filename, _ = loader.get_source(env, TEMPLATE)
    assert "插件页面" in source and filename and filename.endswith("plugin_hello.html")
    for name in (
        "tests.web:../conftest.py",
        "tests.web:templates//plugin_hello.html",
        "no_such_package:x.html",
        "os.path;x:y.html",
        "plain.html",
    ):
        with pytest.raises(jinja2.TemplateNotFound):
            env.get_template(name)
