"""Funding sources and the shares that split a spend among them (funding.toml)."""

from __future__ import annotations

from datetime import date

from jiuzhu.core.base import Base


class FundingSource(Base, frozen=True, kw_only=True):
    """A pot of money spends are charged to (a fiscal level, a lottery fund, charity)."""

    code: str  # used in shares and in the ledger
    name: str
    level: str = ""  # 中央/省/州/县 …
    source: str = ""
    illustrative: bool = False


class ShareOverride(Base, frozen=True, kw_only=True):
    """Different shares for spends on these categories."""

    categories: list[str]  # catalogue category codes these shares apply to
    shares: dict[str, int]  # source code -> percent; they sum to 100


class FundingVersion(Base, frozen=True, kw_only=True):
    """The shares in force from one date."""

    valid_from: date  # applies to spends from this day until the next version
    shares: dict[str, int]  # source code -> percent; they sum to 100
    overrides: list[ShareOverride] = []  # other shares for some categories
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
    """funding.toml: who pays for each spend. Splits round by the largest remainder, so
    the parts of every spend sum exactly to it."""

    name: str
    sources: list[FundingSource]  # codes are unique
    versions: list[FundingVersion]  # dated: each applies from its valid_from

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
