// rotation_test.mjs — epoch rotation through the registry: the enclave makes a
// new epoch key, the node has it approved by the committee and registered with
// rotateEnclave from the previous record (whose expiry shrinks to the grace),
// and jobs of each epoch settle under their own signer.
import { readFileSync, writeFileSync } from 'node:fs';
import { sleep } from '../host/nodeutil.mjs';
import * as S from './stack.mjs';

const bin = process.argv[2];
let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('FAIL', what); } else console.log('ok  ', what);
}
const keys = async (s) => (await fetch(s.node.url + '/v1/enclave/keys')).json();

const s = await S.startStack(bin, { settle_wait_ms: 100 });
try {
  const cfg = JSON.parse(readFileSync(s.node.cfgPath, 'utf8'));
  cfg.enclave.rotate_seconds = 6;
  cfg.enclave.grace_seconds = 600;
  writeFileSync(s.node.cfgPath, JSON.stringify(cfg));
  await S.startNode(s);
  const first = await S.allowAndRegister(s);
  await S.putModel(s, '010003');
  const w = await S.client(s);
  const j1 = await S.submitVote(s, w);
  const c1 = await S.waitSettled(s, [j1]);
  check(c1.get(j1) === 1, 'a job of epoch 1 settles');
  // Wait for the next epoch and its record.
  let second = null;
  for (let t = 0; t < 150 && !second; t++) {
    const k = await keys(s);
    if (k.current > 1) {
      const rec = await s.registry.enclave(k.keys[0].signer);
      if (rec[4] === 1n) second = k.keys[0];
    }
    if (!second) await sleep(200);
  }
  check(second !== null, 'the node rotated and registered the new epoch');
  const rot = new S.E.Contract(s.dep.contracts.EnclaveRegistry.address,
    ['event EnclaveRotated(address indexed previous, address indexed next, uint32 epoch, uint64 previousExpiry)'], s.provider);
  const ev = await rot.queryFilter(rot.filters.EnclaveRotated(first.signer));
  check(ev.length === 1 && ev[0].args.epoch === 2n, 'through rotateEnclave from the first record, to epoch 2');
  const old = await s.registry.enclave(first.signer);
  const now = (await s.provider.getBlock('latest')).timestamp;
  check(old[4] === 1n && Number(old[1]) <= now + 86400 + 5, "the old record stays active for the registry's rotation grace only");
  const j2 = await S.submitVote(s, w);
  const c2 = await S.waitSettled(s, [j2]);
  const settledBy = async (j) => (await s.market.queryFilter(s.market.filters.JobSettled(j)))[0]?.args.signer.toLowerCase();
  check(c2.get(j2) === 1 && (await settledBy(j2)) !== first.signer.toLowerCase(),
        'a job sealed to the new epoch settles under the new signer');
  check((await settledBy(j1)) === first.signer.toLowerCase(), '... and the first under the first');
} catch (e) {
  failures++;
  console.error('FAIL', e.stack ?? e);
} finally {
  await S.stopStack(s);
}
console.log(failures ? `${failures} failure(s)` : 'all checks passed');
process.exit(failures ? 1 : 0);
