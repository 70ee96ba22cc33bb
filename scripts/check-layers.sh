#!/usr/bin/env bash
# check-layers.sh — the layering rules of docs/architecture.md §8 that a linker cannot see:
# only src/crypto includes OpenSSL or libsecp256k1; a layer includes only its own
# headers and those of the layers below it.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
bad() { echo "layering: $*"; fail=1; }

while IFS= read -r hit; do bad "third-party crypto outside src/crypto: $hit"; done \
  < <(grep -rnE '#include <(openssl|secp256k1)' src --include='*.[ch]' | grep -v '^src/crypto/' || true)

# allowed include prefixes per layer (lower layers only)
declare -A allowed=(
  [base]="base"
  [crypto]="base crypto"
  [evidence]="base crypto evidence"
  [attest]="base crypto evidence attest"
  [wire]="base crypto wire"
  [workloads]="base crypto workloads"
  [enclave]="base crypto evidence attest workloads wire enclave"
  [chain]="base crypto chain"
  [client]="base crypto evidence attest workloads wire chain client"
  [host]="base crypto evidence attest workloads wire chain client host"
  [model]="base crypto workloads model"
  [committee]="base crypto evidence attest workloads wire chain client host committee"
  # The CLI parses options and prints: it reaches the rest only through the
  # public headers of client (contracts, sealing, deployment), attest,
  # host (node.h, config.h: checked below), committee and model.
  [cli]="base attest client host model committee cli"
)
for layer in "${!allowed[@]}"; do
  [[ -d src/$layer ]] || continue
  while IFS= read -r line; do
    inc=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    [[ " ${allowed[$layer]} " == *" $inc "* ]] || bad "src/$layer may not include $inc/: $line"
  done < <(grep -rnE '#include "[a-z_]+/' "src/$layer" --include='*.[ch]' || true)
done
for d in src/*/; do
  l=$(basename "$d")
  [[ -n ${allowed[$l]+x} ]] || bad "src/$l has no layering rule in scripts/check-layers.sh"
done
# Trusted-side code never includes host headers or the host's libraries.
while IFS= read -r hit; do bad "trusted code includes a host library: $hit"; done \
  < <(grep -rnE '#include <(curl|sqlite3|microhttpd)' src/enclave src/workloads --include='*.[ch]' || true)
# The CLI reaches the node only through its public headers: node.h (run it),
# config.h (its configuration); never its journal, supervisor or
# chain side (those are the daemon's insides).
while IFS= read -r hit; do bad "src/cli includes a host internal: $hit"; done \
  < <(grep -rnE '#include "host/' src/cli --include='*.[ch]' | grep -vE '"host/(node|config)\.h"' || true)
# Private headers: only their own layer includes them (everyone else uses the
# layer's public header: crypto/x509.h, enclave/runtime.h, attest/policy.h).
for private in crypto/ossl.h crypto/x509_impl.h enclave/runtime_impl.h attest/policy_impl.h; do
  layer=${private%%/*}
  while IFS= read -r f; do bad "$f includes $layer's private $private"; done \
    < <(grep -rl "$private" src tests fuzz bench --include='*.[ch]' 2>/dev/null | grep -v "^src/$layer/" || true)
done
((fail == 0)) && echo "layering: ok"
exit $fail
