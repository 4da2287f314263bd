#!/bin/sh
# Installs what the project needs and is missing: npm packages from the lockfile (Deno, the Deno
# release Supabase's edge runtime runs, and the Supabase CLI), PostgreSQL 15 with pg_cron, pgTAP and plpgsql_check from Debian, and the local
# stand-ins for pg_net and Supabase Vault (supabase/local/extensions). Quiet when all is there.
set -eu
cd "$(dirname "$0")/.."

# The toolchain lives in tools/ so that Deno, which reads a package.json beside deno.json, does not
# try to resolve the CLIs' binaries for every platform.
if [ ! -x tools/node_modules/.bin/deno ] || [ ! -x tools/node_modules/.bin/supabase ] ||
  [ ! -x tools/node_modules/deno-edge/deno ] ||
  ! cmp -s tools/package-lock.json tools/node_modules/.package-lock.json.source 2>/dev/null; then
  echo "[bootstrap] installing deno and the supabase CLI from tools/package-lock.json"
  # `npm ci` refuses this lockfile: the registry here lacks other platforms' optional CLI binaries.
  npm install --prefix tools --no-save --no-audit --no-fund --loglevel=error
  # Both Deno packages name their command `deno` and npm links whichever it installed last: the
  # toolchain's is the newer one (the edge runtime's binary is run by its path).
  ln -sf ../deno/bin.cjs tools/node_modules/.bin/deno
  cp tools/package-lock.json tools/node_modules/.package-lock.json.source
fi

pg=/usr/lib/postgresql/15
# wrk is for `npm run bench` only; small enough to install with the rest.
debs="postgresql-15 postgresql-15-cron postgresql-15-pgtap postgresql-15-plpgsql-check wrk"
missing=""
[ -x "$pg/bin/postgres" ] || missing="yes"
[ -f "$pg/lib/pg_cron.so" ] || missing="yes"
[ -f "$pg/lib/plpgsql_check.so" ] || missing="yes"
[ -f /usr/share/postgresql/15/extension/pgtap.control ] || missing="yes"
command -v pg_prove >/dev/null 2>&1 || missing="yes"
command -v wrk >/dev/null 2>&1 || missing="yes"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[bootstrap] installing $debs with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $debs >/dev/null
  else
    echo "[bootstrap] missing Debian packages; install them as root:" >&2
    echo "  apt-get install $debs" >&2
    exit 1
  fi
fi

extdir=/usr/share/postgresql/15/extension
for f in supabase/local/extensions/*; do
  target="$extdir/$(basename "$f")"
  if ! cmp -s "$f" "$target"; then
    if ! cp "$f" "$target" 2>/dev/null; then
      echo "[bootstrap] cannot write $target; as root run: cp supabase/local/extensions/* $extdir/" >&2
      exit 1
    fi
  fi
done
