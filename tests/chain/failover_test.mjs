// failover_test.mjs — three operators, one market, under chaos (issue 21).
// Nodes A, B, C (three operator keys) run enclaves of one measurement; B and C
// took A's epoch key. chain.stagger_seconds = 2. N vote jobs (default 300,
// CLO_FAILOVER_JOBS: make soak runs 1000) are submitted while, about a third of the
// time, one node at a time is SIGKILLed (then restarted) or SIGSTOPped (then
// continued). Every job must be settled exactly once; runs in more than one
// enclave (duplicates) are counted and reported, and must stay bounded.
// Usage: node failover_test.mjs /path/to/cloister
import { readFileSync } from 'node:fs';
import * as S from './stack.mjs';

const bin = process.argv[2];
const N = Number(process.env.CLO_FAILOVER_JOBS ?? 300);
let failures = 0;
function check(cond, what, detail = '') {
  if (!cond) { failures++; console.error('FAIL', what, detail); } else console.log('ok  ', what);
}
const keys = async (n) => (await fetch(n.url + '/v1/enclave/keys')).json();

const s = await S.startStack(bin, { settle_wait_ms: 200 });
const nodes = [];
let stopChaos = async () => {};
try {
  nodes.push(...(await S.startOperators(s, 3, 2)));
  const ks = await Promise.all(nodes.map(keys));
  check(ks.every((k) => k.keys[0].hpke_public_key === ks[0].keys[0].hpke_public_key), 'three enclaves, one epoch key');
  const recs = await Promise.all(ks.map((k) => s.registry.enclave(k.keys[0].signer)));
  check(recs.every((r) => r[4] === 1n) && new Set(ks.map((k) => k.keys[0].signer)).size === 3,
    'the three registered, each with its own signer');

  // Seal every ballot first (A answers for the shared key), then chaos.
  const w = await S.client(s);
  const pre = [];
  for (let i = 0; i < N; i++) pre.push(await S.prepareVote(s, w));
  const t0 = Date.now();
  stopChaos = S.startChaos(nodes);
  const jobs = [];
  for (const p of pre) jobs.push(await S.submitVote(s, w, '010003', 1, p));
  const c = await S.waitSettled(s, jobs, 150000);
  const { kills, stops, downMs } = await stopChaos();
  const secs = (Date.now() - t0) / 1000;
  const once = jobs.filter((j) => c.get(j) === 1).length;
  check(once === jobs.length, `every job settled exactly once: ${once} of ${jobs.length}`,
    JSON.stringify(jobs.filter((j) => c.get(j) !== 1).slice(0, 5)));
  const logs = nodes.map((n) => readFileSync(n.log, 'utf8'));
  const ran = (j) => logs.filter((l) => new RegExp(`"job\\.done"[^\\n]*${j.slice(2)}`).test(l)).length;
  const runs = jobs.map(ran);
  const dup = runs.filter((r) => r > 1).length;
  check(runs.every((r) => r >= 1), 'the run counter sees every job run');
  console.log(`failover: ${N} jobs in ${secs.toFixed(1)} s; ${kills} kills and ${stops} stops, a node down ` +
    `${(100 * downMs / (secs * 1000)).toFixed(0)}% of the time; ${dup} jobs ran in more than one enclave`);
  check(dup <= Math.ceil(N / 4), `duplicate runs bounded (${dup} of ${N})`);
} finally {
  await stopChaos();
  await S.stopStack(s);
}
console.log(failures ? `${failures} failed` : 'all passed');
process.exit(failures ? 1 : 0);
