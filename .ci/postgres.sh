#!/usr/bin/env bash
# Sourced by .ci/run: install PostgreSQL from Debian packages, start a throwaway cluster (a temp
# dir, 127.0.0.1 on a free port, run as the non-root `postgres` user) and export its URL as
# SCW_MCP_TEST_POSTGRES_URL for the PostgreSQL halves of the test suite. The cluster is
# stopped and deleted when the calling shell exits.

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
_scw_pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
_scw_pg_dir=$(mktemp -d /tmp/scw-mcp-pg.XXXXXX)
_scw_pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$_scw_pg_dir"
    _scw_pg_as() { runuser -u postgres -- "$@"; }
else
    _scw_pg_as() { "$@"; }
fi
_scw_pg_as "$_scw_pg_bin/initdb" -D "$_scw_pg_dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
# fsync off: the cluster lives for one test run; the benchmark starts its own, durable one.
_scw_pg_as "$_scw_pg_bin/pg_ctl" -D "$_scw_pg_dir/data" -l "$_scw_pg_dir/log" -w -s \
    -o "-c listen_addresses=127.0.0.1 -p $_scw_pg_port -k $_scw_pg_dir -c fsync=off -c max_connections=300" \
    start
export SCW_MCP_TEST_POSTGRES_URL="postgresql+asyncpg://postgres@127.0.0.1:$_scw_pg_port/postgres"
echo "PostgreSQL $("$_scw_pg_bin/postgres" --version | awk '{print $3}') for the tests at 127.0.0.1:$_scw_pg_port"

_scw_pg_stop() {
    _scw_pg_as "$_scw_pg_bin/pg_ctl" -D "$_scw_pg_dir/data" -m immediate -s stop || true
    rm -rf "$_scw_pg_dir"
}
_scw_pg_previous_trap=$(trap -p EXIT | sed "s/^trap -- '\(.*\)' EXIT$/\1/")
# shellcheck disable=SC2064  # expand the previous trap now, keep it running after ours
trap "_scw_pg_stop; ${_scw_pg_previous_trap}" EXIT
