// client_test.mjs — a dApp written only against @cloister/client and viem
// (no CLI, no ethers) runs the vote, auction and oracle flows against the
// local stack: anvil, the contracts, a node whose enclave the committee
// registered. The enclave's key comes from the registry, not the node; the
// node's own view is only compared.
//   vote: sealed in JS, submitted, settled, its outputs checked against their
//     hashes, its statement recovered and checked against the registry, the
//     private receipt opened (and not with another secret); the public output
//     decodes as `cloister job result` decodes it.
//   auction: created, two bidders bid from their own wallets, submitted after
//     bidding closes; the winner and price from the settled output, each
//     bidder opens its own private output and not the other's.
//   oracle: the feed's updater submits three sources' reports for the
//     PriceFeed; the round's answer is their median.
//   inference: the model owner trains and provisions a classifier with its own
//     tools (cloister model); then the dApp, on the package only, seals a
//     patient's record as a TensorProto, submits, and opens the diagnosis,
//     which is what the model says run locally (cloister onnx run).
// Usage: node client_test.mjs /path/to/cloister /path/to/built/package
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWalletClient, http } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import * as S from '../chain/stack.mjs';
import { cli } from '../host/nodeutil.mjs';
import { oracleRound, viemOn } from './flows.mjs';

const [bin, pkg] = process.argv.slice(2);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
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

  const v = viemOn(s);
  const { chain, publicClient } = v;
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
  const ballot = C.voteBallot(account.address, 2);
  const from = await publicClient.getBlockNumber();
  const job = await client.submitJob({ workload: 'vote', config: C.voteConfig(3), inputs: [ballot], fee: 1000n });
  check(/^0x[0-9a-f]{64}$/.test(job.jobId) && job.replySecrets.length === 1, 'submitJob: the job is on chain');
  const r = await client.waitForResult(job.jobId, { fromBlock: from, timeoutMs: 60000 });
  check(r.signer.toLowerCase() === e.signer.toLowerCase(), 'waitForResult: settled by the registered enclave');
  // public: u8 version=2 | u16 choices | u32 total | u32 count[3] | u16 n
  const pub = C.bytes(r.publicOutput);
  const dv = new DataView(pub.buffer);
  check(pub[0] === 2 && dv.getUint16(1) === 3 && dv.getUint32(3) === 1 && dv.getUint32(7 + 4 * 2) === 1,
    'the public tally counts the ballot for choice 2');
  const receipt = C.decodeVotePrivate(client.openResult(job, r, 0));
  check(receipt.counted && receipt.choice === 2, 'openResult: the private receipt opens (counted, choice 2)');
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
  const vr = await C.verifyResult(publicClient, registry, s.dep.chain_id, market, st, res.signature, e.signer);
  check(vr.operator === new S.E.Wallet(s.key('operator')).address, 'verifyResult: recovered to the enclave, which the registry lets sign vote now');
  let bad = false;
  try { await C.verifyResult(publicClient, registry, s.dep.chain_id, market, { ...st, publicOutputHash: C.keccak256('0x00') }, res.signature, e.signer); } catch { bad = true; }
  check(bad, '... a statement with another output is refused');
  const vp = C.decodeVotePublic(r.publicOutput);
  const cdoc = cli(bin, 'job', 'result', '--node', s.node.url, '--id', job.jobId.slice(2)).doc?.verified?.public;
  check(vp.total === 1 && vp.counts.join() === '0,0,1' && cdoc?.total === vp.total && cdoc?.counts.join() === vp.counts.join()
    && cdoc?.excluded.length === vp.excluded.length, 'decodeVotePublic decodes the tally as the C client (cloister job result) does');

  // The auction: two bidders, each with its own wallet.
  const bidders = [];
  for (let i = 0; i < 2; i++) {
    const acct = privateKeyToAccount(generatePrivateKey());
    await publicClient.request({ method: 'anvil_setBalance', params: [acct.address, '0x' + (10n ** 21n).toString(16)] });
    bidders.push({ acct, c: C.createCloisterClient({ publicClient, walletClient: createWalletClient({ chain, account: acct, transport: http(s.dep.rpc) }), market, registry }) });
  }
  const auction = s.dep.contracts.SealedBidAuction.address;
  const a = await client.createAuction({ auction, rule: C.AuctionRule.secondPrice, reserve: 100n, biddingSeconds: 600, settleSeconds: 3600,
    bidDeposit: 10n ** 18n, fee: 1000n });
  const b0 = await bidders[0].c.bid({ auction, id: a.id, amount: 500n });
  const b1 = await bidders[1].c.bid({ auction, id: a.id, amount: 700n });
  check(b0.jobId === a.jobId && b1.jobId === a.jobId, 'createAuction and two sealed bids: bound to the auction\'s job');
  const bidEvents = await publicClient.getContractEvents({ address: auction, abi: C.sealedBidAuctionAbi, eventName: 'BidPlaced', fromBlock: from });
  check(bidEvents.length === 2 && bidEvents.every((x) => x.args.deposit === 10n ** 18n),
    '... the chain sees two equal deposits and two envelopes, nothing of the amounts');
  await publicClient.request({ method: 'evm_increaseTime', params: [601] });
  await publicClient.request({ method: 'evm_mine', params: [] });
  await client.submitAuction({ auction, id: a.id });
  const ar = await client.waitForResult(a.jobId, { fromBlock: from, timeoutMs: 60000 });
  const ap = C.decodeAuctionPublic(ar.publicOutput);
  check(ap.sold && ap.winner.toLowerCase() === bidders[1].acct.address.toLowerCase() && ap.price === 500n && ap.winnerIndex === 1,
    `the auction settles: the higher bidder wins at the second price (${ap.price})`);
  const cauc = cli(bin, 'job', 'result', '--node', s.node.url, '--id', a.jobId.slice(2)).doc?.verified?.public;
  check(cauc?.sold === ap.sold && cauc?.bids === ap.bids && cauc?.winner === ap.winner.toLowerCase() && BigInt(cauc?.price) === ap.price
    && cauc?.winner_index === ap.winnerIndex, 'decodeAuctionPublic decodes the result as the C client does');
  const mine0 = C.decodeAuctionPrivate(C.openReply(ar.privateOutputs[0], b0.replySecret, a.jobId));
  const mine1 = C.decodeAuctionPrivate(C.openReply(ar.privateOutputs[1], b1.replySecret, a.jobId));
  check(!mine0.won && mine1.won && mine1.price === 500n, 'each bidder opens its own private output');
  let crossed = false;
  try { C.openReply(ar.privateOutputs[1], b0.replySecret, a.jobId); } catch { crossed = true; }
  check(crossed, "... and not the other bidder's");
  const decided = await publicClient.readContract({ address: auction, abi: C.sealedBidAuctionAbi, functionName: 'auction', args: [a.id] });
  check(decided.phase === 3 && decided.winner.toLowerCase() === bidders[1].acct.address.toLowerCase(), 'the auction contract records the winner (phase Sold)');

  // An empty feed reverts with a custom error the published ABI names.
  let empty = null;
  try {
    await publicClient.readContract({ address: s.dep.contracts.PriceFeed.address, abi: C.priceFeedAbi, functionName: 'latestRoundData' });
  } catch (err) {
    empty = err.walk?.((x) => x.data?.errorName)?.data?.errorName ?? null;
  }
  check(empty === 'NoDataPresent', `an empty feed's revert decodes by the published ABI (${empty})`);

  // The oracle: the feed's updater (the deployer) submits three reports.
  const o = await oracleRound(C, s, v);
  check(o.configMatches, "oracleConfig encodes the feed's configuration (its configHash)");
  check(o.out.value === 100n * 10n ** 8n && o.out.used === 3 && o.round[1] === o.out.value,
    `the oracle round: the median of the three (${o.out.value}) is the feed's answer`);

  // Inference: the owner's side first (its own tools), then the dApp on the package only.
  const csv = process.env.CLO_DATASETS ? path.join(process.env.CLO_DATASETS, 'breast_cancer.csv')
    : path.join(root, 'data/datasets/breast_cancer.csv');
  const modelFile = path.join(s.dir, 'lr.onnx');
  const tr = cli(bin, 'model', 'train', '--csv', csv, '--out', modelFile);
  const prov = cli(bin, 'model', 'provision', '--no-registry', '--model', modelFile, '--node', s.node.url,
    '--deployment', path.join(s.dir, 'devnet/deployments', `${s.dep.chain_id}.json`), '--sim-dir', path.join(s.dir, 'sim'));
  check(tr.rc === 0 && prov.rc === 0, 'the model owner trains a classifier and provisions it to the enclave (its own tools)');
  const row = readFileSync(csv, 'utf8').trim().split('\n')[1].split(',').slice(0, 30).map(Number);
  const tensor = C.floatTensor([1, 30], row);
  const cfgOnnx = C.onnxConfig(tr.doc.model_id);
  await S.putModel(s, cfgOnnx.slice(2));
  const ij = await client.submitJob({ workload: 'onnx', config: cfgOnnx, inputs: [C.onnxRecord([tensor])], fee: 1000n });
  const ir = await client.waitForResult(ij.jobId, { fromBlock: from, timeoutMs: 60000 });
  const ipub = C.decodeOnnxPublic(ir.publicOutput);
  check(ipub.modelId === tr.doc.model_id && ipub.inputs === 1 && ipub.answered === 1, 'the inference job settles: the model answered the record');
  const answer = C.decodeOnnxPrivate(client.openResult(ij, ir, 0));
  const outs = answer.tensors.map((t) => C.decodeTensor(t));
  const pbFile = path.join(s.dir, 'record.pb');
  writeFileSync(pbFile, tensor);
  const local = cli(bin, 'onnx', 'run', '--model', modelFile, '--input', `record=${pbFile}`).doc?.outputs ?? [];
  const same = local.length === outs.length && local.every((l) => {
    const o = outs.find((x) => x.name === l.name);
    return o && o.dims.join() === l.shape.join() && o.values.every((v, k) => Number(v) === l.data[k]);
  });
  check(answer.status === 0 && same && outs.some((o) => o.name === 'diagnosis'),
    `the patient opens the diagnosis, the bits the model gives run locally (${outs.map((o) => `${o.name}=${o.values.join('/')}`).join(', ')})`);
} catch (err) {
  failures++;
  console.error('FAIL', err.stack ?? err);
} finally {
  await S.stopStack(s);
}
console.log(failures ? `${failures} failure(s)` : 'all checks passed');
process.exit(failures ? 1 : 0);
