"""The monitoring plugin's roles: people outside the civil-affairs office who report leads."""

from __future__ import annotations

ADVISER = "adviser"  # 救助顾问: a registered volunteer who reports leads (Xingqing)
SENTINEL = "sentinel"  # 需求哨点: a contact in a residential compound (Beilin)
