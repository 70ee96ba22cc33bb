// workloads.ts — each workload's configs, inputs and outputs (docs/formats.md
// §5), typed: encoders for what a client seals or configures, decoders for
// what the enclave publishes and seals back. Decoders refuse a layout they do
// not know, naming the field.
import { bytes, concat, hex, i64be, u16be, u32be, u64be, u256be, fixed, type BytesLike, type Hex } from './bytes.js';

class Reader {
  private off = 0;
  private readonly v: DataView;
  constructor(private readonly b: Uint8Array, private readonly what: string) {
    this.v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  need(n: number, field: string): void {
    if (this.off + n > this.b.length) throw new TypeError(`${this.what}: ${field}: truncated`);
  }
  u8(field: string): number { this.need(1, field); return this.v.getUint8(this.off++); }
  u16(field: string): number { this.need(2, field); const x = this.v.getUint16(this.off); this.off += 2; return x; }
  u32(field: string): number { this.need(4, field); const x = this.v.getUint32(this.off); this.off += 4; return x; }
  u64(field: string): bigint { this.need(8, field); const x = this.v.getBigUint64(this.off); this.off += 8; return x; }
  i64(field: string): bigint { this.need(8, field); const x = this.v.getBigInt64(this.off); this.off += 8; return x; }
  take(n: number, field: string): Uint8Array { this.need(n, field); const x = this.b.slice(this.off, this.off + n); this.off += n; return x; }
  u256(field: string): bigint { return BigInt(hex(this.take(32, field))); }
  version(want: number): void {
    const v = this.u8('version');
    if (v !== want) throw new TypeError(`${this.what}: version ${v}, expected ${want}`);
  }
  excluded(): number[] {
    const n = this.u16('excluded count');
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.u16('excluded'));
    return out;
  }
  end(): void {
    if (this.off !== this.b.length) throw new TypeError(`${this.what}: ${this.b.length - this.off} bytes after the end`);
  }
}

function range(v: number, lo: number, hi: number, what: string): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${what}: an integer from ${lo} to ${hi}`);
  return v;
}

// ---- auction (§5.1) ----

export const AuctionRule = { firstPrice: 1, secondPrice: 2 } as const;

export function auctionConfig(rule: 1 | 2, reserve: bigint): Hex {
  return hex(concat(new Uint8Array([1, rule]), u256be(reserve, 'reserve')));
}

export function auctionBid(bidder: BytesLike, amount: bigint): Uint8Array {
  return concat(new Uint8Array([1]), fixed(bidder, 20, 'bidder'), u256be(amount, 'amount'));
}

export interface AuctionPublic {
  sold: boolean;
  bids: number;
  winner: Hex;
  price: bigint;
  /** The winning input's position among the job's inputs (0 when unsold). */
  winnerIndex: number;
  excluded: number[];
}

export function decodeAuctionPublic(p: BytesLike): AuctionPublic {
  const r = new Reader(bytes(p), 'auction public output');
  r.version(2);
  const out = { sold: r.u8('sold') === 1, bids: r.u16('bids'), winner: hex(r.take(20, 'winner')), price: r.u256('price'),
    winnerIndex: r.u16('winner_index'), excluded: r.excluded() };
  r.end();
  return out;
}

export function decodeAuctionPrivate(p: BytesLike): { won: boolean; price: bigint } {
  const r = new Reader(bytes(p), 'auction private output');
  r.version(1);
  const out = { won: r.u8('won') === 1, price: r.u256('price') };
  r.end();
  return out;
}

// ---- vote (§5.2) ----

export function voteConfig(choices: number): Hex {
  return hex(concat(new Uint8Array([1]), u16be(range(choices, 1, 256, 'choices'))));
}

export function voteBallot(voter: BytesLike, choice: number): Uint8Array {
  return concat(new Uint8Array([1]), fixed(voter, 20, 'voter'), u16be(range(choice, 0, 65535, 'choice')));
}

export interface VotePublic {
  choices: number;
  total: number;
  counts: number[];
  excluded: number[];
}

export function decodeVotePublic(p: BytesLike): VotePublic {
  const r = new Reader(bytes(p), 'vote public output');
  r.version(2);
  const choices = r.u16('choices'), total = r.u32('total');
  const counts: number[] = [];
  for (let i = 0; i < choices; i++) counts.push(r.u32('count'));
  const out = { choices, total, counts, excluded: r.excluded() };
  r.end();
  return out;
}

export function decodeVotePrivate(p: BytesLike): { counted: boolean; choice: number } {
  const r = new Reader(bytes(p), 'vote private output');
  r.version(1);
  const out = { counted: r.u8('counted') === 1, choice: r.u16('choice') };
  r.end();
  return out;
}

// ---- oracle (§5.3) ----

export const OracleMode = { median: 1, twap: 2 } as const;

export interface OracleConfig {
  mode: 1 | 2;
  minSources: number;
  maxDeviationBps: number;
  windowSeconds: number;
}

export function oracleConfig(c: OracleConfig): Hex {
  return hex(concat(new Uint8Array([1, c.mode]), u16be(range(c.minSources, 0, 65535, 'minSources')),
    u32be(range(c.maxDeviationBps, 0, 0xffffffff, 'maxDeviationBps')), u32be(range(c.windowSeconds, 0, 0xffffffff, 'windowSeconds'))));
}

export interface Observation {
  time: bigint;
  price: bigint;
}

/** One source's report: 1..256 observations, times strictly increasing. */
export function oracleReport(source: BytesLike, obs: readonly Observation[]): Uint8Array {
  range(obs.length, 1, 256, 'observations');
  for (let i = 1; i < obs.length; i++) if (obs[i]!.time <= obs[i - 1]!.time) throw new RangeError('observations: times must increase');
  return concat(new Uint8Array([1]), fixed(source, 20, 'source'), u16be(obs.length), ...obs.flatMap((o) => [u64be(o.time), i64be(o.price)]));
}

export interface OraclePublic {
  mode: number;
  value: bigint;
  used: number;
  rejected: number;
  asOf: bigint;
  excluded: number[];
}

export function decodeOraclePublic(p: BytesLike): OraclePublic {
  const r = new Reader(bytes(p), 'oracle public output');
  r.version(2);
  const out = { mode: r.u8('mode'), value: r.i64('value'), used: r.u16('used'), rejected: r.u16('rejected'), asOf: r.u64('as_of'),
    excluded: r.excluded() };
  r.end();
  return out;
}

export function decodeOraclePrivate(p: BytesLike): { accepted: boolean } {
  const r = new Reader(bytes(p), 'oracle private output');
  r.version(1);
  const out = { accepted: r.u8('accepted') === 1 };
  r.end();
  return out;
}

// ---- policy (§5.4) ----

export interface PolicyConfig {
  minScore: number;
  minIncome: bigint;
  maxDtiBps: number;
  minAge: number;
  requiredKyc: number;
  blockedCountries: readonly number[];
}

export function policyConfig(c: PolicyConfig): Hex {
  range(c.blockedCountries.length, 0, 32, 'blockedCountries');
  return hex(concat(new Uint8Array([1]), u16be(range(c.minScore, 0, 65535, 'minScore')), u64be(c.minIncome),
    u32be(range(c.maxDtiBps, 0, 0xffffffff, 'maxDtiBps')), new Uint8Array([range(c.minAge, 0, 255, 'minAge'),
      range(c.requiredKyc, 0, 255, 'requiredKyc'), c.blockedCountries.length]),
  ...c.blockedCountries.map((x) => u16be(range(x, 0, 65535, 'country')))));
}

export interface Applicant {
  score: number;
  income: bigint;
  debtPayments: bigint;
  age: number;
  kycFlags: number;
  country: number;
}

export function policyApplicant(a: Applicant): Uint8Array {
  return concat(new Uint8Array([1]), u16be(range(a.score, 0, 65535, 'score')), u64be(a.income), u64be(a.debtPayments),
    new Uint8Array([range(a.age, 0, 255, 'age'), range(a.kycFlags, 0, 255, 'kycFlags')]), u16be(range(a.country, 0, 65535, 'country')));
}

export function decodePolicyPublic(p: BytesLike): { decisions: boolean[]; excluded: number[] } {
  const r = new Reader(bytes(p), 'policy public output');
  r.version(2);
  const n = r.u16('decisions');
  const decisions: boolean[] = [];
  for (let i = 0; i < n; i++) decisions.push(r.u8('decision') === 1);
  const out = { decisions, excluded: r.excluded() };
  r.end();
  return out;
}

/** failedRules bits: 1 score, 2 income, 4 debt-to-income, 8 age, 16 KYC, 32 country; 0xff unreadable. */
export function decodePolicyPrivate(p: BytesLike): { approved: boolean; failedRules: number } {
  const r = new Reader(bytes(p), 'policy private output');
  r.version(1);
  const out = { approved: r.u8('decision') === 1, failedRules: r.u8('failed rules') };
  r.end();
  return out;
}

// ---- onnx (§5.5) ----

export function onnxConfig(modelId: BytesLike, threads?: number): Hex {
  const id = fixed(modelId, 32, 'modelId');
  return hex(threads === undefined ? concat(new Uint8Array([1]), id)
    : concat(new Uint8Array([2]), id, new Uint8Array([range(threads, 1, 64, 'threads')])));
}

/** One record: the graph's fed inputs in order, each a serialized TensorProto. */
export function onnxRecord(tensors: readonly BytesLike[]): Uint8Array {
  range(tensors.length, 1, 65535, 'tensors');
  return concat(u16be(tensors.length), ...tensors.flatMap((t) => { const b = bytes(t); return [u32be(b.length), b]; }));
}

// ---- ONNX TensorProto (the fields a record and an answer use) ----

/** ONNX TensorProto.DataType values the helpers read and write. */
export const TensorType = { float: 1, int32: 6, int64: 7, double: 11 } as const;

function varint(v: number | bigint): Uint8Array {
  let x = BigInt(v);
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return new Uint8Array(out);
}

/** A float tensor as a serialized TensorProto: dims, FLOAT, raw_data (little-endian), and a name if given. */
export function floatTensor(dims: readonly number[], values: ArrayLike<number>, name?: string): Uint8Array {
  const n = dims.reduce((a, d) => a * d, 1);
  if (n !== values.length) throw new RangeError(`floatTensor: ${values.length} values for dims ${dims.join('x')}`);
  const raw = new Uint8Array(4 * n);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) dv.setFloat32(4 * i, values[i]!, true);
  const parts: Uint8Array[] = dims.map((d) => concat(new Uint8Array([0x08]), varint(d)));
  parts.push(new Uint8Array([0x10, TensorType.float]));
  if (name !== undefined) { const b = new TextEncoder().encode(name); parts.push(new Uint8Array([0x42]), varint(b.length), b); }
  parts.push(new Uint8Array([0x4a]), varint(raw.length), raw);
  return concat(...parts);
}

export interface Tensor {
  name: string;
  dims: number[];
  dataType: number;
  /** The elements: numbers for float and double, bigints for int32 and int64. */
  values: number[] | bigint[];
}

/** A protobuf varint at b[pos]: its value and the position after it. */
function readVarint(b: Uint8Array, pos: number): [bigint, number] {
  let x = 0n;
  for (let shift = 0n; shift < 64n; shift += 7n) {
    if (pos >= b.length) throw new TypeError('tensor: truncated varint');
    const c = b[pos++]!;
    x |= BigInt(c & 0x7f) << shift;
    if (!(c & 0x80)) return [x, pos];
  }
  throw new TypeError('tensor: varint too long');
}

function varints(body: Uint8Array): bigint[] {
  const out: bigint[] = [];
  for (let pos = 0; pos < body.length;) {
    const [v, next] = readVarint(body, pos);
    out.push(v);
    pos = next;
  }
  return out;
}

function fixedWidth(body: Uint8Array, width: 4 | 8, read: (dv: DataView, at: number) => number | bigint): (number | bigint)[] {
  if (body.length % width) throw new TypeError('tensor: data is not whole elements');
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out: (number | bigint)[] = [];
  for (let i = 0; i < body.length; i += width) out.push(read(dv, i));
  return out;
}

/** Read a serialized TensorProto's name, dims, type and elements: raw_data, or
 *  the packed float_data (4), int32_data (5), int64_data (7), double_data (10). */
export function decodeTensor(pb: BytesLike): Tensor {
  const b = bytes(pb);
  const t: Tensor = { name: '', dims: [], dataType: 0, values: [] };
  const fields: Record<number, Uint8Array> = {};
  for (let pos = 0; pos < b.length;) {
    const [key, p1] = readVarint(b, pos);
    const field = Number(key >> 3n), wire = Number(key & 7n);
    pos = p1;
    if (wire === 0) {
      const [v, p2] = readVarint(b, pos);
      pos = p2;
      if (field === 1) t.dims.push(Number(v));
      else if (field === 2) t.dataType = Number(v);
    } else if (wire === 2) {
      const [len, p2] = readVarint(b, pos);
      if (p2 + Number(len) > b.length) throw new TypeError('tensor: truncated field');
      const body = b.slice(p2, p2 + Number(len));
      pos = p2 + Number(len);
      if (field === 1) t.dims.push(...varints(body).map(Number)); // packed dims
      else if (field === 8) t.name = new TextDecoder().decode(body);
      else fields[field] = body;
    } else if (wire === 5 || wire === 1) {
      pos += wire === 5 ? 4 : 8;
      if (pos > b.length) throw new TypeError('tensor: truncated field');
    } else {
      throw new TypeError(`tensor: wire type ${wire}`);
    }
  }
  const raw = fields[9];
  switch (t.dataType) {
    case TensorType.float: t.values = fixedWidth(raw ?? fields[4] ?? new Uint8Array(), 4, (d, i) => d.getFloat32(i, true)) as number[]; break;
    case TensorType.double: t.values = fixedWidth(raw ?? fields[10] ?? new Uint8Array(), 8, (d, i) => d.getFloat64(i, true)) as number[]; break;
    case TensorType.int64:
      t.values = raw ? fixedWidth(raw, 8, (d, i) => d.getBigInt64(i, true)) as bigint[] : varints(fields[7] ?? new Uint8Array()).map((v) => BigInt.asIntN(64, v));
      break;
    case TensorType.int32:
      t.values = raw ? fixedWidth(raw, 4, (d, i) => BigInt(d.getInt32(i, true))) as bigint[] : varints(fields[5] ?? new Uint8Array()).map((v) => BigInt.asIntN(32, v));
      break;
    default: throw new TypeError(`tensor: data type ${t.dataType} is not read here`);
  }
  const n = t.dims.reduce((a, d) => a * d, 1);
  if (t.values.length !== n) throw new TypeError(`tensor: ${t.values.length} elements for dims ${t.dims.join('x')}`);
  return t;
}

export function decodeOnnxPublic(p: BytesLike): { modelId: Hex; inputs: number; answered: number; excluded: number[] } {
  const r = new Reader(bytes(p), 'onnx public output');
  r.version(2);
  const out = { modelId: hex(r.take(32, 'model_id')), inputs: r.u32('inputs'), answered: r.u32('answered'), excluded: r.excluded() };
  r.end();
  return out;
}

/** An answer: status 0 and the output TensorProtos (serialized), or the error's name. */
export function decodeOnnxPrivate(p: BytesLike): { status: number; tensors: Uint8Array[]; error?: string } {
  const r = new Reader(bytes(p), 'onnx private output');
  const status = r.u8('status');
  if (status !== 0) {
    const n = r.u8('error size');
    const error = new TextDecoder().decode(r.take(n, 'error'));
    r.end();
    return { status, tensors: [], error };
  }
  const n = r.u16('tensors');
  const tensors: Uint8Array[] = [];
  for (let i = 0; i < n; i++) tensors.push(r.take(r.u32('tensor size'), 'tensor'));
  r.end();
  return { status, tensors };
}

export function decodePublic(workload: string, p: BytesLike): AuctionPublic | VotePublic | OraclePublic
  | ReturnType<typeof decodePolicyPublic> | ReturnType<typeof decodeOnnxPublic> {
  switch (workload) {
    case 'auction': return decodeAuctionPublic(p);
    case 'vote': return decodeVotePublic(p);
    case 'oracle': return decodeOraclePublic(p);
    case 'policy': return decodePolicyPublic(p);
    case 'onnx': return decodeOnnxPublic(p);
    default: throw new TypeError(`decodePublic: unknown workload ${workload}`);
  }
}
