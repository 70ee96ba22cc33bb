// ethers_cross.mjs — the C chain client against ethers 6, an independent
// implementation: transactions signed by each are parsed by the other (and
// signed identically: both use RFC 6979), random ABI values encoded by ethers
// re-encode identically after the C decoder, and the enclave's EIP-712 Result
// digest and signature match ethers' TypedDataEncoder and verifyTypedData.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'package.json'));
const { Wallet, Transaction, AbiCoder, TypedDataEncoder, verifyTypedData, hexlify, keccak256 } =
  require('ethers');

const tool = spawn(process.argv[2], [], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = createInterface({ input: tool.stdout })[Symbol.asyncIterator]();
async function ask(req) {
  tool.stdin.write(JSON.stringify(req) + '\n');
  const { value } = await lines.next();
  return JSON.parse(value);
}
let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('FAIL', what); }
}
const rnd = (n) => hexlify(randomBytes(n));
const rint = (n) => Math.floor(Math.random() * n);
const q = (v) => '0x' + BigInt(v).toString(16);

// ---- transactions ----
let txs = 0;
for (let i = 0; i < 150; i++) {
  const w = Wallet.createRandom();
  const type = i % 3 === 0 ? 0 : 2;
  const fields = {
    type, chainId: BigInt(1 + rint(100000)), nonce: rint(1 << 20), gasLimit: BigInt(21000 + rint(1e6)),
    to: i % 10 === 0 ? null : rnd(20), value: BigInt(rnd(rint(20) + 1)), data: rnd(rint(200)),
  };
  if (type === 2) {
    fields.maxPriorityFeePerGas = BigInt(rint(1e9));
    fields.maxFeePerGas = fields.maxPriorityFeePerGas + BigInt(rint(1e11));
  } else fields.gasPrice = BigInt(rint(1e11));
  fields.gasLimit += BigInt(16 * (fields.data.length - 2) / 2); // above the intrinsic gas
  if (!fields.to) fields.gasLimit += 100000n;
  const raw = await w.signTransaction(Transaction.from(fields));
  const parsed = Transaction.from(raw);
  const got = await ask({ op: 'tx_decode', raw });
  check(!got.error, `C refused an ethers transaction: ${got.error} ${raw}`);
  check(got.from === w.address.toLowerCase(), `sender ${got.from} != ${w.address}`);
  check(got.hash === parsed.hash, `hash ${got.hash} != ${parsed.hash}`);
  const tx = { type, chainId: q(fields.chainId), nonce: q(fields.nonce), gas: q(fields.gasLimit),
    value: q(fields.value), to: fields.to, data: fields.data };
  if (type === 2) { tx.maxFee = q(fields.maxFeePerGas); tx.maxPriority = q(fields.maxPriorityFeePerGas); }
  else tx.gasPrice = q(fields.gasPrice);
  const signed = await ask({ op: 'tx_sign', key: w.privateKey, tx });
  check(signed.raw === raw, `C signed differently:\n ${signed.raw}\n ${raw}`);
  check(Transaction.from(signed.raw).from === w.address, 'ethers recovers the C signer');
  txs++;
}

// ---- ABI ----
function randType(depth = 0) {
  const atoms = ['uint256', 'uint8', 'uint64', 'int256', 'int16', 'address', 'bool', 'bytes32',
    'bytes4', 'bytes', 'string'];
  const r = rint(depth > 2 ? atoms.length : atoms.length + 3);
  if (r < atoms.length) return atoms[r];
  if (r === atoms.length) return randType(depth + 1) + '[]';
  if (r === atoms.length + 1) return randType(depth + 1) + `[${1 + rint(3)}]`;
  const n = 1 + rint(3);
  return '(' + Array.from({ length: n }, () => randType(depth + 1)).join(',') + ')';
}
function randValue(t) {
  const arr = t.match(/^(.*)\[(\d*)\]$/);
  if (arr) return Array.from({ length: arr[2] ? +arr[2] : rint(4) }, () => randValue(arr[1]));
  if (t.startsWith('(')) return splitTuple(t).map(randValue);
  if (t.startsWith('uint')) return BigInt(rnd(+(t.slice(4) || 256) / 8));
  if (t.startsWith('int')) {
    const bits = +(t.slice(3) || 256);
    return BigInt.asIntN(bits, BigInt(rnd(bits / 8)));
  }
  if (t === 'address') return rnd(20);
  if (t === 'bool') return Math.random() < 0.5;
  if (t === 'bytes') return rnd(rint(70));
  if (t === 'string') return Buffer.from(randomBytes(rint(40))).toString('base64');
  return rnd(+t.slice(5));
}
function splitTuple(t) {
  const out = []; let depth = 0, cur = '';
  for (const c of t.slice(1, -1)) {
    if (c === ',' && depth === 0) { out.push(cur); cur = ''; continue; }
    if (c === '(') depth++;
    if (c === ')') depth--;
    cur += c;
  }
  out.push(cur);
  return out;
}
const coder = AbiCoder.defaultAbiCoder();
let abis = 0;
for (let i = 0; i < 300; i++) {
  const n = 1 + rint(4);
  const types = Array.from({ length: n }, () => randType());
  const data = coder.encode(types, types.map(randValue));
  const got = await ask({ op: 'abi', type: '(' + types.join(',') + ')', data });
  check(!got.error, `C refused ethers' encoding of (${types}): ${got.error}`);
  check(got.data === data, `re-encoding of (${types}) differs`);
  abis++;
}

// ---- EIP-712 Result (src/wire/statement.h) ----
const RESULT = [
  { name: 'jobId', type: 'bytes32' }, { name: 'inputHash', type: 'bytes32' },
  { name: 'publicOutputHash', type: 'bytes32' }, { name: 'privateOutputHash', type: 'bytes32' },
  { name: 'workloadId', type: 'bytes32' }, { name: 'configHash', type: 'bytes32' },
  { name: 'epoch', type: 'uint32' },
];
let results = 0;
for (let i = 0; i < 50; i++) {
  const w = Wallet.createRandom();
  const stmt = { jobId: rnd(32), inputHash: rnd(32), publicOutputHash: keccak256(rnd(10)),
    privateOutputHash: rnd(32), workloadId: rnd(32), configHash: rnd(32), epoch: rint(2 ** 32) };
  const domain = { name: 'Cloister', version: '1', chainId: 1 + rint(1e6), verifyingContract: rnd(20) };
  const got = await ask({ op: 'result', stmt: { ...stmt, epoch: q(stmt.epoch) },
    chainId: q(domain.chainId), market: domain.verifyingContract, key: w.privateKey });
  check(got.digest === TypedDataEncoder.hash(domain, { Result: RESULT }, stmt), 'Result digest');
  check(verifyTypedData(domain, { Result: RESULT }, stmt, got.sig) === w.address, 'Result signer');
  check(got.sig === await w.signTypedData(domain, { Result: RESULT }, stmt), 'Result signature bytes');
  results++;
}
tool.stdin.end();
console.log(`ethers 6 cross-check: ${txs} transactions both ways, ${abis} random ABI encodings, ` +
  `${results} EIP-712 Result digests and signatures; ${failures} failures`);
process.exit(failures ? 1 : 0);
