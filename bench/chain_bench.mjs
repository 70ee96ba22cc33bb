// chain_bench.mjs — settlement on anvil (`make bench`), with the real node:
// gas of one settlement, gas per result in batches of 16, 64 and 256 (the
// node's settleBatch, and a root-only postRoot of the same enclave-signed
// root), settled jobs per second end to end, and submission-to-settlement
// latency. Prints a JSON document and a Markdown table for docs/BENCHMARKS.md.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as S from '../tests/chain/stack.mjs';

const bin = process.argv[2];
const { Interface } = S.E;
const out = { date: new Date().toISOString().slice(0, 10), cpu: os.cpus()[0]?.model, cores: os.cpus().length };
const SETTLE = '(bytes32,bytes32,bytes32,bytes32,uint32,address,bytes,bytes[])';
const iface = new Interface([`function settle(${SETTLE},bytes)`,
  `function settleBatch(bytes32,uint32,uint32,bytes,${SETTLE}[],bytes32[][])`,
  'function postRoot(bytes32,uint32,uint32,bytes32,bytes32) returns (address)']);

async function reconfigure(s, chain) {
  await S.stopNode(s);
  const cfg = JSON.parse(readFileSync(s.node.cfgPath, 'utf8'));
  Object.assign(cfg.chain, chain);
  writeFileSync(s.node.cfgPath, JSON.stringify(cfg));
  await S.startNode(s);
}

// The node's settlement transactions carrying `ids`, with their gas.
async function settlementTxs(s, ids, fromBlock) {
  const want = new Set(ids);
  const txs = new Map();
  const logs = await s.market.queryFilter(s.market.filters.JobSettled(), fromBlock, 'latest');
  for (const l of logs) if (want.has(l.args.jobId)) txs.set(l.transactionHash, (txs.get(l.transactionHash) ?? 0) + 1);
  const res = [];
  for (const [h, n] of txs) {
    const [tx, rc] = await Promise.all([s.provider.getTransaction(h), s.provider.getTransactionReceipt(h)]);
    res.push({ hash: h, jobs: n, gas: Number(rc.gasUsed), data: tx.data });
  }
  return res;
}

const s = await S.startStack(bin);
try {
  await S.startNode(s);
  await S.allowAndRegister(s);
  await S.putModel(s, '010003');
  const w = await S.client(s);
  const snapshot = await s.provider.send('evm_snapshot', []);

  // Latency and single settlement: one job at a time, nothing to wait for.
  await reconfigure(s, { settle_batch: 1, settle_wait_ms: 0, poll_ms: 50 });
  const lat = [], single = [];
  for (let i = 0; i < 10; i++) {
    const p = await S.prepareVote(s, w);
    const from = await s.provider.getBlockNumber();
    const t0 = Date.now();
    const id = await S.submitVote(s, w, '010003', 1, p);
    await S.waitSettled(s, [id]);
    lat.push(Date.now() - t0);
    single.push(...(await settlementTxs(s, [id], from)).map((t) => t.gas));
  }
  lat.sort((a, b) => a - b);
  single.sort((a, b) => a - b);
  out.latency_ms = { median: lat[5], min: lat[0], max: lat[9] };
  out.single_settle_gas = single[5];

  // Job tickets (issue 15): what the node asks of the committee before a chain
  // job runs. Off chain, so no gas; the latency is one verifier's check of
  // JobMarket.job under the confirmations plus a signature, and the node asks
  // the committee in turn until it holds the threshold.
  const preparedT = [];
  for (let i = 0; i < 10; i++) preparedT.push(await S.prepareVote(s, w));
  await S.stopNode(s); /* so the jobs stay Open while the verifiers are asked */
  const one = [], quorum = [], ticketed = [];
  for (const p of preparedT) {
    const id = await S.submitVote(s, w, '010003', 1, p);
    ticketed.push(id);
    const body = JSON.stringify({ job_id: id, workload_id: S.workloadId('vote'), config_hash: S.E.keccak256('0x010003'),
      input_hash: S.E.keccak256(S.E.concat(p.envelopes.map((e) => S.E.keccak256(e)))), consumer: '0x' + '00'.repeat(20) });
    const ask = async (u) => {
      const t0 = performance.now();
      const r = await fetch(u + '/v1/ticket', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      if (r.status !== 200) throw new Error('ticket refused: ' + r.status + ' ' + await r.text());
      await r.json();
      return performance.now() - t0;
    };
    const t0 = performance.now();
    for (const u of s.verifiers.slice(0, s.dep.committee.threshold)) one.push(await ask(u));
    quorum.push(performance.now() - t0);
  }
  one.sort((a, b) => a - b);
  quorum.sort((a, b) => a - b);
  out.ticket = { gas: 0, one_verifier_ms_median: +one[one.length >> 1].toFixed(2),
    threshold: Number(s.dep.committee.threshold), threshold_in_turn_ms_median: +quorum[5].toFixed(2) };
  console.error(JSON.stringify(out.ticket));
  await S.startNode(s);
  await S.waitSettled(s, ticketed); /* before the batches, so they carry only their own jobs */

  // Batches: N jobs submitted, one settleBatch of N.
  out.batches = [];
  let lastBatch = null;
  for (const n of [16, 64, 256]) {
    await reconfigure(s, { settle_batch: n, settle_wait_ms: 2000, poll_ms: 100 });
    const prepared = [];
    for (let i = 0; i < n; i++) prepared.push(await S.prepareVote(s, w));
    const from = await s.provider.getBlockNumber();
    const t0 = Date.now();
    const ids = [];
    for (const p of prepared) ids.push(await S.submitVote(s, w, '010003', 1, { ...p, wait: false }));
    const tSub = Date.now();
    const c = await S.waitSettled(s, ids, 300000);
    const tEnd = Date.now();
    const txs = await settlementTxs(s, ids, from);
    const big = txs.sort((a, b) => b.jobs - a.jobs)[0];
    const total = txs.reduce((x, t) => x + t.gas, 0);
    const row = { n, settled: ids.filter((j) => c.get(j) === 1).length, txs: txs.length,
      settleBatch_gas: big?.gas, per_result: Math.round(total / n),
      jobs_in_tx: big?.jobs, submit_s: (tSub - t0) / 1000, jobs_per_s_end_to_end: +(n / ((tEnd - t0) / 1000)).toFixed(1),
      settle_s_after_last_submission: (tEnd - tSub) / 1000 };
    out.batches.push(row);
    if (big) lastBatch = { n: big.jobs, data: big.data };
    console.error(JSON.stringify(row));
  }

  // Root-only: the same enclave-signed root posted alone, on the chain as it
  // was before the jobs (the registry record is there, the root is not).
  if (lastBatch) {
    await S.stopNode(s);
    const [root, count, epoch, sig] = iface.decodeFunctionData('settleBatch', lastBatch.data);
    await s.provider.send('evm_revert', [snapshot]);
    const op = new S.E.Wallet(s.key('operator'), s.provider);
    const c = S.E.Signature.from(sig); /* postRoot takes it EIP-2098 compact */
    const rc = await (await op.sendTransaction({ to: s.dep.contracts.JobMarket.address,
      data: iface.encodeFunctionData('postRoot', [root, count, epoch, c.r, c.yParityAndS]) })).wait();
    /* Its gas does not depend on how many results the root covers (this one:
     * the last transaction's); the goal is per result at 256, SIGN_BATCH's most. */
    const g = Number(rc.gasUsed);
    out.root_only = { root_covers: Number(count), gas: g, per_result_at_256: +(g / 256).toFixed(1),
      per_result_at_256_without_base_tx: +((g - 21000) / 256).toFixed(1) };
  }
} finally {
  await S.stopStack(s);
}
console.log(JSON.stringify(out, null, 2));
console.log(`\n| ${out.date}, ${out.cpu} (${out.cores} cores), anvil (Osaka) | figure |\n|---|---:|`);
console.log(`| single settlement (settle), gas | ${out.single_settle_gas} |`);
for (const b of out.batches)
  console.log(`| ${b.n} jobs (settleBatch, ${b.txs} tx, up to ${b.jobs_in_tx} jobs each): gas per result | ${b.per_result} |\n| ${b.n} jobs: settled jobs/s end to end (submission included) | ${b.jobs_per_s_end_to_end} |`);
if (out.root_only) {
  console.log(`| root only (postRoot, any size of root), gas | ${out.root_only.gas} |`);
  console.log(`| root only: gas per result at 256 | ${out.root_only.per_result_at_256} |`);
}
console.log(`| submission → settlement latency, median of 10 | ${out.latency_ms.median} ms |`);
console.log(`| job ticket: gas | ${out.ticket.gas} (off chain) |`);
console.log(`| job ticket: one verifier (JobMarket.job at head − confirmations, EIP-712 signature), median | ${out.ticket.one_verifier_ms_median} ms |`);
console.log(`| job ticket: ${out.ticket.threshold} of the committee, asked in turn as the node does, median | ${out.ticket.threshold_in_turn_ms_median} ms |`);
