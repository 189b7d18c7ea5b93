"""Each hook, exercised through a small plugin registered next to the built-ins."""

from __future__ import annotations

import types
from datetime import date

import numpy as np
from litestar import get
from litestar.testing import TestClient

from jiuzhu.core import hookimpl
from jiuzhu.core.access import Actor, Role, access_registry
from jiuzhu.core.base import Base
from jiuzhu.core.facts import PersonFacts, Population
from jiuzhu.core.plugins import load_regions, make_plugin_manager
from jiuzhu.core.services import Services
from jiuzhu.core.services.users import add_user, create_token
from jiuzhu.core.supervision import ProviderStanding, ProviderStats
from jiuzhu.core.testing import all_builtin_plugins


def manager_with(disable: tuple[str, ...] = (), **hooks: object):
    mod = types.ModuleType("extra")
    for name, fn in hooks.items():
        setattr(mod, name, fn)
    return make_plugin_manager(
        entry_points=False, plugins=[*all_builtin_plugins(), ("extra", mod)], disable=disable
    )


def test_jiuzhu_register_regions_and_jiuzhu_region_sections(tmp_path):
    import shutil
    from pathlib import Path

    import jiuzhu.regions.binzhou as binzhou
    from jiuzhu.core import RegionSource

    data = tmp_path / "data"
    shutil.copytree(Path(binzhou.__file__).parent / "data", data)
    text = (data / "region.toml").read_text(encoding="utf-8")
    (data / "region.toml").write_text(
        text.replace('id = "binzhou"', 'id = "copyland"', 1), encoding="utf-8"
    )
    (data / "warnings.toml").write_text("medical_expense_fen = 600000\n", encoding="utf-8")

    class Warnings(Base, frozen=True, kw_only=True):
        medical_expense_fen: int

    @hookimpl
    def jiuzhu_register_regions(register):
        register(RegionSource(id="copyland", data_dir=data))

    @hookimpl
    def jiuzhu_region_sections(register):
        register("warnings", Warnings)

    regions = load_regions(
        manager_with(
            jiuzhu_register_regions=jiuzhu_register_regions,
            jiuzhu_region_sections=jiuzhu_region_sections,
        )
    )
    assert regions.get("copyland").sections["warnings"].medical_expense_fen == 600000


def test_jiuzhu_check_region_problems_are_reported():
    import pytest

    from jiuzhu.core.base import ConfigError

    @hookimpl
    def jiuzhu_check_region(region):
        return (
            [f"{region.data_dir}/catalogue.toml: items: too few"] if region.id == "ordos" else None
        )

    with pytest.raises(ConfigError, match=r"catalogue\.toml: items: too few"):
        load_regions(manager_with(jiuzhu_check_region=jiuzhu_check_region))


def test_jiuzhu_eligibility_override_wins_over_the_builtin():
    from jiuzhu.core.rules import Eligibility, RuleLabel

    @hookimpl(tryfirst=True)
    def jiuzhu_eligibility(region, people, on):
        n = len(people)
        return Eligibility(
            eligible=np.ones(n, bool),
            qualifies_by=np.zeros(n, np.int64),
            excluded_by=np.full(n, -1, np.int64),
            includes=(RuleLabel("all", "人人有份"),),
            excludes=(),
            rule_version="test",
        )

    regions = load_regions(manager_with(jiuzhu_eligibility=jiuzhu_eligibility))
    result = regions.eligibility(
        regions.get("ordos"), Population.of([PersonFacts(age=80)]), date(2025, 1, 1)
    )
    assert result.eligible[0] and result.reasons(0) == ["符合：人人有份"]


def test_jiuzhu_entitlement_rule_and_jiuzhu_funding_rule_builtins(regions):
    ordos = regions.get("ordos")
    rule = regions.pm.hook.jiuzhu_entitlement_rule(
        region=ordos, on=date(2025, 1, 1), level="", people=Population.of([])
    )
    assert (rule.scheme, rule.unit, rule.kind, rule.period) == (
        "tiered_budget",
        "fen",
        "cap",
        "year",
    )
    assert [b.cap for b in rule.buckets()] == [40000, 40000, 20000]
    funding = regions.pm.hook.jiuzhu_funding_rule(region=ordos, on=date(2025, 1, 1))
    parts = funding.split(np.array([12345, 1]), np.array(["basic", "basic"]))
    assert parts.sum(axis=1).tolist() == [12345, 1]


def test_jiuzhu_budget_rule_is_the_fallback_seen_as_fen_cap_year():
    """A plugin written against the original hook still grants money tiers: the core wraps
    its BudgetRule when no plugin answers jiuzhu_entitlement_rule."""
    from jiuzhu.plugins.tiered_budget import BudgetScheme, TieredBudget, version_for

    @hookimpl
    def jiuzhu_region_sections(register):
        register("budget", BudgetScheme)

    @hookimpl
    def jiuzhu_budget_rule(region, on):
        scheme = region.section("budget", BudgetScheme)
        if scheme is None:
            return None
        version = version_for(scheme, on, "", Population.of([]))
        return None if version is None else TieredBudget(version)

    regions = load_regions(
        manager_with(
            disable=("tiered_budget",),
            jiuzhu_region_sections=jiuzhu_region_sections,
            jiuzhu_budget_rule=jiuzhu_budget_rule,
        )
    )
    rule = regions.entitlement_rule(regions.get("ordos"), date(2025, 1, 1))
    assert rule is not None
    assert (rule.scheme, rule.unit, rule.kind, rule.period) == ("budget_rule", "fen", "cap", "year")
    assert rule.label == "budget@2024-01-01"
    assert [b.cap for b in rule.buckets()] == [40000, 40000, 20000]
    assert rule.review_stages() == [1, 2]
    alloc = rule.allocate(
        np.array([[40000, 0, 0]]), np.array([0]), np.array([100]), np.array(["basic"])
    )
    assert alloc.tier[0] == -1 and "第一阶段" in (alloc.refusal[0] or "")


def test_jiuzhu_provider_light_builtin_and_override(regions):
    region = regions.get("binzhou")
    bad = ProviderStats(provider_id=1, ratings=50, mean_score=2.0, satisfied_share=0.3)
    red = regions.pm.hook.jiuzhu_provider_light(region=region, stats=bad)
    assert (red.code, red.label, red.blocks_dispatch) == ("red", "红灯", True)

    @hookimpl(tryfirst=True)
    def jiuzhu_provider_light(region, stats):
        return ProviderStanding(code="probation", label="观察期", reason="新机构")

    pm = manager_with(jiuzhu_provider_light=jiuzhu_provider_light)
    standing = pm.hook.jiuzhu_provider_light(region=region, stats=bad)
    assert standing.code == "probation" and not standing.blocks_dispatch


def test_jiuzhu_case_event_sees_committed_events(engine, regions):
    seen: list[str] = []

    @hookimpl
    def jiuzhu_case_event(region, event):
        seen.append(event.kind)

    regs = load_regions(manager_with(jiuzhu_case_event=jiuzhu_case_event))
    svc = Services(engine=engine, regions=regs)
    from jiuzhu.core.services.cases import open_case
    from tests.loop.helpers import new_person

    actor = Actor(username="t", role=Role.ADMIN, region_id="ordos", area_code="150600")
    pid = new_person(svc, actor, regs.get("ordos"))
    open_case(svc, actor, pid)
    assert seen == ["case.opened"]


def test_jiuzhu_web_routes_mounts_under_api_with_access(engine):
    @get("/extra/ping", sync_to_thread=False)
    def ping(actor: Actor) -> dict[str, str]:
        return {"user": actor.username}

    @hookimpl
    def jiuzhu_web_routes(register):
        register(ping)

    from jiuzhu.core.web.app import create_app

    regs = load_regions(manager_with(jiuzhu_web_routes=jiuzhu_web_routes))
    svc = Services(engine=engine, regions=regs)
    add_user(svc, "hooktester", "a-long-password", "officer", "ordos", "150600")
    token = create_token(svc, "hooktester")
    with TestClient(create_app(svc)) as client:
        assert client.get("/api/extra/ping").status_code == 401
        ok = client.get("/api/extra/ping", headers={"Authorization": f"Bearer {token}"})
        assert ok.json() == {"user": "hooktester"}


def test_jiuzhu_case_event_never_sees_rolled_back_events(engine):
    """A unit of work that fails notifies nothing, even for events it appended first."""
    import pytest

    from jiuzhu.core.base import Refused
    from jiuzhu.core.services import append_event

    seen: list[str] = []

    @hookimpl
    def jiuzhu_case_event(region, event):
        seen.append(event.kind)

    regs = load_regions(manager_with(jiuzhu_case_event=jiuzhu_case_event))
    svc = Services(engine=engine, regions=regs)
    from jiuzhu.core.services.cases import open_case
    from tests.loop.helpers import new_person

    actor = Actor(username="t", role=Role.ADMIN, region_id="ordos", area_code="150600")
    case = open_case(svc, actor, new_person(svc, actor, regs.get("ordos")))
    with pytest.raises(Refused), svc.transaction() as conn:
        append_event(svc, conn, regs.get("ordos"), case.id, "t", "note.added")
        raise Refused("test", "refused after appending")
    assert seen == ["case.opened"]
    with pytest.raises(RuntimeError, match="unit of work"), engine.begin() as conn:
        append_event(svc, conn, regs.get("ordos"), case.id, "t", "note.added")


def test_jiuzhu_migrations_a_plugin_owns_its_tables(tmp_path):
    """A plugin's own Alembic branch: upgraded with the core's, shown among the heads."""
    from pathlib import Path

    from sqlalchemy import inspect as sa_inspect

    from jiuzhu.core.storage import migrate
    from jiuzhu.core.storage.engine import make_engine

    versions = tmp_path / "migrations"
    versions.mkdir()
    (versions / "gifts_0001.py").write_text(
        """
import sqlalchemy as sa
from alembic import op

revision = "gifts_0001"
down_revision = None
branch_labels = ("gifts",)
depends_on = "0004_core_model"


def upgrade():
    op.create_table(
        "gifts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id")),
    )


def downgrade():
    op.drop_table("gifts")
""",
        encoding="utf-8",
    )

    @hookimpl
    def jiuzhu_migrations(register):
        register(Path(versions), "gifts")

    pm = manager_with(jiuzhu_migrations=jiuzhu_migrations)
    engine = make_engine(f"sqlite:///{tmp_path / 'gifts.db'}")
    assert "gifts_0001" in migrate.heads(pm)
    migrate.upgrade(engine, pm)
    assert "gifts" in sa_inspect(engine).get_table_names()
    assert migrate.current_heads(engine, pm) == migrate.heads(pm)

    @hookimpl
    def jiuzhu_migrations_twice(register):
        register(Path(versions), "one_form")

    import pytest

    clash = types.ModuleType("clash")
    clash.jiuzhu_migrations = jiuzhu_migrations_twice  # type: ignore[attr-defined]
    clash.jiuzhu_migrations.__name__ = "jiuzhu_migrations"
    bad = make_plugin_manager(
        entry_points=False, plugins=[*all_builtin_plugins(), ("clash", clash)]
    )
    with pytest.raises(migrate.MigrationError, match="branch 'one_form'"):
        migrate.heads(bad)


def test_jiuzhu_page_sections_reach_the_home_page(engine):
    from jiuzhu.core.sections import PageSection
    from jiuzhu.core.web.pages.common import page_sections

    @hookimpl
    def jiuzhu_page_sections(page, svc, actor, key):
        if page != "home":
            return None
        return [
            PageSection(
                key="hello", title="问候", columns=[("who", "谁")], rows=[{"who": actor.username}]
            )
        ]

    regs = load_regions(manager_with(jiuzhu_page_sections=jiuzhu_page_sections))
    svc = Services(engine=engine, regions=regs)
    actor = access_registry(regs.pm).actor(
        username="甲", role=Role.OFFICER, region_id="ordos", area_code="150600"
    )
    found = page_sections(svc, actor, "home")
    assert [s.key for s in found] == ["hello"] and found[0].rows == [{"who": "甲"}]
    assert page_sections(svc, actor, "household", 1)[-1].key != "hello"
