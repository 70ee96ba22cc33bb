// stack.mjs — the whole settlement stack for the chain tests, all real parts:
// a devnet (anvil + contracts deployed by the C client), a simulated TEE, the
// three committee verifiers (`cloister verifier serve`) and a node with its
// chain side on, plus ethers helpers to act as clients and to read the chain.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { makeNode, start, stop, sleep, tempDir, cli, portFile } from '../host/nodeutil.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'package.json'));
export const E = require('ethers');
const { JsonRpcProvider, Contract, Wallet, NonceManager, keccak256, concat } = E;

const JR = '(bytes32,bytes32,bytes32,address,uint40,uint256,address[],bytes[],string)';
export const MARKET_ABI = [
  `function submitJob(${JR}) payable returns (bytes32)`,
  'function jobIdFor(address,uint256) view returns (bytes32)',
  'function job(bytes32) view returns ((address,uint96,uint8,uint40,uint40,address,bytes32))',
  'event JobSettled(bytes32 indexed jobId, address indexed signer, bytes32 publicOutputHash, bytes32 privateOutputHash, bytes publicOutput, bytes[] privateOutputs)',
];
export const REGISTRY_ABI = [
  'function enclave(address) view returns ((address,uint40,uint32,uint8,uint8,bytes32))',
  'event EnclaveRegistered(address indexed signer, address indexed operator, uint8 teeType, bytes32 indexed measurement, bytes32 hpkeKey, uint32 epoch, uint64 expiry, bytes32 evidenceDigest, address[] approvers)',
];
export const workloadId = (w) => keccak256(Buffer.from('cloister/workload/' + w));

export async function startStack(bin, opts = {}) {
  const dir = tempDir('stack');
  const s = { bin, dir, procs: [], node: null };
  const up = cli(bin, 'devnet', 'up', '--dir', path.join(dir, 'devnet'));
  if (up.rc !== 0) throw new Error('devnet up failed: ' + up.err.slice(-2000));
  s.dep = up.doc.deployment;
  s.provider = new JsonRpcProvider(s.dep.rpc, s.dep.chain_id, { staticNetwork: true, pollingInterval: 100 });
  s.key = (role) => '0x' + readFileSync(path.join(dir, 'devnet/keys', role + '.key'), 'utf8').trim();
  if (cli(bin, 'sim', 'init', '--dir', path.join(dir, 'sim')).rc !== 0) throw new Error('sim init failed');
  const urls = [];
  for (let i = 1; i <= 3; i++) {
    const pf = path.join(dir, `v${i}.port`);
    const p = spawn(bin, ['verifier', 'serve', '--key', path.join(dir, `devnet/keys/verifier${i}.key`),
      '--deployment', path.join(dir, 'devnet/deployments', `${s.dep.chain_id}.json`),
      '--sim-dir', path.join(dir, 'sim'), '--port-file', pf], { stdio: 'ignore' });
    s.procs.push(p);
    urls.push(`http://127.0.0.1:${await portFile(pf)}`);
  }
  s.verifiers = urls;
  s.node = await makeNode(bin, dir);
  const cfg = JSON.parse(readFileSync(s.node.cfgPath, 'utf8'));
  cfg.chain = {
    chain_id: s.dep.chain_id, job_market: s.dep.contracts.JobMarket.address,
    registry: s.dep.contracts.EnclaveRegistry.address,
    rpc: opts.proxy ? await opts.proxy(s.dep.rpc) : s.dep.rpc,
    key_file: path.join(dir, 'devnet/keys/operator.key'), verifiers: urls.join(','),
    committee: s.dep.committee.verifiers, committee_threshold: s.dep.committee.threshold,
    poll_ms: 100, settle_wait_ms: opts.settle_wait_ms ?? 200, settle_batch: opts.settle_batch ?? 16,
  };
  writeFileSync(s.node.cfgPath, JSON.stringify(cfg));
  s.market = new Contract(s.dep.contracts.JobMarket.address, MARKET_ABI, s.provider);
  s.registry = new Contract(s.dep.contracts.EnclaveRegistry.address, REGISTRY_ABI, s.provider);
  return s;
}

export async function startNode(s, env = {}) { await start(s.node, env); }
export async function stopNode(s, sig = 'SIGTERM') { return stop(s.node, sig); }

// Allow the node's measurement (governance) and wait until its enclave is registered.
export async function allowAndRegister(s, timeoutMs = 30000) {
  const a = cli(s.bin, 'devnet', 'allow', '--dir', path.join(s.dir, 'devnet'), '--node', s.node.url);
  if (a.rc !== 0) throw new Error('devnet allow failed: ' + a.out + a.err);
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const keys = await (await fetch(s.node.url + '/v1/enclave/keys')).json();
    const rec = await s.registry.enclave(keys.keys[0].signer);
    if (rec[4] === 1n) return { signer: keys.keys[0].signer, measurement: a.doc.measurement };
    await sleep(200);
  }
  throw new Error('the enclave was not registered in time');
}

// After a node's restart with a short rotate_seconds: its next epoch, once
// registered; the EnclaveRotated events from its first signer `k` (keys as
// /v1/enclave/keys gave them), that rotation's gas, and the first record now.
// Several operators on the one market (issue 21): the stack's node (A, the
// devnet's operator) shares its enclave's epoch key (api.key_sharing); the
// others (operator2, then fresh funded keys) take it (enclave.key_peers); all
// with chain.stagger_seconds. Returns the nodes, A first, once every enclave is
// registered under its own operator and the vote config is on every node.
// perWorkload: the stagger given for the vote workload only (chain.stagger_workloads).
// pool: enclaves per node (enclave.pool).
export async function startOperators(s, count, stagger = 2, perWorkload = false, pool = 1) {
  const cfgA = JSON.parse(readFileSync(s.node.cfgPath, 'utf8'));
  cfgA.api = { key_sharing: true };
  cfgA.enclave = { ...cfgA.enclave, pool };
  if (perWorkload) cfgA.chain.stagger_workloads = `vote=${stagger}`;
  else cfgA.chain.stagger_seconds = stagger;
  writeFileSync(s.node.cfgPath, JSON.stringify(cfgA));
  await startNode(s);
  await allowAndRegister(s);
  s.node.name = 'A';
  const nodes = [s.node];
  for (let i = 1; i < count; i++) {
    let keyFile = path.join(s.dir, 'devnet/keys/operator2.key');
    if (i > 1) { // a fresh operator key, funded on the devnet
      const k = Wallet.createRandom();
      await s.provider.send('anvil_setBalance', [k.address, '0x' + (10n ** 22n).toString(16)]);
      keyFile = path.join(s.dir, `operator${i + 1}.key`);
      writeFileSync(keyFile, k.privateKey.slice(2) + '\n', { mode: 0o600 });
    }
    const d = path.join(s.dir, 'node' + String.fromCharCode(65 + i));
    mkdirSync(d);
    const n = await makeNode(s.bin, d);
    const cfg = JSON.parse(readFileSync(n.cfgPath, 'utf8'));
    cfg.enclave = { ...cfg.enclave, sim_dir: path.join(s.dir, 'sim'), key_peers: [s.node.url], pool };
    cfg.chain = { ...cfgA.chain, key_file: keyFile };
    writeFileSync(n.cfgPath, JSON.stringify(cfg));
    await start(n);
    n.name = String.fromCharCode(65 + i);
    nodes.push(n);
    s.others = nodes.slice(1); // stopped by stopStack
  }
  const signers = [];
  for (const n of nodes) signers.push((await (await fetch(n.url + '/v1/enclave/keys')).json()).keys[0].signer);
  for (let t = 0; t < 200; t++) {
    const recs = await Promise.all(signers.map((x) => s.registry.enclave(x)));
    if (recs.every((r) => r[4] === 1n)) break;
    await sleep(200);
  }
  await putModel(s, '010003');
  for (const n of nodes.slice(1))
    await fetch(n.url + '/v1/models', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ config: '010003' }) });
  return nodes;
}

// Chaos until stop(): every 1-2 s one node at a time is SIGKILLed (then
// restarted) or SIGSTOPped (then continued) for 1-3 s, and left up about as
// long: a node is down about a third of the time. stop() resolves with
// { kills, stops, downMs }.
export function startChaos(nodes) {
  let on = true;
  const st = { kills: 0, stops: 0, downMs: 0 };
  const loop = (async () => {
    while (on) {
      await sleep(1000 + Math.random() * 1000);
      if (!on) break;
      const n = nodes[Math.floor(Math.random() * nodes.length)];
      const ms = 1000 + Math.random() * 2000, t = Date.now();
      if (Math.random() < 0.5) {
        st.kills++;
        n.proc.kill('SIGKILL');
        await n.exited;
        n.proc = null;
        await sleep(ms);
        await start(n);
      } else {
        st.stops++;
        n.proc.kill('SIGSTOP');
        await sleep(ms);
        n.proc.kill('SIGCONT');
      }
      st.downMs += Date.now() - t;
      await sleep(ms);
    }
  })();
  return async () => { on = false; await loop; return st; };
}

export async function awaitRotation(s, reg, nodeUrl, k) {
  let next = null;
  for (let t = 0; t < 150 && !next; t++) {
    const kk = await (await fetch(nodeUrl + '/v1/enclave/keys')).json();
    if (kk.current > k.current && (await reg.enclave(kk.keys[0].signer))[4] === 1n) next = kk.keys[0];
    else await sleep(200);
  }
  const rot = await reg.queryFilter(reg.filters.EnclaveRotated(k.keys[0].signer));
  const gas = rot.length ? (await s.provider.getTransactionReceipt(rot[0].transactionHash)).gasUsed : null;
  const old = await reg.enclave(k.keys[0].signer);
  const now = (await s.provider.getBlock('latest')).timestamp;
  return { next, rot, gas, old, now };
}

// A funded client wallet.
export async function client(s) {
  const w = Wallet.createRandom().connect(s.provider);
  await s.provider.send('anvil_setBalance', [w.address, '0x' + (10n ** 24n).toString(16)]);
  return new NonceManager(w);
}

// Seal inputs with the CLI (HPKE to the node enclave's epoch key, bound to the job id).
export function seal(s, workload, config, inputs, jobId, keysOut) {
  // The reply keys are secrets: they go to the stack's own directory, never the cwd.
  const args = ['job', 'submit', '--trust-node', '--node', s.node.url, '--workload', workload, '--config', config,
    '--inputs', inputs.join(','), '--job-id', jobId.slice(2), '--print-request',
    '--keys-out', keysOut ?? path.join(s.dir, `job-${jobId.slice(2, 18)}.keys.json`)];
  const r = cli(s.bin, ...args);
  if (r.rc !== 0) throw new Error('sealing failed: ' + r.out + r.err);
  return r.doc.request.inputs;
}

// Seal a vote ballot now for a job submitted later (the node may be down then).
export async function prepareVote(s, w, config = '010003', choice = 1) {
  const me = await w.getAddress();
  const nonce = nonceSeq++;
  const jobId = await s.market.jobIdFor(me, nonce);
  const ballot = '01' + me.slice(2).toLowerCase() + choice.toString(16).padStart(4, '0');
  return { nonce, envelopes: seal(s, 'vote', config, [ballot], jobId) };
}

export async function putModel(s, configHex) {
  const r = await fetch(s.node.url + '/v1/models', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ config: configHex }) });
  return (await r.json()).config_hash;
}

let nonceSeq = BigInt(Date.now()) * 1000n;
// Submit a vote job on chain (one ballot) and return its job id.
export async function submitVote(s, w, config = '010003', choice = 1, opts = {}) {
  const me = await w.getAddress();
  const nonce = opts.nonce ?? nonceSeq++;
  const jobId = await s.market.jobIdFor(me, nonce);
  const ballot = '01' + me.slice(2).toLowerCase() + choice.toString(16).padStart(4, '0');
  const env = opts.envelopes ?? seal(s, 'vote', config, [ballot], jobId);
  const now = (await s.provider.getBlock('latest')).timestamp;
  const m = s.market.connect(w);
  const tx = await m.submitJob([workloadId('vote'), keccak256('0x' + config),
    keccak256(concat(env.map((e) => keccak256(e)))), '0x' + '00'.repeat(20), now + (opts.ttl ?? 3600), nonce,
    [], env, ''], { value: 1000n });
  if (opts.wait !== false) await tx.wait(); // else: sent, mined soon (anvil automines)
  return jobId;
}

// JobSettled count per job id, from the chain's logs.
export async function settledCounts(s) {
  const logs = await s.market.queryFilter(s.market.filters.JobSettled(), 0, 'latest');
  const m = new Map();
  for (const l of logs) m.set(l.args.jobId, (m.get(l.args.jobId) ?? 0) + 1);
  return m;
}

// For each job id, how many of the operator's transactions carried it (the
// node must send exactly one settlement per job, whatever happened to it).
export async function settlementSends(s, jobIds) {
  const op = s.dep.operator.toLowerCase(), market = s.dep.contracts.JobMarket.address.toLowerCase();
  // Straight from the node: ethers caches getBlockNumber() for a while, and a
  // stale head would miss the newest settlements.
  const head = Number(await s.provider.send('eth_blockNumber', []));
  const sends = new Map(jobIds.map((j) => [j, 0]));
  for (let b = 0; b <= head; b++) {
    const blk = await s.provider.getBlock(b, true);
    for (const tx of blk.prefetchedTransactions) {
      if (tx.from.toLowerCase() !== op || (tx.to ?? '').toLowerCase() !== market) continue;
      const data = tx.data.toLowerCase();
      for (const j of jobIds) if (data.includes(j.slice(2).toLowerCase())) sends.set(j, sends.get(j) + 1);
    }
  }
  return sends;
}

export async function waitSettled(s, jobIds, timeoutMs = 60000) {
  const t0 = Date.now();
  for (;;) {
    const c = await settledCounts(s);
    if (jobIds.every((j) => c.has(j))) return c;
    if (Date.now() - t0 > timeoutMs) return c;
    await sleep(150);
  }
}

export async function stopStack(s) {
  for (const n of [s.node, ...(s.others ?? [])]) if (n?.proc) { n.proc.kill('SIGCONT'); await stop(n); }
  for (const p of s.procs) p.kill('SIGTERM');
  cli(s.bin, 'devnet', 'down', '--dir', path.join(s.dir, 'devnet'));
  if (!process.env.CLO_KEEP) spawnSync('rm', ['-rf', s.dir]);
  else console.log('kept', s.dir);
}
