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
check("keygen", /^0x[0-9a-f]{64}$/.test(kp?.sk) && /^0x[0-9a-f]{64}$/.test(kp?.pk));
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
check("envelope seal", req.rc === 0 && req.doc?.envelope && req.doc?.reply_key?.length === 134, req.err);
const ins = run("envelope", "inspect", "--envelope", req.doc.envelope).doc;
check("inspect", ins?.kind === "request" && ins?.epoch === 3 && ins?.payload_size === 5 &&
      ins?.suite === "x25519-sha256-chacha20poly1305", JSON.stringify(ins));
const opened = run("envelope", "open", "--sk", kp.sk, ...binding, "--envelope", req.doc.envelope);
check("envelope open", opened.doc?.payload === "0x68656c6c6f" && opened.doc?.reply_key === req.doc.reply_key);
const wrongJob = binding.slice(); wrongJob[5] = "12".repeat(32);
const bad = run("envelope", "open", "--sk", kp.sk, ...wrongJob, "--envelope", req.doc.envelope);
check("wrong job is one auth error", bad.rc === 1 && bad.doc?.error?.code === "auth");
check("epoch out of range", run("envelope", "open", "--sk", kp.sk, ...binding.slice(0, 8), "--epoch", "4294967296", "--envelope", req.doc.envelope).rc === 2);

const r1 = run("envelope", "reply-seal", "--reply-key", opened.doc.reply_key, "--payload", "6f6b");
const r2 = run("envelope", "reply-seal", "--reply-key", opened.doc.reply_key, "--payload", "6f6b");
check("reply deterministic", r1.rc === 0 && r1.doc.envelope === r2.doc.envelope);
check("reply open", run("envelope", "reply-open", "--reply-key", req.doc.reply_key, "--envelope", r1.doc.envelope).doc?.payload === "0x6f6b");
check("reply inspect", run("envelope", "inspect", "--envelope", r1.doc.envelope).doc?.kind === "reply");

const alice = run("hpke", "keygen", "--suite", suite).doc;
const to = run("envelope", "reply-seal", "--sk", kp.sk, "--to", alice.pk, ...binding, "--payload", "0102");
check("reply-to seal", to.rc === 0, to.err);
check("reply-to open", run("envelope", "reply-open", "--recipient-sk", alice.sk, ...binding, "--envelope", to.doc.envelope).doc?.payload === "0x0102");
check("reply-to wrong recipient", run("envelope", "reply-open", "--recipient-sk", kp.sk, ...binding, "--envelope", to.doc.envelope).doc?.error?.code === "auth");
check("reply-seal needs one mode", run("envelope", "reply-seal", "--payload", "00").rc === 2);

const v2 = "0x02" + req.doc.envelope.slice(4);
check("unknown version", run("envelope", "inspect", "--envelope", v2).doc?.error?.code === "version");
check("trailing bytes", run("envelope", "inspect", "--envelope", req.doc.envelope + "00").doc?.error?.what === "envelope has trailing bytes");

// ---- one output contract for every command ----
// A failure is one JSON document on stdout {"error":{"code","message"}}, and
// the exit code is the class: 1 run time / I/O / file content, 2 usage.
const failsAs = (name, rc, r) => check(`${name}: exit ${rc}, one JSON failure document`,
  r.rc === rc && typeof r.doc?.error?.code === "string" && typeof r.doc?.error?.message === "string" &&
  r.out.trim().split("\n").length === 1, `rc=${r.rc} out=${r.out} err=${r.err}`);
const none = "/nonexistent/cloister-test-file";
const id = "0x" + "11".repeat(32);
for (const args of [["attest", "verify", "--evidence", none], ["model", "train", "--csv", none, "--out", "/tmp/x.onnx"],
  ["model", "provision", "--model", none, "--node", "http://127.0.0.1:1", "--deployment", none],
  ["job", "result", "--id", id, "--keys", none], ["onnx", "info", "--model", none], ["config", "check", "--config", none],
  ["config", "init", "--deployment", none], ["audit", id, "--deployment", none],
  ["devnet", "allow", "--node", "http://127.0.0.1:1", "--deployment", none, "--key", none],
  ["job", "submit", "--workload", "onnx", "--model-id", id, "--records", none]])
  failsAs(`a missing file (${args.slice(0, 2).join(" ")})`, 1, run(...args));
for (const args of [["job", "status", "--id", id, "--node", "http://127.0.0.1:1"], ["enclave", "info", "--node", "http://127.0.0.1:1"],
  ["job", "submit", "--trust-node", "--workload", "vote", "--config", "010003", "--inputs", "00", "--node", "http://127.0.0.1:1"],
  ["deploy", "--rpc", "http://127.0.0.1:1", "--key", none, "--verifiers", "0x" + "22".repeat(20)]])
  failsAs(`no node or chain there (${args.slice(0, 2).join(" ")})`, 1, run(...args));
for (const args of [["job", "submit", "--bogus"], ["devnet", "frob"], ["deploy"], ["config"], ["frobnicate"],
  ["deploy", "--rpc", "u", "--key", "k", "--verifiers", "nothex"]])
  failsAs(`usage (${args.join(" ")})`, 2, run(...args));
const top = run("--help").out;
for (const c of ["deploy", "devnet up|down|status|allow", "config check|init", "job submit|status|result", "model train|provision",
  "onnx info|run|test", "verifier serve|approve", "audit", "sim init|quote", "node run", "enclave info", "attest verify"])
  check(`cloister --help lists ${c}`, top.includes(c), top);
const untrusted = run("job", "submit", "--workload", "vote", "--config", "010003", "--inputs", "00");
check("job submit without --deployment or --trust-node is a usage error naming both", untrusted.rc === 2 &&
      /--deployment/.test(untrusted.err) && /--trust-node/.test(untrusted.err), untrusted.err);
const sub = run("job", "submit", "--help").out;
check("job submit --help lists --model-id and --records", /usage: .*--model-id.*--records/s.test(sub), sub);
// snake_case keys and 0x hex in every document here
const snake = (o) => o === null || typeof o !== "object" ||
  Object.entries(o).every(([k, v]) => (Array.isArray(o) || /^[a-z0-9_]+$/.test(k)) && snake(v));
check("keys are snake_case", [kp, req.doc, ins, opened.doc, r1.doc].every(snake));
check("bytes are 0x hex", [kp.sk, kp.pk, req.doc.envelope, req.doc.reply_key, opened.doc.payload].every((h) => /^0x([0-9a-f]{2})*$/.test(h)));

// The demo itself runs as its own test (cli.demo): it starts a chain and a node.
check("demo: a path too long is a usage error", run("demo", "--dir", "x".repeat(1000)).rc === 2);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
