// verified_test.mjs — an SEV-SNP enclave registered on one approval of a
// verifier enclave (issue 18), all real parts: two nodes on one simulated
// platform, anvil. Node A's enclave (the simulated TDX TEE, registered by the
// committee) serves /v1/attest/snp/ and is allowed for "attest-snp"; node B
// runs the sim-snp backend (SEV-SNP reports signed by the simulated VCEK) with
// chain.registration "verifier-enclave": A's enclave issues the challenge,
// checks B's report against the AMD-shaped chain and the binding inside the
// enclave, and signs; B sends registerVerified. Refused along the way: a
// verifier enclave not allowed for attest-snp (NotAVerifier), a nonce A did not
// issue, a node not serving the role. Then a job sealed to B's key settles
// under B's SNP record, and B's next epoch rotates from it (rotateVerified).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, sleep, makeNode, start, stop } from '../host/nodeutil.mjs';
import * as S from './stack.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = process.argv[2];
let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('FAIL', what); } else console.log('ok  ', what);
}
const abi = (name) => JSON.parse(readFileSync(path.join(root, 'contracts/out', `${name}.sol`, `${name}.json`), 'utf8')).abi;
const keys = async (n) => (await fetch(n.url + '/v1/enclave/keys')).json();
const post = async (n, p, body) => {
  const r = await fetch(n.url + p, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  return { status: r.status, doc: await r.json().catch(() => null) };
};

const s = await S.startStack(bin);
let b = null;
try {
  const dev = path.join(s.dir, 'devnet'), sim = path.join(s.dir, 'sim');
  const reg = new S.E.Contract(s.dep.contracts.EnclaveRegistry.address, abi('EnclaveRegistry'), s.provider);

  // A: the stack's node, registered by the committee, serving the verifier role.
  const cfgA = JSON.parse(readFileSync(s.node.cfgPath, 'utf8'));
  cfgA.api = { snp_verifier: true };
  writeFileSync(s.node.cfgPath, JSON.stringify(cfgA));
  await S.startNode(s);
  const a = await S.allowAndRegister(s);
  check(!!a.signer, 'the verifier enclave (simulated TDX) is registered by the committee');

  // B: an SNP enclave on the same simulated platform, another operator.
  const bdir = path.join(s.dir, 'nodeB');
  mkdirSync(bdir);
  b = await makeNode(bin, bdir);
  const cfgB = JSON.parse(readFileSync(b.cfgPath, 'utf8'));
  cfgB.enclave = { ...cfgB.enclave, backend: 'sim-snp', sim_dir: sim };
  cfgB.chain = { ...cfgA.chain, key_file: path.join(dev, 'keys/operator2.key'), registration: 'verifier-enclave' };
  delete cfgB.api;
  writeFileSync(b.cfgPath, JSON.stringify(cfgB));
  const bad = cli(bin, 'config', 'check', '--config', b.cfgPath);
  check(bad.rc !== 0 && /chain\.snp_verifier/.test(bad.out + bad.err), 'config check: verifier-enclave without chain.snp_verifier is refused, naming the key');
  cfgB.chain.snp_verifier = s.node.url;
  writeFileSync(b.cfgPath, JSON.stringify(cfgB));
  await start(b);
  const kb = await keys(b);
  check(kb.backend === 'sim-snp', "node B's enclave runs the sim-snp backend");
  const ev = await (await fetch(b.url + '/v1/enclave/evidence?nonce=' + '00'.repeat(32))).json();
  check(ev.format === 'snp-report' && S.E.getBytes(ev.evidence).length === 1184, '... and its evidence is a 1184-byte SEV-SNP report');

  // Governance: B's measurement allowed for the vote workload, and SNP records.
  check(!(await reg.teeAllowed(3)), 'the devnet does not allow SNP records at first');
  const allowB = cli(bin, 'devnet', 'allow', '--dir', dev, '--node', b.url, '--workloads', 'vote');
  check(allowB.rc === 0 && allowB.doc?.snp_records_allowed === true && await reg.teeAllowed(3),
    "devnet allow derives B's measurement from its SNP report (MEASUREMENT, HOST_DATA) and allows SNP records");

  // A not yet allowed as a verifier enclave: the registry refuses its approval.
  const logB = () => readFileSync(b.log, 'utf8');
  for (let t = 0; t < 100 && !/NotAVerifier/.test(logB()); t++) await sleep(100);
  check(/NotAVerifier/.test(logB()) && (await reg.enclave(kb.keys[0].signer))[4] === 0n,
    "an approval by an enclave not allowed for attest-snp registers nothing (NotAVerifier)");

  // The role refused where it is off, and a nonce the enclave did not issue.
  const off = await post(b, '/v1/attest/snp/challenge');
  check(off.status === 403 && off.doc?.code === 'snp-verifier-off', 'a node without api.snp_verifier refuses the role (403)');
  const ch = await post(s.node, '/v1/attest/snp/challenge');
  check(ch.status === 200 && /^0x[0-9a-f]{64}$/.test(ch.doc?.nonce), 'the verifier node relays its enclave\'s challenge');
  const made = S.E.hexlify(S.E.randomBytes(32));
  const evm = await (await fetch(b.url + '/v1/enclave/evidence?nonce=' + made.slice(2))).json();
  const forged = await post(s.node, '/v1/attest/snp/approve', {
    operator: evm.operator, signer: evm.signer, hpke_public_key: evm.hpke_public_key,
    epoch: evm.epoch, nonce: evm.nonce, expiry: Math.floor(Date.now() / 1000) + 3600, report: evm.evidence,
    vcek: '0x' + readFileSync(path.join(sim, 'vcek.der')).toString('hex'),
  });
  check(forged.status === 422 && /not an outstanding challenge/.test(forged.doc?.detail ?? ''),
    `evidence over a nonce the verifier enclave did not issue is refused (422: ${forged.doc?.detail})`);
  const garbage = await post(s.node, '/v1/attest/snp/approve', { report: '00' });
  check(garbage.status === 400, 'a malformed approval request is refused (400)');

  // Governance allows A's measurement as a verifier enclave: B registers.
  const allowA = cli(bin, 'devnet', 'allow', '--dir', dev, '--node', s.node.url, '--workloads', 'attest-snp');
  const epochA = (await keys(s.node)).current;
  const roleOk = await reg.checkSigner(a.signer, S.workloadId('attest-snp'), epochA).then(() => true, () => false);
  check(allowA.rc === 0 && roleOk,
    "devnet allow --workloads attest-snp allows A's enclave as a verifier enclave");
  let rec = null;
  for (let t = 0; t < 150; t++) {
    rec = await reg.enclave(kb.keys[0].signer);
    if (rec[4] === 1n) break;
    await sleep(200);
  }
  check(rec?.[4] === 1n, 'the SNP enclave is registered on the verifier enclave\'s approval');
  const op2 = new S.E.Wallet(s.key('operator2')).address;
  check(rec[0] === op2 && rec[3] === 3n && rec[5] === allowB.doc?.measurement,
    '... for its operator, as SEV-SNP, under the measurement its report carries');
  const evt = (await reg.queryFilter(reg.filters.EnclaveRegistered(kb.keys[0].signer)))[0];
  check(evt.args.approvers.length === 1 && evt.args.approvers[0].toLowerCase() === a.signer.toLowerCase(),
    "... and its event names the verifier enclave's signer as the one approver");
  check(evt.args.hpkeKey === kb.keys[0].hpke_public_key, '... with the HPKE key the SNP enclave serves');
  const rc = await s.provider.getTransactionReceipt(evt.transactionHash);
  console.log(`     registerVerified: ${rc.gasUsed} gas`);

  // The record serves: a job sealed to B's enclave settles under it.
  const sb = { ...s, node: b };
  await S.putModel(sb, '010003');
  const w = await S.client(s);
  const j = await S.submitVote(sb, w);
  const c = await S.waitSettled(s, [j]);
  const by = (await s.market.queryFilter(s.market.filters.JobSettled(j)))[0]?.args.signer;
  check(c.get(j) === 1 && by?.toLowerCase() === kb.keys[0].signer.toLowerCase(), 'a job sealed to the SNP enclave settles under its record');

  // The next epoch through the same path: rotateVerified from the first record.
  await stop(b);
  cfgB.enclave = { ...cfgB.enclave, rotate_seconds: 3, grace_seconds: 600 };
  writeFileSync(b.cfgPath, JSON.stringify(cfgB));
  await start(b);
  const { next, rot, gas, old, now } = await S.awaitRotation(s, reg, b.url, kb);
  check(next !== null, "the SNP enclave's next epoch is registered on a new approval");
  check(rot.length === 1 && rot[0].args.next.toLowerCase() === next?.signer.toLowerCase(),
    '... through rotateVerified from the first record');
  if (gas) console.log(`     rotateVerified: ${gas} gas`);
  check(old[4] === 1n && Number(old[1]) <= now + 86400 + 5, 'the first record signs for the rotation grace only');
} catch (e) {
  failures++;
  console.error('FAIL', e.stack ?? e);
} finally {
  if (b?.proc) await stop(b);
  await S.stopStack(s);
}
console.log(failures ? `${failures} failure(s)` : 'all checks passed');
process.exit(failures ? 1 : 0);
