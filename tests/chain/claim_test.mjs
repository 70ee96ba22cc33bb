// claim_test.mjs — on-chain claims with a lease (issue 21): two operators, A
// and B, one market, a 1 s stagger, and chain.claim_workloads "vote=8" on
// both: a node claims a vote job on chain (JobMarket.claim) before it runs it,
// and waits out another's live claim.
//   - both up: every job settled exactly once, each claimed once, by the
//     operator that ran it; no job runs in both;
//   - A dies right after claiming a job (the crash point after_claim): B's
//     turn comes 1 s later, sees A's claim and waits for its end; then B
//     claims and settles it, once. Without the lease B would have run it at
//     its turn.
// Usage: node claim_test.mjs /path/to/cloister
import { readFileSync, writeFileSync } from 'node:fs';
import * as S from './stack.mjs';
import { sleep, start, stop } from '../host/nodeutil.mjs';

const bin = process.argv[2];
const LEASE = 8;
let failures = 0;
function check(cond, what, detail = '') {
  if (!cond) { failures++; console.error('FAIL', what, detail); } else console.log('ok  ', what);
}
const CLAIMED = S.E.id('JobClaimed(bytes32,address,uint40)');
async function claimsOf(s) {
  const logs = await s.provider.getLogs({ address: s.dep.contracts.JobMarket.address, topics: [CLAIMED], fromBlock: 0 });
  return logs.map((l) => ({ job: l.topics[1], by: '0x' + l.topics[2].slice(26), until: Number(BigInt('0x' + l.data.slice(2, 66))), block: l.blockNumber }));
}
const runsIn = (n, j) => (readFileSync(n.log, 'utf8').match(new RegExp(`"job\\.done"[^\\n]*${j.slice(2)}`, 'g')) || []).length;

const s = await S.startStack(bin, { settle_wait_ms: 100 });
try {
  const cfg = JSON.parse(readFileSync(s.node.cfgPath, 'utf8'));
  cfg.chain.claim_workloads = `vote=${LEASE}`;
  writeFileSync(s.node.cfgPath, JSON.stringify(cfg));
  const nodes = await S.startOperators(s, 2, 1); // B copies A's chain settings, the claims too
  const [A, B] = nodes;
  const opA = s.dep.operator.toLowerCase();

  // Both up.
  const w = await S.client(s);
  const jobs = [];
  for (let i = 0; i < 8; i++) jobs.push(await S.submitVote(s, w));
  const c = await S.waitSettled(s, jobs, 60000);
  check(jobs.every((j) => c.get(j) === 1), 'both up: every job settled exactly once');
  const cl = await claimsOf(s);
  check(jobs.every((j) => cl.filter((x) => x.job === j).length === 1), 'each job claimed once on chain');
  check(jobs.every((j) => runsIn(A, j) + runsIn(B, j) === 1), 'no job ran in both');

  // A dies holding its claim (the ballots are sealed first: A serves the key).
  const pre = [];
  for (let i = 0; i < 6; i++) pre.push(await S.prepareVote(s, w));
  await stop(A);
  await start(A, { CLOISTER_CRASH_POINT: 'after_claim' });
  const more = [];
  for (const p of pre) more.push(await S.submitVote(s, w, '010003', 1, p));
  await Promise.race([A.exited, sleep(20000)]);
  const held = (await claimsOf(s)).find((x) => more.includes(x.job) && x.by === opA);
  check(A.proc.exitCode !== null || A.proc.signalCode === 'SIGKILL', 'A died right after claiming a job');
  const c2 = await S.waitSettled(s, more, 90000);
  check(more.every((j) => c2.get(j) === 1), 'every later job settled exactly once, by B');
  if (held) {
    const settledLog = (await s.market.queryFilter(s.market.filters.JobSettled(held.job)))[0];
    const at = settledLog ? (await s.provider.getBlock(settledLog.blockNumber)).timestamp : 0;
    const byB = (await claimsOf(s)).some((x) => x.job === held.job && x.by !== opA);
    check(at >= held.until && byB, `B waited out A's lease (until ${held.until}, settled at ${at}) and claimed it then`);
    check(/"chain\.job_claimed"/.test(readFileSync(B.log, 'utf8')), "B's log names A's claim");
  } else check(false, "A's claim on a later job is on chain");
  A.proc = null;
} finally {
  await S.stopStack(s);
}
console.log(failures ? `${failures} failed` : 'all passed');
process.exit(failures ? 1 : 0);
