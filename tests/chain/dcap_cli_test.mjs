// dcap_cli_test.mjs — `cloister dcap` on a chain it did not start, with real
// Intel evidence: an anvil at the time of the tdx-v4-dcapqvl case (its
// collateral current then; Osaka rules, the EIP-7825 cap), `cloister deploy`,
// then the on-chain verifier pinned to Intel's root (`dcap deploy`), the
// case's collateral (`dcap upload`), its machine (`dcap platform`) and the
// quote's check (`dcap check`), and revocation by proof with the case's real
// PCK CRL (`dcap revoke`). Refusals: a TCB Info with one byte changed, a
// second verifier, a quote before its machine is registered, a CRL index past
// its entries.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { cli, freePort, sleep, tempDir, cleanup } from '../host/nodeutil.mjs';

const bin = process.argv[2];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'package.json'));
const { JsonRpcProvider, Wallet } = require('ethers');

let failures = 0;
const check = (ok, what, detail = '') => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) { failures++; if (detail) console.error(detail); }
};

const KEY = 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'; // anvil's first account
const CASE = path.join(root, 'tests/vectors/intel-dcap/tdx-v4-dcapqvl');
const AT = Math.floor(Date.parse('2025-06-19T10:32:27Z') / 1000);
const dir = tempDir('dcap-cli');
let anvil = null;
try {
  const port = await freePort();
  const rpc = `http://127.0.0.1:${port}`;
  anvil = spawn(path.join(root, 'node_modules/.bin/anvil'), ['--host', '127.0.0.1', '--port', String(port),
    '--chain-id', '4243', '--enable-tx-gas-limit', '--timestamp', String(AT)], { stdio: 'ignore' });
  const provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true });
  for (let t = 0; t < 200; t++) { try { await provider.getBlockNumber(); break; } catch { await sleep(50); } }
  const keyFile = path.join(dir, 'deployer.key');
  writeFileSync(keyFile, KEY + '\n', { mode: 0o600 });
  const dep = path.join(dir, 'deployment.json');
  const me = new Wallet(KEY).address;
  const d = cli(bin, 'deploy', '--rpc', rpc, '--key', keyFile, '--verifiers', me, '--out', dep);
  check(d.rc === 0, 'cloister deploy', d.out + d.err);
  const quote = path.join(CASE, 'quote.bin');

  const badTee = cli(bin, 'dcap', 'deploy', '--deployment', dep, '--key', keyFile, '--tee', 'tdx,snp');
  check(badTee.rc === 2 && /snp/.test(badTee.err), 'dcap deploy --tee tdx,snp: a usage error before anything is sent', badTee.out + badTee.err);
  const v = cli(bin, 'dcap', 'deploy', '--deployment', dep, '--key', keyFile);
  check(v.rc === 0 && v.doc?.contracts?.DcapVerifier && !v.doc.simulated, "dcap deploy: the verifier, pinned to Intel's root", v.out + v.err);
  const saved = JSON.parse(readFileSync(dep, 'utf8'));
  check(saved.contracts.DcapVerifier?.address === v.doc?.contracts?.DcapVerifier?.address, '... added to the deployment file');
  const again = cli(bin, 'dcap', 'deploy', '--deployment', dep, '--key', keyFile);
  check(again.rc !== 0 && /already has an on-chain verifier/.test(again.err), '... once: a second is refused, naming why');

  const early = cli(bin, 'dcap', 'check', '--deployment', dep, '--quote', quote);
  check(early.rc === 4 && /UnknownPlatform/.test(early.doc?.reason ?? ''), 'dcap check before the machine: refused (UnknownPlatform), exit 4', early.out);

  // Collateral with one byte of the signed TCB Info changed is refused; nothing is held then.
  const bad = path.join(dir, 'bad');
  cpSync(CASE, bad, { recursive: true });
  const info = readFileSync(path.join(bad, 'tcb_info.json'), 'utf8');
  writeFileSync(path.join(bad, 'tcb_info.json'), info.replace('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":18'));
  const u0 = cli(bin, 'dcap', 'upload', '--deployment', dep, '--key', keyFile, '--quote', quote, '--collateral-dir', bad);
  check(u0.rc !== 0 && /BadCollateralSignature/.test(u0.out + u0.err), 'a TCB Info changed by one byte is refused (BadCollateralSignature)', u0.out + u0.err);

  const u = cli(bin, 'dcap', 'upload', '--deployment', dep, '--key', keyFile, '--quote', quote, '--collateral-dir', CASE);
  check(u.rc === 0, "dcap upload: Intel's root, the PCK CA, TCB Info and QE Identity", u.out + u.err);
  const u2 = cli(bin, 'dcap', 'upload', '--deployment', dep, '--key', keyFile, '--quote', quote, '--collateral-dir', CASE);
  check(u2.rc === 0 && u2.doc?.transactions === 0, 'the same upload again sends nothing (all of it held)', u2.out + u2.err);
  const p = cli(bin, 'dcap', 'platform', '--deployment', dep, '--key', keyFile, '--quote', quote, '--collateral-dir', CASE);
  check(p.rc === 0 && p.doc?.gas > 0 && p.doc.gas < 800000, `dcap platform: the machine registered (${p.doc?.gas} gas, under 800,000)`, p.out + p.err);
  const ok = cli(bin, 'dcap', 'check', '--deployment', dep, '--quote', quote);
  check(ok.rc === 0 && ok.doc?.accepted === true && ok.doc.machine_valid_until > AT, 'dcap check: the real quote passes, with its machine record’s expiry', ok.out + ok.err);
  // Revocation by proof with the case's real PCK CRL: an entry it lists is revoked;
  // this machine's PCK is not among them, so its quote still passes.
  const crl = path.join(CASE, 'pck_crl.der');
  const rv = cli(bin, 'dcap', 'revoke', '--deployment', dep, '--key', keyFile, '--crl', crl, '--index', '0');
  check(rv.rc === 0 && rv.doc?.gas > 0, `dcap revoke: the CRL's first entry revoked by proof (${rv.doc?.gas} gas)`, rv.out + rv.err);
  const still = cli(bin, 'dcap', 'check', '--deployment', dep, '--quote', quote);
  check(still.rc === 0 && still.doc?.accepted === true, '... and this machine, not listed, still passes');
  const beyond = cli(bin, 'dcap', 'revoke', '--deployment', dep, '--key', keyFile, '--crl', crl, '--index', '100000');
  check(beyond.rc === 1 && /reverted: BadDer/.test(beyond.out), 'an index past the CRL\'s entries is refused (the walk reads past them: BadDer)', beyond.out + beyond.err);
  const usage = cli(bin, 'dcap', 'platform', '--deployment', dep);
  check(usage.rc === 2, 'a missing option is a usage error (exit 2)');
} catch (e) {
  failures++;
  console.error('FAIL', e.stack ?? e);
} finally {
  anvil?.kill('SIGTERM');
  cleanup(dir);
}
console.log(failures ? `${failures} failure(s)` : 'all checks passed');
process.exit(failures ? 1 : 0);
