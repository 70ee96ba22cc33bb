#!/usr/bin/env bash
# deps.sh — install what Cloister needs to build and test, and nothing else.
#
# Debian packages come from apt-get (non-interactive; only the missing ones are
# installed). npm packages come from the committed package-lock.json via `npm ci`
# (pinned versions; re-run only when the lock file changed). Nothing is
# downloaded from anywhere else. Safe to run any number of times.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  libssl-dev libsecp256k1-dev libjansson-dev libcmocka-dev valgrind
  libsqlite3-dev libcurl4-openssl-dev libmicrohttpd-dev libseccomp-dev
  libpq-dev postgresql-15
  libonnx-testdata ca-certificates openssl
  chromium
  nodejs npm
)

log() { printf 'deps: %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else log "need root (or sudo) to run: $*"; exit 1
  fi
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
# A node that came from elsewhere (not the Debian package) is fine if it runs npm.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "Debian packages present"
fi

# npm packages: reinstall only when the lock file is newer than the installed tree.
stamp=node_modules/.package-lock.json
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  log "installing npm packages from package-lock.json"
  # onnxruntime-node is the benchmark peer and the ONNX-ML tests' oracle, never
  # a runtime dependency: its install script would download GPU libraries,
  # which nothing here needs (and no network allows); the CPU build ships in
  # the package.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
else
  log "npm packages present"
fi

# Data sets from Debian packages, extracted rather than installed (the package
# would pull in Python): the Wisconsin breast-cancer data of the diagnosis flow.
DATASETS=data/datasets
if [[ ! -s $DATASETS/breast_cancer.csv ]]; then
  log "extracting breast_cancer.csv from the Debian package python3-sklearn"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # apt-get download runs as the _apt user where it can; a directory it can write avoids the warning.
  chmod 0777 "$tmp"
  if ! (cd "$tmp" && apt-get download -qq python3-sklearn 2>/dev/null); then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    (cd "$tmp" && apt-get download -qq python3-sklearn)
  fi
  dpkg-deb -x "$tmp"/python3-sklearn_*.deb "$tmp/x"
  mkdir -p "$DATASETS"
  cp "$tmp/x/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv" "$DATASETS/"
  cp "$tmp/x/usr/lib/python3/dist-packages/sklearn/datasets/descr/breast_cancer.rst" "$DATASETS/"
else
  log "data sets present"
fi
