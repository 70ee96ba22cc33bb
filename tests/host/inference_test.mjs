// inference_test.mjs — the diagnosis flow on a real node (simulated TEE), as
// the model owner and the patients meet it: the owner trains a classifier,
// verifies the enclave's evidence and provisions the model sealed to it; three
// patients' records are sealed and diagnosed, each patient opening only their
// own answer, which matches the model run locally; a provisioning the policy
// refuses sends nothing; the model survives a node restart; with two
// inference threads (enclave.threads) both run under the sandbox's filter and
// the answers are the same bits; bad provisioning requests are refused with
// specific problems. Streamed provisioning (POST /v1/secrets/streams): an
// independent client (@hpke/core) streams a model the enclave takes; chunks
// out of order, altered, or for another stream are refused and end nothing
// else; a secret's sealed file altered on disk is not loaded (its jobs fail
// as not provisioned) and loads again once restored; a model of 100 MiB is
// streamed, run, and run again after a restart.
// Usage: node inference_test.mjs /path/to/cloister
import { readFileSync, readdirSync, writeFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { keccak256, toUtf8Bytes } from "ethers";
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { makeNode, start, stop, tempDir, cli, api, cleanup } from "./nodeutil.mjs";
import * as P from "../support/onnx_pb.mjs";

const bin = process.argv[2];
let passed = 0, failed = 0;
function check(name, cond, extra = "") {
  if (cond) passed++;
  else { failed++; console.log(`FAIL ${name} ${extra}`); }
}

const dir = tempDir("inference");
const node = await makeNode(bin, dir);
await start(node);
const N = ["--node", node.url];
try {
  const keys = (await api(node, "GET", "/v1/enclave/keys")).doc;
  const dep = join(dir, "deployment.json");
  writeFileSync(dep, JSON.stringify({ chain_id: keys.chain_id, contracts: {
    EnclaveRegistry: { address: "0x" + "cd".repeat(20) }, JobMarket: { address: keys.job_market } } }));
  const csv = process.env.CLO_DATASETS ? join(process.env.CLO_DATASETS, "breast_cancer.csv")
                                       : new URL("../../data/datasets/breast_cancer.csv", import.meta.url).pathname;
  // The owner trains and provisions.
  const model = join(dir, "lr.onnx");
  const tr = cli(bin, "model", "train", "--csv", csv, "--out", model);
  check("train", tr.rc === 0 && tr.doc?.test_accuracy >= 0.93, tr.out + tr.err);
  const id = tr.doc.model_id;
  const prov = cli(bin, "model", "provision", "--no-registry", "--model", model, ...N, "--deployment", dep, "--sim-dir", join(dir, "sim"));
  check("provision", prov.rc === 0 && prov.doc?.model_id === id && prov.doc?.verdict?.accepted !== false, prov.out + prov.err);
  check("the enclave holds exactly the model", prov.doc?.enclave_digest === keccak256(readFileSync(model)));

  // Three patients' records (rows of the data set; two malignant, one benign).
  const rows = readFileSync(csv, "utf8").trim().split("\n").slice(1);
  const picked = [rows[0], rows[19], rows[1]].map(l => l.split(",").slice(0, 30).join(","));
  const recs = join(dir, "records.csv");
  writeFileSync(recs, picked.join("\n") + "\n");
  // What the model says about each record, run locally by the owner's tool.
  const want = picked.map((r, i) => {
    const raw = Buffer.alloc(30 * 4);
    r.split(",").forEach((v, k) => raw.writeFloatLE(Number(v), 4 * k));
    // TensorProto: dims 1, 30; data_type 1; raw_data
    const pb = Buffer.concat([Buffer.from([0x08, 1, 0x08, 30, 0x10, 1, 0x4a, 0x78]), raw]);
    const f = join(dir, `rec${i}.pb`);
    writeFileSync(f, pb);
    return cli(bin, "onnx", "run", "--model", model, "--input", `record=${f}`).doc?.outputs;
  });
  check("local runs", want.every(w => w?.length === 2));

  const keysFile = join(dir, "patients.keys.json");
  const sub = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "onnx", "--model-id", id, "--records", recs, "--keys-out", keysFile);
  check("submit", sub.rc === 0 && /^0x[0-9a-f]{64}$/.test(sub.doc?.job_id ?? ""), sub.out + sub.err);
  const res = cli(bin, "job", "result", ...N, "--id", sub.doc.job_id, "--keys", keysFile);
  check("result signed and consistent", res.rc === 0 && res.doc?.verified?.signature_valid === true && res.doc?.verified?.outputs_match_statement === true, res.out + res.err);
  check("public output: counts only", res.doc?.verified?.public?.inputs === 3 && res.doc?.verified?.public?.answered === 3 && res.doc?.verified?.public?.model_id === id, JSON.stringify(res.doc?.verified?.public));
  for (let i = 0; i < 3; i++) {
    const d = res.doc?.verified?.private_decoded?.[i];
    const diag = d?.outputs?.find(o => o.name === "diagnosis")?.data?.[0];
    const probs = d?.outputs?.find(o => o.name === "probabilities")?.data;
    const wdiag = want[i]?.find(o => o.name === "diagnosis")?.data?.[0];
    const wprobs = want[i]?.find(o => o.name === "probabilities")?.data;
    check(`patient ${i} diagnosed as the model says`, d?.status === "ok" && diag === wdiag &&
          probs.every((p, k) => Math.abs(p - wprobs[k]) < 1e-6), JSON.stringify(d));
  }
  const truth = [0, 19, 1].map(r => Number(rows[r].split(",")[30]));
  check("diagnoses are right for these records", [0, 1, 2].every(i =>
    res.doc.verified.private_decoded[i].outputs.find(o => o.name === "diagnosis").data[0] === truth[i]));
  // Each patient can open only their own answer.
  const kf = JSON.parse(readFileSync(keysFile, "utf8"));
  for (let i = 0; i < 3; i++) {
    const own = join(dir, `patient${i}.keys.json`);
    writeFileSync(own, JSON.stringify({ ...kf, reply_keys: [kf.reply_keys[i]] }), { mode: 0o600 });
    const r = cli(bin, "job", "result", ...N, "--id", sub.doc.job_id, "--keys", own);
    check(`patient ${i} opens only their own`, r.doc?.verified?.private?.every((p, k) => (k === i) === (p !== null)), JSON.stringify(r.doc?.verified?.private));
  }

  // A policy that refuses this enclave: nothing is sent, the model is not there.
  const mlp = join(dir, "mlp.onnx");
  const tm = cli(bin, "model", "train", "--kind", "mlp", "--csv", csv, "--out", mlp);
  const policy = join(dir, "strict.json");
  writeFileSync(policy, JSON.stringify({ allow_debug: true, tdx: [{ mrtd: "00".repeat(48) }] }));
  const refused = cli(bin, "model", "provision", "--no-registry", "--model", mlp, ...N, "--deployment", dep, "--sim-dir", join(dir, "sim"), "--policy", policy);
  check("a refused enclave gets nothing (exit 4, verdict)", refused.rc === 4 && refused.doc?.verdict, refused.out + refused.err);
  const s2 = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "onnx", "--model-id", tm.doc.model_id, "--records", recs, "--keys-out", join(dir, "k2.json"));
  const r2 = cli(bin, "job", "result", ...N, "--id", s2.doc.job_id, "--keys", join(dir, "k2.json"));
  const st2 = await api(node, "GET", `/v1/jobs/${s2.doc.job_id}/result`);
  check("a job naming a model not provisioned fails, saying so", r2.rc === 1 && r2.doc?.error?.code === "state" &&
        st2.status === 422 && /not provisioned/.test(JSON.stringify(st2.doc)), r2.out + JSON.stringify(st2.doc));
  check("... and job result names the enclave's reason", /^the enclave refused the job: .*not provisioned/.test(r2.doc?.error?.message ?? "") &&
        r2.doc?.error?.job_error?.code !== undefined, r2.out);

  // The model is in the sealed state: it survives a restart.
  await stop(node);
  await start(node);
  const s3 = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "onnx", "--model-id", id, "--records", recs, "--keys-out", join(dir, "k3.json"));
  const r3 = cli(bin, "job", "result", ...N, "--id", s3.doc?.job_id, "--keys", join(dir, "k3.json"));
  check("after a restart the model still answers", r3.doc?.verified?.public?.answered === 3, r3.out + r3.err);

  // Two inference threads: started before the sandbox, each under its filter,
  // and the same answers, bit for bit.
  await stop(node);
  const cfg = JSON.parse(readFileSync(node.cfgPath, "utf8"));
  writeFileSync(node.cfgPath, JSON.stringify({ ...cfg, enclave: { ...cfg.enclave, threads: 2 } }));
  await start(node);
  const enclavePid = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).find((d) => {
    try { return readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1].split(" ")[1] === String(node.proc.pid); }
    catch { return false; }
  });
  const tasks = enclavePid ? readdirSync(`/proc/${enclavePid}/task`) : [];
  const filtered = tasks.filter((t) => /^Seccomp:\s+2$/m.test(readFileSync(`/proc/${enclavePid}/task/${t}/status`, "utf8")));
  check("threads: two, every one under the seccomp filter", tasks.length === 2 && filtered.length === 2,
        `pid ${enclavePid}, ${tasks.length} threads, ${filtered.length} filtered`);
  const s4 = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "onnx", "--model-id", id, "--records", recs, "--keys-out", join(dir, "k4.json"));
  const r4 = cli(bin, "job", "result", ...N, "--id", s4.doc?.job_id, "--keys", join(dir, "k4.json"));
  check("threads: the same answers, bit for bit", r4.doc?.verified?.public?.answered === 3 &&
        JSON.stringify(r4.doc.verified.private_decoded) === JSON.stringify(res.doc.verified.private_decoded), r4.out + r4.err);
  // A job's own thread count (onnx config version 2), within the node's.
  for (const t of ["1", "64"]) {
    const sj = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "onnx", "--model-id", id, "--threads", t, "--records", recs, "--keys-out", join(dir, `kt${t}.json`));
    const rj = cli(bin, "job", "result", ...N, "--id", sj.doc?.job_id, "--keys", join(dir, `kt${t}.json`));
    check(`threads: a job asking for ${t} gets the same answers`, rj.doc?.verified?.public?.answered === 3 &&
          JSON.stringify(rj.doc.verified.private_decoded) === JSON.stringify(res.doc.verified.private_decoded), rj.out + rj.err);
  }

  // Bad provisioning requests.
  let p = await api(node, "POST", "/v1/secrets", { id: "00", epoch: 1, envelope: "00" });
  check("secrets: bad id", p.status === 400 && p.doc?.code === "invalid-body", JSON.stringify(p.doc));
  p = await api(node, "POST", "/v1/secrets", { id: "00".repeat(32), epoch: keys.current, envelope: "01" + "00".repeat(80) });
  check("secrets: an envelope that does not open", p.status === 422 && p.doc?.code === "envelope-rejected", JSON.stringify(p.doc));
  p = await api(node, "GET", "/v1/secrets");
  check("secrets: POST only", p.status === 405);
  const junk = join(dir, "junk.onnx");
  writeFileSync(junk, "x".repeat(100));
  const big = cli(bin, "model", "provision", "--model", junk, "--node", "http://127.0.0.1:1", "--deployment", dep);
  check("provision: node unreachable is a clear failure", big.rc !== 0 && big.rc !== 4);

  // ---- Streamed provisioning, by an independent client (@hpke/core). ----
  const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const ks = (await api(node, "GET", "/v1/enclave/keys")).doc;
  const cur = ks.keys.find((k) => k.epoch === ks.current);
  const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32BE(v); return b; };
  const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(v)); return b; };
  const unhex = (h) => Buffer.from(h.replace(/^0x/, ""), "hex");
  // crypto/envelope.h, kind 4: header, then Seal(aad = header || u32 i, chunk i).
  async function sealStream(bytes, { id, chunk = 4096, epoch = ks.current } = {}) {
    id = id ?? createHash("sha256").update(bytes).digest();
    const info = Buffer.concat([Buffer.from("cloister/v1/stream"), u64(ks.chain_id), unhex(ks.job_market), id,
                                unhex(keccak256(toUtf8Bytes("cloister/workload/provision"))), u32(epoch)]);
    const pk = await suite.kem.deserializePublicKey(new Uint8Array(unhex(cur.hpke_public_key)).buffer);
    const ctx = await suite.createSenderContext({ recipientPublicKey: pk, info });
    const header = Buffer.concat([Buffer.from([1, 4, 0x00, 0x20, 0x00, 0x01, 0x00, 0x02]), u32(epoch),
                                  Buffer.from(ctx.enc), u64(bytes.length), u32(chunk)]);
    const chunks = [];
    for (let i = 0; i * chunk < bytes.length; i++)
      chunks.push(Buffer.from(await ctx.seal(bytes.subarray(i * chunk, (i + 1) * chunk), Buffer.concat([header, u32(i)]))));
    return { id, header, chunks };
  }
  const open = (st) => api(node, "POST", "/v1/secrets/streams", { id: st.id.toString("hex"), header: st.header.toString("hex") });
  async function put(handle, i, body, type = "application/octet-stream") {
    const r = await fetch(`${node.url}/v1/secrets/streams/${handle}/${i}`, { method: "PUT", headers: { "Content-Type": type }, body });
    const text = await r.text();
    let doc = null;
    try { doc = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, doc };
  }
  const mlpBytes = readFileSync(mlp);
  const blob = randomBytes(10000); // any secret: three 4 KiB chunks
  let st = await sealStream(blob);
  let o = await open(st);
  check("stream: opened", o.status === 201 && /^0x[0-9a-f]{32}$/.test(o.doc?.stream) && o.doc?.chunks === st.chunks.length, JSON.stringify(o.doc));
  let h = o.doc.stream.slice(2);
  let q = await put(h, 1, st.chunks[1]);
  check("stream: a chunk out of order is refused", q.status === 409 && q.doc?.code === "stream-rejected", JSON.stringify(q.doc));
  q = await put(h, 0, st.chunks[0], "application/json");
  check("stream: chunks are octet-streams", q.status === 415, JSON.stringify(q.doc));
  const bad = Buffer.from(st.chunks[0]);
  bad[7] ^= 1;
  q = await put(h, 0, bad);
  check("stream: an altered chunk is refused", q.status === 422 && q.doc?.code === "envelope-rejected", JSON.stringify(q.doc));
  q = await put(h, 0, st.chunks[0]);
  check("stream: ... and ends its stream", q.status === 409 && q.doc?.code === "stream-rejected", JSON.stringify(q.doc));
  q = await put("00".repeat(16), 0, st.chunks[0]);
  check("stream: an unknown stream", q.status === 409, JSON.stringify(q.doc));
  q = await put("zz", 0, st.chunks[0]);
  check("stream: a malformed stream path", q.status === 404, JSON.stringify(q.doc));
  o = await api(node, "POST", "/v1/secrets/streams", { id: st.id.toString("hex"), header: "00" });
  check("stream: a bad header", o.status === 400 && o.doc?.code === "invalid-body", JSON.stringify(o.doc));
  o = await open(await sealStream(blob, { epoch: ks.current + 7 }));
  check("stream: an epoch whose key is not held", o.status === 409 && o.doc?.code === "unknown-epoch", JSON.stringify(o.doc));
  // Another stream's chunk does not open in this one.
  const other = await sealStream(blob);
  o = await open(st);
  h = o.doc.stream.slice(2);
  q = await put(h, 0, other.chunks[0]);
  check("stream: another stream's chunk is refused", q.status === 422, JSON.stringify(q.doc));
  // A stream under an id that is not the bytes' SHA-256: refused at the end.
  const liar = await sealStream(blob, { id: createHash("sha256").update("not this").digest() });
  o = await open(liar);
  h = o.doc.stream.slice(2);
  for (let i = 0; i < liar.chunks.length; i++) q = await put(h, i, liar.chunks[i]);
  check("stream: an id that is not the bytes' SHA-256", q.status === 422 && q.doc?.code === "secret-id-mismatch", JSON.stringify(q.doc));
  // The real thing: every chunk in order; the last answers as POST /v1/secrets.
  for (const [what, bytes] of [["three chunks", blob], ["a model in one chunk", mlpBytes]]) {
    st = await sealStream(bytes);
    o = await open(st);
    h = o.doc.stream.slice(2);
    const codes = [];
    for (let i = 0; i < st.chunks.length; i++) { q = await put(h, i, st.chunks[i]); codes.push(q.status); }
    check(`stream: @hpke/core's stream is taken (${what})`, codes.slice(0, -1).every((c) => c === 202) && q.status === 201 &&
          q.doc?.digest === keccak256(bytes) && q.doc?.id === "0x" + st.id.toString("hex"), JSON.stringify([codes, q.doc]));
  }
  const s5 = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "onnx", "--model-id", tm.doc.model_id, "--records", recs, "--keys-out", join(dir, "k5.json"));
  const r5 = cli(bin, "job", "result", ...N, "--id", s5.doc?.job_id, "--keys", join(dir, "k5.json"));
  check("stream: the streamed model answers", r5.doc?.verified?.public?.answered === 3, r5.out + r5.err);

  // ---- The host alters a secret's sealed file: it is not loaded. ----
  const sealed = join(dir, "data", "secrets", `${id.slice(2)}.sealed`);
  const keep = sealed + ".orig";
  copyFileSync(sealed, keep);
  const f = readFileSync(sealed);
  f[f.length - 3] ^= 0x40;
  await stop(node);
  writeFileSync(sealed, f);
  await start(node);
  const s6 = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "onnx", "--model-id", id, "--records", recs, "--keys-out", join(dir, "k6.json"));
  const w6 = cli(bin, "job", "result", ...N, "--id", s6.doc?.job_id, "--keys", join(dir, "k6.json"));
  const r6 = await api(node, "GET", `/v1/jobs/${s6.doc?.job_id}/result`);
  check("an altered sealed secret is not loaded: its jobs fail as not provisioned",
        w6.rc === 1 && r6.status === 422 && /not provisioned/.test(JSON.stringify(r6.doc)) &&
        /enclave\.secret_not_loaded/.test(readFileSync(node.log, "utf8")), JSON.stringify(r6.doc));
  await stop(node);
  copyFileSync(keep, sealed);
  await start(node);
  const s7 = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "onnx", "--model-id", id, "--records", recs, "--keys-out", join(dir, "k7.json"));
  const r7 = cli(bin, "job", "result", ...N, "--id", s7.doc?.job_id, "--keys", join(dir, "k7.json"));
  check("... and is loaded again once restored", r7.doc?.verified?.public?.answered === 3, r7.out + r7.err);

  // ---- A model of 100 MiB: x[1,4096] MatMul W[4096,6400] (float32). ----
  // Small integer weights and inputs: every sum is exact in float32, so the
  // answer is known here without any ONNX runtime.
  const K = 4096, M = 6400;
  const W = new Float32Array(K * M);
  for (let i = 0; i < K; i++) for (let j = 0; j < M; j++) W[i * M + j] = ((i * 31 + j * 17) % 5) - 2;
  const x = Array.from({ length: K }, (_, i) => (i % 7) - 3);
  const y = new Float64Array(M);
  for (let i = 0; i < K; i++) if (x[i]) for (let j = 0; j < M; j++) y[j] += x[i] * W[i * M + j];
  const bigModel = P.model([P.node(["record", "W"], "y", "MatMul"), P.str(2, "big"), P.initializer("W", [K, M], W),
    P.fld(11, P.vinfo("record", [1, K])), P.fld(12, P.vinfo("y", [1, M]))]);
  const bigPath = join(dir, "big.onnx");
  writeFileSync(bigPath, bigModel);
  check("big model: at least 100 MB", bigModel.length >= 100e6, String(bigModel.length));
  const bigRec = join(dir, "big-record.csv");
  writeFileSync(bigRec, x.join(",") + "\n");
  let t0 = Date.now();
  const bp = cli(bin, "model", "provision", "--no-registry", "--model", bigPath, ...N, "--deployment", dep, "--sim-dir", join(dir, "sim"));
  const provisionMs = Date.now() - t0;
  check("big model: streamed to the enclave", bp.rc === 0 && bp.doc?.enclave_digest === keccak256(bigModel) &&
        /provision: 100% /.test(bp.err), bp.out + bp.err.slice(-500));
  const bigId = bp.doc?.model_id;
  async function bigRun(tag) {
    const t = Date.now();
    const sb = cli(bin, "job", "submit", "--trust-node", ...N, "--workload", "onnx", "--model-id", bigId, "--records", bigRec, "--keys-out", join(dir, `kb-${tag}.json`));
    const rb = cli(bin, "job", "result", ...N, "--id", sb.doc?.job_id, "--keys", join(dir, `kb-${tag}.json`));
    const got = rb.doc?.verified?.private_decoded?.[0]?.outputs?.find((o) => o.name === "y")?.data;
    check(`big model: the enclave's answer is exact (${tag})`, got?.length === M && got.every((v, j) => v === y[j]),
          rb.out.slice(0, 500) + rb.err);
    return Date.now() - t;
  }
  const runMs = await bigRun("first");
  await stop(node);
  t0 = Date.now();
  await start(node);
  const restartMs = Date.now() - t0;
  const rerunMs = await bigRun("after a restart");
  console.log(`big model: ${(bigModel.length / 1e6).toFixed(1)} MB; provision ${provisionMs} ms, first job ${runMs} ms, ` +
              `restart (load from sealed chunks) ${restartMs} ms, job after restart ${rerunMs} ms`);
} finally {
  await stop(node);
  if (!failed) cleanup(dir); // kept for a look when something failed
}
console.log(`inference: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
