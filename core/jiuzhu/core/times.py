"""Times are timezone-aware; stored in UTC, shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """Refuse naive datetimes instead of guessing their zone; normalise to UTC."""
    if moment.tzinfo is None:
        raise ValueError("time must carry a timezone")
    return moment.astimezone(UTC)


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def local_date(moment: datetime) -> date:
    return local(moment).date()


def shown(moment: datetime | None) -> str:
    return "" if moment is None else local(moment).strftime("%Y-%m-%d %H:%M")
