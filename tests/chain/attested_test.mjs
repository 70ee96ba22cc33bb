// attested_test.mjs — an enclave registered with its own quote, no committee
// (issue 18), all real parts: the simulated TEE's DCAP-format quotes, the C
// client's uploads, DcapVerifier and EnclaveRegistry on anvil, a node with
// chain.registration "onchain", which submits the collateral the chain lacks
// itself. The host is the adversary: collateral it tampers with registers
// nothing; its registration replayed by another operator, or again, is refused; a job then settles under the record, and
// the next epoch rotates from it through the same path.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, sleep } from '../host/nodeutil.mjs';
import * as S from './stack.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = process.argv[2];
let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('FAIL', what); } else console.log('ok  ', what);
}
const abi = (name) => JSON.parse(readFileSync(path.join(root, 'contracts/out', `${name}.sol`, `${name}.json`), 'utf8')).abi;
const keys = async (s) => (await fetch(s.node.url + '/v1/enclave/keys')).json();
const log = (s) => readFileSync(s.node.log, 'utf8');

const s = await S.startStack(bin);
try {
  const dev = path.join(s.dir, 'devnet'), sim = path.join(s.dir, 'sim');
  const reg = new S.E.Contract(s.dep.contracts.EnclaveRegistry.address, abi('EnclaveRegistry'), s.provider);

  // Governance: the verifier pinned to the simulated root, its collateral uploaded.
  const d = cli(bin, 'devnet', 'dcap', '--dir', dev, '--sim-dir', sim, '--no-upload');
  check(d.rc === 0 && d.doc?.contracts?.DcapVerifier?.address && d.doc.uploads === 0,
    'devnet dcap --no-upload deploys the verifier and leaves the collateral to the node');
  const verifier = d.doc.contracts.DcapVerifier.address;
  check((await reg.dcapVerifier()).toLowerCase() === verifier.toLowerCase() && await reg.onChainAttestation(1),
    "the registry's on-chain path is on for the simulated TEE");
  const ver = new S.E.Contract(verifier, abi('DcapVerifier'), s.provider);
  check(await ver.simulated(), 'the verifier says its root is a simulated one');
  const again = cli(bin, 'devnet', 'dcap', '--dir', dev, '--sim-dir', sim);
  check(again.rc !== 0 && /already has an on-chain verifier/.test(again.err), 'a second devnet dcap is refused, naming why');

  // config init writes the setting, and refuses it without the collateral.
  const depFile = path.join(dev, 'deployments', `${s.dep.chain_id}.json`);
  const ci = cli(bin, 'config', 'init', '--deployment', depFile, '--registration', 'onchain');
  check(ci.rc !== 0 && /chain\.collateral_dir/.test(ci.out + ci.err), 'config init: onchain without --collateral-dir is refused, naming the key');
  const ci2 = cli(bin, 'config', 'init', '--deployment', depFile, '--registration', 'onchain', '--collateral-dir', path.join(sim, 'collateral'));
  check(ci2.rc === 0 && ci2.doc?.chain?.registration === 'onchain', 'config init writes the on-chain registration');
  const ci3 = cli(bin, 'config', 'init', '--deployment', depFile, '--registration', 'maybe');
  check(ci3.rc !== 0 && /chain\.registration/.test(ci3.out + ci3.err), '... and refuses an unknown way, naming the key');

  // The node, configured to register with its own quote; first with tampered collateral.
  const bad = path.join(s.dir, 'bad-collateral');
  cpSync(path.join(sim, 'collateral'), bad, { recursive: true });
  const info = readFileSync(path.join(bad, 'tcb_info.json'), 'utf8');
  writeFileSync(path.join(bad, 'tcb_info.json'), info.replace('"UpToDate"', '"OutOfDate"'));
  const cfg = JSON.parse(readFileSync(s.node.cfgPath, 'utf8'));
  cfg.chain.registration = 'onchain';
  cfg.chain.approval_seconds = 50 * 86400; // longer than the machine's record lives
  cfg.chain.collateral_dir = bad;
  writeFileSync(s.node.cfgPath, JSON.stringify(cfg));
  await S.startNode(s);
  const allow = cli(bin, 'devnet', 'allow', '--dir', dev, '--node', s.node.url);
  check(allow.rc === 0, 'governance allows the enclave measurement');
  for (let t = 0; t < 100 && !/BadCollateralSignature/.test(log(s)); t++) await sleep(100);
  const k0 = await keys(s);
  check(/BadCollateralSignature/.test(log(s)) && (await reg.enclave(k0.keys[0].signer))[4] === 0n,
    'collateral the host changed registers nothing (its upload: BadCollateralSignature)');
  await S.stopNode(s);

  cfg.chain.collateral_dir = path.join(sim, 'collateral');
  writeFileSync(s.node.cfgPath, JSON.stringify(cfg));
  await S.startNode(s);
  let rec = null, k = null;
  for (let t = 0; t < 150; t++) {
    k = await keys(s);
    rec = await reg.enclave(k.keys[0].signer);
    if (rec[4] === 1n) break;
    await sleep(200);
  }
  const operator = new S.E.Wallet(s.key('operator')).address;
  check(rec?.[4] === 1n, 'the enclave is registered with its own quote, no committee asked');
  check(/chain\.collateral_submitted/.test(log(s)) && /chain\.platform_registered/.test(log(s)),
    '... the node having submitted the collateral the chain lacked, then its machine');
  check(rec[0] === operator && rec[3] === 1n, '... for its operator, as the simulated TEE');
  const tNow = (await s.provider.getBlock('latest')).timestamp;
  check(Number(rec[1]) > tNow + 20 * 86400 && Number(rec[1]) <= tNow + 30 * 86400,
    "... its expiry cut to its machine's record (the simulated collateral's 30 days), not the 50 asked");
  const ev = (await reg.queryFilter(reg.filters.EnclaveRegistered(k.keys[0].signer)))[0];
  check(ev.args.approvers.length === 1 && ev.args.approvers[0].toLowerCase() === verifier.toLowerCase(),
    '... and its event names DcapVerifier as the one approver');
  check(ev.args.hpkeKey === k.keys[0].hpke_public_key, '... with the HPKE key the enclave serves');
  const tx = await s.provider.getTransaction(ev.transactionHash);
  const rc = await s.provider.getTransactionReceipt(ev.transactionHash);
  console.log(`     registerAttested: ${rc.gasUsed} gas, ${S.E.getBytes(tx.data).length} bytes of calldata`);

  // The registration replayed: by another operator (the binding names ours), and again.
  const other = new S.E.Wallet(s.key('operator2'), s.provider);
  const refusal = async (w) => {
    try {
      await w.estimateGas({ to: tx.to, data: tx.data });
      return 'accepted';
    } catch (e) {
      return reg.interface.parseError(e.data ?? e.info?.error?.data)?.name ?? e.shortMessage;
    }
  };
  check(await refusal(other) === 'BindingMismatch', "another operator's replay of the quote is refused (BindingMismatch)");
  const same = new S.E.VoidSigner(operator, s.provider);
  check(await refusal(same) === 'SignerAlreadyRegistered', 'the same registration again is refused (SignerAlreadyRegistered)');

  // The record serves: a job sealed to the enclave settles under it.
  await S.putModel(s, '010003');
  const w = await S.client(s);
  const j = await S.submitVote(s, w);
  const c = await S.waitSettled(s, [j]);
  const by = (await s.market.queryFilter(s.market.filters.JobSettled(j)))[0]?.args.signer;
  check(c.get(j) === 1 && by?.toLowerCase() === k.keys[0].signer.toLowerCase(), 'a job settles under the enclave registered on chain');

  // The next epoch through the same path: rotateAttested from the first record.
  await S.stopNode(s);
  cfg.enclave = { ...cfg.enclave, rotate_seconds: 3, grace_seconds: 600 };
  writeFileSync(s.node.cfgPath, JSON.stringify(cfg));
  await S.startNode(s);
  const { next, rot, gas, old, now } = await S.awaitRotation(s, reg, s.node.url, k);
  check(next !== null, 'the next epoch is registered with its own quote');
  check(rot.length === 1 && rot[0].args.next.toLowerCase() === next?.signer.toLowerCase(),
    '... through rotateAttested from the first record');
  if (gas) console.log(`     rotateAttested: ${gas} gas`);
  check(old[4] === 1n && Number(old[1]) <= now + 86400 + 5, 'the first record signs for the rotation grace only');
} catch (e) {
  failures++;
  console.error('FAIL', e.stack ?? e);
} finally {
  await S.stopStack(s);
}
console.log(failures ? `${failures} failure(s)` : 'all checks passed');
process.exit(failures ? 1 : 0);
