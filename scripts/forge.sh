#!/usr/bin/env bash
# forge.sh [forge args...] — forge from the npm package, offline, compiling
# with solc-js through scripts/solc-wrapper.mjs, in contracts/.
# With no arguments: the whole suite (unit and fuzz) with a gas report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
forge=$root/node_modules/.bin/forge
[[ -x $forge ]] || { echo "forge.sh: $forge missing; run scripts/deps.sh" >&2; exit 1; }
cd "$root/contracts"
if (($# == 0)); then set -- test --gas-report; fi
case $1 in
  build | test | snapshot) exec "$forge" "$@" --use "$root/scripts/solc-wrapper.mjs" --offline ;;
  *) exec "$forge" "$@" ;;
esac
