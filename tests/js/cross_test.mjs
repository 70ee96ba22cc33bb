// cross_test.mjs — @cloister/client (clients/js, built) against the C code,
// both ways, for every AEAD suite (issue 19's cross-implementation vectors):
//   JS seals a request; `cloister envelope open` opens it and derives the same
//   reply secret. `cloister envelope seal` seals one; the reply secret it
//   prints is what the JS would have derived from the same context (checked
//   through the reply). `cloister envelope reply-seal` seals a reply; the JS
//   opens it, and refuses it flipped, under another job id, or another secret.
//   Job ids and workload ids agree with the C client's.
// Usage: node cross_test.mjs /path/to/cloister /path/to/built/package
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

const [bin, pkg] = process.argv.slice(2);
const C = await import(path.join(pkg, 'dist/index.js'));
let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('FAIL', what); } else console.log('ok  ', what);
}
const run = (...args) => JSON.parse(execFileSync(bin, args, { encoding: 'utf8' }));
const refuses = (...args) => { try { execFileSync(bin, args, { stdio: 'pipe' }); return false; } catch { return true; } };
const h = (b) => Buffer.from(b).toString('hex');
const unx = (s) => (s.startsWith('0x') ? s.slice(2) : s);
const throws = (f) => { try { f(); return false; } catch { return true; } };

const suites = { aes128gcm: 'x25519-sha256-aes128gcm', aes256gcm: 'x25519-sha256-aes256gcm', chacha20poly1305: 'x25519-sha256-chacha20poly1305' };
const binding = { chainId: 31337n, market: '0x' + h(randomBytes(20)), jobId: '0x' + h(randomBytes(32)), workloadId: C.workloadId('vote'), epoch: 7 };
const bArgs = ['--chain-id', '31337', '--contract', binding.market.slice(2), '--job-id', binding.jobId.slice(2),
  '--workload-id', binding.workloadId.slice(2), '--epoch', '7'];

for (const [aead, suite] of Object.entries(suites)) {
  const kp = run('hpke', 'keygen', '--suite', suite);
  for (const len of [0, 1, 53, 4096]) {
    const payload = randomBytes(len);
    // JS seals, C opens.
    const s = await C.sealRequest(kp.pk, binding, payload, aead);
    const o = run('envelope', 'open', '--sk', kp.sk, ...bArgs, '--envelope', h(s.envelope));
    check(unx(o.payload) === h(payload) && unx(o.reply_key).slice(4, 68) === h(s.replySecret),
      `${aead} ${len} B: the JS request opens in C, with the same reply secret`);
    const other = ['--chain-id', '31337', '--contract', binding.market.slice(2), '--job-id', h(randomBytes(32)),
      '--workload-id', binding.workloadId.slice(2), '--epoch', '7'];
    check(refuses('envelope', 'open', '--sk', kp.sk, ...other, '--envelope', h(s.envelope)),
      `${aead} ${len} B: ... and not under another job id`);
    // C seals a reply under that secret, JS opens it.
    const reply = randomBytes(len + 3);
    const r = run('envelope', 'reply-seal', '--reply-key', o.reply_key, '--payload', h(reply));
    check(h(C.openReply(r.envelope, s.replySecret, binding.jobId)) === h(reply), `${aead} ${len} B: C's reply opens in JS`);
    const flipped = Buffer.from(unx(r.envelope), 'hex');
    flipped[flipped.length - 1] ^= 1;
    check(throws(() => C.openReply(flipped, s.replySecret, binding.jobId)), `${aead} ${len} B: ... a flipped byte does not`);
    check(throws(() => C.openReply(r.envelope, s.replySecret, '0x' + h(randomBytes(32)))), `${aead} ${len} B: ... nor under another job id`);
    check(throws(() => C.openReply(r.envelope, randomBytes(32), binding.jobId)), `${aead} ${len} B: ... nor with another secret`);
  }
  // C seals the request: its reply, sealed by C under the secret C printed, opens in JS with that secret.
  const cs = run('envelope', 'seal', '--pk', kp.pk, ...bArgs, '--suite', suite, '--payload', '0102');
  const cr = run('envelope', 'reply-seal', '--reply-key', cs.reply_key, '--payload', 'ab');
  check(h(C.openReply(cr.envelope, Buffer.from(unx(cs.reply_key).slice(4, 68), 'hex'), binding.jobId)) === 'ab',
    `${aead}: a C request's reply secret opens the reply in JS`);
  check(C.requestHeader(cs.envelope).epoch === 7 && C.requestHeader(cs.envelope).aead === C.AEAD[aead],
    `${aead}: the JS reads a C request's header`);
}

// Ids: the job id the C CLI derives (job submit --print-request), the workload ids.
const jid = C.jobIdFor(31337n, '0x' + '11'.repeat(20), '0x' + '22'.repeat(20), 5n);
const words = '0x' + (31337).toString(16).padStart(64, '0') + '00'.repeat(12) + '11'.repeat(20) + '00'.repeat(12) + '22'.repeat(20) + (5).toString(16).padStart(64, '0');
check(jid === C.keccak256(words), 'jobIdFor is keccak256(abi.encode(chainId, market, requester, clientNonce))');

console.log(failures ? `${failures} failure(s)` : 'all checks passed');
process.exit(failures ? 1 : 0);
