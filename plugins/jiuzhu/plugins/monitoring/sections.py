"""What monitoring adds to core pages: the most urgent signals of the actor's area on the
home page (to-do list) of those who verify them."""

from __future__ import annotations

from jiuzhu.core.access import Actor
from jiuzhu.core.sections import PageSection
from jiuzhu.core.services import Services
from jiuzhu.core.web.pages.common import local_time

from .config import Monitoring
from .service import list_signals


def urgent_signals(svc: Services, actor: Actor) -> list[PageSection]:
    """Open warnings and leads by deadline (the ten most urgent), for holders of
    warnings.visit in a region with monitoring."""
    if not actor.can("warnings.visit"):
        return []
    if svc.region(actor.region_id).section("monitoring", Monitoring) is None:
        return []
    rows = [
        {
            "id": s.id,
            "level": s.level_label,
            "what": s.rule_name or s.source_label,
            "who": s.name or "（未登记）",
            "due": local_time(s.due_at) + ("（已超时）" if s.overdue else ""),
        }
        for s in list_signals(svc, actor, actor.region_id, limit=10)
    ]
    return [
        PageSection(
            key="monitoring.signals",
            title="待核实的预警与线索",
            columns=[
                ("level", "等级"),
                ("what", "规则/来源"),
                ("who", "对象"),
                ("due", "响应期限"),
            ],
            rows=rows,
            link="/monitoring/warnings/{id}",
            empty="暂无待核实的预警",
            actions=[("/monitoring", "打开预警核实")],
        )
    ]
