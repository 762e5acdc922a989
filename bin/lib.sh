# Shared helpers for bin/run and bin/test (sourced, not executed).
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31mERROR:\033[0m %s\n' "$*" >&2; exit 1; }

ensure_python_env() {
  local py="" candidate
  # Take the first interpreter that really runs and is 3.11+ (pyenv shims may not).
  for candidate in python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && \
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      py="$(command -v "$candidate")"; break
    fi
  done
  [ -n "$py" ] || die "Python 3.11+ is required (none of python3.12, python3.11, python3 is)."
  if [ ! -x "$PY" ]; then
    log "creating virtualenv $VENV"
    "$py" -m venv "$VENV"
  fi
  # Reinstall only when pyproject.toml changed since the last install.
  local stamp="$VENV/.consult-installed"
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    log "installing Python dependencies"
    "$PY" -m pip install -q --upgrade pip
    "$PY" -m pip install -q -e "$ROOT[dev]"
    touch "$stamp"
  fi
}

# host and port out of a URL such as postgres://user@host:5432/db or redis://host:6379/0
url_host() { local r="${1#*://}"; r="${r#*@}"; r="${r%%/*}"; echo "${r%%:*}"; }
url_port() { local r="${1#*://}"; r="${r#*@}"; r="${r%%/*}"; [[ "$r" == *:* ]] && echo "${r##*:}" || echo "$2"; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
  local host="$1" port="$2" i
  for i in $(seq 1 60); do port_open "$host" "$port" && return 0; sleep 0.5; done
  return 1
}

is_local() { [[ "$1" == "127.0.0.1" || "$1" == "localhost" || "$1" == "::1" ]]; }

ensure_postgres() {
  local url="$1" host port
  host="$(url_host "$url")"; port="$(url_port "$url" 5432)"
  port_open "$host" "$port" && return 0
  if is_local "$host" && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    log "PostgreSQL is down on $host:$port; starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    wait_port "$host" "$port" && return 0
  fi
  die "PostgreSQL is not reachable at $host:$port (DATABASE_URL=$url). Start it, or point DATABASE_URL at a running server."
}

# Creates the database DATABASE_URL names when the server has no such database yet, so a
# fresh PostgreSQL works with the first command (needs the venv: psycopg, dj-database-url).
ensure_database() {
  "$PY" - "$1" <<'PYEOF' || die "could not create the database named in DATABASE_URL=$1"
import sys

import dj_database_url
import psycopg
from psycopg import sql

db = dj_database_url.parse(sys.argv[1])
if db["ENGINE"].endswith("postgresql"):
    params = {
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
        "user": db["USER"] or None,
        "password": db["PASSWORD"] or None,
    }
    try:
        psycopg.connect(dbname=db["NAME"], **params).close()
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        print(f"created database {db['NAME']}")
PYEOF
}

ensure_redis() {
  local url="$1" host port
  host="$(url_host "$url")"; port="$(url_port "$url" 6379)"
  port_open "$host" "$port" && return 0
  if is_local "$host" && command -v redis-server >/dev/null 2>&1; then
    log "Redis is down on $host:$port; starting it"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    wait_port "$host" "$port" && return 0
  fi
  die "Redis is not reachable at $host:$port (REDIS_URL=$url). Start it, or point REDIS_URL at a running server."
}

ensure_node_deps() {
  command -v npm >/dev/null 2>&1 || die "Node.js 20+ and npm are required to build the frontend."
  if [ ! -d "$ROOT/frontend/node_modules" ] || \
     [ "$ROOT/frontend/package-lock.json" -nt "$ROOT/frontend/node_modules/.package-lock.json" ]; then
    log "installing frontend dependencies (npm ci)"
    (cd "$ROOT/frontend" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_test_tools() {
  # Chromium for browser tests; docker-compose (v1 client) to validate docker-compose.yml.
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]} from Debian packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  [ -x /usr/bin/chromium ] || die "Chromium is required for browser tests: apt-get install -y chromium"
}

# Regenerate frontend/openapi.yml and frontend/src/api/schema.d.ts (as `npm run gen:api`
# does) into a temporary folder and fail if either differs from the committed file.
check_api_schema_fresh() {
  local tmp status=0
  tmp="$(mktemp -d)"
  (cd "$ROOT" && env -u DATABASE_URL "$PY" manage.py spectacular \
     --file "$tmp/openapi.yml" --validate) || { rm -rf "$tmp"; die "schema generation failed"; }
  (cd "$ROOT/frontend" && npx --no-install openapi-typescript "$tmp/openapi.yml" \
     -o "$tmp/schema.d.ts" >/dev/null 2>&1) || { rm -rf "$tmp"; die "openapi-typescript failed"; }
  diff -u "$ROOT/frontend/openapi.yml" "$tmp/openapi.yml" || status=1
  diff -u "$ROOT/frontend/src/api/schema.d.ts" "$tmp/schema.d.ts" || status=1
  [ "$status" = 0 ] || { rm -rf "$tmp"; die "frontend/openapi.yml or src/api/schema.d.ts is stale: run (cd frontend && npm run gen:api) and commit both"; }
  # The realtime event types come from realtime-events.json, whose own freshness is
  # checked by realtime/tests/test_catalogue.py (manage.py events_catalogue --check).
  if [ -f "$ROOT/frontend/realtime-events.json" ]; then
    (cd "$ROOT/frontend" && npx --no-install openapi-typescript realtime-events.json \
       -o "$tmp/events.d.ts" >/dev/null 2>&1) || { rm -rf "$tmp"; die "openapi-typescript failed"; }
    diff -u "$ROOT/frontend/src/realtime/schema.d.ts" "$tmp/events.d.ts" || status=1
  fi
  rm -rf "$tmp"
  [ "$status" = 0 ] || die "frontend/src/realtime/schema.d.ts is stale: run (cd frontend && npm run gen:events) and commit it"
}
