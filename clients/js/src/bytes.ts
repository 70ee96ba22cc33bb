// bytes.ts — the byte helpers every module shares: hex in and out, big-endian
// integers, concatenation, and a constant-time comparison.

export type Hex = `0x${string}`;
export type BytesLike = Uint8Array | Hex | string;

/** Bytes from hex (with or without 0x) or a Uint8Array (copied). */
export function bytes(v: BytesLike, what = 'bytes'): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  const s = v.startsWith('0x') || v.startsWith('0X') ? v.slice(2) : v;
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new TypeError(`${what}: not hex`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Exactly n bytes, or a TypeError naming `what`. */
export function fixed(v: BytesLike, n: number, what: string): Uint8Array {
  const b = bytes(v, what);
  if (b.length !== n) throw new TypeError(`${what}: ${n} bytes expected, got ${b.length}`);
  return b;
}

export function hex(b: Uint8Array): Hex {
  let s = '0x';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s as Hex;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function u16be(v: number): Uint8Array {
  return new Uint8Array([(v >>> 8) & 0xff, v & 0xff]);
}

export function u32be(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0);
  return b;
}

export function u64be(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v);
  return b;
}

export function i64be(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v);
  return b;
}

/** A uint256 as 32 big-endian bytes (an ABI word). */
export function u256be(v: bigint, what = 'uint256'): Uint8Array {
  if (v < 0n || v >= 1n << 256n) throw new RangeError(`${what}: not a uint256`);
  const w = new Uint8Array(32);
  for (let i = 31; i >= 0 && v > 0n; i--, v >>= 8n) w[i] = Number(v & 0xffn);
  return w;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Equal length and contents, in time independent of where they differ. */
export function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Overwrite a secret buffer (best effort: JavaScript may hold copies). */
export function wipe(b: Uint8Array): void {
  b.fill(0);
}
