// devnet_test.mjs — `cloister devnet up|down|status` against a real anvil:
// the contracts the C client deployed are there and wired (checked with
// ethers over JSON-RPC), up is idempotent, down keeps the state and the next
// up resumes the same chain and deployment, and a missing anvil or missing
// contract artifacts are refused without leaving a devnet behind.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'package.json'));
const { JsonRpcProvider, Contract } = require('ethers');
const cli = process.argv[2];
const dir = mkdtempSync(path.join(os.tmpdir(), 'clo-devnet-'));
let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('FAIL', what); } else console.log('ok  ', what);
}
function run(...args) {
  const r = spawnSync(cli, [...args, '--dir', dir], { encoding: 'utf8' });
  let doc = null;
  try { doc = JSON.parse(r.stdout); } catch { /* checked by callers */ }
  return { code: r.status, doc, stderr: r.stderr };
}

try {
  const bad = run('devnet', 'up', '--anvil', '/nonexistent/anvil');
  check(bad.code === 1 && /^anvil: '\/nonexistent\/anvil' .*not an executable/.test(bad.doc?.error?.message ?? ''),
    'a missing anvil is named and refused');
  check(!existsSync(path.join(dir, 'devnet.json')), '... and leaves no devnet behind');

  const noart = run('devnet', 'up', '--contracts', '/nonexistent/out');
  check(noart.code === 1 && /^contracts: '\/nonexistent\/out'/.test(noart.doc?.error?.message ?? ''),
    'missing contract artifacts are named and refused');
  check(!existsSync(path.join(dir, 'devnet.json')) && run('devnet', 'status').doc.running === false,
    '... and the anvil it started is stopped again');

  const up = run('devnet', 'up');
  check(up.code === 0 && up.doc.running && up.doc.deployed, 'devnet up starts anvil and deploys');
  const dep = up.doc.deployment, c = dep.contracts;
  check(dep.chain_id === 31337 && /^http:\/\/127\.0\.0\.1:\d+$/.test(dep.rpc), 'on 127.0.0.1, chain 31337');
  const provider = new JsonRpcProvider(dep.rpc, 31337, { staticNetwork: true });
  for (const name of ['EnclaveRegistry', 'JobMarket', 'SealedBidAuction', 'PriceFeed'])
    check((await provider.getCode(c[name].address)).length > 2, `${name} has code`);
  const reg = new Contract(c.EnclaveRegistry.address, [
    'function threshold() view returns (uint256)', 'function market() view returns (address)',
    'function owner() view returns (address)', 'function teeAllowed(uint8) view returns (bool)',
    'function isVerifier(address) view returns (bool)'], provider);
  const market = new Contract(c.JobMarket.address, ['function registry() view returns (address)'], provider);
  check(await reg.threshold() === 2n, 'registry threshold is 2 of 3');
  check((await reg.market()).toLowerCase() === c.JobMarket.address, 'registry knows the market');
  check((await market.registry()).toLowerCase() === c.EnclaveRegistry.address, 'market knows the registry');
  check((await reg.owner()).toLowerCase() === dep.owner, 'the deployer owns the registry');
  check(await reg.teeAllowed(1), 'the simulated TEE is allowed (a devnet)');
  for (const v of dep.committee.verifiers) check(await reg.isVerifier(v), `verifier ${v} is on the committee`);

  const again = run('devnet', 'up');
  check(again.code === 0 && again.doc.started === false && again.doc.rpc === dep.rpc,
    'a second up while running changes nothing');
  const st = run('devnet', 'status');
  check(st.code === 0 && st.doc.running && st.doc.block >= 6, `status: running at block ${st.doc.block}`);
  provider.destroy();

  const down = run('devnet', 'down');
  check(down.code === 0 && down.doc.stopped, 'devnet down stops anvil');
  check(run('devnet', 'status').doc.running === false, 'status: not running');
  const resumed = run('devnet', 'up');
  check(resumed.code === 0 && resumed.doc.deployed === false, 'the next up resumes the saved chain');
  check(resumed.doc.deployment.contracts.JobMarket.address === c.JobMarket.address,
    '... with the same deployment');
  check(resumed.doc.block >= st.doc.block, '... and its blocks');
} finally {
  run('devnet', 'down');
  rmSync(dir, { recursive: true, force: true });
}
console.log(`devnet: ${failures} failures`);
process.exit(failures ? 1 : 0);
