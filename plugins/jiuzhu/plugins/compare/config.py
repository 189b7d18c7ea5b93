"""The staffing rules a region sets for its providers (staffing.toml), used to size the
provider staff a plan requires."""

from __future__ import annotations

from jiuzhu.core.base import Base


class Staffing(Base, frozen=True, kw_only=True):
    hours_per_worker_per_year: int = 1600  # service hours one full-time worker delivers
    min_team_size: int = 1  # full-time staff per provider team
    min_intermediate_social_workers: int = 0  # 中级社工师 per team
    min_junior_social_workers: int = 0  # 助理社工师 per team
    max_recipients_per_team: int | None = None
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        if self.hours_per_worker_per_year <= 0 or self.min_team_size <= 0:
            raise ValueError("hours_per_worker_per_year and min_team_size must be positive")
        if self.min_intermediate_social_workers + self.min_junior_social_workers > (
            self.min_team_size
        ):
            raise ValueError("certified social workers cannot outnumber the team")
        if not self.source and not self.illustrative:
            raise ValueError("name a source or mark the staffing rule illustrative = true")
