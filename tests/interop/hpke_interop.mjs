// hpke_interop.mjs — Cloister's HPKE against @hpke/core, an independent RFC 9180
// implementation, in both directions, for every suite the CLI supports:
//   A. @hpke/core seals to a Cloister key;  `cloister hpke open` must recover it.
//   B. `cloister hpke seal` seals to an @hpke/core key; @hpke/core must open it.
// Plus: a tampered ciphertext from either side must be refused by the other.
// Usage: node hpke_interop.mjs /path/to/cloister
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aes128Gcm, Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";

const cloister = process.argv[2];
if (!cloister) {
  console.error("usage: node hpke_interop.mjs /path/to/cloister");
  process.exit(2);
}

const tmp = mkdtempSync(join(tmpdir(), "clo-interop-"));
let tmpCount = 0;
// One argv string is capped at 128 KiB by the kernel: pass big hex as @FILE.
const hex = (u8) => {
  const s = Buffer.from(u8).toString("hex");
  if (s.length < 65536) return s;
  const path = join(tmp, `arg${tmpCount++}.hex`);
  writeFileSync(path, s);
  return "@" + path;
};
const plainHex = (u8) => Buffer.from(u8).toString("hex");
const unhex = (s) => new Uint8Array(Buffer.from(s.replace(/^0x/, ""), "hex"));

function run(args, expectFailure = false) {
  try {
    const out = execFileSync(cloister, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    if (expectFailure) throw new Error(`expected failure: cloister ${args.slice(0, 2).join(" ")}`);
    return JSON.parse(out);
  } catch (e) {
    if (!expectFailure || e.status === undefined) throw e;
    if (e.status !== 1) throw new Error(`cloister exited ${e.status}, want 1: ${e.stderr}`);
    const doc = JSON.parse(e.stdout);
    if (doc.error?.code !== "auth") throw new Error(`want an auth error document, got ${e.stdout}`);
    return doc;
  }
}

const suites = [
  ["x25519-sha256-aes128gcm", () => new Aes128Gcm()],
  ["x25519-sha256-aes256gcm", () => new Aes256Gcm()],
  ["x25519-sha256-chacha20poly1305", () => new Chacha20Poly1305()],
];

let passed = 0, failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}

for (const [name, aead] of suites) {
  const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: aead() });
  for (const ptLen of [0, 1, 1024, 70000]) {
    const pt = randomBytes(ptLen), info = randomBytes(17), aad = randomBytes(ptLen % 50);

    await check(`${name} pt=${ptLen}: @hpke/core seals, cloister opens`, async () => {
      const kp = run(["hpke", "keygen", "--suite", name]);
      const pk = await suite.kem.deserializePublicKey(unhex(kp.pk).buffer);
      const sealed = await suite.seal({ recipientPublicKey: pk, info }, pt, aad);
      const args = ["hpke", "open", "--suite", name, "--sk", kp.sk, "--enc", hex(new Uint8Array(sealed.enc)),
                    "--info", hex(info), "--aad", hex(aad), "--ct", hex(new Uint8Array(sealed.ct))];
      const opened = run(args);
      if (opened.pt !== "0x" + plainHex(pt)) throw new Error("plaintext differs");
      const bad = new Uint8Array(sealed.ct);
      bad[bad.length - 1] ^= 1;
      args[args.length - 1] = hex(bad);
      run(args, true);
    });

    await check(`${name} pt=${ptLen}: cloister seals, @hpke/core opens`, async () => {
      const rkp = await suite.kem.generateKeyPair();
      const pkRaw = new Uint8Array(await suite.kem.serializePublicKey(rkp.publicKey));
      const sealed = run(["hpke", "seal", "--suite", name, "--pk", hex(pkRaw), "--info", hex(info),
                          "--aad", hex(aad), "--pt", hex(pt)]);
      const opened = await suite.open({ recipientKey: rkp, enc: unhex(sealed.enc).buffer, info },
                                      unhex(sealed.ct).buffer, aad);
      if (plainHex(new Uint8Array(opened)) !== plainHex(pt)) throw new Error("plaintext differs");
      const bad = unhex(sealed.ct);
      bad[0] ^= 1;
      let refused = false;
      try {
        await suite.open({ recipientKey: rkp, enc: unhex(sealed.enc).buffer, info }, bad.buffer, aad);
      } catch {
        refused = true;
      }
      if (!refused) throw new Error("@hpke/core accepted a tampered cloister ciphertext");
    });
  }
}

rmSync(tmp, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
