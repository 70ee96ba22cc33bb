// flows.mjs — what the JS tests share: viem clients on a stack's anvil, and an
// oracle round for the PriceFeed made through @cloister/client by the feed's
// updater (the deployer), three sources whose median is 100.
import { createPublicClient, createWalletClient, defineChain, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import * as S from '../chain/stack.mjs';

export function viemOn(s) {
  const chain = defineChain({ id: s.dep.chain_id, name: 'anvil', nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [s.dep.rpc] } } });
  const publicClient = createPublicClient({ chain, transport: http(s.dep.rpc), pollingInterval: 100 });
  const walletFor = (key) => createWalletClient({ chain, account: privateKeyToAccount(key), transport: http(s.dep.rpc) });
  return { chain, publicClient, walletFor };
}

// An oracle round through the package: returns the decoded public output and the feed's latest round.
export async function oracleRound(C, s, v, prices = [101n, 99n, 100n]) {
  const market = s.dep.contracts.JobMarket.address, registry = s.dep.contracts.EnclaveRegistry.address;
  const feed = s.dep.contracts.PriceFeed.address;
  const gov = C.createCloisterClient({ publicClient: v.publicClient, walletClient: v.walletFor(s.key('deployer')), market, registry });
  const now = BigInt((await v.publicClient.getBlock()).timestamp);
  const reports = prices.map((p, i) => C.oracleReport('0x' + String(i + 1).repeat(40), [{ time: now - 10n, price: p * 10n ** 8n }]));
  const cfg = C.oracleConfig({ mode: C.OracleMode.median, minSources: 3, maxDeviationBps: 500, windowSeconds: 0 });
  const feedCfg = await v.publicClient.readContract({ address: feed, abi: C.priceFeedAbi, functionName: 'configHash' });
  await S.putModel(s, cfg.slice(2));
  const from = await v.publicClient.getBlockNumber();
  const job = await gov.submitJob({ workload: 'oracle', config: cfg, inputs: reports, fee: 1000n, consumer: feed });
  const r = await gov.waitForResult(job.jobId, { fromBlock: from, timeoutMs: 60000 });
  const round = await v.publicClient.readContract({ address: feed, abi: C.priceFeedAbi, functionName: 'latestRoundData' });
  return { configMatches: C.configHash(cfg) === feedCfg, out: C.decodeOraclePublic(r.publicOutput), round };
}
