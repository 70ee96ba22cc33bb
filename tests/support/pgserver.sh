#!/usr/bin/env bash
# pgserver.sh — a throwaway PostgreSQL server for the fleet tests (issue 21):
#   pgserver.sh start DIR   initdb in DIR/data, serve on a unix socket in DIR
#                           only (no TCP), create database "cloister"; prints
#                           the libpq URI
#   pgserver.sh stop DIR    stop it (DIR is left for the caller to remove)
# PostgreSQL refuses to run as root; as root (CI) the server runs as nobody
# through setpriv, and DIR is given to it. DIR's parent must be searchable by
# nobody (mktemp -d under /tmp is).
set -euo pipefail
cmd=${1:?usage: pgserver.sh start|stop DIR} dir=${2:?usage: pgserver.sh start|stop DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $bin/initdb ]] || { echo "pgserver: no PostgreSQL server (scripts/deps.sh installs postgresql-15)" >&2; exit 2; }
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then setpriv --reuid=nobody --regid=nogroup --clear-groups -- env HOME="$dir" "$@"
  else "$@"; fi
}
case $cmd in
start)
  mkdir -p "$dir"
  chmod 0755 "$dir"
  [[ $(id -u) -ne 0 ]] || chown nobody:nogroup "$dir"
  as_pg "$bin/initdb" -D "$dir/data" -U cloister --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-k $dir -c listen_addresses='' -c max_connections=50" start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  as_pg "$bin/createdb" -h "$dir" -U cloister cloister
  echo "postgresql:///cloister?host=$dir&user=cloister"
  ;;
stop)
  [[ ! -f $dir/data/postmaster.pid ]] || as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  ;;
*) echo "usage: pgserver.sh start|stop DIR" >&2; exit 2 ;;
esac
