"""Items map to kinds by name keywords; a region's service_kinds.toml overrides them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jiuzhu.core.base import ConfigError
from jiuzhu.core.plugins import Regions, load_region_dir
from jiuzhu.plugins.compare.kinds import KINDS, item_kinds, kind_by_keyword


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("按摩理疗", "康复"),
        ("全屋清洁", "助洁"),
        ("节庆慰问", "慰问"),
        ("就业培训", "技能培训"),
        ("就业能力提升与资源链接", "就业链接"),
        ("康复护理", "康复"),
        ("上门做饭/助餐", "助餐"),
        ("清洗耳垢", "个人护理"),
        ("透析接送", "陪诊"),
        ("免费接送", "助学"),
        ("照料护理情况评估", ""),
    ],
)
def test_keywords(name: str, kind: str) -> None:
    assert kind_by_keyword(name) == kind


def test_every_region_offers_most_kinds(regions: Regions) -> None:
    """Most kinds, or — a narrow list such as Qiaojia's (生活照护和关爱支持) — a kind for
    every item."""
    for region in regions:
        kinds = item_kinds(region)
        assert set(kinds.values()) <= {*KINDS, ""}
        offered = {k for k in kinds.values() if k}
        assert len(offered) >= 10 or all(kinds.values()), region.id


def test_service_kinds_file(regions: Regions, tmp_path: Path) -> None:
    ordos = regions.get("ordos")
    data = tmp_path / "ordos"
    shutil.copytree(ordos.data_dir, data)
    (data / "service_kinds.toml").write_text(
        'illustrative = true\n[items]\nhome_repair = "助行"\nfestival_visit = ""\n',
        encoding="utf-8",
    )
    region = load_region_dir(regions.pm, data)
    kinds = item_kinds(region)
    assert kinds["home_repair"] == "助行" and kinds["festival_visit"] == ""
    assert kinds["massage"] == "康复"
    assert item_kinds(region, {"massage": "助浴"})["massage"] == "助浴"

    (data / "service_kinds.toml").write_text(
        '[items]\nno_such_item = "助行"\nmassage = "飞行"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        load_region_dir(regions.pm, data)
    text = str(err.value)
    assert "service_kinds.toml: items.no_such_item: not an item" in text
    assert "service_kinds.toml: items.massage: unknown kind of service '飞行'" in text
