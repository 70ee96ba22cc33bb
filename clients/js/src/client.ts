// client.ts — the Cloister client over viem: the enclave's key from the
// registry (never from a node's word), sealing, submission, and results.
import { parseEventLogs, type Address, type PublicClient, type WalletClient, type Hash } from 'viem';
import { bytes, fixed, hex, type BytesLike, type Hex } from './bytes.js';
import { sealRequest, openReply, type AeadName } from './envelope.js';
import { configHash as configHashOf, hashList, jobIdFor, keccak256, workloadId as workloadIdOf } from './ids.js';
import { enclaveRegistryAbi, jobMarketAbi, sealedBidAuctionAbi } from './generated/abi.js';
import { auctionBid, auctionConfig } from './workloads.js';

export interface ClientOptions {
  publicClient: PublicClient;
  walletClient?: WalletClient;
  market: Address;
  registry: Address;
  /** How long getEnclave trusts what it read (ms; default 30 s). */
  enclaveTtlMs?: number;
  /** Where to start reading registry events (default 0). */
  fromBlock?: bigint;
}

/** An active registry record that may sign results of the workload. */
export interface EnclaveInfo {
  signer: Address;
  operator: Address;
  hpkeKey: Hex;
  epoch: number;
  expiry: number;
  teeType: number;
  measurement: Hex;
}

/** What a submitted job needs later: its id, and the secret of each input's reply. */
export interface SubmittedJob {
  jobId: Hex;
  hash: Hash;
  clientNonce: bigint;
  replySecrets: Uint8Array[];
  enclave: EnclaveInfo;
}

export interface SettledResult {
  jobId: Hex;
  signer: Address;
  publicOutput: Hex;
  privateOutputs: Hex[];
  publicOutputHash: Hex;
  privateOutputHash: Hex;
  blockNumber: bigint;
  transactionHash: Hash;
}

export interface SubmitOptions {
  workload: string;
  config: BytesLike;
  /** Plaintext inputs, each sealed to the enclave's key. */
  inputs: readonly BytesLike[];
  fee?: bigint;
  /** Seconds from now (default 3600). */
  ttl?: number;
  consumer?: Address;
  clientNonce?: bigint;
  aead?: AeadName;
}

function randomNonce(): bigint {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return BigInt(hex(b));
}

export function createCloisterClient(o: ClientOptions) {
  const { publicClient, walletClient, market, registry } = o;
  const ttl = o.enclaveTtlMs ?? 30_000;
  const cache = new Map<string, { at: number; e: EnclaveInfo }>();

  /** The newest active record allowed for `workload`, read from the chain. */
  async function getEnclave(workload: string): Promise<EnclaveInfo> {
    const hit = cache.get(workload);
    if (hit && Date.now() - hit.at < ttl) return hit.e;
    const wid = workloadIdOf(workload);
    const logs = await publicClient.getContractEvents({ address: registry, abi: enclaveRegistryAbi,
      eventName: 'EnclaveRegistered', fromBlock: o.fromBlock ?? 0n });
    const now = BigInt((await publicClient.getBlock()).timestamp);
    for (const l of logs.reverse()) {
      const a = l.args;
      if (!a.signer || !a.hpkeKey || a.epoch === undefined) continue;
      const rec = await publicClient.readContract({ address: registry, abi: enclaveRegistryAbi, functionName: 'enclave', args: [a.signer] });
      if (rec.status !== 1 || BigInt(rec.expiry) <= now) continue;
      try {
        await publicClient.readContract({ address: registry, abi: enclaveRegistryAbi, functionName: 'checkSigner', args: [a.signer, wid, rec.epoch] });
      } catch {
        continue; // not allowed for this workload (or its operator's bond is gone)
      }
      const e: EnclaveInfo = { signer: a.signer, operator: rec.operator, hpkeKey: a.hpkeKey, epoch: Number(rec.epoch),
        expiry: Number(rec.expiry), teeType: Number(rec.teeType), measurement: rec.measurement };
      cache.set(workload, { at: Date.now(), e });
      return e;
    }
    throw new Error(`getEnclave: no active enclave may sign ${workload} results`);
  }

  /** Seal the inputs to the workload's enclave and submit the job on chain. */
  async function submitJob(s: SubmitOptions): Promise<SubmittedJob> {
    if (!walletClient?.account) throw new Error('submitJob: needs a walletClient with an account');
    const enclave = await getEnclave(s.workload);
    const requester = walletClient.account.address;
    const chainId = await publicClient.getChainId();
    const clientNonce = s.clientNonce ?? randomNonce();
    const jobId = jobIdFor(chainId, market, requester, clientNonce);
    const wid = workloadIdOf(s.workload);
    const sealed = [];
    for (const input of s.inputs) {
      sealed.push(await sealRequest(enclave.hpkeKey, { chainId, market, jobId, workloadId: wid, epoch: enclave.epoch }, input, s.aead));
    }
    const envelopes = sealed.map((x) => hex(x.envelope));
    const now = Number((await publicClient.getBlock()).timestamp);
    const hash = await walletClient.writeContract({
      address: market, abi: jobMarketAbi, functionName: 'submitJob', chain: walletClient.chain, account: walletClient.account,
      args: [{ workloadId: wid, configHash: configHashOf(s.config), inputHash: hashList(envelopes),
        consumer: s.consumer ?? '0x0000000000000000000000000000000000000000', deadline: now + (s.ttl ?? 3600),
        clientNonce, recipients: [], inputs: envelopes, inputRef: '' }],
      value: s.fee ?? 0n,
    });
    await send(hash, 'submitJob');
    return { jobId, hash, clientNonce, replySecrets: sealed.map((x) => x.replySecret), enclave };
  }

  function settledFrom(log: { args: Record<string, unknown>; blockNumber: bigint | null; transactionHash: Hash | null }): SettledResult {
    const a = log.args as { jobId: Hex; signer: Address; publicOutputHash: Hex; privateOutputHash: Hex; publicOutput: Hex; privateOutputs: readonly Hex[] };
    // The market hashed what it emitted; check it anyway, so a bad RPC cannot
    // hand us outputs the statement did not sign.
    if (keccak256(a.publicOutput) !== a.publicOutputHash || hashList(a.privateOutputs) !== a.privateOutputHash) {
      throw new Error('waitForResult: the outputs do not match their hashes');
    }
    return { jobId: a.jobId, signer: a.signer, publicOutput: a.publicOutput, privateOutputs: [...a.privateOutputs],
      publicOutputHash: a.publicOutputHash, privateOutputHash: a.privateOutputHash, blockNumber: log.blockNumber ?? 0n,
      transactionHash: log.transactionHash ?? '0x' };
  }

  /** Wait for the job's JobSettled (polling; default 60 s). */
  async function waitForResult(jobId: BytesLike, opts: { timeoutMs?: number; fromBlock?: bigint; pollMs?: number } = {}): Promise<SettledResult> {
    const id = hex(fixed(jobId, 32, 'jobId'));
    const until = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      const logs = await publicClient.getContractEvents({ address: market, abi: jobMarketAbi, eventName: 'JobSettled',
        args: { jobId: id }, fromBlock: opts.fromBlock ?? 0n });
      const parsed = parseEventLogs({ abi: jobMarketAbi, logs, eventName: 'JobSettled' });
      if (parsed.length) return settledFrom(parsed[0]!);
      if (Date.now() > until) throw new Error(`waitForResult: job ${id} not settled in time`);
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
    }
  }

  /** Open our private output i of a settled job. */
  function openResult(job: SubmittedJob, result: SettledResult, i: number): Uint8Array {
    const reply = result.privateOutputs[i];
    const secret = job.replySecrets[i];
    if (!reply || !secret) throw new RangeError(`openResult: no output ${i}`);
    return openReply(bytes(reply), secret, job.jobId);
  }

  function wallet(what: string) {
    if (!walletClient?.account) throw new Error(`${what}: needs a walletClient with an account`);
    return { w: walletClient, account: walletClient.account };
  }

  async function send(hash: Hash, what: string) {
    const rc = await publicClient.waitForTransactionReceipt({ hash });
    if (rc.status !== 'success') throw new Error(`${what}: transaction ${hash} reverted`);
    return rc;
  }

  /** Open a sealed-bid auction (SealedBidAuction.create); `fee` pays the enclave job. */
  async function createAuction(a: { auction: Address; rule: 1 | 2; reserve: bigint; biddingSeconds: number; settleSeconds: number;
    bidDeposit: bigint; fee?: bigint }): Promise<{ id: bigint; jobId: Hex; biddingEnds: number }> {
    const { w, account } = wallet('createAuction');
    const now = Number((await publicClient.getBlock()).timestamp);
    const biddingEnds = now + a.biddingSeconds;
    const hash = await w.writeContract({ address: a.auction, abi: sealedBidAuctionAbi, functionName: 'create', chain: w.chain, account,
      args: [auctionConfig(a.rule, a.reserve), biddingEnds, biddingEnds + a.settleSeconds, a.bidDeposit], value: a.fee ?? 0n });
    const rc = await send(hash, 'createAuction');
    const ev = parseEventLogs({ abi: sealedBidAuctionAbi, logs: rc.logs, eventName: 'AuctionCreated' })[0];
    if (!ev) throw new Error('createAuction: no AuctionCreated');
    return { id: ev.args.auctionId, jobId: ev.args.jobId, biddingEnds };
  }

  /** Bid `amount` in auction `id`: sealed here to the auction enclave's key,
   *  bound to the auction's job; deposits the auction's uniform bidDeposit. */
  async function bid(a: { auction: Address; id: bigint; amount: bigint; aead?: AeadName }): Promise<{ jobId: Hex; replySecret: Uint8Array; hash: Hash }> {
    const { w, account } = wallet('bid');
    const info = await publicClient.readContract({ address: a.auction, abi: sealedBidAuctionAbi, functionName: 'auction', args: [a.id] });
    const enclave = await getEnclave('auction');
    const chainId = await publicClient.getChainId();
    const sealed = await sealRequest(enclave.hpkeKey, { chainId, market, jobId: info.jobId, workloadId: workloadIdOf('auction'),
      epoch: enclave.epoch }, auctionBid(account.address, a.amount), a.aead);
    const hash = await w.writeContract({ address: a.auction, abi: sealedBidAuctionAbi, functionName: 'bid', chain: w.chain, account,
      args: [a.id, hex(sealed.envelope)], value: info.bidDeposit });
    await send(hash, 'bid');
    return { jobId: info.jobId, replySecret: sealed.replySecret, hash };
  }

  /** After bidding closes: submit the auction's job (anyone may). */
  async function submitAuction(a: { auction: Address; id: bigint }): Promise<Hash> {
    const { w, account } = wallet('submitAuction');
    const hash = await w.writeContract({ address: a.auction, abi: sealedBidAuctionAbi, functionName: 'submit', chain: w.chain, account,
      args: [a.id] });
    await send(hash, 'submitAuction');
    return hash;
  }

  return { getEnclave, submitJob, waitForResult, openResult, createAuction, bid, submitAuction, market, registry };
}

export type CloisterClient = ReturnType<typeof createCloisterClient>;
