// export-artifacts.mjs — the contract artifacts an installed `cloister` deploys
// from: for each deployable contract, forge's <Name>.sol/<Name>.json cut down to
// its ABI and bytecode (no sources, AST or metadata), in the same layout.
// Usage: node export-artifacts.mjs FORGE_OUT_DIR DEST_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const CONTRACTS = ['EnclaveRegistry', 'JobMarket', 'SealedBidAuction', 'PriceFeed', 'ModelRegistry',
  'DcapPki', 'DcapCollateral', 'DcapVerifier'];
const [src, dst] = process.argv.slice(2);
if (!src || !dst) {
  console.error('usage: node export-artifacts.mjs FORGE_OUT_DIR DEST_DIR');
  process.exit(2);
}
for (const name of CONTRACTS) {
  const file = path.join(src, `${name}.sol`, `${name}.json`);
  let a;
  try {
    a = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`error: ${file}: ${e.message} (build the contracts first: make build)`);
    process.exit(1);
  }
  const out = {
    contractName: name,
    abi: a.abi,
    bytecode: { object: a.bytecode.object },
    deployedBytecode: { object: a.deployedBytecode.object },
  };
  mkdirSync(path.join(dst, `${name}.sol`), { recursive: true });
  writeFileSync(path.join(dst, `${name}.sol`, `${name}.json`), JSON.stringify(out, null, 1) + '\n');
}
console.log(`-- Exported ${CONTRACTS.length} contract artifacts to ${dst}`);
