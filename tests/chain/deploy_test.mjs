// deploy_test.mjs — `cloister deploy` on a chain it did not start: an anvil
// run here with chain id 4242 and the EIP-7825 per-transaction gas cap
// (--enable-tx-gas-limit, as mainnet enforces since Osaka). The contracts are
// deployed and wired, no transaction asks for more than 2^24 gas, a node
// configured by `cloister config init` from the deployment file registers
// through a committee started from the same file, and settles a job there.
// `devnet allow` refuses a node whose enclave is bound to another JobMarket.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { cli, freePort, makeNode, portFile, sleep, start, stop, tempDir } from '../host/nodeutil.mjs';

const bin = process.argv[2];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'package.json'));
const { JsonRpcProvider, Contract, Wallet, keccak256, concat } = require('ethers');

let failures = 0;
const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failures++; };

// anvil's well-known development keys (mnemonic "test test ... junk"), funded at genesis.
const KEYS = ['ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba'];
const CHAIN = 4242, CAP = 1n << 24n;

const dir = tempDir('deploy');
const procs = [];
let node = null, other = null;
try {
  const port = await freePort();
  const rpc = `http://127.0.0.1:${port}`;
  const anvil = spawn(path.join(root, 'node_modules/.bin/anvil'), ['--host', '127.0.0.1', '--port', String(port),
    '--chain-id', String(CHAIN), '--enable-tx-gas-limit'], { stdio: 'ignore' });
  procs.push(anvil);
  const provider = new JsonRpcProvider(rpc, CHAIN, { staticNetwork: true, pollingInterval: 100 });
  for (let t = 0; t < 200; t++) { try { await provider.getBlockNumber(); break; } catch { await sleep(50); } }
  const keyFile = (i) => { const f = path.join(dir, `k${i}.key`); writeFileSync(f, KEYS[i] + '\n', { mode: 0o600 }); return f; };
  const addr = (i) => new Wallet('0x' + KEYS[i]).address;
  const [deployer, operator, v1, v2, v3] = [0, 1, 2, 3, 4].map(keyFile);

  // Refusals first: they change nothing.
  const badTee = cli(bin, 'deploy', '--rpc', rpc, '--key', deployer, '--verifiers', addr(2), '--tee', 'nitro');
  check(badTee.rc === 2 && /--tee: 'nitro'/.test(badTee.err), 'an unknown TEE type is a usage error');
  const noChain = cli(bin, 'deploy', '--rpc', 'http://127.0.0.1:1', '--key', deployer, '--verifiers', addr(2), '--json');
  check(noChain.rc === 1 && noChain.doc?.error?.message?.includes('--rpc'), 'an unreachable --rpc fails with a JSON error naming it');
  check((await provider.getTransactionCount(addr(0))) === 0, '... and nothing was sent');

  const depFile = path.join(dir, 'deployment.json');
  const d = cli(bin, 'deploy', '--rpc', rpc, '--key', deployer, '--verifiers', [2, 3, 4].map(addr).join(','),
    '--threshold', '2', '--tee', 'sim', '--out', depFile);
  check(d.rc === 0 && d.doc?.chain_id === CHAIN && existsSync(depFile), `cloister deploy on chain ${CHAIN} writes the deployment file`);
  if (d.rc !== 0) throw new Error(d.out + d.err);
  const dep = JSON.parse(readFileSync(depFile, 'utf8'));
  const names = ['EnclaveRegistry', 'JobMarket', 'SealedBidAuction', 'PriceFeed', 'ModelRegistry'];
  let maxGas = 0n, allCode = true;
  for (const n of names) {
    const c = dep.contracts[n];
    allCode &&= (await provider.getCode(c.address)).length > 2;
    const tx = await provider.getTransaction(c.tx);
    if (tx.gasLimit > maxGas) maxGas = tx.gasLimit;
  }
  check(allCode, 'all five contracts have code');
  const sent = await provider.getTransactionCount(addr(0));
  for (let b = 0, head = await provider.getBlockNumber(); b <= head; b++) {
    for (const h of (await provider.getBlock(b)).transactions) {
      const tx = await provider.getTransaction(h);
      if (tx.gasLimit > maxGas) maxGas = tx.gasLimit;
    }
  }
  check(maxGas <= CAP, `every one of its ${sent} transactions asks for at most 2^24 gas (largest ${maxGas})`);
  const reg = new Contract(dep.contracts.EnclaveRegistry.address, [
    'function market() view returns (address)', 'function teeAllowed(uint8) view returns (bool)',
    'function threshold() view returns (uint256)', 'function isVerifier(address) view returns (bool)',
    'function enclave(address) view returns ((address,uint40,uint32,uint8,uint8,bytes32))'], provider);
  check((await reg.market()).toLowerCase() === dep.contracts.JobMarket.address && await reg.teeAllowed(1) && !(await reg.teeAllowed(2)) &&
    (await reg.threshold()) === 2n && await reg.isVerifier(addr(3)), 'wired: market, TEE types, threshold, committee');

  // The committee and a node, configured from the deployment file alone.
  const sim = path.join(dir, 'sim');
  check(cli(bin, 'sim', 'init', '--dir', sim).rc === 0, 'sim init');
  const urls = [];
  for (const [i, k] of [v1, v2, v3].entries()) {
    const pf = path.join(dir, `v${i}.port`);
    procs.push(spawn(bin, ['verifier', 'serve', '--key', k, '--deployment', depFile, '--sim-dir', sim, '--port-file', pf], { stdio: 'ignore' }));
    urls.push(`http://127.0.0.1:${await portFile(pf)}`);
  }
  const nport = await freePort();
  const cfgPath = path.join(dir, 'node.json');
  const ci = cli(bin, 'config', 'init', '--deployment', depFile, '--key-file', operator, '--verifiers', urls.join(','),
    '--data-dir', path.join(dir, 'data'), '--sim-dir', sim, '--port', String(nport), '--out', cfgPath);
  check(ci.rc === 0 && ci.doc.chain.chain_id === CHAIN && ci.doc.chain.job_market === dep.contracts.JobMarket.address,
    'config init binds the node to the deployment');
  check(cli(bin, 'config', 'init', '--deployment', depFile, '--out', cfgPath).rc === 1, '... and does not overwrite a file');
  node = { bin, dir, port: nport, cfgPath, url: `http://127.0.0.1:${nport}`, log: path.join(dir, 'node.log'), proc: null };
  await start(node);

  // A node bound to another JobMarket is refused by governance, with the reason.
  const odir = path.join(dir, 'other');
  mkdirSync(odir);
  other = await makeNode(bin, odir);
  const ocfg = JSON.parse(readFileSync(other.cfgPath, 'utf8'));
  ocfg.chain.chain_id = CHAIN; // same chain, another (made-up) JobMarket and registry
  writeFileSync(other.cfgPath, JSON.stringify(ocfg));
  await start(other);
  const refused = cli(bin, 'devnet', 'allow', '--node', other.url, '--deployment', depFile, '--key', deployer, '--json');
  check(refused.rc === 4 && /JobMarket 0xabab/.test(refused.doc?.error?.message ?? ''),
    'devnet allow refuses a node bound to another JobMarket (exit 4, the reason named)');
  await stop(other);

  const allow = cli(bin, 'devnet', 'allow', '--node', node.url, '--deployment', depFile, '--key', deployer);
  check(allow.rc === 0 && allow.doc.workloads.includes('vote'), 'governance allows the node enclave\'s measurement');
  let signer = null;
  for (let t = 0; t < 150 && !signer; t++) {
    const keys = await (await fetch(node.url + '/v1/enclave/keys')).json();
    if ((await reg.enclave(keys.keys[0].signer))[4] === 1n) signer = keys.keys[0].signer;
    else await sleep(200);
  }
  check(signer !== null, 'the node registers its enclave through the committee');

  // A job on this chain, settled by the node.
  const w = new Wallet('0x' + KEYS[5], provider);
  const market = new Contract(dep.contracts.JobMarket.address, [
    'function submitJob((bytes32,bytes32,bytes32,address,uint40,uint256,address[],bytes[],string)) payable returns (bytes32)',
    'function jobIdFor(address,uint256) view returns (bytes32)',
    'event JobSettled(bytes32 indexed jobId, address indexed signer, bytes32 publicOutputHash, bytes32 privateOutputHash, bytes publicOutput, bytes[] privateOutputs)'], w);
  const nonce = 7n, jobId = await market.jobIdFor(w.address, nonce);
  const ballot = '01' + w.address.slice(2).toLowerCase() + '0001';
  // Clients trust the chain, not the node (issue 15, finding 2): a node whose key the
  // registry does not vouch for gets nothing sealed to it.
  const fakeDir = path.join(dir, 'fake');
  mkdirSync(fakeDir);
  const fport = await freePort();
  const fci = cli(bin, 'config', 'init', '--deployment', depFile, '--data-dir', path.join(fakeDir, 'data'),
    '--sim-dir', path.join(fakeDir, 'sim'), '--port', String(fport), '--out', path.join(fakeDir, 'node.json'));
  const fake = { bin, dir: fakeDir, port: fport, cfgPath: path.join(fakeDir, 'node.json'), url: `http://127.0.0.1:${fport}`,
    log: path.join(fakeDir, 'node.log'), proc: null };
  await start(fake); // bound to this deployment, its own enclave, never registered
  const toFake = cli(bin, 'job', 'submit', '--node', fake.url, '--deployment', depFile, '--wait', '1', '--workload', 'vote',
    '--config', '010003', '--inputs', ballot, '--print-request', '--keys-out', path.join(dir, 'fake.keys.json'));
  check(fci.rc === 0 && toFake.rc === 4 && /no registry record/.test(toFake.doc?.error?.message ?? ''),
    'job submit refuses a node whose key the registry does not vouch for (exit 4)', toFake.out);
  const mdl = path.join(dir, 'm.onnx');
  cli(bin, 'model', 'train', '--out', mdl);
  const provFake = cli(bin, 'model', 'provision', '--model', mdl, '--node', fake.url, '--deployment', depFile,
    '--sim-dir', path.join(fakeDir, 'sim'), '--wait', '1');
  check(provFake.rc === 4 && /no registry record/.test(provFake.doc?.error?.message ?? ''),
    'model provision refuses an enclave the registry does not hold, however good its evidence', provFake.out);
  await stop(fake);
  const sealed = cli(bin, 'job', 'submit', '--node', node.url, '--deployment', depFile, '--workload', 'vote', '--config', '010003', '--inputs', ballot,
    '--job-id', jobId.slice(2), '--print-request', '--keys-out', path.join(dir, 'vote.keys.json'));
  check(sealed.rc === 0, 'a ballot sealed to the key the registry vouches for');
  // Configs are public and content-addressed: the node learns the vote config by its id.
  await fetch(node.url + '/v1/models', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ config: '010003' }) });
  const env = sealed.doc.request.inputs;
  const now = (await provider.getBlock('latest')).timestamp;
  const wid = keccak256(Buffer.from('cloister/workload/vote'));
  await (await market.submitJob([wid, keccak256('0x010003'), keccak256(concat(env.map((e) => keccak256(e)))),
    '0x' + '00'.repeat(20), now + 3600, nonce, [], env, ''], { value: 1000n })).wait();
  let settled = [];
  for (let t = 0; t < 200 && !settled.length; t++) {
    settled = await market.queryFilter(market.filters.JobSettled(jobId), 0, 'latest');
    if (!settled.length) await sleep(150);
  }
  check(settled.length === 1 && settled[0].args.signer.toLowerCase() === signer.toLowerCase(), `the job settles on chain ${CHAIN}, signed by the registered enclave`);
  const res = cli(bin, 'job', 'result', '--node', node.url, '--id', jobId.slice(2), '--keys', path.join(dir, 'vote.keys.json'),
    '--deployment', depFile);
  const v = res.doc?.verified ?? {};
  check(res.rc === 0 && v.signature_valid && v.signer_registered === true && v.job_matches_submission === true &&
    v.bound_to_deployment === true, 'job result checks the signer against the registry and the statement against the submission', res.out);

  // Issue 15, finding 11: with chain.confirmations, a settlement is final only under that many
  // blocks, as a JobSubmitted log must be before the follower acts on it.
  await stop(node);
  const cfg2 = JSON.parse(readFileSync(cfgPath, 'utf8'));
  cfg2.chain.confirmations = 2;
  writeFileSync(cfgPath, JSON.stringify(cfg2));
  await start(node);
  const nonce2 = 8n, jobId2 = await market.jobIdFor(w.address, nonce2);
  const sealed2 = cli(bin, 'job', 'submit', '--node', node.url, '--deployment', depFile, '--workload', 'vote', '--config', '010003',
    '--inputs', ballot, '--job-id', jobId2.slice(2), '--print-request', '--keys-out', path.join(dir, 'vote2.keys.json'));
  const env2 = sealed2.doc.request.inputs;
  const now2 = (await provider.getBlock('latest')).timestamp;
  await (await market.submitJob([wid, keccak256('0x010003'), keccak256(concat(env2.map((e) => keccak256(e)))),
    '0x' + '00'.repeat(20), now2 + 3600, nonce2, [], env2, ''], { value: 1000n })).wait();
  await sleep(1500);
  check(!(await market.queryFilter(market.filters.JobSettled(jobId2), 0, 'latest')).length,
    'with 2 confirmations, a job two blocks deep is not acted on yet');
  await provider.send('anvil_mine', ['0x2']);
  let settled2 = [];
  for (let t = 0; t < 100 && !settled2.length; t++) {
    settled2 = await market.queryFilter(market.filters.JobSettled(jobId2), 0, 'latest');
    if (!settled2.length) await sleep(150);
  }
  const tx2 = settled2[0]?.transactionHash?.slice(2) ?? 'none';
  await sleep(1500);
  const closed = () => readFileSync(node.log, 'utf8').split('\n').some((l) => l.includes('"chain.tx_reconciled"') && l.includes(tx2));
  check(settled2.length === 1 && !closed(), '... then it settles, and the settlement is not final while it is shallower than 2 blocks');
  await provider.send('anvil_mine', ['0x2']);
  let done2 = false;
  for (let t = 0; t < 60 && !done2; t++) { done2 = closed(); if (!done2) await sleep(150); }
  check(done2, '... and is closed once 2 blocks are on top of it');

  // Issue 15, finding 11, second half: a settlement that a base-fee spike leaves unmined is
  // replaced at the same nonce with higher fees, and the job settles once.
  await stop(node);
  const cfg3 = JSON.parse(readFileSync(cfgPath, 'utf8'));
  cfg3.chain.confirmations = 0;
  cfg3.chain.bump_after_ms = 1500;
  writeFileSync(cfgPath, JSON.stringify(cfg3));
  await start(node);
  await provider.send('evm_setAutomine', [false]);
  const nonce3 = 9n, jobId3 = await market.jobIdFor(w.address, nonce3);
  const env3 = cli(bin, 'job', 'submit', '--node', node.url, '--deployment', depFile, '--workload', 'vote', '--config', '010003',
    '--inputs', ballot, '--job-id', jobId3.slice(2), '--print-request', '--keys-out', path.join(dir, 'vote3.keys.json')).doc.request.inputs;
  const now3 = (await provider.getBlock('latest')).timestamp;
  const sub3 = await market.submitJob([wid, keccak256('0x010003'), keccak256(concat(env3.map((e) => keccak256(e)))),
    '0x' + '00'.repeat(20), now3 + 3600, nonce3, [], env3, ''], { value: 1000n });
  await provider.send('anvil_mine', ['0x1']);
  await sub3.wait();
  const opNonce = await provider.getTransactionCount(addr(1), 'latest');
  let pending = 0;
  for (let t = 0; t < 100 && !pending; t++) { // the node's settlement waits in the pool
    pending = (await provider.getTransactionCount(addr(1), 'pending')) - opNonce;
    if (!pending) await sleep(100);
  }
  const base = (await provider.getBlock('latest')).baseFeePerGas;
  await provider.send('anvil_setNextBlockBaseFeePerGas', ['0x' + (base * 1000n).toString(16)]);
  await provider.send('anvil_mine', ['0x1']); // the spike: the settlement does not fit
  check(pending === 1 && (await provider.getTransactionCount(addr(1), 'latest')) === opNonce,
    'a base-fee spike leaves the node\'s settlement unmined');
  let settled3 = [];
  for (let t = 0; t < 80 && !settled3.length; t++) {
    await sleep(250);
    await provider.send('anvil_mine', ['0x1']);
    settled3 = await market.queryFilter(market.filters.JobSettled(jobId3), 0, 'latest');
  }
  await provider.send('evm_setAutomine', [true]);
  const replaced = readFileSync(node.log, 'utf8').split('\n').filter((l) => l.includes('"chain.tx_replaced"'))
    .map((l) => JSON.parse(l));
  const landed = settled3[0]?.transactionHash;
  check(settled3.length === 1 && replaced.some((r) => r.by === landed && r.nonce === opNonce),
    '... the node replaces it at the same nonce with higher fees, and that replacement settles the job once', JSON.stringify(replaced));
} catch (e) {
  console.log('FAIL', e.stack ?? e);
  failures++;
} finally {
  if (node?.proc) await stop(node);
  if (other?.proc) await stop(other);
  for (const p of procs) p.kill('SIGTERM');
  if (!process.env.CLO_KEEP) rmSync(dir, { recursive: true, force: true });
}
console.log(failures ? `deploy: ${failures} failures` : 'deploy: all passed');
process.exit(failures ? 1 : 0);
