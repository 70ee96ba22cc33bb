// stagger_test.mjs — two operators, one market (issue 21): the chain is the
// queue. Node A (operator) and node B (operator2) run enclaves of one
// measurement; B took A's epoch key (enclave.key_peers), so a request sealed to
// it opens in either, and each registered its own signer. With
// chain.stagger_seconds, each job's operators are ranked by
// keccak256(job id || operator): the first runs it at once, the second only
// when its turn comes and the job is still open. The turn is governance's
// for the vote workload (EnclaveRegistry.setStagger, 2 s, by `cloister devnet
// stagger`), over the nodes' own chain.stagger_workloads "vote=60".
//   - 12 jobs with both up: every job settled exactly once, by both
//     operators between them; duplicate runs counted and reported;
//   - A stopped (SIGSTOP): 6 more jobs all settle, by B, those A ranks first
//     after B's turn comes; A resumed leaves them alone (settled by someone
//     else);
//   - keys: B re-takes A's epochs while both records are active; once
//     governance revokes A's signer, B's node takes nothing from A; once the
//     chain's clock is past B's record's expiry, A's node gives B nothing.
// Usage: node stagger_test.mjs /path/to/cloister
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, sleep, start, stop } from '../host/nodeutil.mjs';
import * as S from './stack.mjs';

const bin = process.argv[2];
let failures = 0;
function check(cond, what, detail = '') {
  if (!cond) { failures++; console.error('FAIL', what, detail); } else console.log('ok  ', what);
}
const keys = async (n) => (await fetch(n.url + '/v1/enclave/keys')).json();
const STAGGER = 2;

const s = await S.startStack(bin, { settle_wait_ms: 100 });

try {
  // the turn given per workload (chain.stagger_workloads "vote=2"); a list
  // naming no workload is refused, naming the key
  const badCfg = path.join(s.dir, 'bad.json');
  writeFileSync(badCfg, JSON.stringify({ chain: { stagger_workloads: 'nosuch=3' } }));
  const bad = cli(bin, 'config', 'check', '--config', badCfg);
  check(bad.rc !== 0 && /chain\.stagger_workloads/.test(bad.out + bad.err), 'config check refuses a stagger for no workload');
  // The nodes' own configuration says 60 s for votes; governance sets 2 s in
  // the registry (EnclaveRegistry.setStagger), and the registry's wins.
  const nodes = await S.startOperators(s, 2, 60, true);
  const b = nodes[1];
  const gov = cli(bin, 'devnet', 'stagger', '--dir', path.join(s.dir, 'devnet'), '--workload', 'vote',
    '--seconds', String(STAGGER));
  check(gov.rc === 0 && gov.doc?.stagger_seconds === STAGGER, 'governance sets the vote turn in the registry', gov.out + gov.err);
  const badGov = cli(bin, 'devnet', 'stagger', '--dir', path.join(s.dir, 'devnet'), '--workload', 'nosuch', '--seconds', '2');
  check(badGov.rc === 2 && /unknown workload/.test(badGov.err), 'devnet stagger refuses an unknown workload');
  const ka = await keys(s.node), kb = await keys(b);
  const a = { signer: ka.keys[0].signer };
  check(kb.keys[0].hpke_public_key === ka.keys[0].hpke_public_key && kb.keys[0].signer !== ka.keys[0].signer,
    "B holds A's epoch key with a signer of its own");
  check((await s.registry.enclave(kb.keys[0].signer))[4] === 1n,
    "B's enclave registered (the same measurement, its own operator and signer)");

  // Both up.
  const w = await S.client(s);
  const jobs = [];
  for (let i = 0; i < 12; i++) jobs.push(await S.submitVote(s, w));
  const c1 = await S.waitSettled(s, jobs, 90000);
  check(jobs.every((j) => c1.get(j) === 1), 'both up: every job settled exactly once', JSON.stringify([...c1]));
  const signerOf = async (j) => (await s.market.queryFilter(s.market.filters.JobSettled(j)))[0]?.args.signer.toLowerCase();
  const by = await Promise.all(jobs.map(signerOf));
  const byA = by.filter((x) => x === a.signer.toLowerCase()).length, byB = by.filter((x) => x === kb.keys[0].signer.toLowerCase()).length;
  check(byA > 0 && byB > 0 && byA + byB === jobs.length, `the two operators shared the jobs: A ${byA}, B ${byB}`);
  const done = (log, j) => (readFileSync(log, 'utf8').match(new RegExp(`"job\\.done"[^\\n]*${j.slice(2)}`, 'g')) || []).length;
  check(jobs.every((j) => done(s.node.log, j) + done(b.log, j) > 0), 'the run counter sees every job run (in the nodes\' logs)');
  const dup = jobs.filter((j) => done(s.node.log, j) > 0 && done(b.log, j) > 0).length;
  console.log(`duplicate runs with both up: ${dup} of ${jobs.length}`);
  check(dup <= 2, 'duplicate runs with both up are rare (the second operator waits its turn)', `${dup}`);

  // A stops; B takes over A's jobs when its turn comes.
  const pre = [];
  for (let i = 0; i < 6; i++) pre.push(await S.prepareVote(s, w));
  s.node.proc.kill('SIGSTOP');
  const t0 = Date.now();
  const later = [];
  for (const p of pre) later.push(await S.submitVote(s, w, '010003', 1, p));
  const c2 = await S.waitSettled(s, later, 90000);
  const secs = (Date.now() - t0) / 1000;
  check(later.every((j) => c2.get(j) === 1) && secs < 30,
    `A stopped: all 6 settled, once each, in ${secs.toFixed(1)} s (the registry's ${STAGGER} s turn, not the nodes' 60)`, JSON.stringify([...c2]));
  const by2 = await Promise.all(later.map(signerOf));
  check(by2.every((x) => x === kb.keys[0].signer.toLowerCase()), '... all by B');
  const turns = (readFileSync(b.log, 'utf8').match(/"chain\.job_turn"/g) || []).length;
  check(turns > 0, `B waited its turn on the jobs A ranks first (${turns} times)`);
  s.node.proc.kill('SIGCONT');
  await sleep(3000 + STAGGER * 1000);
  const c3 = await S.settledCounts(s);
  check([...jobs, ...later].every((j) => c3.get(j) === 1), 'A resumed: still every job settled exactly once');
  check(/settled by someone else|chain\.job_taken/.test(readFileSync(s.node.log, 'utf8')),
    "A, resumed, leaves B's settlements alone");

  // Keys: a taker whose registry record has expired gets nothing. B, which
  // holds keys, re-takes A's later epochs every rotate_seconds (2 here) and
  // names its signer; A's node checks that signer's record at the chain's
  // time. The committee is stopped (so nobody renews a record), and the
  // chain's clock moves past every record's expiry.
  await stop(b);
  const cb = JSON.parse(readFileSync(b.cfgPath, 'utf8'));
  cb.enclave.rotate_seconds = 2;
  writeFileSync(b.cfgPath, JSON.stringify(cb));
  await start(b);
  const logB = () => readFileSync(b.log, 'utf8');
  const takenBefore = (logB().match(/"keys\.taken"/g) || []).length;
  let retook = false;
  for (let t = 0; t < 100 && !retook; t++) { retook = (logB().match(/"keys\.taken"/g) || []).length > takenBefore; await sleep(100); }
  check(retook, 'B, its record active, takes again from A');
  // Governance revokes A's signer: B's node no longer takes A's keys (A's
  // quote binds its signer; B's node checks that record).
  const govReg = new S.E.Contract(s.dep.contracts.EnclaveRegistry.address, ['function revoke(address)'],
    new S.E.Wallet(s.key('deployer'), s.provider));
  await (await govReg.revoke(ka.keys[0].signer)).wait();
  let giverRefused = false;
  for (let t = 0; t < 100 && !giverRefused; t++) {
    giverRefused = /"keys\.peer_refused"[^\n]*the giver's registry record is not active/.test(logB());
    if (!giverRefused) await sleep(100);
  }
  check(giverRefused, "A's record revoked: B's node takes nothing from it, and says why");
  for (const p of s.procs) p.kill('SIGTERM'); // the committee
  const rec = await s.registry.enclave(kb.keys[0].signer);
  const now = (await s.provider.getBlock('latest')).timestamp;
  await s.provider.send('evm_increaseTime', [Number(rec[1]) - now + 60]);
  await s.provider.send('evm_mine', []);
  let refused = false;
  for (let t = 0; t < 100 && !refused; t++) {
    refused = /"keys\.share_refused"[^\n]*registry record is expired/.test(readFileSync(s.node.log, 'utf8')) &&
      /"keys\.peer_refused"[^\n]*refuses this enclave/.test(logB());
    await sleep(100);
  }
  check(refused, "B's record expired: A's node gives it nothing, and says why");
} finally {
  await S.stopStack(s);
}
console.log(failures ? `${failures} failed` : 'all passed');
process.exit(failures ? 1 : 0);
