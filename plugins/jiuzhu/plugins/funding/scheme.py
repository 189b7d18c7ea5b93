"""Funding sources and the shares that split a spend among them (funding.toml)."""

from __future__ import annotations

from datetime import date

from jiuzhu.core.base import Base


class FundingSource(Base, frozen=True, kw_only=True):
    code: str
    name: str
    level: str = ""  # 中央/省/州/县 …
    source: str = ""
    illustrative: bool = False


class ShareOverride(Base, frozen=True, kw_only=True):
    """Different shares for spends on these categories."""

    categories: list[str]
    shares: dict[str, int]


class FundingVersion(Base, frozen=True, kw_only=True):
    valid_from: date
    shares: dict[str, int]  # source code -> percent
    overrides: list[ShareOverride] = []
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        for where, shares in [("shares", self.shares)] + [
            (f"overrides[{i}].shares", o.shares) for i, o in enumerate(self.overrides)
        ]:
            if any(v < 0 for v in shares.values()):
                raise ValueError(f"{where}: shares must not be negative")
            if sum(shares.values()) != 100:
                raise ValueError(f"{where}: shares must sum to 100%, got {sum(shares.values())}%")


class FundingScheme(Base, frozen=True, kw_only=True):
    name: str
    sources: list[FundingSource]
    versions: list[FundingVersion]

    def __post_init__(self) -> None:
        codes = [s.code for s in self.sources]
        if len(set(codes)) != len(codes):
            raise ValueError("funding source codes must be unique")
        for i, v in enumerate(self.versions):
            for where, shares in [("shares", v.shares)] + [
                (f"overrides[{j}].shares", o.shares) for j, o in enumerate(v.overrides)
            ]:
                unknown = sorted(set(shares) - set(codes))
                if unknown:
                    raise ValueError(
                        f"versions[{i}].{where}: unknown funding sources {unknown}; known: {codes}"
                    )

    def summary_text(self) -> str:
        names = {s.code: s.name for s in self.sources}
        lines = [self.name]
        for fv in self.versions:
            shares = ", ".join(f"{names[k]} {p}%" for k, p in fv.shares.items())
            mark = " [示例]" if fv.illustrative else ""
            lines.append(f"  from {fv.valid_from}: {shares}{mark}")
        return "\n".join(lines)
