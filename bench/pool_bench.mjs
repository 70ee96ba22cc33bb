// pool_bench.mjs — `make bench`, enclaves per node (issue 21): one node with
// enclave.pool 1 and 2 on the same compute-bound ONNX work, and the jobs per
// second each finishes. The model (made here, so it measures the pool, not a
// published model's speed) is 16 Conv 3x3 layers of 16 channels over 64 x 64
// (weights of 9 KiB a layer, activations in cache: compute-bound; a model
// streaming 32 MiB of MatMul weights per record was memory-bound and gained
// nothing from a second enclave on this machine), then GlobalAveragePool; a job
// is 64 records. J jobs are submitted through the CLI while the enclave
// processes are stopped (SIGSTOP), then continued at once; nothing else runs
// until all are done (a light HTTP poll): the rate is the jobs done between
// the first and the last job.done, the node's own on a backlog. Every answer
// is checked exact afterwards.
// Usage: node pool_bench.mjs /path/to/cloister [J]
import os from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeNode, start, stop, tempDir, cli, cleanup } from '../tests/host/nodeutil.mjs';
import * as P from '../tests/support/onnx_pb.mjs';

const bin = process.argv[2];
const J = Number(process.argv[3] || 24);
const L = 16, C = 16, H = 64, R = 64;

// Compute-bound, not memory-bound: C x C 3x3 convolutions over a C x H x H
// activation (256 KiB, in cache), weights of 9 KiB a layer. Each layer is
// the identity (the centre tap of its own channel), so the answer, the mean of
// each channel, is the record's mean, exact in float32 (H*H is a power of 2).
function model(dir) {
  const conv = (inC) => {
    const W = new Float32Array(C * inC * 9);
    for (let o = 0; o < C; o++) W[((o * inC) + (inC === 1 ? 0 : o)) * 9 + 4] = 1;
    return W;
  };
  const attrs = [P.attrInts('kernel_shape', [3, 3]), P.attrInts('pads', [1, 1, 1, 1])];
  // A record is a row of H*H numbers: reshaped to one channel of H x H.
  const nodes = [P.node(['record', 'shape'], 'img', 'Reshape')];
  const inits = [P.initializerI64('shape', [4], [1, 1, H, H])];
  for (let l = 0; l < L; l++) {
    nodes.push(P.nodeWith([l ? `h${l - 1}` : 'img', `W${l}`], `h${l}`, 'Conv', attrs));
    inits.push(P.initializer(`W${l}`, [C, l ? C : 1, 3, 3], conv(l ? C : 1)));
  }
  nodes.push(P.node([`h${L - 1}`], 'y', 'GlobalAveragePool'));
  const graph = [...nodes, P.str(2, 'pool'), ...inits, P.fld(11, P.vinfo('record', [1, H * H])),
    P.fld(12, P.vinfo('y', [1, C, 1, 1]))];
  const file = path.join(dir, 'pool.onnx');
  writeFileSync(file, P.model(graph, 'cloister-bench'));
  const rows = [], want = [];
  for (let r = 0; r < R; r++) {
    const x = Array.from({ length: H * H }, (_, i) => ((i * 7 + r) % 41) - 20);
    rows.push(x.join(','));
    const mean = x.reduce((a, b) => a + b, 0) / (H * H);
    want.push(Array(C).fill(mean));
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
    // Nothing else on the cores until every job is done: a light poll.
    for (let t = 0; t < 6000; t++) {
      const st = await Promise.all(ids.map(async (id) => (await (await fetch(`${node.url}/v1/jobs/${id}`)).json()).state));
      if (st.every((x) => x === 'done' || x === 'failed')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    let exact = 0;
    for (let i = 0; i < J; i++) {
      const r = cli(bin, 'job', 'result', ...N, '--id', ids[i], '--keys', path.join(dir, `k${i}.json`));
      const outs = r.doc?.verified?.private_decoded ?? [];
      if (outs.length === R && outs.every((o, k) => {
        const y = o.outputs?.find((t) => t.name === 'y')?.data;
        return y?.length === C && y.every((v, j) => v === m.want[k][j]);
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
console.log(`\nEnclaves per node, ONNX: ${L} Conv 3x3 layers of ${C} channels over ${H}x${H}, ${R} records a job, ${J} jobs:`);
console.log('| enclaves | jobs | exact | s (first to last done) | jobs/s | per enclave | vs 1 |\n|---:|---:|---:|---:|---:|---|---:|');
for (const r of rows)
  console.log(`| ${r.pool} | ${r.jobs} | ${r.exact} | ${r.secs.toFixed(2)} | ${r.jobs_per_s.toFixed(2)} | ${r.per_enclave.join(' + ')} | ${(r.jobs_per_s / rows[0].jobs_per_s).toFixed(2)}x |`);
