// fleet_test.mjs — two daemons of one operator on one PostgreSQL journal
// (issue 21). A and B share the devnet operator's key and a PostgreSQL server
// this test starts (tests/support/pgserver.sh); B took A's epoch key. B is
// killed mid-job: at its first batch, after its enclave answered and before
// the journal heard (the crash point after_enclave_result), holding the
// claims on that batch; later A is SIGKILLed while jobs are in flight. Every
// job must be settled exactly once, by one operator transaction, and no
// nonce journaled by both daemons; the jobs B held go to A when their claims'
// lease ends.
// Usage: node fleet_test.mjs /path/to/cloister
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as S from './stack.mjs';
import { makeNode, start, stop, sleep } from '../host/nodeutil.mjs';

const bin = process.argv[2];
const N = Number(process.env.CLO_FLEET_JOBS ?? 60);
const here = path.dirname(fileURLToPath(import.meta.url));
const pgserver = path.join(here, '../support/pgserver.sh');
let failures = 0;
function check(cond, what, detail = '') {
  if (!cond) { failures++; console.error('FAIL', what, detail); } else console.log('ok  ', what);
}

const pgdir = mkdtempSync('/tmp/cloister-fleet-pg-');
const pg = spawnSync('bash', [pgserver, 'start', pgdir], { encoding: 'utf8' });
if (pg.status !== 0) { console.error(pg.stderr); process.exit(1); }
const uri = pg.stdout.trim();
const sql = (q) => {
  const r = spawnSync('psql', [uri, '-XAt', '-F', ' ', '-c', q], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('psql: ' + r.stderr);
  return r.stdout.trim();
};
const logOf = (n) => readFileSync(n.log, 'utf8');
const count = (text, re) => (text.match(re) ?? []).length;

const s = await S.startStack(bin, { settle_wait_ms: 200 });
try {
  const cfgA = JSON.parse(readFileSync(s.node.cfgPath, 'utf8'));
  cfgA.api = { key_sharing: true };
  cfgA.journal = { url: uri, owner: 'A', claim_seconds: 3 };
  cfgA.limits = { ...cfgA.limits, batch_max: 4 }; // small claims: both daemons get work
  writeFileSync(s.node.cfgPath, JSON.stringify(cfgA));
  await S.startNode(s);
  await S.allowAndRegister(s);
  const A = s.node;
  const d = path.join(s.dir, 'nodeB');
  mkdirSync(d);
  const B = await makeNode(bin, d);
  const cfgB = JSON.parse(readFileSync(B.cfgPath, 'utf8'));
  cfgB.enclave = { ...cfgB.enclave, sim_dir: path.join(s.dir, 'sim'), key_peers: [A.url] };
  cfgB.chain = { ...cfgA.chain };
  cfgB.journal = { url: uri, owner: 'B', claim_seconds: 3 };
  cfgB.limits = { ...cfgB.limits, batch_max: 4 };
  writeFileSync(B.cfgPath, JSON.stringify(cfgB));
  s.others = [B];
  await start(B, { CLOISTER_CRASH_POINT: 'after_enclave_result' });
  // The moment B dies: the jobs it claimed and did not finish; then it starts again.
  const bDied = B.exited.then(async (e) => {
    const held = Number(sql("SELECT count(*) FROM jobs WHERE claimed_by = 'B' AND state = 0"));
    B.proc = null;
    await start(B); // no crash point now
    return { e, held };
  });
  const keysOf = async (n) => (await (await fetch(n.url + '/v1/enclave/keys')).json()).keys[0];
  const [ka, kb] = [await keysOf(A), await keysOf(B)];
  let recB = null;
  for (let t = 0; t < 150 && !(recB && recB[4] === 1n); t++) { recB = await s.registry.enclave(kb.signer); await sleep(200); }
  check(ka.hpke_public_key === kb.hpke_public_key && ka.signer !== kb.signer && recB[4] === 1n,
    "B took A's epoch key and registered a signer of its own, under the same operator");
  await S.putModel(s, '010003'); // once: the journal is shared

  const w = await S.client(s);
  const jobs = [];
  for (let i = 0; i < N; i++) jobs.push(await S.submitVote(s, w, '010003', 1, { wait: i === N - 1 }));
  const bDeath = await Promise.race([bDied, sleep(30000).then(() => null)]);
  check(bDeath?.e.sig === 'SIGKILL' && bDeath.held > 0,
    `B died mid-job at its crash point, holding ${bDeath?.held} claimed jobs`, JSON.stringify(bDeath));
  // A dies once some jobs are settled and others are in flight.
  for (let t = 0; t < 300; t++) {
    const c = await S.settledCounts(s);
    if (jobs.filter((j) => c.has(j)).length >= N / 3) break;
    await sleep(100);
  }
  A.proc.kill('SIGKILL');
  await A.exited;
  A.proc = null;
  await sleep(1000);
  await start(A);

  const c = await S.waitSettled(s, jobs, 120000);
  const once = jobs.filter((j) => c.get(j) === 1).length;
  check(once === N, `every job settled exactly once: ${once} of ${N}`);
  const sends = await S.settlementSends(s, jobs);
  const oneSend = jobs.filter((j) => sends.get(j) === 1).length;
  check(oneSend === N, `one operator transaction per job: ${oneSend} of ${N}`);
  check(sql('SELECT count(*) FROM jobs WHERE state = 0') === '0', 'no job left unfinished in the journal');
  check(sql('SELECT count(*) FROM chain_jobs WHERE state <> 3') === '0', 'every chain job settled in the journal');
  // Nonces: none journaled by both daemons; one mined transaction per nonce,
  // and the chain's count for the operator is theirs.
  check(sql('SELECT count(*) FROM txs a JOIN txs b ON a.nonce = b.nonce AND a.owner <> b.owner') === '0',
    'no nonce journaled by both daemons');
  check(sql('SELECT count(*) FROM (SELECT nonce FROM txs WHERE state = 1 GROUP BY nonce HAVING count(*) > 1) x') === '0',
    'one mined transaction per nonce');
  const mined = Number(sql('SELECT count(*) FROM txs WHERE state = 1'));
  const maxNonce = Number(sql('SELECT max(nonce) FROM txs WHERE state = 1'));
  const chainNonce = await s.provider.getTransactionCount(s.dep.operator, 'latest');
  const before = Number(sql('SELECT min(nonce) FROM txs'));
  check(chainNonce === maxNonce + 1 && mined === maxNonce + 1 - before,
    `the operator's ${chainNonce - before} transactions since the fleet started are the ${mined} journaled`,
    `chain ${chainNonce}, max ${maxNonce}, first ${before}, mined ${mined}`);
  const byOwner = sql("SELECT owner, count(*) FROM txs WHERE state = 1 GROUP BY owner ORDER BY owner");
  const ranA = count(logOf(A), /"job\.done"/g), ranB = count(logOf(B), /"job\.done"/g);
  check(ranA > 0 && ranB > 0, `both daemons ran jobs (A ${ranA}, B ${ranB})`);
  // A job runs twice only when a daemon died holding it: at most a batch (4).
  check(ranA + ranB - N <= 4, `no job run by both daemons but those a dead one held (${ranA + ranB - N})`);
  const taken = count(logOf(A) + logOf(B), /nonce taken by another daemon/g);
  const failed = sql('SELECT count(*) FROM txs WHERE state = 2');
  console.log(`fleet: ${N} jobs; transactions by daemon: ${byOwner.replace(/\n/g, ', ')}; ` +
    `${taken} sends signed again after a nonce conflict; ${failed} transactions failed; ` +
    `${ranA + ranB - N} jobs ran twice`);
} finally {
  await S.stopStack(s);
  spawnSync('bash', [pgserver, 'stop', pgdir]);
  rmSync(pgdir, { recursive: true, force: true });
}
console.log(failures ? `${failures} failed` : 'all passed');
process.exit(failures ? 1 : 0);
