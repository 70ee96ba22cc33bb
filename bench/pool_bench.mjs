// pool_bench.mjs — `make bench`, enclaves per node (issue 21): one node with
// enclave.pool 1 and 2 on the same compute-bound ONNX work, and the jobs per
// second each finishes. The model is L = 128 MatMul layers of D = 256 (each
// W a permutation, so every answer is exact and known here), then one to 8
// outputs; 32 MiB, streamed to the node; made here, so it measures the pool,
// not a published model's speed. A job is R = 256 records (256 x 8.4M
// multiply-adds). J jobs are submitted through the CLI while the enclave
// processes are stopped (SIGSTOP), then continued at once: the rate is the
// jobs done between the first and the last job.done, the node's own on a
// backlog with no client on the cores. Every answer is checked.
// Usage: node pool_bench.mjs /path/to/cloister [J]
import os from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeNode, start, stop, tempDir, cli, cleanup } from '../tests/host/nodeutil.mjs';
import * as P from '../tests/support/onnx_pb.mjs';

const bin = process.argv[2];
const J = Number(process.argv[3] || 24);
const L = 128, D = 256, R = 256, OUT = 8;

function model(dir) {
  const perm = [], nodes = [], inits = [];
  for (let l = 0; l < L; l++) {
    const a = 2 * ((l * 37) % 128) + 1, b = (l * 101) % D; // odd a: a bijection mod 256
    const p = Array.from({ length: D }, (_, i) => (a * i + b) % D);
    perm.push(p);
    const W = new Float32Array(D * D);
    for (let i = 0; i < D; i++) W[i * D + p[i]] = 1;
    nodes.push(P.node([l ? `h${l - 1}` : 'record', `W${l}`], `h${l}`, 'MatMul'));
    inits.push(P.initializer(`W${l}`, [D, D], W));
  }
  // The answer: the first OUT of the permuted vector (small outputs).
  const S = new Float32Array(D * OUT);
  for (let j = 0; j < OUT; j++) S[j * OUT + j] = 1;
  nodes.push(P.node([`h${L - 1}`, 'S'], 'y', 'MatMul'));
  inits.push(P.initializer('S', [D, OUT], S));
  const graph = [...nodes, P.str(2, 'pool'), ...inits, P.fld(11, P.vinfo('record', [1, D])), P.fld(12, P.vinfo('y', [1, OUT]))];
  const file = path.join(dir, 'pool.onnx');
  writeFileSync(file, P.model(graph, 'cloister-bench'));
  const rows = [], want = [];
  for (let r = 0; r < R; r++) {
    let x = Array.from({ length: D }, (_, i) => ((i * 7 + r) % 41) - 20);
    rows.push(x.join(','));
    for (const p of perm) { const y = new Array(D); for (let i = 0; i < D; i++) y[p[i]] = x[i]; x = y; }
    want.push(x.slice(0, OUT));
  }
  writeFileSync(path.join(dir, 'records.csv'), rows.join('\n') + '\n');
  return { file, want };
}

async function run(pool, m, dir0) {
  const dir = tempDir('poolbench');
  try {
    const node = await makeNode(bin, dir);
    const cfg = JSON.parse(readFileSync(node.cfgPath, 'utf8'));
    cfg.enclave = { ...cfg.enclave, pool };
    cfg.limits = { ...cfg.limits, batch_max: 1, timeout_seconds: 120 };
    writeFileSync(node.cfgPath, JSON.stringify(cfg));
    await start(node);
    const keys = await (await fetch(node.url + '/v1/enclave/keys')).json();
    const dep = path.join(dir, 'deployment.json');
    writeFileSync(dep, JSON.stringify({ chain_id: keys.chain_id, contracts: {
      EnclaveRegistry: { address: '0x' + 'cd'.repeat(20) }, JobMarket: { address: keys.job_market } } }));
    const N = ['--node', node.url];
    const pv = cli(bin, 'model', 'provision', '--no-registry', '--model', m.file, ...N, '--deployment', dep, '--sim-dir', path.join(dir, 'sim'));
    if (pv.rc !== 0) throw new Error('provision failed: ' + pv.err.slice(-500));
    // The enclaves wait (SIGSTOP) while the jobs are submitted, then all go:
    // the node's own rate on a backlog, no client on the cores.
    const encl = spawnSync('pgrep', ['-P', String(node.proc.pid), '-f', 'cloister-enclave'], { encoding: 'utf8' })
      .stdout.trim().split('\n').filter(Boolean).map(Number);
    for (const p of encl) process.kill(p, 'SIGSTOP');
    const ids = [];
    for (let i = 0; i < J; i++) {
      const s = cli(bin, 'job', 'submit', '--trust-node', ...N, '--workload', 'onnx', '--model-id', pv.doc.model_id,
        '--records', path.join(dir0, 'records.csv'), '--keys-out', path.join(dir, `k${i}.json`));
      if (s.rc !== 0) throw new Error('submit failed: ' + s.err.slice(-500));
      ids.push(s.doc.job_id);
    }
    for (const p of encl) process.kill(p, 'SIGCONT');
    let exact = 0;
    for (let i = 0; i < J; i++) {
      const r = cli(bin, 'job', 'result', ...N, '--id', ids[i], '--keys', path.join(dir, `k${i}.json`));
      const outs = r.doc?.verified?.private_decoded ?? [];
      if (outs.length === R && outs.every((o, k) => {
        const y = o.outputs?.find((t) => t.name === 'y')?.data;
        return y?.length === OUT && y.every((v, j) => v === m.want[k][j]);
      })) exact++;
    }
    await stop(node);
    const done = readFileSync(node.log, 'utf8').split('\n').filter((l) => l.includes('"event":"job.done"')).map((l) => JSON.parse(l));
    const t = done.map((d) => Date.parse(d.ts)).sort((a, b) => a - b);
    const secs = (t[t.length - 1] - t[0]) / 1000;
    const per = [...Array(pool).keys()].map((k) => done.filter((d) => d.enclave === k).length);
    return { pool, jobs: J, exact, secs, jobs_per_s: (done.length - 1) / secs, per_enclave: per };
  } finally {
    cleanup(dir);
  }
}

const dir0 = tempDir('poolbench-model');
const m = model(dir0);
const rows = [];
for (const pool of [1, 2]) rows.push(await run(pool, m, dir0));
cleanup(dir0);
console.log(JSON.stringify({ date: new Date().toISOString().slice(0, 10), cpu: os.cpus()[0]?.model, cores: os.cpus().length, rows }));
console.log(`\nEnclaves per node, ONNX: ${L} MatMul layers of ${D}, ${R} records a job, ${J} jobs:`);
console.log('| enclaves | jobs | exact | s (first to last done) | jobs/s | per enclave | vs 1 |\n|---:|---:|---:|---:|---:|---|---:|');
for (const r of rows)
  console.log(`| ${r.pool} | ${r.jobs} | ${r.exact} | ${r.secs.toFixed(2)} | ${r.jobs_per_s.toFixed(2)} | ${r.per_enclave.join(' + ')} | ${(r.jobs_per_s / rows[0].jobs_per_s).toFixed(2)}x |`);
