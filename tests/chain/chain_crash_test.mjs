// chain_crash_test.mjs — exactly-once settlement under crashes, against anvil.
// Jobs keep arriving on chain while cloisterd is SIGKILLed, over 100 cycles, at
// the named crash points (after a signed transaction is journaled, after its
// broadcast, before its receipt is journaled, after an enclave result) and at
// random moments. Then, from the chain's own logs and transactions: every job
// is settled (none lost), exactly once, and the node sent exactly one
// settlement transaction per job.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import * as S from './stack.mjs';

const bin = process.argv[2];
const CYCLES = +(process.env.CLO_CHAIN_CRASH_CYCLES ?? 100);
const POINTS = ['after_tx_journal:1', 'after_broadcast:1', 'before_receipt_journal:1',
  'after_tx_journal:2', 'after_enclave_result:1', 'random', 'random'];
let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('FAIL', what); } else console.log('ok  ', what);
}

const s = await S.startStack(bin, { settle_wait_ms: 100, settle_batch: 4 });
const counts = Object.fromEntries(POINTS.map((p) => [p, 0]));
let crashed = 0;
try {
  await S.startNode(s);
  await S.allowAndRegister(s);
  await S.putModel(s, '010003');
  const w = await S.client(s);
  const sealed = [];
  for (let i = 0; i < 2 * CYCLES; i++) sealed.push(await S.prepareVote(s, w));
  await S.stopNode(s);
  const ids = [];
  let seed = 12345;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let c = 0; c < CYCLES; c++) {
    for (const p of sealed.slice(2 * c, 2 * c + 2)) ids.push(await S.submitVote(s, w, '010003', 1, p));
    const point = POINTS[rnd(POINTS.length)];
    counts[point]++;
    const env = point === 'random' ? {} : { CLOISTER_CRASH_POINT: point };
    try { await S.startNode(s, env); } catch { /* died while starting: that is a crash too */ }
    if (s.node.proc) {
      const limit = point === 'random' ? 50 + rnd(700) : 3000;
      const r = await Promise.race([s.node.exited, sleep(limit).then(() => null)]);
      if (r) crashed++;
      await S.stopNode(s, 'SIGKILL');
    } else {
      crashed++;
    }
  }
  console.log(`${CYCLES} cycles, ${crashed} crashed at their point before the deadline;`, JSON.stringify(counts));
  await S.startNode(s);
  const settled = await S.waitSettled(s, ids, 180000);
  const lost = ids.filter((j) => !settled.has(j));
  check(!lost.length, `no job lost: all ${ids.length} settled`);
  if (lost.length) { // say where each one is, and keep the node's log for a look
    for (const j of lost.slice(0, 5)) {
      const r = await fetch(`${s.node.url}/v1/jobs/${j}`).then((x) => x.text()).catch((e) => String(e));
      console.log(`  not settled: ${j}: ${r.slice(0, 300)}`);
    }
    const log = readFileSync(s.node.log, 'utf8').split('\n');
    console.log(`  the node's log, last 40 of ${log.length} lines:\n  ` + log.slice(-41).join('\n  '));
    process.env.CLO_KEEP = '1';
  }
  check(ids.every((j) => (settled.get(j) ?? 0) <= 1), 'no job settled twice (JobSettled logs)');
  const sends = await S.settlementSends(s, ids);
  const twice = ids.filter((j) => sends.get(j) > 1);
  check(twice.length === 0, `the node sent one settlement per job (${twice.length} sent more than once)`);
  // A random cycle is a SIGKILL at a random moment, so only the named points
  // can end a cycle by themselves: the counts say how close this ran.
  const named = CYCLES - counts.random;
  check(crashed >= CYCLES / 2,
        `most cycles really crashed the node (${crashed} of ${CYCLES}; ${named} cycles had a named point)`);
} catch (e) {
  failures++;
  console.error('FAIL', e.stack ?? e);
} finally {
  await S.stopStack(s);
}
console.log(failures ? `${failures} failure(s)` : 'all checks passed');
process.exit(failures ? 1 : 0);
