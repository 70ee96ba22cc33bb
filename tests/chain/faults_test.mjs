// faults_test.mjs — exactly-once settlement through a misbehaving JSON-RPC
// link (tests/chain/fault_proxy.mjs between the node and anvil: dropped
// requests, lost replies, delays, HTTP 500, malformed JSON, 25% of calls),
// with a restart in the middle: every job settles, once, and the node sends
// one settlement transaction per job.
import * as S from './stack.mjs';
import { startFaultProxy } from './fault_proxy.mjs';

const bin = process.argv[2];
let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('FAIL', what); } else console.log('ok  ', what);
}

let proxy = null;
const s = await S.startStack(bin, {
  settle_wait_ms: 200, settle_batch: 4,
  proxy: async (anvil) => (proxy = await startFaultProxy(anvil, { rate: 0.25, seed: 11 })).url,
});
try {
  await S.startNode(s);
  await S.allowAndRegister(s, 120000);
  await S.putModel(s, '010003');
  const w = await S.client(s);
  const sealed = [];
  for (let i = 0; i < 40; i++) sealed.push(await S.prepareVote(s, w));
  const ids = [];
  for (const p of sealed.slice(0, 20)) ids.push(await S.submitVote(s, w, '010003', 1, p));
  await S.waitSettled(s, ids.slice(0, 5), 60000);
  await S.stopNode(s, 'SIGKILL');
  for (const p of sealed.slice(20)) ids.push(await S.submitVote(s, w, '010003', 1, p));
  await S.startNode(s);
  const settled = await S.waitSettled(s, ids, 240000);
  const c = proxy.counts;
  console.log('proxy:', JSON.stringify(c));
  check(c.drop + c.lost_reply + c.delay + c.http500 + c.malformed >= 20, 'the proxy really misbehaved (every kind)' );
  check(c.drop > 0 && c.lost_reply > 0 && c.http500 > 0 && c.malformed > 0 && c.delay > 0, '... in each of its five ways');
  check(ids.every((j) => settled.get(j) === 1), `all ${ids.length} jobs settled exactly once`);
  const sends = await S.settlementSends(s, ids);
  const twice = ids.filter((j) => sends.get(j) !== 1);
  check(twice.length === 0, `one settlement transaction per job (${twice.length} otherwise)`);
} catch (e) {
  failures++;
  console.error('FAIL', e.stack ?? e);
} finally {
  proxy?.close();
  await S.stopStack(s);
}
console.log(failures ? `${failures} failure(s)` : 'all checks passed');
process.exit(failures ? 1 : 0);
