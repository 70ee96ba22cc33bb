// envelope.ts — request and reply envelopes (docs/formats.md §1), byte for
// byte as src/crypto/envelope.c makes and opens them: HPKE (RFC 9180) base
// mode to the enclave's epoch key, bound to chain, JobMarket, job, workload
// and epoch; the reply sealed under a key exported from the request's context.
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256, Aes128Gcm, Aes256Gcm } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { gcm } from '@noble/ciphers/aes.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytes, concat, ctEqual, fixed, u16be, u32be, u64be, utf8, wipe, type BytesLike } from './bytes.js';

/** AEAD ids (formats.md §1.1); ChaCha20-Poly1305 is the default, as in the CLI. */
export const AEAD = { aes128gcm: 1, aes256gcm: 2, chacha20poly1305: 3 } as const;
export type AeadName = keyof typeof AEAD;
const KEM_X25519 = 0x0020;
const KDF_SHA256 = 0x0001;
const VERSION = 1;
const KIND_REQUEST = 1;
const KIND_REPLY = 2;
const REQUEST_HEADER = 48;
const REPLY_HEADER = 20;
/** A request's payload bound (formats.md §1.5). */
export const MAX_PAYLOAD = 1 << 20;

/** What an envelope is bound to; never on the wire (formats.md §1.2). */
export interface Binding {
  chainId: bigint | number;
  market: BytesLike;
  jobId: BytesLike;
  workloadId: BytesLike;
  epoch: number;
}

export function bindingInfo(domain: 'request' | 'reply-to', b: Binding): Uint8Array {
  return concat(utf8('cloister/v1/' + domain), u64be(BigInt(b.chainId)), fixed(b.market, 20, 'market'),
    fixed(b.jobId, 32, 'jobId'), fixed(b.workloadId, 32, 'workloadId'), u32be(b.epoch));
}

function suite(aead: number): CipherSuite {
  const a = aead === 1 ? new Aes128Gcm() : aead === 2 ? new Aes256Gcm() : aead === 3 ? new Chacha20Poly1305() : null;
  if (!a) throw new TypeError(`aead: unknown id ${aead}`);
  return new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: a });
}

/** A sealed request and the secret that opens its reply (keep it; it is the
 *  only way to read the enclave's private output for this input). */
export interface SealedRequest {
  envelope: Uint8Array;
  replySecret: Uint8Array;
}

/** Seal one input to the enclave's epoch key (32-byte X25519) for this binding. */
export async function sealRequest(enclaveKey: BytesLike, binding: Binding, payload: BytesLike,
  aead: AeadName = 'chacha20poly1305'): Promise<SealedRequest> {
  const pt = bytes(payload, 'payload');
  if (pt.length > MAX_PAYLOAD) throw new RangeError('payload: more than 1 MiB');
  const id = AEAD[aead];
  const s = suite(id);
  const pk = await s.kem.deserializePublicKey(fixed(enclaveKey, 32, 'enclave key').buffer as ArrayBuffer);
  const ctx = await s.createSenderContext({ recipientPublicKey: pk, info: bindingInfo('request', binding).buffer as ArrayBuffer });
  const enc = new Uint8Array(ctx.enc);
  const header = concat(new Uint8Array([VERSION, KIND_REQUEST]), u16be(KEM_X25519), u16be(KDF_SHA256), u16be(id),
    u32be(binding.epoch), enc, u32be(pt.length + 16));
  const ct = new Uint8Array(await ctx.seal(pt.buffer.slice(pt.byteOffset, pt.byteOffset + pt.length) as ArrayBuffer,
    header.buffer as ArrayBuffer));
  const replySecret = new Uint8Array(await ctx.export(utf8('cloister/v1/reply').buffer as ArrayBuffer, 32));
  return { envelope: concat(header, ct), replySecret };
}

/** The name for it: seal one input (sealRequest). */
export const seal = sealRequest;

/** The header fields of a request envelope (nothing is decrypted). */
export function requestHeader(envelope: BytesLike): { aead: number; epoch: number; enc: Uint8Array } {
  const e = bytes(envelope, 'envelope');
  if (e.length < REQUEST_HEADER + 16 || e[0] !== VERSION || e[1] !== KIND_REQUEST) throw new TypeError('envelope: not a request');
  const v = new DataView(e.buffer, e.byteOffset);
  if (v.getUint32(44) !== e.length - REQUEST_HEADER) throw new TypeError('envelope: size');
  return { aead: v.getUint16(6), epoch: v.getUint32(8), enc: e.slice(12, 44) };
}

function aeadKeyLen(aead: number): number {
  return aead === 1 ? 16 : 32;
}

function aeadOpen(aead: number, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
  const c = aead === 3 ? chacha20poly1305(key, nonce, aad) : gcm(key, nonce, aad);
  return c.decrypt(ct);
}

/** Open the enclave's reply to one of our requests: `replySecret` from
 *  sealRequest, the job id the request was bound to. Throws on any tampering
 *  (the tag), and when the synthetic nonce is not the payload's (formats.md §1.4). */
export function openReply(reply: BytesLike, replySecret: BytesLike, jobId: BytesLike): Uint8Array {
  const r = bytes(reply, 'reply');
  if (r.length < REPLY_HEADER + 16 || r[0] !== VERSION || r[1] !== KIND_REPLY) throw new TypeError('reply: not a reply envelope');
  const v = new DataView(r.buffer, r.byteOffset);
  const aead = v.getUint16(2);
  if (aead < 1 || aead > 3) throw new TypeError('reply: unknown AEAD');
  if (v.getUint32(16) !== r.length - REPLY_HEADER) throw new TypeError('reply: size');
  const secret = fixed(replySecret, 32, 'replySecret');
  const prk = extract(sha256, secret, fixed(jobId, 32, 'jobId'));
  const key = expand(sha256, prk, utf8('cloister/v1/reply key'), aeadKeyLen(aead));
  const nonceKey = expand(sha256, prk, utf8('cloister/v1/reply nonce'), 32);
  const nonce = r.slice(4, 16);
  try {
    const pt = aeadOpen(aead, key, nonce, r.slice(0, REPLY_HEADER), r.slice(REPLY_HEADER));
    const want = hmac(sha256, nonceKey, concat(u16be(aead), u32be(pt.length), pt)).slice(0, 12);
    if (!ctEqual(want, nonce)) throw new Error('reply: the nonce is not the payload\'s');
    return pt;
  } finally {
    wipe(prk);
    wipe(key);
    wipe(nonceKey);
  }
}
