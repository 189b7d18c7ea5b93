"""The reference for benchmarks/api_bench.py: Litestar's hello world, served by uvicorn
exactly as `jiuzhu serve` serves jiuzhu (same uvicorn.run arguments).

    python benchmarks/hello_app.py PORT WORKERS
"""

from __future__ import annotations

import sys

import uvicorn
from litestar import Litestar, get


@get("/hello", sync_to_thread=False)
def hello() -> dict[str, str]:
    return {"hello": "world"}


def app() -> Litestar:
    return Litestar(route_handlers=[hello], logging_config=None)


if __name__ == "__main__":
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    uvicorn.run(
        "hello_app:app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )
