// dcap_gas.mjs — all-in gas of the on-chain DCAP verifier (`make bench`): each
// real case of tests/attest/dcap_cases.json that has collateral, on its own
// anvil (Osaka rules, --enable-tx-gas-limit, genesis at the case's time), with
// DcapPki, DcapCollateral and DcapVerifier deployed from the forge artifacts:
// the root, the PCK CA, the TCB Info, the QE Identity (tier 1) and the
// machine's registration (tier 2), each a transaction, its gasUsed and its
// calldata size. The per-enclave-key check (tier 3) is a view here: these
// quotes bind no Cloister keys; the all-in registration of a simulated
// enclave's quote is in tests/chain/attested_test.mjs and the demo.
// Usage: node bench/dcap_gas.mjs
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, sleep } from '../tests/host/nodeutil.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const { JsonRpcProvider, ContractFactory, Contract, Wallet, keccak256, hexlify, getBytes } = require('ethers');
const KEY = 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'; // anvil's first account
const CAP = 1n << 24n; // EIP-7825

const art = (name) => JSON.parse(readFileSync(path.join(root, 'contracts/out', `${name}.sol`, `${name}.json`), 'utf8'));
const vec = (dir, f) => readFileSync(path.join(root, 'tests/vectors', dir, f));
const pemCerts = (pem) => [...pem.toString().matchAll(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)]
  .map((m) => new X509Certificate(m[0]).raw);

// The raw bytes of the JSON object after "name": (what Intel signs).
function member(text, name) {
  const a = text.indexOf(`"${name}":`) + name.length + 3;
  let depth = 0, b = a;
  for (; b < text.length; b++) {
    if (text[b] === '{') depth++;
    if (text[b] === '}' && --depth === 0) break;
  }
  return Buffer.from(text.slice(a, b + 1));
}

// A quote's parts (src/evidence/quote.h's layout).
function split(q) {
  const version = q.readUInt16LE(0), tdx = q.readUInt32LE(4) === 0x81;
  let o = 48, body = tdx ? 584 : 384;
  if (version === 5) { body = q.readUInt32LE(50); o = 54; }
  const signedEnd = o + body;
  o = signedEnd + 4;
  const p = { signedPart: q.subarray(0, signedEnd), sig: q.subarray(o, o + 64), attKey: q.subarray(o + 64, o + 128) };
  o += 128;
  if (version !== 3) o += 6;
  p.qeReport = q.subarray(o, o + 384);
  p.qeReportSig = q.subarray(o + 384, o + 448);
  const n = q.readUInt16LE(o + 448);
  p.qeAuth = q.subarray(o + 450, o + 450 + n);
  o += 450 + n;
  p.pem = q.subarray(o + 6, o + 6 + q.readUInt32LE(o + 2));
  return p;
}

async function anvilAt(time) {
  const port = await freePort();
  const proc = spawn(path.join(root, 'node_modules/.bin/anvil'), ['--host', '127.0.0.1', '--port', String(port),
    '--enable-tx-gas-limit', '--timestamp', String(time), '--gas-limit', String(CAP * 2n)], { stdio: 'ignore' });
  const provider = new JsonRpcProvider(`http://127.0.0.1:${port}`, undefined, { staticNetwork: true, pollingInterval: 50 });
  for (let t = 0; t < 200; t++) { try { await provider.getBlockNumber(); break; } catch { await sleep(50); } }
  return { proc, provider };
}

async function run(c) {
  const quote = vec(c.dir, 'quote.bin'), p = split(quote);
  const [leaf, ca] = pemCerts(p.pem);
  const rootDer = vec('intel-dcap/roots', 'IntelSGXRootCA.der');
  const signer = pemCerts(vec(c.dir, 'tcb_info_issuer_chain.pem'))[0];
  const tcbText = vec(c.dir, 'tcb_info.json').toString(), qeText = vec(c.dir, 'qe_identity.json').toString();
  const rootKey = new X509Certificate(rootDer).publicKey.export({ format: 'der', type: 'spki' }).subarray(-64);
  const at = Math.floor(Date.parse(c.at) / 1000);
  const { proc, provider } = await anvilAt(at);
  try {
    const w = new Wallet('0x' + KEY, provider);
    let nonce = await w.getNonce();
    const deploy = async (name, ...args) => {
      const a = art(name);
      const f = new ContractFactory(a.abi, a.bytecode.object, w);
      const k = await f.deploy(...args, { nonce: nonce++ });
      await k.waitForDeployment();
      return k;
    };
    const pki = await deploy('DcapPki', keccak256(rootKey), false);
    const col = await deploy('DcapCollateral', await pki.getAddress());
    const ver = await deploy('DcapVerifier', await col.getAddress());
    const row = { case: c.dir.replace('intel-dcap/', ''), status: c.tcb_status };
    const send = async (label, k, fn, ...args) => {
      const tx = await k[fn](...args, { nonce: nonce++ });
      const rc = await tx.wait();
      row[label] = Number(rc.gasUsed);
      row[label + '_bytes'] = getBytes(tx.data).length;
    };
    await send('root', pki, 'setRoot', rootDer);
    await send('ca', pki, 'addCa', ca);
    const tcbBody = member(tcbText, 'tcbInfo'), qeBody = member(qeText, 'enclaveIdentity');
    await send('tcb_info', col, 'addTcbInfo', tcbBody, getBytes('0x' + JSON.parse(tcbText).signature), signer);
    await send('qe_identity', col, 'addQeIdentity', qeBody, getBytes('0x' + JSON.parse(qeText).signature), signer);
    const tcbEnc = await col.encodeTcbInfo(tcbBody), qeEnc = await col.encodeQeIdentity(qeBody);
    const parts = [p.signedPart, p.sig, p.attKey, p.qeReport, p.qeReportSig, p.qeAuth];
    await send('platform', ver, 'registerPlatform', leaf, parts, tcbEnc, qeEnc);
    const ck = await ver.checkEnclave.estimateGas(p.signedPart, p.sig, p.attKey)
      .catch((e) => `refused: ${ver.interface.parseError(e.data)?.name ?? e.shortMessage}`);
    row.enclave_key_view = typeof ck === 'bigint' ? Number(ck) : ck;
    return row;
  } finally {
    proc.kill('SIGTERM');
  }
}

const cases = JSON.parse(readFileSync(path.join(root, 'tests/attest/dcap_cases.json'), 'utf8')).cases
  .filter((c) => c.tcb_status !== 'missing collateral');
const rows = [];
for (const c of cases) rows.push(await run(c));
const doc = { date: new Date().toISOString().slice(0, 10), cpu: os.cpus()[0]?.model, cap: Number(CAP), rows };
console.log(JSON.stringify(doc, null, 1));
console.log('\n| case (TCB status) | root | PCK CA | TCB Info | QE Identity | platform (tier 2) | calldata of tier 2 | enclave key (tier 3, estimate of the view) |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.case} (${r.status}) | ${r.root} | ${r.ca} | ${r.tcb_info} | ${r.qe_identity} | ${r.platform} | ${r.platform_bytes} B | ${r.enclave_key_view} |`);
}
const over = rows.filter((r) => ['root', 'ca', 'tcb_info', 'qe_identity', 'platform'].some((k) => r[k] >= Number(CAP)));
if (over.length) { console.error('a transaction reached the per-transaction gas cap'); process.exit(1); }
