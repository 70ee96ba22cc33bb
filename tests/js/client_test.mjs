// client_test.mjs — a dApp written only against @cloister/client and viem
// (no CLI, no ethers) runs the vote flow against the local stack: anvil, the
// contracts, a node whose enclave the committee registered. The enclave's key
// comes from the registry, not the node; the node's own view is only compared.
// The job is sealed in JS, submitted, settled by the enclave, its outputs
// checked against their hashes, its statement recovered and checked against
// the registry, and the private receipt opened with the reply secret; another
// secret does not open it.
// Usage: node client_test.mjs /path/to/cloister /path/to/built/package
import path from 'node:path';
import { createPublicClient, createWalletClient, defineChain, http } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import * as S from '../chain/stack.mjs';

const [bin, pkg] = process.argv.slice(2);
const C = await import(path.join(pkg, 'dist/index.js'));
let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('FAIL', what); } else console.log('ok  ', what);
}

const s = await S.startStack(bin);
try {
  await S.startNode(s);
  const reg = await S.allowAndRegister(s);
  await S.putModel(s, '010003'); // the vote config, as an operator would publish it

  const chain = defineChain({ id: s.dep.chain_id, name: 'anvil', nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [s.dep.rpc] } } });
  const publicClient = createPublicClient({ chain, transport: http(s.dep.rpc), pollingInterval: 100 });
  const key = generatePrivateKey();
  const account = privateKeyToAccount(key);
  await publicClient.request({ method: 'anvil_setBalance', params: [account.address, '0x' + (10n ** 21n).toString(16)] });
  const walletClient = createWalletClient({ chain, account, transport: http(s.dep.rpc) });
  const market = s.dep.contracts.JobMarket.address, registry = s.dep.contracts.EnclaveRegistry.address;
  const client = C.createCloisterClient({ publicClient, walletClient, market, registry });

  // The enclave from the chain, and the ids as the contracts compute them.
  const e = await client.getEnclave('vote');
  const nodeKeys = await (await fetch(s.node.url + '/v1/enclave/keys')).json();
  check(e.signer.toLowerCase() === reg.signer.toLowerCase() && e.hpkeKey === nodeKeys.keys[0].hpke_public_key && e.teeType === 1,
    "getEnclave: the registry's active record for vote, its HPKE key the one the node's enclave serves");
  check(e.measurement === reg.measurement, '... under the measurement governance allowed');
  const onchainId = await publicClient.readContract({ address: market, abi: C.jobMarketAbi, functionName: 'jobIdFor', args: [account.address, 42n] });
  check(C.jobIdFor(s.dep.chain_id, market, account.address, 42n) === onchainId, 'jobIdFor is JobMarket.jobIdFor');
  const auctionWid = await publicClient.readContract({ address: s.dep.contracts.SealedBidAuction.address, abi: C.sealedBidAuctionAbi, functionName: 'AUCTION_WORKLOAD' });
  check(C.workloadId('auction') === auctionWid, "workloadId('auction') is SealedBidAuction.AUCTION_WORKLOAD");

  // Submit a one-ballot vote, sealed in JS.
  const ballot = C.concat(new Uint8Array([1]), C.bytes(account.address), C.u16be(2));
  const from = await publicClient.getBlockNumber();
  const job = await client.submitJob({ workload: 'vote', config: '0x010003', inputs: [ballot], fee: 1000n });
  check(/^0x[0-9a-f]{64}$/.test(job.jobId) && job.replySecrets.length === 1, 'submitJob: the job is on chain');
  const r = await client.waitForResult(job.jobId, { fromBlock: from, timeoutMs: 60000 });
  check(r.signer.toLowerCase() === e.signer.toLowerCase(), 'waitForResult: settled by the registered enclave');
  // public: u8 version=2 | u16 choices | u32 total | u32 count[3] | u16 n
  const pub = C.bytes(r.publicOutput);
  const dv = new DataView(pub.buffer);
  check(pub[0] === 2 && dv.getUint16(1) === 3 && dv.getUint32(3) === 1 && dv.getUint32(7 + 4 * 2) === 1,
    'the public tally counts the ballot for choice 2');
  const receipt = client.openResult(job, r, 0);
  check(C.hex(receipt) === '0x01010002', 'openResult: the private receipt opens (counted, choice 2)');
  let refused = false;
  try { C.openReply(r.privateOutputs[0], new Uint8Array(32), job.jobId); } catch { refused = true; }
  check(refused, '... and not with another reply secret');

  // The statement: recomputed from the job and its outputs, signed by the
  // enclave (the node's record of it), recovered and checked against the registry.
  const res = await (await fetch(`${s.node.url}/v1/jobs/${job.jobId}/result`)).json();
  const submitted = await publicClient.getContractEvents({ address: market, abi: C.jobMarketAbi, eventName: 'JobSubmitted', args: { jobId: job.jobId }, fromBlock: from });
  const st = C.statementOf({ jobId: job.jobId, inputHash: submitted[0].args.inputHash, workloadId: C.workloadId('vote'),
    configHash: C.configHash('0x010003'), epoch: e.epoch }, r.publicOutput, r.privateOutputs);
  check(res.signature && C.resultDigest(st, s.dep.chain_id, market) === res.digest, "resultDigest is the enclave's statement digest");
  const v = await C.verifyResult(publicClient, registry, s.dep.chain_id, market, st, res.signature, e.signer);
  check(v.operator === new S.E.Wallet(s.key('operator')).address, 'verifyResult: recovered to the enclave, which the registry lets sign vote now');
  let bad = false;
  try { await C.verifyResult(publicClient, registry, s.dep.chain_id, market, { ...st, publicOutputHash: C.keccak256('0x00') }, res.signature, e.signer); } catch { bad = true; }
  check(bad, '... a statement with another output is refused');
} catch (err) {
  failures++;
  console.error('FAIL', err.stack ?? err);
} finally {
  await S.stopStack(s);
}
console.log(failures ? `${failures} failure(s)` : 'all checks passed');
process.exit(failures ? 1 : 0);
