// statement.ts — the enclave's signed result statement (docs/formats.md §3.1):
// EIP-712 `Result` under the JobMarket's domain, recovered and checked against
// the registry, as JobMarket.settle does on chain.
import { hashTypedData, recoverTypedDataAddress, type Address, type PublicClient } from 'viem';
import { fixed, hex, type BytesLike, type Hex } from './bytes.js';
import { hashList, keccak256 } from './ids.js';
import { enclaveRegistryAbi } from './generated/abi.js';

export interface ResultStatement {
  jobId: Hex;
  inputHash: Hex;
  publicOutputHash: Hex;
  privateOutputHash: Hex;
  workloadId: Hex;
  configHash: Hex;
  epoch: number;
}

export const RESULT_TYPES = {
  Result: [
    { name: 'jobId', type: 'bytes32' },
    { name: 'inputHash', type: 'bytes32' },
    { name: 'publicOutputHash', type: 'bytes32' },
    { name: 'privateOutputHash', type: 'bytes32' },
    { name: 'workloadId', type: 'bytes32' },
    { name: 'configHash', type: 'bytes32' },
    { name: 'epoch', type: 'uint32' },
  ],
} as const;

function domain(chainId: bigint | number, market: BytesLike) {
  return { name: 'Cloister', version: '1', chainId: BigInt(chainId), verifyingContract: hex(fixed(market, 20, 'market')) as Address };
}

/** The statement a result's outputs imply: their hashes, the job's identity. */
export function statementOf(job: { jobId: BytesLike; inputHash: BytesLike; workloadId: BytesLike; configHash: BytesLike; epoch: number },
  publicOutput: BytesLike, privateOutputs: readonly BytesLike[]): ResultStatement {
  return {
    jobId: hex(fixed(job.jobId, 32, 'jobId')),
    inputHash: hex(fixed(job.inputHash, 32, 'inputHash')),
    publicOutputHash: keccak256(publicOutput),
    privateOutputHash: hashList(privateOutputs),
    workloadId: hex(fixed(job.workloadId, 32, 'workloadId')),
    configHash: hex(fixed(job.configHash, 32, 'configHash')),
    epoch: job.epoch,
  };
}

/** The EIP-712 digest the enclave signs. */
export function resultDigest(s: ResultStatement, chainId: bigint | number, market: BytesLike): Hex {
  return hashTypedData({ domain: domain(chainId, market), types: RESULT_TYPES, primaryType: 'Result', message: s });
}

export interface VerifiedResult {
  signer: Address;
  operator: Address;
}

/** Recover the statement's signer and check, as JobMarket does, that the
 *  registry lets it sign this workload in this epoch now (an attested,
 *  approved, unexpired, unrevoked enclave of a bonded operator). Throws, with
 *  the registry's reason, otherwise; and when `expectedSigner` differs. */
export async function verifyResult(publicClient: PublicClient, registry: Address, chainId: bigint | number,
  market: Address, s: ResultStatement, signature: Hex, expectedSigner?: Address): Promise<VerifiedResult> {
  const signer = await recoverTypedDataAddress({ domain: domain(chainId, market), types: RESULT_TYPES, primaryType: 'Result',
    message: s, signature });
  if (expectedSigner && signer.toLowerCase() !== expectedSigner.toLowerCase()) {
    throw new Error(`verifyResult: signed by ${signer}, not ${expectedSigner}`);
  }
  const operator = await publicClient.readContract({ address: registry, abi: enclaveRegistryAbi, functionName: 'checkSigner',
    args: [signer, s.workloadId, s.epoch] });
  return { signer, operator };
}
