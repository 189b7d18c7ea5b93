"""One test per hook, the datasette way: tests/fixtures/all_hooks implements every hook
(for its own region, fixtureland) and is registered next to the built-in plugins.
tests/core/test_docs.py checks that every hook has its `test_hook_<name>` here."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pluggy
import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

import tests.fixtures.all_hooks as all_hooks
from jiuzhu.core.access import Actor, Role
from jiuzhu.core.base import ConfigError, Invalid, Refused
from jiuzhu.core.facts import PersonFacts, Population
from jiuzhu.core.plugins import Regions, load_region_dir, load_regions, make_plugin_manager
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import open_case
from jiuzhu.core.services.users import add_user, create_token
from jiuzhu.core.supervision import ProviderStats
from jiuzhu.core.testing import all_builtin_plugins
from jiuzhu.core.web.app import create_app

from ..loop.helpers import new_person
from ..web.conftest import SECRET, sign_in

DATA = Path(all_hooks.__file__).parent / "data"
ON = date(2025, 6, 1)


@pytest.fixture(scope="module")
def pm() -> pluggy.PluginManager:
    return make_plugin_manager(
        entry_points=False, plugins=[*all_builtin_plugins(), ("all_hooks", all_hooks)]
    )


@pytest.fixture(scope="module")
def fx(pm: pluggy.PluginManager) -> Regions:
    return load_regions(pm)


def test_fixture_plugin_implements_every_hook(pm: pluggy.PluginManager) -> None:
    from jiuzhu.core import hookspecs

    specs = {n for n in dir(hookspecs) if n.startswith("jiuzhu_")}
    implemented = {c.name for c in pm.get_hookcallers(all_hooks) or []}
    assert implemented == specs


def test_hook_jiuzhu_cli_commands(
    pm: pluggy.PluginManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept for plugins written before the jiuzhu.commands entry point: their command runs
    when typed (the plugins load for a name found nowhere else); --help lists declared ones."""
    from click.testing import CliRunner

    from jiuzhu.core import cli as core_cli

    monkeypatch.setattr(core_cli, "make_plugin_manager", lambda: pm)
    ran = CliRunner().invoke(core_cli.cli, ["fixture-legacy"])
    assert ran.exit_code == 0, ran.output
    assert ran.output == "added by the jiuzhu_cli_commands hook\n"
    listed = CliRunner().invoke(core_cli.cli, ["--help"])
    assert "fixture-legacy" not in listed.output
    unknown = CliRunner().invoke(core_cli.cli, ["fixture-nothing"])
    assert unknown.exit_code == 2 and "No such command" in unknown.output


def test_hook_jiuzhu_register_regions(fx: Regions) -> None:
    assert "fixtureland" in fx.by_id and "ordos" in fx.by_id
    source = fx.sources["fixtureland"]
    assert source.plugin == "all_hooks" and source.data_dir == DATA


def test_hook_jiuzhu_region_sections(fx: Regions) -> None:
    warnings = fx.get("fixtureland").section("warnings", all_hooks.Warnings)
    assert warnings is not None
    assert warnings.medical_expense_fen == 600000 and warnings.watched_items == ["escort"]
    assert fx.get("ordos").section("warnings", all_hooks.Warnings) is None


def test_hook_jiuzhu_check_region(pm: pluggy.PluginManager, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    text = (data / "warnings.toml").read_text(encoding="utf-8")
    (data / "warnings.toml").write_text(text.replace('"escort"', '"nope"'), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_region_dir(pm, data)
    assert err.value.problems == [
        f"{data / 'warnings.toml'}: watched_items: 'nope' is not a catalogue item"
    ]


def test_hook_jiuzhu_eligibility(fx: Regions) -> None:
    people = Population.of(
        [PersonFacts(age=70), PersonFacts(age=30, groups=frozenset({"低保"}), disability_grade=4)]
    )
    mine = fx.eligibility(fx.get("fixtureland"), people, ON)
    assert mine.eligible.tolist() == [True, False] and mine.rule_version == "fixture@1"
    # the built-in rule still decides for the other regions
    ordos = fx.eligibility(fx.get("ordos"), people, ON)
    assert ordos.eligible.tolist() == [False, True]


def test_hook_jiuzhu_budget_rule(fx: Regions) -> None:
    """The original hook: answered by the fixture for fixtureland; the core sees its rule
    as a yearly money cap when no plugin answers jiuzhu_entitlement_rule."""
    hook = fx.pm.hook.jiuzhu_budget_rule
    assert hook(region=fx.get("fixtureland"), on=ON).caps() == [25000, 25000]
    assert hook(region=fx.get("ordos"), on=ON).caps() == [40000, 40000, 20000]
    seen = fx.entitlement_rule(fx.get("fixtureland"), ON, "")  # no level: the fallback
    assert seen is not None
    assert (seen.scheme, seen.unit, seen.kind, seen.period) == (
        "tiered_budget",
        "fen",
        "cap",
        "year",
    )


def test_hook_jiuzhu_entitlement_rule(fx: Regions) -> None:
    floor = fx.entitlement_rule(fx.get("fixtureland"), ON, "需照护")
    assert floor is not None and (floor.unit, floor.kind, floor.period) == (
        "minutes",
        "floor",
        "month",
    )
    assert [(b.cap, b.min_days) for b in floor.buckets()] == [(600, 8)]
    ordos = fx.entitlement_rule(fx.get("ordos"), ON, "需照护")  # built in: tiered budget
    assert ordos is not None and [b.cap for b in ordos.buckets()] == [40000, 40000, 20000]


def test_hook_jiuzhu_register_instruments(fx: Regions) -> None:
    from jiuzhu.core.plugins import instruments

    provided = instruments(fx.pm)
    assert {"fixture_scale", "gbt42195"} <= set(provided)
    assert [lv.name for lv in provided["fixture_scale"].levels] == ["需照护", "无需照护"]


def test_hook_jiuzhu_register_roles(engine: Engine, fx: Regions) -> None:
    from jiuzhu.core.access import access_registry

    registry = access_registry(fx.pm)
    assert registry.role("fixture_inspector").label == "夹具巡查员"
    assert "approver" in registry.roles  # the one-form's, registered the same way
    inspector = registry.actor(
        username="t", role="fixture_inspector", region_id="fixtureland", area_code="150699"
    )
    assert inspector.can("stats.read") and inspector.can("fixture.inspect")
    assert not inspector.can("case.read") and inspector.label == "夹具巡查员"
    svc = Services(engine=engine, regions=fx)
    user = add_user(
        svc, "fx-inspector", "horse-battery-staple-47", "fixture_inspector", "fixtureland", "150699"
    )
    assert user.actor(registry).can("fixture.inspect")
    with pytest.raises(Invalid, match="fixture_inspector"):
        add_user(svc, "fx-x", "horse-battery-staple-47", "inspector", "fixtureland", "150699")


def test_hook_jiuzhu_register_permissions(fx: Regions) -> None:
    from jiuzhu.core.access import Permission, RoleDef, access_registry, build_registry

    registry = access_registry(fx.pm)
    assert registry.holders("fixture.inspect") == {"fixture_inspector", "officer", "system"}
    officer = registry.actor(username="t", role="officer", region_id="r", area_code="1")
    officer.require("fixture.inspect")
    clerk = registry.actor(username="t", role="clerk", region_id="r", area_code="1")
    with pytest.raises(Refused, match=r"fixture\.inspect"):
        clerk.require("fixture.inspect")
    # what a plugin cannot do: take a name twice, grant to a role nobody registered
    role = RoleDef(name="r1", label="一")

    def roles(register: Any) -> None:
        register(role)

    def twice(register: Any) -> None:
        register(Permission(name="p", description="d"))
        register(Permission(name="p", description="d"))

    def stranger(register: Any) -> None:
        register(Permission(name="q", description="d", roles=("nobody",)))

    with pytest.raises(ValueError, match="two plugins register a role 'r1'"):
        build_registry([("a", roles), ("b", roles)], [])
    with pytest.raises(ValueError, match="two plugins register a permission 'p'"):
        build_registry([("a", roles)], [("x", twice)])
    with pytest.raises(ValueError, match=r"unknown roles \['nobody'\]"):
        build_registry([("a", roles)], [("x", stranger)])


def test_hook_jiuzhu_migrations(fx: Regions, tmp_path: Path) -> None:
    from sqlalchemy import inspect as sa_inspect

    from jiuzhu.core.storage import migrate
    from jiuzhu.core.storage.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'fixture.db'}")
    assert "fixture_0001" in migrate.heads(fx.pm)
    migrate.upgrade(engine, fx.pm)
    assert "fixture_notes" in sa_inspect(engine).get_table_names()
    assert migrate.state(engine, fx.pm).up_to_date
    assert not migrate.state(engine).up_to_date  # a jiuzhu without the plugin: unknown


def test_hook_jiuzhu_page_sections(engine: Engine, fx: Regions) -> None:
    from jiuzhu.core.web.pages.common import page_sections

    svc = Services(engine=engine, regions=fx)
    actor = Actor(username="t", role=Role.OFFICER, region_id="fixtureland", area_code="150699")
    home = page_sections(svc, actor, "home")
    assert [(s.key, s.rows) for s in home if s.key.startswith("fixture")] == [
        ("fixture.home", [{"what": "home:None"}])
    ]
    other = Actor(username="t", role=Role.OFFICER, region_id="ordos", area_code="150600")
    assert not [s for s in page_sections(svc, other, "home") if s.key.startswith("fixture")]


def test_hook_jiuzhu_funding_rule(fx: Regions) -> None:
    rule = fx.funding_rule(fx.get("fixtureland"), ON)
    parts = rule.split(np.array([12345]), np.array(["care"]))
    assert parts.tolist() == [[0, 12345]]
    ordos = fx.funding_rule(fx.get("ordos"), ON)
    assert ordos.split(np.array([12345]), np.array(["basic"])).sum() == 12345


def test_hook_jiuzhu_provider_light(fx: Regions) -> None:
    late = ProviderStats(provider_id=1, orders_done=10, orders_overdue=1)
    hook = fx.pm.hook.jiuzhu_provider_light
    mine = hook(region=fx.get("fixtureland"), stats=late)
    assert (mine.code, mine.label, mine.blocks_dispatch) == ("late", "超时整改", False)
    bad = ProviderStats(provider_id=2, ratings=50, mean_score=2.0, satisfied_share=0.3)
    red = hook(region=fx.get("binzhou"), stats=bad)  # the built-in traffic light
    assert (red.code, red.blocks_dispatch) == ("red", True)


def test_hook_jiuzhu_register_labels(fx: Regions) -> None:
    from jiuzhu.core.web.labels import UNKNOWN, Labels, labels_for

    land = labels_for(fx.pm, fx.get("fixtureland"))
    assert land.event("fixture.inspected") == "夹具检查"
    assert land.event("order.placed") == "点单"  # the core's own
    assert land.policy("fixture_relief") == "夹具救助"
    assert land.event("fixture.never_registered") == UNKNOWN
    # region data: the one-form's policy names are the region's own
    ordos = labels_for(fx.pm, fx.get("ordos"))
    assert ordos.policy("fixture_relief") == "fixture_relief"
    assert ordos.policy("temp_relief") == "临时救助"
    assert ordos.event("application.task_decided") == "部门审批"
    assert labels_for(fx.pm, fx.get("ordos")) is ordos  # built once
    with pytest.raises(ValueError, match="unknown kind of label 'colour'"):
        Labels().register("colour", {"red": "红"})
    with pytest.raises(ValueError, match="empty label"):
        Labels().register("event", {"x.y": " "})


def test_hook_jiuzhu_found_by_warnings(fx: Regions) -> None:
    from jiuzhu.core.facts import PersonFacts, Population

    people = Population.of(
        [PersonFacts(age=50, major_illness=True), PersonFacts(age=40), PersonFacts(age=70)]
    )
    hook = fx.pm.hook.jiuzhu_found_by_warnings
    found = hook(region=fx.get("fixtureland"), people=people, on=ON)
    assert list(found) == ["大额医疗支出"] and found["大额医疗支出"].tolist() == [
        True,
        False,
        False,
    ]
    assert hook(region=fx.get("binzhou"), people=people, on=ON) is None  # nobody models it


def test_hook_jiuzhu_case_event(engine: Engine, fx: Regions) -> None:
    svc = Services(engine=engine, regions=fx)
    region = fx.get("fixtureland")
    actor = Actor(username="t", role=Role.ADMIN, region_id=region.id, area_code=region.info.code)
    all_hooks.SEEN_EVENTS.clear()
    open_case(svc, actor, new_person(svc, actor, region))
    assert all_hooks.SEEN_EVENTS == [("fixtureland", "case.opened")]


def test_hook_jiuzhu_warning_rules(pm: pluggy.PluginManager) -> None:
    from jiuzhu.plugins.monitoring.config import Rule
    from jiuzhu.plugins.monitoring.rules import Data, FeedFrame, rule_kinds

    kinds = rule_kinds(pm)
    assert {"threshold", "window", "all", "any", "score", "fixture_on_file"} <= set(kinds)
    frame = FeedFrame(
        subject=np.array([2, 0], dtype=np.int64),
        day=np.zeros(2, dtype=np.int64),
        row_id=np.array([10, 11], dtype=np.int64),
    )
    rule = Rule(
        code="x", name="在册", kind="fixture_on_file", level="yellow", feed="f", illustrative=True
    )
    hits = kinds["fixture_on_file"].evaluate(rule, Data(subjects=3, feeds={"f": frame}), {})
    assert hits.flagged.tolist() == [True, False, True]
    assert hits.row.tolist() == [11, -1, 10]


def test_hook_jiuzhu_demo_data(engine: Engine, fx: Regions) -> None:
    from jiuzhu.core.demo import load_demo

    svc = Services(engine=engine, regions=fx)
    first = list(load_demo(svc, ["fixtureland"]))
    assert "fixtureland: fixture demo data" in first
    again = list(load_demo(svc, ["fixtureland"]))
    assert "fixtureland: fixture demo data" not in again  # idempotent: nothing added twice
    assert all_hooks.DEMO_CALLS.count("fixtureland") >= 2


def test_hook_jiuzhu_web_routes(engine: Engine, fx: Regions) -> None:
    svc = Services(engine=engine, regions=fx)
    add_user(svc, "fx-officer", "horse-battery-staple-47", "officer", "fixtureland", "150699")
    token = create_token(svc, "fx-officer")
    with TestClient(
        create_app(svc, secret_key=SECRET), base_url="https://testserver.local"
    ) as client:
        assert client.get("/api/fixture/ping").status_code == 401
        ok = client.get("/api/fixture/ping", headers={"Authorization": f"Bearer {token}"})
        assert ok.json() == {"user": "fx-officer", "region": "fixtureland"}


def test_hook_jiuzhu_web_pages(engine: Engine, fx: Regions) -> None:
    svc = Services(engine=engine, regions=fx)
    add_user(svc, "fx-officer", "horse-battery-staple-47", "officer", "fixtureland", "150699")
    with TestClient(
        create_app(svc, secret_key=SECRET), base_url="https://testserver.local"
    ) as client:
        anonymous = client.get("/fixture/hello", follow_redirects=False)
        assert anonymous.status_code in (302, 303)
        assert sign_in(client, "fx-officer", "horse-battery-staple-47").status_code == 303
        hello = client.get("/fixture/hello")
        assert hello.status_code == 200
        assert "夹具页面：fx-officer" in hello.text
        assert 'href="/fixture/hello"' in client.get("/").text  # linked from the menu
