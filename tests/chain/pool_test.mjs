// pool_test.mjs — several enclaves in one node (issue 21): enclave.pool = 2.
// The second enclave takes the first's epoch key inside the node (the
// enclaves check each other, as between nodes) and registers a signer of its
// own; each runs the jobs it claims from the journal, and each signs the
// batches of its own results. Midway the second enclave's process is
// SIGKILLed: the supervisor restarts it from its own sealed state. Every job
// must be settled exactly once, by one transaction, and both enclaves must
// have run jobs. Then a model is streamed to the node (2 MiB, two chunks):
// every enclave of the pool takes it, and API jobs on it are answered exactly
// by either enclave. Last, the first enclave rotates (rotate_seconds 40):
// the second takes the new epoch from it at once, and jobs sealed to the new
// key settle, run by both.
// Usage: node pool_test.mjs /path/to/cloister
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import * as S from './stack.mjs';
import { sleep, cli } from '../host/nodeutil.mjs';
import * as P from '../support/onnx_pb.mjs';

const bin = process.argv[2];
const N = Number(process.env.CLO_POOL_JOBS ?? 60);
const ROTATE = 40; // the first enclave's epoch: the second follows it within a second
let failures = 0;
function check(cond, what, detail = '') {
  if (!cond) { failures++; console.error('FAIL', what, detail); } else console.log('ok  ', what);
}
const events = (n, name) => readFileSync(n.log, 'utf8').split('\n').filter((l) => l.includes(`"event":"${name}"`))
  .map((l) => JSON.parse(l));
const enclaves = (n) => spawnSync('pgrep', ['-P', String(n.proc.pid), '-f', 'cloister-enclave'], { encoding: 'utf8' })
  .stdout.trim().split('\n').filter(Boolean).map(Number);

const s = await S.startStack(bin, { settle_wait_ms: 300 });
try {
  const cfg = JSON.parse(readFileSync(s.node.cfgPath, 'utf8'));
  cfg.enclave = { ...cfg.enclave, pool: 2, rotate_seconds: ROTATE };
  cfg.limits = { ...cfg.limits, batch_max: 4 }; // small claims: both enclaves get work
  writeFileSync(s.node.cfgPath, JSON.stringify(cfg));
  await S.startNode(s);
  await S.allowAndRegister(s);
  const A = s.node;
  check(enclaves(A).length === 2, 'two enclave processes under the node');
  check(existsSync(path.join(A.dir, 'data/pool-1/enclave.state')), "the second keeps its sealed state in a directory of its own");
  check(events(A, 'keys.taken').length === 1, "the second took the first's epoch key inside the node");
  let regs = [];
  for (let t = 0; t < 100 && regs.length < 2; t++) { regs = events(A, 'chain.enclave_registered'); await sleep(200); }
  const signers = [...new Set(regs.map((r) => r.signer))];
  const recs = await Promise.all(signers.map((x) => s.registry.enclave(x)));
  check(signers.length === 2 && recs.every((r) => r[4] === 1n && r[5] === recs[0][5]),
    'both registered, each with its own signer, under one HPKE key');
  await S.putModel(s, '010003');

  const w = await S.client(s);
  const jobs = [];
  for (let i = 0; i < N; i++) {
    jobs.push(await S.submitVote(s, w, '010003', 1, { wait: i === N - 1 }));
    if (i === Math.floor(N / 2)) { // the second enclave dies mid-run
      const second = enclaves(A).sort((a, b) => b - a)[0];
      process.kill(second, 'SIGKILL');
    }
  }
  const c = await S.waitSettled(s, jobs, 120000);
  const once = jobs.filter((j) => c.get(j) === 1).length;
  check(once === N, `every job settled exactly once: ${once} of ${N}`);
  const sends = await S.settlementSends(s, jobs);
  check(jobs.every((j) => sends.get(j) === 1), 'one operator transaction per job');
  const done = events(A, 'job.done');
  const by = [0, 1].map((k) => done.filter((d) => d.enclave === k).length);
  check(by[0] > 0 && by[1] > 0, `both enclaves ran jobs (${by[0]} and ${by[1]})`);
  check(events(A, 'enclave.started').length >= 3 && enclaves(A).length === 2,
    'the killed enclave was restarted from its sealed state');
  const batches = events(A, 'chain.tx_sent').filter((e) => e.what === 'settleBatch').length;
  console.log(`pool: ${N} jobs, ${by[0]} + ${by[1]} runs, ${batches} batch settlements`);

  // A streamed model reaches both enclaves: y = x W, W[256 x 2048] float32
  // (2 MiB: two chunks), small integers, so the exact answer is known here.
  const K = 256, M = 2048;
  const W = new Float32Array(K * M);
  for (let i = 0; i < K; i++) for (let j = 0; j < M; j++) W[i * M + j] = ((i * 31 + j * 17) % 5) - 2;
  const x = Array.from({ length: K }, (_, i) => (i % 7) - 3);
  const y = new Float64Array(M);
  for (let i = 0; i < K; i++) for (let j = 0; j < M; j++) y[j] += x[i] * W[i * M + j];
  const graph = [P.node(['record', 'W'], 'y', 'MatMul'), P.str(2, 'pool'), P.initializer('W', [K, M], W),
    P.fld(11, P.vinfo('record', [1, K])), P.fld(12, P.vinfo('y', [1, M]))];
  const model = path.join(s.dir, 'pool.onnx'), rec = path.join(s.dir, 'pool-record.csv');
  writeFileSync(model, P.model(graph));
  writeFileSync(rec, x.join(',') + '\n');
  const dep = path.join(s.dir, 'devnet/deployments', `${s.dep.chain_id}.json`);
  const Nn = ['--node', A.url];
  const pv = cli(bin, 'model', 'provision', '--no-registry', '--model', model, ...Nn, '--deployment', dep, '--sim-dir', path.join(s.dir, 'sim'));
  check(pv.rc === 0 && /provision: 100% /.test(pv.err), 'a model streamed to the pool', pv.out + pv.err.slice(-500));
  const sub = [];
  for (let i = 0; i < 8; i++) {
    const r = cli(bin, 'job', 'submit', '--trust-node', ...Nn, '--workload', 'onnx', '--model-id', pv.doc?.model_id,
      '--records', rec, '--keys-out', path.join(s.dir, `kp${i}.json`));
    sub.push(r.doc?.job_id);
  }
  let exact = 0;
  for (let i = 0; i < 8; i++) {
    const r = cli(bin, 'job', 'result', ...Nn, '--id', sub[i], '--keys', path.join(s.dir, `kp${i}.json`));
    const got = r.doc?.verified?.private_decoded?.[0]?.outputs?.find((o) => o.name === 'y')?.data;
    if (got?.length === M && got.every((v, j) => v === y[j])) exact++;
  }
  const ran = events(A, 'job.done').filter((d) => sub.includes(d.job_id)).map((d) => d.enclave);
  check(exact === 8 && new Set(ran).size === 2, `its jobs answered exactly by both enclaves (${exact} of 8; enclaves ${ran.join(',')})`);

  // The first enclave rotates; the second takes the new epoch from it at
  // once, and jobs sealed to the new key run in both.
  let k2 = null;
  for (let t = 0; t < 600 && !(k2?.current >= 2); t++) {
    k2 = await (await fetch(A.url + '/v1/enclave/keys')).json();
    if (!(k2?.current >= 2)) await sleep(100);
  }
  let followed = false;
  for (let t = 0; t < 50 && !followed; t++) {
    followed = events(A, 'enclave.rotated').some((e) => e.from === 'a peer' && e.epoch === k2.current);
    if (!followed) await sleep(100);
  }
  check(followed, `the second enclave took epoch ${k2?.current} within a few seconds of the first's rotation`);
  const late = [];
  for (let i = 0; i < 12; i++) late.push(await S.submitVote(s, w, '010003', 1, { wait: i === 11 }));
  const c2 = await S.waitSettled(s, late, 120000);
  const e2 = events(A, 'job.done').filter((d) => late.includes(d.job_id));
  check(late.every((j) => c2.get(j) === 1) && e2.every((d) => d.epoch === k2.current) && new Set(e2.map((d) => d.enclave)).size === 2,
    `jobs sealed to epoch ${k2?.current}: settled once each, run by both enclaves`, JSON.stringify(e2.map((d) => [d.epoch, d.enclave])));
} finally {
  await S.stopStack(s);
}
console.log(failures ? `${failures} failed` : 'all passed');
process.exit(failures ? 1 : 0);
