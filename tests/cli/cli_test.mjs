// cli_test.mjs — the `cloister` command as a user meets it: --help everywhere,
// one JSON document per run, exit codes 0/1/2, envelope round trips in both
// reply modes, and specific errors for bad input.
// Usage: node cli_test.mjs /path/to/cloister
import { spawnSync } from "node:child_process";

const bin = process.argv[2];
let passed = 0, failed = 0;
function check(name, cond, extra = "") {
  if (cond) passed++;
  else { failed++; console.log(`FAIL ${name} ${extra}`); }
}
function run(...args) {
  const r = spawnSync(bin, args, { encoding: "utf8" });
  let doc = null;
  try { doc = JSON.parse(r.stdout); } catch { /* not JSON */ }
  return { rc: r.status, out: r.stdout, err: r.stderr, doc };
}

// --help on every command and subcommand, exit 0, text on stdout
for (const cmd of [[], ["hpke"], ["hpke", "keygen"], ["hpke", "seal"], ["hpke", "open"], ["envelope"],
                   ["envelope", "seal"], ["envelope", "open"], ["envelope", "reply-seal"],
                   ["envelope", "reply-open"], ["envelope", "inspect"], ["demo"], ["attest", "verify"],
                   ["sim", "init"], ["sim", "quote"]]) {
  const r = run(...cmd, "--help");
  check(`--help ${cmd.join(" ")}`, r.rc === 0 && /usage: cloister/.test(r.out), r.err);
}
check("no command is a usage error", run().rc === 2);
check("unknown command", run("frobnicate").rc === 2);
check("unknown option named", (() => { const r = run("hpke", "keygen", "--suite", "x25519-sha256-aes128gcm", "--bogus"); return r.rc === 2 && /--bogus/.test(r.err); })());
check("version is JSON", run("version").doc?.version === "0.1.0");

const suite = "x25519-sha256-aes256gcm";
const kp = run("hpke", "keygen", "--suite", suite).doc;
check("keygen", /^[0-9a-f]{64}$/.test(kp?.sk) && /^[0-9a-f]{64}$/.test(kp?.pk));
check("bad suite named", /unknown suite/.test(run("hpke", "keygen", "--suite", "x25519-sha256-aes192gcm").err));
check("short pk", /exactly 32 bytes/.test(run("hpke", "seal", "--suite", suite, "--pk", "00", "--pt", "").err));
check("odd hex", /odd length/.test(run("hpke", "seal", "--suite", suite, "--pk", kp.pk, "--pt", "abc").err));
check("missing required", /--pt/.test(run("hpke", "seal", "--suite", suite, "--pk", kp.pk).err));
{
  const r = run("hpke", "seal", "--suite", suite, "--pk", kp.pk, "--pt", "@/nonexistent/pt.hex");
  check("--pt @FILE missing is a usage error naming it", r.rc === 2 && r.err.includes("--pt: cannot read '/nonexistent/pt.hex'"), r.err);
}

const binding = ["--chain-id", "31337", "--contract", "cc".repeat(20), "--job-id", "11".repeat(32),
                 "--workload-id", "22".repeat(32), "--epoch", "3"];
const req = run("envelope", "seal", "--pk", kp.pk, ...binding, "--payload", "68656c6c6f");
check("envelope seal", req.rc === 0 && req.doc?.envelope && req.doc?.reply_key?.length === 132, req.err);
const ins = run("envelope", "inspect", "--envelope", req.doc.envelope).doc;
check("inspect", ins?.kind === "request" && ins?.epoch === 3 && ins?.payload_size === 5 &&
      ins?.suite === "x25519-sha256-chacha20poly1305", JSON.stringify(ins));
const opened = run("envelope", "open", "--sk", kp.sk, ...binding, "--envelope", req.doc.envelope);
check("envelope open", opened.doc?.payload === "68656c6c6f" && opened.doc?.reply_key === req.doc.reply_key);
const wrongJob = binding.slice(); wrongJob[5] = "12".repeat(32);
const bad = run("envelope", "open", "--sk", kp.sk, ...wrongJob, "--envelope", req.doc.envelope);
check("wrong job is one auth error", bad.rc === 1 && bad.doc?.error?.code === "auth");
check("epoch out of range", run("envelope", "open", "--sk", kp.sk, ...binding.slice(0, 8), "--epoch", "4294967296", "--envelope", req.doc.envelope).rc === 2);

const r1 = run("envelope", "reply-seal", "--reply-key", opened.doc.reply_key, "--payload", "6f6b");
const r2 = run("envelope", "reply-seal", "--reply-key", opened.doc.reply_key, "--payload", "6f6b");
check("reply deterministic", r1.rc === 0 && r1.doc.envelope === r2.doc.envelope);
check("reply open", run("envelope", "reply-open", "--reply-key", req.doc.reply_key, "--envelope", r1.doc.envelope).doc?.payload === "6f6b");
check("reply inspect", run("envelope", "inspect", "--envelope", r1.doc.envelope).doc?.kind === "reply");

const alice = run("hpke", "keygen", "--suite", suite).doc;
const to = run("envelope", "reply-seal", "--sk", kp.sk, "--to", alice.pk, ...binding, "--payload", "0102");
check("reply-to seal", to.rc === 0, to.err);
check("reply-to open", run("envelope", "reply-open", "--recipient-sk", alice.sk, ...binding, "--envelope", to.doc.envelope).doc?.payload === "0102");
check("reply-to wrong recipient", run("envelope", "reply-open", "--recipient-sk", kp.sk, ...binding, "--envelope", to.doc.envelope).doc?.error?.code === "auth");
check("reply-seal needs one mode", run("envelope", "reply-seal", "--payload", "00").rc === 2);

const v2 = "02" + req.doc.envelope.slice(2);
check("unknown version", run("envelope", "inspect", "--envelope", v2).doc?.error?.code === "version");
check("trailing bytes", run("envelope", "inspect", "--envelope", req.doc.envelope + "00").doc?.error?.what === "envelope has trailing bytes");

// The demo itself runs as its own test (cli.demo): it starts a chain and a node.
check("demo: a path too long is a usage error", run("demo", "--dir", "x".repeat(1000)).rc === 2);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
