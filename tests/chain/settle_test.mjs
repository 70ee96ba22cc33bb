// settle_test.mjs — cloisterd on chain, end to end with real parts: committee
// registration, a sealed-bid auction settled through its consumer contract
// (each bidder opens only its own result), a burst of jobs settled in
// enclave-signed batches exactly once, a job waiting for its model config,
// a job the enclave refuses, a restart that sends nothing twice, and a restart
// from older sealed state that the committee's records refuse.
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { cli, sleep, start } from '../host/nodeutil.mjs';
import * as S from './stack.mjs';

const bin = process.argv[2];
const { Contract, parseEther, keccak256, Wallet } = S.E;
let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('FAIL', what); } else console.log('ok  ', what);
}

const s = await S.startStack(bin, { settle_wait_ms: 500 });
try {
  await S.startNode(s);
  const reg = await S.allowAndRegister(s);
  const statePath = path.join(s.node.dir, 'data', 'enclave.state');
  const oldState = readFileSync(statePath); /* for the rollback, at the end */
  const rlog = await s.registry.queryFilter(s.registry.filters.EnclaveRegistered(reg.signer));
  check(rlog.length === 1 && rlog[0].args.approvers.length === 3 && rlog[0].args.teeType === 1n &&
        rlog[0].args.measurement === reg.measurement,
        'the enclave is registered with 3 committee approvals, TEE type sim and its measurement');

  // ---- one verifier, by hand: cloister verifier approve ----
  const vargs = ['verifier', 'approve', '--node', s.node.url, '--operator', s.dep.operator,
    '--key', path.join(s.dir, 'devnet/keys/verifier1.key'),
    '--deployment', path.join(s.dir, 'devnet/deployments', `${s.dep.chain_id}.json`)];
  const va = cli(bin, ...vargs, '--sim-dir', path.join(s.dir, 'sim'));
  const digest = va.doc && S.E.TypedDataEncoder.hash(
    { name: 'Cloister', version: '1', chainId: s.dep.chain_id, verifyingContract: s.dep.contracts.EnclaveRegistry.address },
    { EnclaveApproval: [{ name: 'operator', type: 'address' }, { name: 'teeType', type: 'uint8' },
      { name: 'measurement', type: 'bytes32' }, { name: 'signer', type: 'address' }, { name: 'hpkeKey', type: 'bytes32' },
      { name: 'epoch', type: 'uint32' }, { name: 'expiry', type: 'uint64' }, { name: 'evidenceDigest', type: 'bytes32' }] },
    va.doc.approval);
  check(va.rc === 0 && va.doc.approval.signer.toLowerCase() === reg.signer.toLowerCase() &&
        va.doc.approval.measurement === reg.measurement &&
        S.E.recoverAddress(digest, va.doc.signature).toLowerCase() === va.doc.verifier.toLowerCase() &&
        s.dep.committee.verifiers.includes(va.doc.verifier.toLowerCase()),
        'verifier approve: an EnclaveApproval of the enclave, its EIP-712 signature checked by ethers');
  const vp = cli(bin, ...vargs);
  check(vp.rc === 4 && vp.doc?.verdict?.status === 'rejected',
        '... and with the production roots and policy, the simulated TEE is refused (exit 4, verdict)');

  // ---- a sealed-bid auction through SealedBidAuction ----
  const seller = await S.client(s);
  const A = s.dep.contracts.SealedBidAuction.address;
  const auc = new Contract(A, ['function create(bytes,uint40,uint40,uint256) payable returns (uint256,bytes32)',
    'function bid(uint256,bytes) payable', 'function submit(uint256)', 'function auctionCount() view returns (uint256)',
    'event AuctionDecided(uint256 indexed auctionId, bool sold, address winner, uint256 price)'], seller);
  // Second price, reserve 0. Nobody POSTs this config to the node: create()
  // publishes it (WorkloadConfig) and the node's follower takes it from the chain.
  const config = '0102' + '00'.repeat(32);
  const now = (await s.provider.getBlock('latest')).timestamp;
  // every bid deposits the same 10 ETH (uniform deposits: the chain learns nothing of a bid)
  await (await auc.create('0x' + config, now + 60, now + 3600, parseEther('10'), { value: 1000n })).wait();
  const id = await auc.auctionCount();
  const jobId = await s.market.jobIdFor(A, id);
  const amounts = [3n, 9n, 5n], bidders = [];
  for (let i = 0; i < amounts.length; i++) {
    const w = await S.client(s);
    const me = await w.getAddress();
    bidders.push(me);
    const bid = '01' + me.slice(2).toLowerCase() + (amounts[i] * 10n ** 18n).toString(16).padStart(64, '0');
    const [env] = S.seal(s, 'auction', config, [bid], jobId, path.join(s.dir, `bid${i}.keys.json`));
    await (await auc.connect(w).bid(id, env, { value: parseEther('10') })).wait();
  }
  await s.provider.send('evm_increaseTime', [61]);
  await s.provider.send('evm_mine', []);
  await (await auc.submit(id)).wait();
  const c1 = await S.waitSettled(s, [jobId]);
  check(c1.get(jobId) === 1, 'the auction job is settled once on chain, its config taken from the chain (no POST)');
  check(/"event":"chain.config_seen"[^\n]*"config_hash":"0x[0-9a-f]{64}"/.test(readFileSync(s.node.log, 'utf8')),
        '... the node logged the config it read from the auction contract');
  const dec = await auc.queryFilter(auc.filters.AuctionDecided(id));
  check(dec.length === 1 && dec[0].args.sold && dec[0].args.winner === bidders[1] &&
        dec[0].args.price === 5n * 10n ** 18n,
        'the consumer contract decided: highest bidder wins at the second price');
  for (let i = 0; i < 3; i++) {
    const r = cli(bin, 'job', 'result', '--node', s.node.url, '--id', jobId.slice(2), '--keys',
      path.join(s.dir, `bid${i}.keys.json`));
    const opened = r.doc?.verified?.private ?? [];
    check(r.rc === 0 && r.doc.verified.signature_valid && opened.filter((x) => x !== null).length === 1 &&
          opened[i] !== null && opened[i].slice(0, 6) === (i === 1 ? '0x0101' : '0x0100'),
          `bidder ${i} opens its own result (${i === 1 ? 'won' : 'lost'}) and no other`);
  }

  // ---- a chain job whose config nobody has: visible while it waits, runs once the config comes ----
  {
    const w = await S.client(s);
    const cfg = '010009'; // a vote with 9 choices: neither POSTed nor published
    const waitId = await S.submitVote(s, w, cfg, 2);
    let st = null;
    for (let i = 0; i < 200; i++) {
      st = await (await fetch(`${s.node.url}/v1/jobs/${waitId.slice(2)}`)).json();
      if (st.state === 'waiting_for_config') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    check(st?.state === 'waiting_for_config' && st.source === 'chain',
          `a chain job lacking its config shows waiting_for_config in the API (${JSON.stringify(st)})`);
    const metrics = await (await fetch(`${s.node.url}/metrics`)).text();
    check(/^cloister_chain_jobs\{state="waiting_for_config"\} [1-9]/m.test(metrics), '... and in the metrics');
    check(new RegExp(`"event":"chain.job_waiting"[^\\n]*"job_id":"${waitId}"[^\\n]*"why":"waiting_for_config"`)
            .test(readFileSync(s.node.log, 'utf8')), '... and in a log line');
    check(/^cloister_chain_followed_block [1-9]/m.test(metrics) && /^cloister_operator_balance_eth [0-9]/m.test(metrics) &&
          /^cloister_enclave_record_expires_seconds [1-9]/m.test(metrics) && /^cloister_chain_tx_total\{outcome="ok"\} [1-9]/m.test(metrics),
          'chain metrics: followed block, operator balance, record expiry, transactions by outcome');
    await S.putModel(s, cfg);
    const c = await S.waitSettled(s, [waitId]);
    check(c.get(waitId) === 1, '... once the config is given, the job runs and settles once');
  }

  // ---- a burst of jobs: batches, exactly once ----
  const w = await S.client(s);
  await S.putModel(s, '010003');
  const ids = [], burst = [];
  for (let i = 0; i < 40; i++) burst.push(await S.prepareVote(s, w));
  for (const p of burst) ids.push(await S.submitVote(s, w, '010003', 1, p));
  const c2 = await S.waitSettled(s, ids);
  check(ids.every((j) => c2.get(j) === 1), '40 jobs, each settled exactly once');
  const sends = await S.settlementSends(s, ids);
  check(ids.every((j) => sends.get(j) === 1), '... and the node sent one settlement per job');
  for (const j of ids.filter((j) => sends.get(j) !== 1)) {
    console.error('  job', j, 'sent', sends.get(j), 'times; its log lines:');
    for (const line of readFileSync(s.node.log, 'utf8').split('\n'))
      if (line.includes(j.slice(2))) console.error('   ', line.slice(0, 300));
  }
  const log = readFileSync(s.node.log, 'utf8');
  check(/"what":"settleBatch"[^\n]*"status":1/.test(log), '... some of them as enclave-signed batches');

  // ---- a job whose model config the node does not know yet ----
  const cfg2 = '010005';
  const waiting = await S.submitVote(s, w, cfg2, 4);
  await sleep(1000);
  check(!(await S.settledCounts(s)).has(waiting), 'a job with an unknown config waits');
  await S.putModel(s, cfg2);
  const c3 = await S.waitSettled(s, [waiting]);
  check(c3.get(waiting) === 1, '... and settles once its config is posted');

  // ---- an input that does not open (sealed for another job): excluded, never a veto ----
  const other = await s.market.jobIdFor(await w.getAddress(), 1n);
  const badEnv = S.seal(s, 'vote', '010003', ['01' + '11'.repeat(20) + '0001'], other);
  const bad = await S.submitVote(s, w, '010003', 1, { envelopes: badEnv });
  const good = await S.submitVote(s, w);
  const c4 = await S.waitSettled(s, [good, bad]);
  check(c4.get(good) === 1 && c4.get(bad) === 1, 'a job whose envelope does not open is still decided and settled, as is the next');
  const [ev] = await s.market.queryFilter(s.market.filters.JobSettled(bad), 0, 'latest');
  const pub = Buffer.from(ev.args.publicOutput.slice(2), 'hex');
  check(pub[0] === 2 && pub.readUInt32BE(3) === 0 && pub.readUInt16BE(19) === 1 && pub.readUInt16BE(21) === 0,
        '... its tally counts nothing and names input 0 as excluded');
  // A job whose config the node never learns is never run: the audit shows it unsettled.
  const unrun = await S.submitVote(s, w, '010007', 1);

  // ---- cloister audit: the chain of custody, from the chain alone ----
  const depFile = path.join(s.dir, 'devnet/deployments', `${s.dep.chain_id}.json`);
  const batched = ids[0];
  const au = cli(bin, 'audit', batched.slice(2), '--deployment', depFile);
  const links = au.doc?.links ?? [];
  check(au.rc === 0 && au.doc.custody_ok && links.length === 5 && links.every((l) => l.ok),
        'audit of a settled job: submission, one settlement, statement, record, approvals all hold');
  const auAuction = cli(bin, 'audit', jobId.slice(2), '--deployment', depFile);
  check(auAuction.rc === 0 && auAuction.doc.links[4].approvers.length === 3,
        '... the auction job too, back to its 3 committee approvals');
  const forms = new Set(ids.slice(0, 40).map((j) => cli(bin, 'audit', j.slice(2), '--deployment', depFile)
    .doc?.links?.[2]?.form));
  check(forms.has('batch root and Merkle proof'), '... batch-settled jobs are checked through their Merkle proof');
  const auBad = cli(bin, 'audit', unrun.slice(2), '--deployment', depFile);
  check(auBad.rc === 4 && auBad.doc.custody_ok === false && auBad.doc.links[1].ok === false,
        'audit of a job never settled: exit 4, not settled');

  // ---- restart: nothing is sent twice ----
  const prepared = [];
  for (let i = 0; i < 5; i++) prepared.push(await S.prepareVote(s, w));
  const late = await S.prepareVote(s, w);
  await S.stopNode(s);
  const more = [];
  for (const p of prepared) more.push(await S.submitVote(s, w, '010003', 1, p));
  // A job whose deadline passes (chain time) while the node is down.
  const expired = await S.submitVote(s, w, '010003', 1, { ...late, ttl: 60 });
  await s.provider.send('evm_increaseTime', [120]);
  await s.provider.send('evm_mine', []);
  await S.startNode(s);
  const c5 = await S.waitSettled(s, more);
  check(more.every((j) => c5.get(j) === 1), 'jobs submitted while the node was down settle after restart');
  await sleep(500);
  const dropped = readFileSync(s.node.log, 'utf8').split('\n')
    .filter((l) => l.includes('chain.job_dropped') && l.includes(expired.slice(2)));
  check(!c5.has(expired) && dropped.length === 1 && /deadline passed/.test(dropped[0]),
        'a job whose deadline passed (by chain time) is dropped once, with the reason, not retried');
  const all = [...ids, waiting, good, ...more];
  const sends2 = await S.settlementSends(s, all);
  check(all.every((j) => sends2.get(j) === 1), '... and across the restart no job got a second settlement');

  // ---- a verifier's state records, with ethers as the independent EIP-712 signer ----
  {
    const domain = { name: 'Cloister', version: '1', chainId: s.dep.chain_id,
                     verifyingContract: s.dep.contracts.JobMarket.address };
    const T = (n, nonce) => ({ [n]: [{ name: 'lineage', type: 'address' }, { name: 'version', type: 'uint64' },
                                     ...(nonce ? [{ name: 'nonce', type: 'bytes32' }] : [])] });
    const lineage = Wallet.createRandom(), other = Wallet.createRandom(), v1 = s.verifiers[0];
    const signed = async (key, version) => key.signTypedData(domain, T('StateExport'), { lineage: lineage.address, version });
    const post = async (p, body) => {
      const r = await fetch(v1 + p, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, doc: await r.json() };
    };
    const rec = async (version, key = lineage) =>
      post('/v1/state/record', { lineage: lineage.address, version, signature: await signed(key, version) });
    const r5 = await rec(5);
    const who = S.E.verifyTypedData(domain, T('StateRecorded'), { lineage: lineage.address, version: 5 }, r5.doc.signature ?? '0x');
    check(r5.status === 200 && r5.doc.version === 5 && who.toLowerCase() === r5.doc.verifier.toLowerCase(),
          'a verifier records a version the lineage key signed (ethers-signed StateExport) and signs StateRecorded');
    const r3 = await rec(3);
    check(r3.status === 409 && r3.doc.code === 'stale' && r3.doc.recorded === 5,
          '... refuses a lower version of that lineage (409 stale, naming the record)');
    const rx = await rec(7, other);
    check(rx.status === 422 && rx.doc.code === 'signature', '... refuses a version not signed by the lineage key (422)');
    const nonce = S.E.hexlify(S.E.randomBytes(32));
    const l = await post('/v1/state/latest', { lineage: lineage.address, nonce });
    const who2 = S.E.verifyTypedData(domain, T('StateLatest', true), { lineage: lineage.address, version: 5, nonce },
                                     l.doc.signature ?? '0x');
    check(l.status === 200 && l.doc.version === 5 && who2.toLowerCase() === l.doc.verifier.toLowerCase(),
          '... and reports 5, not 7, as the latest, over the asker\'s nonce (StateLatest)');
    const bad = await post('/v1/state/record', { lineage: lineage.address, version: 0, signature: await signed(lineage, 0) });
    check(bad.status === 400, '... a version 0 is a bad request');
  }

  // ---- rollback: the host restarts the enclave from older sealed state ----
  await S.stopNode(s);
  const latest = readFileSync(statePath);
  writeFileSync(statePath, oldState);
  let refused = '';
  try { await start(s.node); } catch (e) { refused = String(e.message); }
  check(/older than the version the committee recorded/.test(refused),
        'a node restarted on older sealed state does not start: the committee recorded a later version');
  writeFileSync(statePath, latest);
  await S.startNode(s);
  const after = await S.submitVote(s, w);
  const c6 = await S.waitSettled(s, [after]);
  check(c6.get(after) === 1, '... and on its latest state it starts and settles again');
} catch (e) {
  failures++;
  console.error('FAIL', e.stack ?? e);
} finally {
  await S.stopStack(s);
}
console.log(failures ? `${failures} failure(s)` : 'all checks passed');
process.exit(failures ? 1 : 0);
