"""The app for process managers: `uvicorn --factory jiuzhu.core.web.entry:app` (what
`jiuzhu serve --workers N` runs in each worker process).

Everything comes from the environment: JIUZHU_DATABASE_URL, JIUZHU_SECRET_KEY,
JIUZHU_DISABLE_PLUGINS. The schema must be at every head (`jiuzhu db upgrade` first).
"""

from __future__ import annotations

from litestar import Litestar

from ..plugins import load_regions, make_plugin_manager
from ..services import Services
from ..storage import migrate
from ..storage.engine import database_url, make_engine
from ..storage.urls import check_url
from .app import create_app
from .logs import configure


def app() -> Litestar:
    configure()  # each worker process logs as `jiuzhu serve` does (JIUZHU_LOG_FORMAT)
    engine = make_engine(check_url(database_url()))
    pm = make_plugin_manager()
    migrate.require_current(engine, pm)
    return create_app(Services(engine=engine, regions=load_regions(pm)))
