// keyshare_test.mjs — epoch keys shared between enclaves of one measurement
// (issue 21, first part), on real nodes (simulated TDX, one platform):
//   - node A serves key sharing (api.key_sharing); node B, started fresh with
//     enclave.key_peers = A, takes A's epoch key: the same HPKE key, a signer
//     of its own. One sealed request runs in both, with the same outputs
//     signed by two signers;
//   - B's sealed state removed (as on TDX, which has none) and B restarted:
//     it gets the key back from A;
//   - node C, configured for another registry (so another measurement), asks
//     A and gets nothing: A's enclave refuses it (its reason in A's log), and
//     C starts on keys of its own;
//   - SEV-SNP (sim-snp): the same with reports and VCEKs: S2 takes S1's key,
//     gets it back after losing its state; S3, bound to another registry,
//     gets nothing;
//   - the API: the role off is 403, a bad body 400, evidence that is not a
//     quote 422.
// Usage: node keyshare_test.mjs /path/to/cloister
import { existsSync, readFileSync, writeFileSync, rmSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { makeNode, start, stop, tempDir, cli, api, cleanup, addr } from "./nodeutil.mjs";

const bin = process.argv[2];
let passed = 0, failed = 0;
function check(name, cond, extra = "") {
  if (cond) passed++;
  else { failed++; console.log(`FAIL ${name} ${extra}`); }
}
const keys = async (n) => (await api(n, "GET", "/v1/enclave/keys")).doc;
function configure(n, f) {
  const c = JSON.parse(readFileSync(n.cfgPath, "utf8"));
  f(c);
  writeFileSync(n.cfgPath, JSON.stringify(c));
}

const dir = tempDir("keyshare");
const sim = join(dir, "a", "sim");
const nodes = [];
try {
  mkdirSync(join(dir, "a"));
  const a = await makeNode(bin, join(dir, "a"));
  configure(a, (c) => { c.api = { key_sharing: true }; });
  await start(a);
  nodes.push(a);
  const ka = await keys(a);

  mkdirSync(join(dir, "b"));
  const b = await makeNode(bin, join(dir, "b"));
  configure(b, (c) => { c.enclave.sim_dir = sim; c.enclave.key_peers = [a.url]; });
  await start(b);
  nodes.push(b);
  const kb = await keys(b);
  check("B took A's epoch: the same HPKE key", kb.current === ka.current &&
        kb.keys[0].hpke_public_key === ka.keys[0].hpke_public_key, JSON.stringify([ka.keys[0], kb.keys[0]]));
  check("... with a signer of its own", kb.keys[0].signer !== ka.keys[0].signer);
  check("A's log: shared; B's log: taken", /keys\.shared/.test(readFileSync(a.log, "utf8")) &&
        /keys\.taken/.test(readFileSync(b.log, "utf8")));

  // One request, sealed once to the shared key, runs in both enclaves.
  const sub = cli(bin, "job", "submit", "--trust-node", "--node", a.url, "--workload", "auction", "--auction", "second",
                  "--bids", `${addr(1)}:100,${addr(2)}:70`, "--print-request", "--keys-out", join(dir, "k.json"));
  check("a request sealed to A's key", sub.rc === 0 && sub.doc?.request, sub.out + sub.err);
  const results = [];
  for (const n of [a, b]) {
    const r = await api(n, "POST", "/v1/jobs", sub.doc.request);
    check(`accepted by ${n === a ? "A" : "B"}`, r.status === 202, r.text);
    let st;
    for (let t = 0; t < 100; t++) {
      st = await api(n, "GET", `/v1/jobs/${sub.doc.request.job_id}`);
      if (st.doc?.state === "done" || st.doc?.state === "failed") break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const res = await api(n, "GET", `/v1/jobs/${sub.doc.request.job_id}/result`);
    results.push(res.doc);
  }
  check("both ran it: the same public output (both bids opened: sold at 70)",
        results[0]?.public_output && results[0].public_output === results[1]?.public_output &&
        results[0].public_output.slice(2, 6) === "0201", JSON.stringify(results.map((r) => r?.public_output)));
  check("... signed by two signers", results[0]?.signer === ka.keys[0].signer && results[1]?.signer === kb.keys[0].signer,
        JSON.stringify(results.map((r) => r?.signer)));

  // B loses its sealed state (TDX has none) and gets the key back from A.
  await stop(b);
  const stateFile = join(dir, "b", "data", "enclave.state");
  check("B's sealed state is on disk", existsSync(stateFile));
  rmSync(stateFile);
  await start(b);
  const kb2 = await keys(b);
  check("B restarted without state takes A's key again", kb2.keys[0].hpke_public_key === ka.keys[0].hpke_public_key &&
        (readFileSync(b.log, "utf8").match(/keys\.taken/g) || []).length === 2);

  // C: another registry in its configuration, so another measurement.
  mkdirSync(join(dir, "c"));
  const c = await makeNode(bin, join(dir, "c"));
  configure(c, (cc) => { cc.enclave.sim_dir = sim; cc.enclave.key_peers = [a.url]; cc.chain.registry = "0x" + "ce".repeat(20); });
  await start(c);
  nodes.push(c);
  const kc = await keys(c);
  check("C, another measurement, gets nothing and makes its own key", kc.keys[0].hpke_public_key !== ka.keys[0].hpke_public_key);
  check("A's enclave names why", /keys\.share_refused.*measurement/.test(readFileSync(a.log, "utf8")));
  check("C's log says the peer refused", /keys\.peer_refused/.test(readFileSync(c.log, "utf8")));

  // A rotates; B, which never makes epochs of its own, takes A's next epoch
  // and keeps its own signer for the epoch it had.
  const kbBefore = await keys(b);
  await stop(a);
  configure(a, (cc) => { cc.enclave.rotate_seconds = 3; });
  await start(a);
  let ka3 = await keys(a);
  for (let t = 0; t < 50 && ka3.current < 2; t++) { await new Promise((r) => setTimeout(r, 100)); ka3 = await keys(a); }
  check("A rotated to a new epoch", ka3.current >= 2);
  await stop(b);
  configure(b, (cc) => { cc.enclave.rotate_seconds = 3; });
  await start(b);
  let kb3 = await keys(b);
  for (let t = 0; t < 50 && kb3.current < 2; t++) { await new Promise((r) => setTimeout(r, 100)); kb3 = await keys(b); }
  const aKeys = (await keys(a)).keys, byEpoch = (ks, e) => ks.find((k) => k.epoch === e);
  check("B took A's later epoch: the same HPKE key under the same number", kb3.current >= 2 &&
        byEpoch(aKeys, kb3.current)?.hpke_public_key === byEpoch(kb3.keys, kb3.current)?.hpke_public_key,
        JSON.stringify([aKeys, kb3.keys]));
  check("... and kept its own signer for the epoch it had",
        byEpoch(kb3.keys, kbBefore.current)?.signer === byEpoch(kbBefore.keys, kbBefore.current)?.signer);
  check("B made no epoch of its own", !/"enclave\.rotated"(?![^\n]*"from":"a peer")/.test(readFileSync(b.log, "utf8")));

  // SEV-SNP (sim-snp): S1 shares, S2 takes with a report and its VCEK, each
  // side checking the other's; S2 restarted without state gets the key back;
  // S3, bound to another registry (another HOST_DATA), gets nothing.
  const snpSim = join(dir, "s1", "sim");
  const snpNode = async (name, f) => {
    mkdirSync(join(dir, name));
    const n = await makeNode(bin, join(dir, name));
    configure(n, (cc) => { cc.enclave.backend = "sim-snp"; cc.enclave.sim_dir = snpSim; f(cc); });
    await start(n);
    nodes.push(n);
    return n;
  };
  const s1 = await snpNode("s1", (cc) => { cc.api = { key_sharing: true }; });
  const s2 = await snpNode("s2", (cc) => { cc.enclave.key_peers = [s1.url]; });
  const k1 = await keys(s1), k2 = await keys(s2);
  check("SNP: S2 took S1's epoch key, with a signer of its own", k2.keys[0].hpke_public_key === k1.keys[0].hpke_public_key &&
        k2.keys[0].signer !== k1.keys[0].signer && /keys\.taken/.test(readFileSync(s2.log, "utf8")),
        readFileSync(s2.log, "utf8").slice(-1500));
  await stop(s2);
  rmSync(join(dir, "s2", "data", "enclave.state"));
  await start(s2);
  const k2b = await keys(s2);
  check("SNP: S2 restarted without state gets the key back from S1", k2b.keys[0].hpke_public_key === k1.keys[0].hpke_public_key &&
        (readFileSync(s2.log, "utf8").match(/keys\.taken/g) || []).length === 2);
  const s3 = await snpNode("s3", (cc) => { cc.enclave.key_peers = [s1.url]; cc.chain.registry = "0x" + "ce".repeat(20); });
  const k3 = await keys(s3);
  check("SNP: S3, another HOST_DATA, gets nothing", k3.keys[0].hpke_public_key !== k1.keys[0].hpke_public_key &&
        /keys\.share_refused[^\n]*not an enclave of this measurement/.test(readFileSync(s1.log, "utf8")));

  // The API's refusals.
  const off = await api(b, "POST", "/v1/keys/challenge", {});
  check("the role off: 403 key-sharing-off", off.status === 403 && off.doc?.code === "key-sharing-off", off.text);
  const bad = await api(a, "POST", "/v1/keys/share", { nonce: "0x12" });
  check("a bad body: 400", bad.status === 400 && bad.doc?.code === "invalid-body", bad.text);
  const ch = await api(a, "POST", "/v1/keys/challenge", {});
  const junk = await api(a, "POST", "/v1/keys/share", { nonce: ch.doc?.nonce, transport_public_key: "0x" + "11".repeat(32), signer: "0x" + "00".repeat(20), vcek: "0x",
                                                        format: 1, evidence: "0x" + "00".repeat(64) });
  check("evidence that is not a quote: 422", junk.status === 422 && junk.doc?.code === "evidence-rejected", junk.text);
  const get = await api(a, "GET", "/v1/keys/share");
  check("GET: 405", get.status === 405);
} finally {
  for (const n of nodes) await stop(n);
  if (failed === 0) cleanup(dir);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
