// fleet_bench.mjs — `make bench`, several operators (issue 21): settled jobs
// per second on anvil with 1, 2 and 3 nodes (one enclave each, sharing one
// epoch key, chain.stagger_seconds 2), and 1 and 2 nodes of two enclaves
// each (enclave.pool 2), and the latency from submission (the
// submitJob transaction sent) to settlement (its JobSettled seen), p50 and
// p99: under load (N jobs sent back to back) and under failover (the same
// with three nodes while one at a time is killed or stopped, a third of the
// time); and the fleet's own rate on a backlog (N jobs submitted while every
// node is stopped, then all continued at once, until the last settles). One
// machine (2 cores) runs the chain, the verifiers and every node,
// so more nodes share the same cores: the figures show what the queue costs
// and buys here, not a cluster's scaling.
// Usage: node fleet_bench.mjs /path/to/cloister [N]
import os from 'node:os';
import { sleep } from '../tests/host/nodeutil.mjs';
import * as S from '../tests/chain/stack.mjs';

const bin = process.argv[2];
const N = Number(process.argv[3] || 150);
const pct = (v, p) => v[Math.min(v.length - 1, Math.floor(v.length * p))];

async function run(count, chaos, pool = 1) {
  const s = await S.startStack(bin, { settle_wait_ms: 200 });
  let stopChaos = async () => ({});
  try {
    const nodes = await S.startOperators(s, count, 2, false, pool);
    const w = await S.client(s);
    const pre = [];
    for (let i = 0; i < N; i++) pre.push(await S.prepareVote(s, w));
    const submitted = new Map(), settled = new Map();
    let from = await s.provider.getBlockNumber();
    const watch = (async () => {
      while (settled.size < N) {
        const logs = await s.market.queryFilter(s.market.filters.JobSettled(), from, 'latest');
        for (const l of logs) if (!settled.has(l.args.jobId)) settled.set(l.args.jobId, Date.now());
        await sleep(50);
      }
    })();
    if (chaos) stopChaos = S.startChaos(nodes);
    const t0 = Date.now();
    for (const p of pre) { // sent back to back, not waited for: anvil mines each at once
      const id = await S.submitVote(s, w, '010003', 1, { ...p, wait: false });
      submitted.set(id, Date.now());
    }
    await Promise.race([watch, sleep(240000)]);
    const secs = (Math.max(...settled.values()) - t0) / 1000;
    const lat = [...submitted].filter(([j]) => settled.has(j)).map(([j, t]) => settled.get(j) - t).sort((a, b) => a - b);
    const row = { nodes: count, enclaves: pool, chaos, jobs: N, settled: settled.size, secs, jobs_per_s: settled.size / secs,
                  p50_ms: pct(lat, 0.5), p99_ms: pct(lat, 0.99) };
    if (chaos) return row;
    // The fleet's own rate: N more jobs submitted while every node is stopped,
    // then all continued at once; the time until the last one settles.
    await stopChaos();
    const more = [];
    for (let i = 0; i < N; i++) more.push(await S.prepareVote(s, w));
    for (const n of nodes) n.proc.kill('SIGSTOP');
    const backlog = [];
    for (const p of more) backlog.push(await S.submitVote(s, w, '010003', 1, { ...p, wait: false }));
    await sleep(500);
    const t1 = Date.now();
    for (const n of nodes) n.proc.kill('SIGCONT');
    const c = await S.waitSettled(s, backlog, 240000);
    row.backlog_s = (Date.now() - t1) / 1000;
    row.backlog_jobs_per_s = backlog.filter((j) => c.has(j)).length / row.backlog_s;
    return row;
  } finally {
    await stopChaos();
    await S.stopStack(s);
  }
}

const rows = [];
for (const n of [1, 2, 3]) rows.push(await run(n, false));
for (const n of [1, 2]) rows.push(await run(n, false, 2));
rows.push(await run(3, true));
console.log(JSON.stringify({ date: new Date().toISOString().slice(0, 10), cpu: os.cpus()[0]?.model, cores: os.cpus().length, rows }));
console.log('\n| nodes | enclaves per node | chaos | jobs | settled | s | jobs/s | p50 ms | p99 ms | backlog jobs/s |\n|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows)
  console.log(`| ${r.nodes} | ${r.enclaves} | ${r.chaos ? 'yes' : 'no'} | ${r.jobs} | ${r.settled} | ${r.secs.toFixed(1)} | ${r.jobs_per_s.toFixed(2)} | ${r.p50_ms} | ${r.p99_ms} | ${r.backlog_jobs_per_s ? r.backlog_jobs_per_s.toFixed(2) : '—'} |`);
