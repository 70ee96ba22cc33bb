#!/usr/bin/env bash
# pack_test.sh — `npm pack` of the built @cloister/client holds the ESM code,
# its types and the ABIs; unpacked into an empty project, whose dependencies
# are the pinned ones of this project's node_modules (no download), a
# TypeScript consumer type-checks against it with `tsc --noEmit` and runs.
# Usage: pack_test.sh BUILT_PACKAGE_DIR PROJECT_DIR
set -euo pipefail
pkg=$1 root=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$pkg" >/dev/null)
tgz=$(ls "$work"/cloister-client-*.tgz)
list=$(tar -tzf "$tgz")
for f in package/dist/index.js package/dist/index.d.ts package/dist/envelope.js package/dist/workloads.d.ts \
         package/abi/JobMarket.json package/abi/EnclaveRegistry.json package/package.json; do
  grep -qx "$f" <<<"$list" || { echo "FAIL the tarball lacks $f"; exit 1; }
done
if grep -q '^package/src/' <<<"$list"; then echo "FAIL the tarball carries the TypeScript sources"; exit 1; fi
echo "ok   the tarball holds the ESM code, its types and the ABIs ($(wc -l <<<"$list") files)"
proj=$work/app
mkdir -p "$proj/node_modules/@cloister" "$proj/node_modules/@hpke" "$proj/node_modules/@noble"
tar -xzf "$tgz" -C "$proj/node_modules/@cloister" && mv "$proj/node_modules/@cloister/package" "$proj/node_modules/@cloister/client"
for d in viem @hpke/core @hpke/chacha20poly1305 @hpke/common @noble/hashes @noble/ciphers @noble/curves abitype ox ws isows @adraffy/ens-normalize @scure/base @scure/bip32 @scure/bip39 eventemitter3; do
  if [[ -e $root/node_modules/$d ]]; then
    mkdir -p "$(dirname "$proj/node_modules/$d")"
    ln -s "$root/node_modules/$d" "$proj/node_modules/$d"
  fi
done
cat > "$proj/package.json" <<'JSON'
{"name": "empty-dapp", "private": true, "type": "module"}
JSON
cat > "$proj/tsconfig.json" <<'JSON'
{"compilerOptions": {"target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
 "noEmit": true, "skipLibCheck": false, "types": []}, "include": ["app.ts"]}
JSON
cat > "$proj/app.ts" <<'TS'
import { createPublicClient, http, type Address } from 'viem';
import { createCloisterClient, jobMarketAbi, voteBallot, voteConfig, decodeVotePublic, jobIdFor, type EnclaveInfo,
  type SettledResult } from '@cloister/client';
import registryAbi from '@cloister/client/abi/EnclaveRegistry.json' with { type: 'json' };

const publicClient = createPublicClient({ transport: http('http://127.0.0.1:1') });
const market: Address = '0x0000000000000000000000000000000000000001';
const client = createCloisterClient({ publicClient, market, registry: market });
const f = client.getEnclave; // (workload: string) => Promise<EnclaveInfo>
const e: Promise<EnclaveInfo> = f('vote');
void e.catch(() => undefined);
const r: SettledResult | undefined = undefined;
const id: `0x${string}` = jobIdFor(31337, market, market, 1n);
const ballot: Uint8Array = voteBallot(market, 1);
const n: number = decodeVotePublic('0x0200010000000100000001' + '0000').total;
const fn = jobMarketAbi.find((x) => x.type === 'function' && x.name === 'submitJob');
console.log(JSON.stringify({ id, ballot: ballot.length, n, cfg: voteConfig(2), submitJob: !!fn, registryAbi: Array.isArray(registryAbi), r: r ?? null }));
TS
(cd "$proj" && "$root/node_modules/.bin/tsc" -p .) || { echo "FAIL the consumer does not type-check against the packed package"; exit 1; }
echo "ok   an empty project type-checks against it (tsc --noEmit, strict)"
# Run it: the types match what the code does.
(cd "$proj" && "$root/node_modules/.bin/tsc" -p . --noEmit false --outDir out >/dev/null && node out/app.js) >"$work/run.out" \
  || { echo "FAIL the consumer does not run"; cat "$work/run.out"; exit 1; }
grep -q '"n":1' "$work/run.out" || { echo "FAIL unexpected output: $(cat "$work/run.out")"; exit 1; }
echo "ok   ... and runs: $(cat "$work/run.out")"
# The size a dApp pays: the package and its own dependencies (@hpke, @noble),
# minified and gzipped, viem (the peer) left out. Goal: at most 40 KB.
size=$(cd "$root" && node -e "
  require('esbuild').build({ entryPoints: [process.argv[1] + '/dist/index.js'], bundle: true, format: 'esm', platform: 'browser',
    minify: true, write: false, external: ['viem'], nodePaths: ['node_modules'] })
  .then((r) => console.log(require('zlib').gzipSync(r.outputFiles[0].contents, { level: 9 }).length))" "$pkg")
((size <= 40960)) || { echo "FAIL the core is $size bytes gzipped, over 40 KB"; exit 1; }
echo "ok   the core with its dependencies is $((size / 1024)) KB minified and gzipped (goal: at most 40 KB; viem, the peer, apart)"
