#!/usr/bin/env bash
# install_test.sh — `make install` gives a tree that works on its own: installed
# into one prefix, moved to another, run from an unrelated directory with no
# CLOISTER_* variables and no anvil on PATH, `cloister demo` passes; and no
# installed binary carries a path of the source or build tree.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/first" >/dev/null
mv "$tmp/first" "$tmp/moved"
p=$tmp/moved
for f in bin/cloister bin/cloister-enclave libexec/cloister/anvil \
         share/cloister/datasets/breast_cancer.csv share/cloister/contracts/JobMarket.sol/JobMarket.json; do
  [[ -e $p/$f ]] || { echo "FAIL: $f not installed"; exit 1; }
done
for b in "$p/bin/cloister" "$p/bin/cloister-enclave"; do
  if strings "$b" | grep -F -e "$src" -e "$build"; then
    echo "FAIL: $b names the source or build tree"
    exit 1
  fi
done
mkdir "$tmp/elsewhere"
cd "$tmp/elsewhere"
out=$(env -u CLOISTER_ANVIL -u CLOISTER_CONTRACTS PATH=/usr/bin:/bin \
      "$p/bin/cloister" demo --json --dir "$tmp/elsewhere/demo") || { echo "$out"; echo "FAIL: installed demo"; exit 1; }
grep -q '"ok": *true' <<<"$out" || { echo "$out"; echo "FAIL: installed demo not ok"; exit 1; }
echo "install: moved prefix, demo from $(pwd): ok"
