# jiuzhu as a container image: the same two commands as a host install (docs/deploy.md):
# `jiuzhu db upgrade`, then `jiuzhu serve`. Configure it with environment variables:
#   JIUZHU_DATABASE_URL  postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE   (required)
#   JIUZHU_SECRET_KEY    at least 32 characters, shared by every container         (required)
#   JIUZHU_WORKERS       server processes in this container (default: one per core on
#                        PostgreSQL, 1 on SQLite)
#   FORWARDED_ALLOW_IPS  the reverse proxy's address, so X-Forwarded-* are trusted
# Build: docker build -t jiuzhu .   Run: see docs/deploy.md.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    JIUZHU_HOST=0.0.0.0 \
    JIUZHU_PORT=8000

WORKDIR /opt/jiuzhu
COPY pyproject.toml README.md ./
COPY core ./core
COPY plugins ./plugins
COPY regions ./regions
COPY scripts ./scripts

# the project itself, with its pinned-by-range dependencies from pyproject.toml
# hadolint ignore=DL3013
RUN pip install --no-cache-dir '.[postgres]' && jiuzhu --version

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin jiuzhu
USER 10001

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['JIUZHU_PORT']}/login\", timeout=4)"]
CMD ["sh", "-c", "jiuzhu db upgrade && exec jiuzhu serve"]
