#!/usr/bin/env bash
# Back up the PostgreSQL database named by JIUZHU_DATABASE_URL with pg_dump (custom format),
# check that the dump reads back, and keep the newest JIUZHU_BACKUP_KEEP dumps (default 14).
#
#   scripts/backup.sh [FOLDER]        (default FOLDER: ./backups) — prints the dump's path
#
# Restore with scripts/restore.sh. Needs pg_dump and pg_restore of the server's major version
# or newer (Debian/Ubuntu: apt-get install postgresql-client).
set -euo pipefail

url="${JIUZHU_DATABASE_URL:-}"
if [[ -z "$url" ]]; then
    echo "error: set JIUZHU_DATABASE_URL to the database's postgresql+psycopg://… URL" >&2
    exit 1
fi
case "$url" in
    postgresql+psycopg://* | postgresql://* | postgres://*) ;;
    *) echo "error: JIUZHU_DATABASE_URL is not a PostgreSQL URL (SQLite: copy the .db file while the server is stopped)" >&2; exit 1 ;;
esac
libpq="postgresql://${url#*://}"   # pg_dump reads libpq URLs, without SQLAlchemy's +driver
folder="${1:-backups}"
keep="${JIUZHU_BACKUP_KEEP:-14}"

mkdir -p "$folder"
file="$folder/jiuzhu-$(date -u +%Y%m%dT%H%M%SZ).dump"
trap 'rm -f "$file.partial"' EXIT
pg_dump --format=custom --no-owner --no-privileges --file="$file.partial" "$libpq"
pg_restore --list "$file.partial" >/dev/null   # a dump that does not read back is no backup
mv "$file.partial" "$file"

# keep the newest $keep dumps (the glob sorts by name, and names carry the UTC time)
dumps=("$folder"/jiuzhu-*.dump)
if ((${#dumps[@]} > keep)); then
    rm -f -- "${dumps[@]:0:${#dumps[@]}-keep}"
fi
echo "$file"
