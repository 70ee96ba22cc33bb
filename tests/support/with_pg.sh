#!/usr/bin/env bash
# with_pg.sh CMD [ARGS...] — run CMD with CLO_PG_URI naming a fresh PostgreSQL
# server of its own (pgserver.sh), stopped and removed afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/cloister-pg.XXXXXX)
trap 'bash "$here/pgserver.sh" stop "$dir" || true; rm -rf "$dir"' EXIT
CLO_PG_URI=$(bash "$here/pgserver.sh" start "$dir")
export CLO_PG_URI
"$@"
