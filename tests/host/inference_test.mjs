// inference_test.mjs — the diagnosis flow on a real node (simulated TEE), as
// the model owner and the patients meet it: the owner trains a classifier,
// verifies the enclave's evidence and provisions the model sealed to it; three
// patients' records are sealed and diagnosed, each patient opening only their
// own answer, which matches the model run locally; a provisioning the policy
// refuses sends nothing; the model survives a node restart; with two
// inference threads (enclave.threads) both run under the sandbox's filter and
// the answers are the same bits; bad provisioning requests are refused with
// specific problems.
// Usage: node inference_test.mjs /path/to/cloister
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { keccak256 } from "ethers";
import { makeNode, start, stop, tempDir, cli, api } from "./nodeutil.mjs";

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
} finally {
  await stop(node);
}
console.log(`inference: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
