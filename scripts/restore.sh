#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh into the database named by JIUZHU_DATABASE_URL,
# in one transaction (all or nothing), then print the schema revision it is at.
#
#   scripts/restore.sh [--replace] DUMP
#
# A database that already holds a jiuzhu schema is refused unless --replace is given (its
# tables are then dropped and recreated from the dump). Stop the jiuzhu servers first, and
# run `jiuzhu db upgrade` afterwards if the dump is older than the installed jiuzhu.
set -euo pipefail

replace=0
if [[ "${1:-}" == "--replace" ]]; then
    replace=1
    shift
fi
dump="${1:-}"
if [[ -z "$dump" || ! -f "$dump" ]]; then
    echo "error: give the dump to restore: scripts/restore.sh [--replace] backups/jiuzhu-….dump" >&2
    exit 1
fi
url="${JIUZHU_DATABASE_URL:-}"
case "$url" in
    postgresql+psycopg://* | postgresql://* | postgres://*) ;;
    *) echo "error: set JIUZHU_DATABASE_URL to the target database's postgresql+psycopg://… URL" >&2; exit 1 ;;
esac
libpq="postgresql://${url#*://}"

pg_restore --list "$dump" >/dev/null
has_schema=$(psql --no-psqlrc --tuples-only --no-align --dbname="$libpq" \
    --command="select to_regclass('public.alembic_version') is not null")
if [[ "$has_schema" == "t" && $replace -eq 0 ]]; then
    echo "error: the target database already holds a jiuzhu schema; add --replace to overwrite it" >&2
    exit 1
fi
pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
    --exit-on-error --dbname="$libpq" "$dump"
revision=$(psql --no-psqlrc --tuples-only --no-align --dbname="$libpq" \
    --command="select string_agg(version_num, ', ' order by version_num) from alembic_version")
echo "restored $dump (schema revision $revision)"
