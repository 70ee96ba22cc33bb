// node_test.mjs — cloisterd end to end, as a user meets it: `cloister node run`,
// an auction through `cloister job submit|result`, enclave info, 35 classes of
// bad input each answered with its own problem code (and nothing else changed),
// metrics consistent with the journal, logs free of secrets, keys and results
// surviving a restart, and key rotation with grace expiry.
// Usage: node node_test.mjs /path/to/cloister
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { makeNode, start, stop, cli, api, tempDir, cleanup, sleep, addr } from "./nodeutil.mjs";

const bin = process.argv[2];
let passed = 0, failed = 0;
function check(name, cond, extra = "") {
  if (cond) passed++;
  else { failed++; console.log(`FAIL ${name} ${typeof extra === "string" ? extra : JSON.stringify(extra)}`); }
}

const dir = tempDir("node");
const node = await makeNode(bin, dir);
await start(node);
const N = ["--node", node.url];

// The API jobs below are requested by one key, so that a test can re-sign a
// request's JobTicket after changing its inputs (as a requester may: it decides
// its job's input set), with ethers' EIP-712 signer: an independent client.
const { AbiCoder, keccak256, Wallet, concat, toUtf8Bytes } = createRequire(import.meta.url)("ethers");
const { writeFileSync: wf } = await import("node:fs");
const REQ_KEY = "0x" + "42".repeat(32), reqKeyFile = join(dir, "requester.key");
wf(reqKeyFile, REQ_KEY.slice(2) + "\n");
const requester = new Wallet(REQ_KEY);
async function resign(r) {
  const inputHash = keccak256(concat(r.inputs.map((e) => keccak256(e))));
  const spec = keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32", "bytes32", "address"],
    [keccak256(toUtf8Bytes("cloister/workload/" + r.workload)), keccak256(r.config), inputHash, "0x" + "00".repeat(20)]));
  const value = { jobId: r.job_id, spec, deadline: r.ticket.deadline, issuedAt: r.ticket.issued_at,
                  requester: r.ticket.requester, clientNonce: r.client_nonce };
  r.ticket.signature = await requester.signTypedData(
    { name: "Cloister", version: "1", chainId: 31337, verifyingContract: "0x" + "ab".repeat(20) },
    { JobTicket: [{ name: "jobId", type: "bytes32" }, { name: "spec", type: "bytes32" }, { name: "deadline", type: "uint64" },
                  { name: "issuedAt", type: "uint64" }, { name: "requester", type: "address" }, { name: "clientNonce", type: "bytes32" }] },
    value);
  return r;
}

// --help on every new command
for (const cmd of [["node", "run"], ["job", "submit"], ["job", "status"], ["job", "result"],
                   ["enclave", "info"], ["config", "check"]]) {
  const r = cli(bin, ...cmd, "--help");
  check(`--help ${cmd.join(" ")}`, r.rc === 0 && /usage: cloister/.test(r.out), r.err);
}

// config check names the bad key
{
  const bad = join(dir, "bad.json");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(bad, JSON.stringify({ listen: { prot: 1 } }));
  let r = cli(bin, "config", "check", "--config", bad);
  check("config unknown key named", r.rc === 1 && /listen\.prot: unknown key/.test(r.doc?.error?.message), r.out);
  writeFileSync(bad, '{"data_dir":"a","data_dir":"b"}');
  r = cli(bin, "config", "check", "--config", bad);
  check("config duplicate key", r.rc === 1 && /duplicate/.test(r.doc?.error?.message), r.out);
  writeFileSync(bad, JSON.stringify({ limits: { batch_max: 0 } }));
  r = cli(bin, "config", "check", "--config", bad);
  check("config range named", r.rc === 1 && /limits\.batch_max/.test(r.doc?.error?.message), r.out);
  r = cli(bin, "config", "check", "--config", node.cfgPath);
  check("config check ok", r.rc === 0 && r.doc?.config?.listen?.port === node.port, r.out);
}

// enclave info: evidence over a fresh nonce, binding checked by the client
const info = cli(bin, "enclave", "info", ...N);
check("enclave info", info.rc === 0 && info.doc?.binding_ok === true && info.doc?.evidence_format === "tdx-quote" &&
      /^0x[0-9a-f]{64}$/.test(info.doc?.evidence_digest ?? ""), info.out);

// an auction end to end
const bids = [[1, 500], [2, 900], [3, 700]];
const bidArg = bids.map(([a, v]) => `${addr(a)}:${v}`).join(",");
const keysFile = join(dir, "auction.keys.json");
const sub = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "auction", "--auction", "second", "--bids", bidArg, "--keys-out", keysFile);
check("submit", sub.rc === 0 && sub.doc?.state === "accepted", sub.out + sub.err);
const jobId = sub.doc?.job_id;
const res = cli(bin, "job", "result", ...N, "--id", jobId, "--keys", keysFile);
const v = res.doc?.verified;
check("result signed", res.rc === 0 && v?.signature_valid === true && v?.outputs_match_statement === true, res.out + res.err);
check("second price auction", v?.public?.winner === addr(2) && v?.public?.price === 700 && v?.public?.sold === true && v?.public?.winner_index === 1, JSON.stringify(v?.public));
check("private outputs opened", v?.private?.length === 3 && v.private[1].startsWith("0x0101") && v.private[0].startsWith("0x0100"), JSON.stringify(v?.private));
check("signer is the enclave's", res.doc?.signer === info.doc?.signer);
check("the statement matches this submission (job id and input hash)", v?.job_matches_submission === true &&
      v?.signer_registered === null, JSON.stringify(v));
{
  // A node answering with another job's signed result is caught: the statement is not this submission's.
  const other = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "auction", "--auction", "first", "--bids",
    `${addr(7)}:5`, "--keys-out", join(dir, "other.keys.json"));
  cli(bin, "job", "result", ...N, "--id", other.doc.job_id);
  const swapped = cli(bin, "job", "result", ...N, "--id", other.doc.job_id, "--keys", keysFile);
  check("job result refuses another job's result for this submission (exit 4)", swapped.rc === 4 &&
        swapped.doc?.verified?.signature_valid === true && swapped.doc?.verified?.job_matches_submission === false, swapped.out);
}
const st = cli(bin, "job", "status", ...N, "--id", jobId);
check("status done", st.rc === 0 && st.doc?.state === "done", st.out);

// ---- bad input: every class its own problem code, the journal unchanged ----
const template = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "auction", "--auction", "first",
                     "--bids", `${addr(7)}:10`, "--print-request", "--requester-key", reqKeyFile,
                     "--keys-out", join(dir, "t.keys.json")).doc.request;
const clone = () => JSON.parse(JSON.stringify(template));
const withReq = (f) => { const r = clone(); f(r); return r; };
const env0 = template.inputs[0];
// Byte i of a 0x-prefixed hex string set to b.
const setByte = (hex, i, b) => hex.slice(0, 2 + 2 * i) + b + hex.slice(2 + 2 * i + 2);
// One API job journaled first, so that its id can be reused.
const firstReq = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "auction", "--auction", "first",
                     "--bids", `${addr(6)}:10`, "--print-request", "--requester-key", reqKeyFile,
                     "--keys-out", join(dir, "f.keys.json")).doc.request;
check("an API job with a derived id is accepted", (await api(node, "POST", "/v1/jobs", firstReq)).status === 202);
// The id a chain job of requester addr(3), nonce 1 has on this node's chain and market (JobMarket.jobIdFor).
const jobIdForChain = keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "address", "address", "uint256"],
  [31337, "0x" + "ab".repeat(20), addr(3), 1]));
const metricsBefore = await api(node, "GET", "/metrics");
const rejectedBefore = sumRejected(metricsBefore.text);
let rejections = 0;
const classes = [
  ["unsupported media type", () => api(node, "POST", "/v1/jobs", JSON.stringify(template), { "Content-Type": "text/plain" }), 415, "unsupported-media-type"],
  ["body too large", () => api(node, "POST", "/v1/jobs", "x".repeat(5 << 20)), 413, "body-too-large"],
  ["malformed JSON", () => api(node, "POST", "/v1/jobs", '{"job_id":'), 400, "malformed-json"],
  ["duplicate key", () => api(node, "POST", "/v1/jobs", '{"job_id":"00","job_id":"01"}'), 400, "duplicate-key"],
  ["not an object", () => api(node, "POST", "/v1/jobs", "[1,2]"), 400, "not-an-object"],
  ["unknown field", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.extra = 1; })), 400, "unknown-field"],
  ["missing field", () => api(node, "POST", "/v1/jobs", withReq((r) => { delete r.epoch; })), 400, "missing-field"],
  ["bad job id", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.job_id = "1234"; })), 400, "bad-job-id"],
  ["unknown workload", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.workload = "mining"; })), 400, "unknown-workload"],
  ["config not hex", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.config = "zz"; })), 400, "bad-config-hex"],
  ["config too large", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.config = "00".repeat(5000); })), 413, "config-too-large"],
  ["config refused by workload", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.config = "0103" + "00".repeat(32); })), 422, "bad-config"],
  ["bad epoch", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.epoch = "one"; })), 400, "bad-epoch"],
  ["inputs not an array", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.inputs = "00"; })), 400, "bad-inputs"],
  ["no inputs", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.inputs = []; })), 400, "no-inputs"],
  ["too many inputs", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.inputs = Array(1025).fill(env0); })), 413, "too-many-inputs"],
  ["input not hex", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.inputs = ["xyz"]; })), 400, "bad-input-hex"],
  ["input too large", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.inputs = ["00".repeat((1 << 20) + 1)]; })), 413, "input-too-large"],
  ["truncated envelope", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.inputs = [env0.slice(0, 60)]; })), 400, "envelope-malformed"],
  ["envelope version", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.inputs = [setByte(env0, 0, "02")]; })), 400, "envelope-version"],
  ["envelope suite", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.inputs = [setByte(env0, 3, "21")]; })), 400, "envelope-suite"],
  ["envelope kind", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.inputs = [setByte(env0, 1, "03")]; })), 400, "envelope-kind"],
  ["epoch mismatch", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.epoch = 2; })), 400, "epoch-mismatch"],
  ["epoch unknown", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.epoch = 99; r.inputs = [setByte(env0, 11, "63")]; })), 422, "epoch-unknown"],
  ["job id reused", async () => api(node, "POST", "/v1/jobs", await resign(withReq((r) => { r.job_id = firstReq.job_id; r.client_nonce = firstReq.client_nonce; }))), 409, "job-id-conflict"],
  // Issue 15, finding 1: an API job runs only on the input set its requester signed.
  ["ticket over other inputs", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.inputs = firstReq.inputs; })), 400, "ticket-invalid"],
  ["ticket signed by another", async () => api(node, "POST", "/v1/jobs", await resign(withReq((r) => { r.ticket.requester = addr(9); }))), 400, "job-id-not-derived"],
  ["no ticket", () => api(node, "POST", "/v1/jobs", withReq((r) => { delete r.ticket; })), 400, "missing-field"],
  ["malformed ticket", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.ticket.signature = "0x12"; })), 400, "bad-ticket"],
  // Issue 15, finding 8: an API job's id is keccak256(chain, market, address(0), client_nonce), so
  // no API client can take a chain job's (predictable) id before it arrives.
  ["job id not derived from the nonce", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.job_id = "0x" + "77".repeat(32); })), 400, "job-id-not-derived"],
  ["a chain job's id", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.job_id = jobIdForChain; })), 400, "job-id-not-derived"],
  ["bad client nonce", () => api(node, "POST", "/v1/jobs", withReq((r) => { r.client_nonce = "12"; })), 400, "bad-client-nonce"],
  ["status of unknown job", () => api(node, "GET", "/v1/jobs/0x" + "ee".repeat(32)), 404, "job-not-found"],
  ["result of unknown job", () => api(node, "GET", "/v1/jobs/0x" + "ee".repeat(32) + "/result"), 404, "job-not-found"],
  ["bad job id in path", () => api(node, "GET", "/v1/jobs/xyz"), 400, "bad-job-id"],
  ["wrong method", () => api(node, "DELETE", "/v1/jobs"), 405, "method-not-allowed"],
  ["no such route", () => api(node, "GET", "/v2/jobs"), 404, "not-found"],
  ["evidence without nonce", () => api(node, "GET", "/v1/enclave/evidence"), 400, "missing-nonce"],
  ["evidence with bad nonce", () => api(node, "GET", "/v1/enclave/evidence?nonce=abc"), 400, "bad-nonce"],
  ["model: not JSON", () => api(node, "POST", "/v1/models", '{"config":'), 400, "invalid-body"],
  ["model: config not hex", () => api(node, "POST", "/v1/models", { config: "zz" }), 400, "invalid-body"],
  ["model: empty config", () => api(node, "POST", "/v1/models", { config: "" }), 400, "invalid-body"],
  ["model: extra field", () => api(node, "POST", "/v1/models", { config: "01", x: 1 }), 400, "invalid-body"],
  ["model: config too large", () => api(node, "POST", "/v1/models", { config: "00".repeat((1 << 20) + 1) }), 400, "invalid-body"],
  ["model: wrong method", () => api(node, "GET", "/v1/models"), 405, "method-not-allowed"],
];
for (const [name, f, status, code] of classes) {
  const r = await f();
  const ok = r.status === status && r.doc?.code === code && r.type === "application/problem+json" &&
             r.doc?.type === `https://cloister.dev/problems/${code}` && r.doc?.status === status;
  check(`bad input: ${name}`, ok, `${r.status} ${r.text.slice(0, 200)}`);
  rejections++;
}
// A model config is stored under its keccak256 (content-addressed), and again is harmless.
{
  const m1 = await api(node, "POST", "/v1/models", { config: "010003" });
  const m2 = await api(node, "POST", "/v1/models", { config: "010003" });
  check("config stored under its hash", m1.status === 201 && /^0x[0-9a-f]{64}$/.test(m1.doc?.config_hash ?? "") &&
        m2.status === 201 && m2.doc.config_hash === m1.doc.config_hash &&
        m1.doc.config_hash === "0x6edd0b914a2655d7dbe2c1517e49b25f700a1dbc41e8babffeda67a01423ef77" /* keccak256(0x010003), by ethers */, m1.text);
}
// Enclave-side classes: accepted (the host cannot read inputs), then the job is
// decided without the bad input, which the public output names (docs/formats.md
// §5: one input never fails a job, so no bidder can veto an auction).
async function enclaveClass(name, req, tailAt, excluded) {
  const r = await api(node, "POST", "/v1/jobs", req);
  check(`${name}: accepted`, r.status === 202, r.text);
  let res;
  for (let i = 0; i < 200; i++) {
    res = await api(node, "GET", `/v1/jobs/${req.job_id}/result`);
    if (res.status !== 409) break;
    await sleep(20);
  }
  const pub = Buffer.from((res.doc?.public_output ?? "0x").slice(2), "hex");
  const n = pub.length >= tailAt + 2 ? pub.readUInt16BE(tailAt) : -1;
  const got = [];
  for (let k = 0; k < n && tailAt + 4 + 2 * k <= pub.length; k++) got.push(pub.readUInt16BE(tailAt + 2 + 2 * k));
  check(`bad input: ${name} (the job is decided, input ${excluded} excluded)`, res.status === 200 && res.doc?.state === "done" &&
        pub[0] === 2 && pub.length === tailAt + 2 + 2 * n && JSON.stringify(got) === JSON.stringify(excluded), res.text);
  rejections++;
  return res;
}
const fresh = (args) => cli(bin, "job", "submit", "--trust-node", ...N, "--print-request", "--requester-key", reqKeyFile,
                           "--keys-out", join(dir, "x.keys.json"), ...args).doc.request;
{
  const r = fresh(["--workload", "auction", "--auction", "first", "--bids", `${addr(8)}:10`]);
  const i = r.inputs[0]; r.inputs = [setByte(i, 60, i.slice(120, 122) === "00" ? "01" : "00")];
  await enclaveClass("flipped ciphertext", await resign(r), 58, [0]);
}
{
  const r = fresh(["--workload", "auction", "--auction", "first", "--bids", `${addr(9)}:10`]);
  const o = fresh(["--workload", "auction", "--auction", "first", "--bids", `${addr(9)}:11`]);
  r.job_id = o.job_id; // a valid API id, but the envelope was sealed for another: wrong binding
  r.client_nonce = o.client_nonce;
  await enclaveClass("wrong binding (job id)", await resign(r), 58, [0]);
}
await enclaveClass("malformed bid", fresh(["--workload", "auction", "--auction", "first", "--inputs", "0102"]), 58, [0]);
await enclaveClass("bid version", fresh(["--workload", "auction", "--auction", "first", "--inputs", "02" + "00".repeat(52)]), 58, [0]);
{
  // Two bids claiming one address both count (the chain pays by position): no veto by claiming.
  const res = await enclaveClass("duplicate bidder claim", fresh(["--workload", "auction", "--auction", "first", "--bids", `${addr(4)}:1,${addr(4)}:2`]), 58, []);
  const pub = Buffer.from(res.doc.public_output.slice(2), "hex");
  check("... and the higher of the two wins", pub[1] === 1 && pub.readUInt16BE(56) === 1, res.text);
}
{
  // A copy of an input is not a second bid: it would count the original twice, in the copier's position.
  const r = fresh(["--workload", "auction", "--auction", "second", "--bids", `${addr(5)}:9,${addr(6)}:3`]);
  r.inputs = [r.inputs[0], r.inputs[1], r.inputs[0]];
  const res = await enclaveClass("a copied envelope", await resign(r), 58, [2]);
  const pub = Buffer.from(res.doc.public_output.slice(2), "hex");
  check("... the original wins at the other bid's price", pub[1] === 1 && pub.readUInt16BE(56) === 0 && pub[55] === 3, res.text);
}
await enclaveClass("vote out of range", fresh(["--workload", "vote", "--config", "010002", "--inputs", "01" + "11".repeat(20) + "0005"]), 7 + 4 * 2, [0]);
await enclaveClass("second ballot of one voter", fresh(["--workload", "vote", "--config", "010002", "--inputs",
  "01" + "13".repeat(20) + "0001,01" + "13".repeat(20) + "0000"]), 7 + 4 * 2, [1]);
{
  // A duplicate of an identical request is idempotent, not an error.
  const r = fresh(["--workload", "vote", "--config", "010002", "--inputs", "01" + "12".repeat(20) + "0001"]);
  const a = await api(node, "POST", "/v1/jobs", r), b = await api(node, "POST", "/v1/jobs", r);
  check("identical resubmission is idempotent", a.status === 202 && b.status === 200 && b.doc?.duplicate === true, b.text);
}
check("at least 30 bad-input classes", rejections >= 30, String(rejections));

// metrics: every host-side rejection counted once, job gauges equal to the journal
await sleep(100);
const m = await api(node, "GET", "/metrics");
const hostRejections = classes.length;
check("rejections counted", sumRejected(m.text) - rejectedBefore === hostRejections,
      `${sumRejected(m.text) - rejectedBefore} vs ${hostRejections}`);
const jobs = (s) => parseInt((m.text.match(new RegExp(`cloister_jobs\\{state="${s}"\\} (\\d+)`)) || [])[1], 10);
check("metrics: jobs by state", jobs("done") === 12 && jobs("failed") === 0 && jobs("accepted") === 0, m.text.match(/cloister_jobs.*/g)?.join(" "));
check("metrics: build info", /cloister_build_info\{version="0.1.0",backend="sim"\} 1/.test(m.text));
check("metrics: histogram", /cloister_job_latency_seconds_count 12/.test(m.text));

// restart: the same keys, the same results, byte for byte
const resultBefore = (await api(node, "GET", `/v1/jobs/${jobId}/result`)).text;
const keysBefore = (await api(node, "GET", "/v1/enclave/keys")).doc;
check("graceful stop", (await stop(node)).code === 0);
await start(node);
const keysAfter = (await api(node, "GET", "/v1/enclave/keys")).doc;
check("keys survive a restart", JSON.stringify(keysAfter.keys) === JSON.stringify(keysBefore.keys));
check("result survives a restart", (await api(node, "GET", `/v1/jobs/${jobId}/result`)).text === resultBefore);
check("restarted node runs jobs", (() => {
  const s = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "auction", "--auction", "first", "--bids", `${addr(5)}:3`, "--keys-out", join(dir, "r.keys.json"));
  const r = cli(bin, "job", "result", ...N, "--id", s.doc?.job_id, "--keys", join(dir, "r.keys.json"));
  return r.doc?.verified?.public?.price === 3;
})());
await stop(node);

// logs: JSON lines with event codes and job ids; no plaintext input, no key
const log = readFileSync(node.log, "utf8");
const lines = log.trim().split("\n");
check("logs are JSON lines", lines.every((l) => { try { return typeof JSON.parse(l).event === "string"; } catch { return false; } }));
check("logs carry job ids", log.includes(jobId.slice(2)));
const secrets = JSON.parse(readFileSync(keysFile, "utf8")).reply_keys.map((k) => k.secret);
const plain = bids.map(([a, val]) => "01" + addr(a).slice(2) + val.toString(16).padStart(64, "0"));
check("no reply key in logs", secrets.every((s) => !log.includes(s)));
check("no plaintext bid in logs", plain.every((p) => !log.includes(p) && !log.includes(p.slice(42))));
// bytes 7..39 of the saved key (DER ECPrivateKey) are the private scalar; the rest is structure
check("no sim platform key in logs", !log.includes(readFileSync(join(dir, "sim", "pck.key")).toString("hex").slice(14, 78)));

// rotation on a schedule, and requests to an epoch past its grace fail cleanly
{
  const d2 = tempDir("rotate");
  const n2 = await makeNode(bin, d2, { enclave: { rotate_seconds: 1, grace_seconds: 1 } });
  await start(n2);
  const old = cli(bin, "job", "submit", "--trust-node", "--node", n2.url, "--workload", "auction", "--auction", "first",
                  "--bids", `${addr(6)}:1`, "--print-request", "--keys-out", join(d2, "k.json")).doc.request;
  let k;
  for (let i = 0; i < 100; i++) {
    k = (await api(n2, "GET", "/v1/enclave/keys")).doc;
    if (k.current >= 3 && !k.keys.some((e) => e.epoch === old.epoch)) break;
    await sleep(100);
  }
  check("keys rotate on schedule", k.current >= 3, JSON.stringify(k));
  check("old epochs are wiped after grace", !k.keys.some((e) => e.epoch === old.epoch) && k.keys.length <= 2, JSON.stringify(k.keys));
  const r = await api(n2, "POST", "/v1/jobs", old);
  check("bad input: expired epoch", r.status === 422 && r.doc?.code === "epoch-expired", r.text);
  await stop(n2);
  cleanup(d2);
}

cleanup(dir);
console.log(`node: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

function sumRejected(text) {
  let s = 0;
  for (const m of text.matchAll(/^cloister_rejected_total\{code="[^"]+"\} (\d+)$/gm)) s += parseInt(m[1], 10);
  return s;
}
