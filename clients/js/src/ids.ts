// ids.ts — identifiers as the contracts compute them (docs/contracts.md
// "Enums and encodings").
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytes, concat, fixed, hex, u256be, utf8, type BytesLike, type Hex } from './bytes.js';

export const WORKLOADS = ['auction', 'vote', 'oracle', 'policy', 'onnx'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export function keccak256(b: BytesLike): Hex {
  return hex(keccak_256(bytes(b)));
}

/** keccak256("cloister/workload/" || name). */
export function workloadId(name: string): Hex {
  return keccak256(utf8('cloister/workload/' + name));
}

/** keccak256(config bytes): JobMarket's configHash. */
export function configHash(config: BytesLike): Hex {
  return keccak256(bytes(config, 'config'));
}

/** keccak256(keccak256(item_1) || ... || keccak256(item_n)): inputHash and privateOutputHash. */
export function hashList(items: readonly BytesLike[]): Hex {
  return keccak256(concat(...items.map((i) => keccak_256(bytes(i)))));
}

/** A ModelRegistry name: keccak256 of its UTF-8 text. */
export function modelName(name: string): Hex {
  return keccak256(utf8(name));
}

function addressWord(a: BytesLike, what: string): Uint8Array {
  return concat(new Uint8Array(12), fixed(a, 20, what));
}

/** JobMarket.jobIdFor: keccak256(abi.encode(chainId, market, requester, clientNonce)). */
export function jobIdFor(chainId: bigint | number, market: BytesLike, requester: BytesLike,
  clientNonce: bigint): Hex {
  return keccak256(concat(u256be(BigInt(chainId), 'chainId'), addressWord(market, 'market'),
    addressWord(requester, 'requester'), u256be(clientNonce, 'clientNonce')));
}
