// attest_test.mjs — `cloister attest verify` on every real case in tests/vectors,
// with the outcomes of tests/attest/*_cases.json (from the README there):
// permissive policies accept with the stated TCB status; the default policy
// rejects for the right reasons; bad policies and arguments are usage errors.
// Usage: node attest_test.mjs /path/to/cloister TESTVECTORS_DIR TESTS_DIR
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [bin, tv, testsDir] = process.argv.slice(2);
const tmp = mkdtempSync(join(tmpdir(), "clo-attest-"));
let passed = 0, failed = 0;
const check = (name, ok, extra = "") => (ok ? passed++ : (failed++, console.log(`FAIL ${name} ${extra}`)));
const policy = (obj) => { const p = join(tmp, `p${passed + failed}.json`); writeFileSync(p, JSON.stringify(obj)); return p; };
function verify(args) {
  const r = spawnSync(bin, ["attest", "verify", "--json", ...args], { encoding: "utf8" });
  let doc = null;
  try { doc = JSON.parse(r.stdout); } catch { /* not JSON */ }
  return { rc: r.status, doc, err: r.stderr };
}
const codes = (doc) => (doc?.reasons ?? []).map((r) => r.code).sort();

const dcap = JSON.parse(readFileSync(join(testsDir, "attest/dcap_cases.json"), "utf8")).cases;
for (const c of dcap) {
  const dir = join(tv, c.dir), ev = ["--evidence", join(dir, "quote.bin"), "--collateral", dir, "--at", c.at];
  const open = policy({ tcb_statuses: ["UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
                                       "OutOfDate", "OutOfDateConfigurationNeeded", "TcbLevelNotSupported"],
                        allowed_advisories: c.advisories, require_tcb: c.tcb_status !== "missing collateral",
                        allow_debug: true, any_measurement: true });
  const r = verify([...ev, "--policy", open]);
  if (c.chain !== "ok") {
    check(`${c.dir} rejected: ${c.chain}`, r.rc === 4 && r.doc.reasons.some((x) => x.message.includes(c.chain)), JSON.stringify(r.doc?.reasons));
    continue;
  }
  const want = c.tcb_status === "missing collateral" ? null : c.tcb_status;
  check(`${c.dir} accepted (permissive)`, r.rc === 0 && r.doc.status === "accepted" && r.doc.tcb_status === want &&
        r.doc.tee === c.tee && JSON.stringify(r.doc.advisories) === JSON.stringify(c.advisories), JSON.stringify(r.doc));
  // deny by default: no policy lists this TEE's measurements, so the evidence is refused (no_rule)
  const deny = verify(ev);
  check(`${c.dir} refused without a rule for ${c.tee} (deny by default)`, deny.rc === 4 && codes(deny.doc).includes("no_rule"), JSON.stringify(deny.doc?.reasons));
  // the default policy with --any-measurement: UpToDate only, CRLs and TCB collateral required, no advisories
  const d = verify([...ev, "--any-measurement"]);
  const wantAccept = c.tcb_status === "UpToDate" && !r.doc.debug;
  check(`${c.dir} default policy ${wantAccept ? "accepts" : "rejects"}`, d.rc === (wantAccept ? 0 : 4) && d.doc.tcb_status === want,
        JSON.stringify(d.doc?.reasons));
  if (!wantAccept) check(`${c.dir} default reason`, codes(d.doc).includes(c.tcb_status === "missing collateral" ? "tcb_missing" : "tcb_status"));
  // a debug TEE is refused by default, whatever else holds
  if (r.doc.debug) check(`${c.dir} is debug: refused by default`, codes(d.doc).includes("debug"));
  // measurement pinning: the right value accepts, a wrong one rejects
  const m = r.doc.measurements, key = c.tee === "tdx" ? "mrtd" : "mrenclave";
  const good = c.tee === "tdx" ? { tdx: [{ mrtd: m.mrtd, rtmr0: m.rtmr0 }] } : { sgx: [{ mrenclave: m.mrenclave, mrsigner: m.mrsigner }] };
  const base = JSON.parse(readFileSync(open, "utf8"));
  check(`${c.dir} pinned ${key}`, verify([...ev, "--policy", policy({ ...base, ...good })]).rc === 0);
  const bad = JSON.parse(JSON.stringify(good));
  const entry = (bad.tdx ?? bad.sgx)[0];
  entry[key] = "0x00" + entry[key].slice(4); // another first byte (the 0x kept)
  const b = verify([...ev, "--policy", policy({ ...base, ...bad })]);
  check(`${c.dir} wrong ${key} rejected`, b.rc === 4 && codes(b.doc).includes("measurement"));
  // report_data binding
  const rd = verify([...ev, "--policy", policy({ ...base, report_data: "ff".repeat(64) })]);
  check(`${c.dir} report_data mismatch rejected`, rd.rc === 4 && codes(rd.doc).includes("report_data"));
  // outside the window
  const late = verify(["--evidence", join(dir, "quote.bin"), "--collateral", dir, "--at", "2030-01-01T00:00:00Z", "--policy", open]);
  check(`${c.dir} rejected in 2030`, late.rc === 4 && late.doc.reasons[0].code === "evidence");
}

const snp = JSON.parse(readFileSync(join(testsDir, "attest/snp_cases.json"), "utf8")).cases;
for (const c of snp) {
  const dir = join(tv, c.dir), ev = ["--evidence", join(dir, "report.bin"), "--collateral", dir, "--at", c.at];
  const r = verify([...ev, "--policy", policy({ require_crls: false, allow_debug: true, any_measurement: true })]);
  check(`${c.dir} accepted (no CRL required, debug allowed)`, r.rc === 0 && r.doc.tee === "snp" && r.doc.tcb_status === "UpToDate" &&
        r.doc.measurements.measurement === "0x" + c.measurement && r.doc.debug === c.debug, JSON.stringify(r.doc));
  const d = verify(ev);
  const want = ["crl_missing", ...(c.debug ? ["debug"] : []), "no_rule"].sort();
  check(`${c.dir} default policy rejects: ${want}`, d.rc === 4 && JSON.stringify(codes(d.doc)) === JSON.stringify(want), JSON.stringify(d.doc?.reasons));
  const smt = verify([...ev, "--policy", policy({ require_crls: false, allow_debug: true, allow_snp_smt: false, snp: [{}] })]);
  check(`${c.dir} SMT forbidden by policy`, smt.rc === 4 && codes(smt.doc).includes("smt"), JSON.stringify(smt.doc?.reasons));
  const pin = verify([...ev, "--policy", policy({ require_crls: false, allow_debug: true, snp: [{ measurement: "00".repeat(48) }] })]);
  check(`${c.dir} wrong measurement rejected`, pin.rc === 4 && codes(pin.doc).includes("measurement"));
  // Issue 15, finding 10: a policy bounds the firmware per TCB component and the VMPL.
  const base = { require_crls: false, allow_debug: true, snp: [{}] }, tcb = r.doc.tcb, vmpl = r.doc.measurements.vmpl;
  const atTcb = verify([...ev, "--policy", policy({ ...base, snp_min_tcb: tcb, snp_vmpl: vmpl })]);
  check(`${c.dir} its own TCB and VMPL satisfy snp_min_tcb and snp_vmpl`, atTcb.rc === 0, JSON.stringify(atTcb.doc?.reasons));
  const above = verify([...ev, "--policy", policy({ ...base, snp_min_tcb: { ...tcb, snp: tcb.snp + 1 } })]);
  check(`${c.dir} an SNP firmware below snp_min_tcb is refused, the component named`, above.rc === 4 &&
        above.doc.reasons.some((x) => x.code === "snp_tcb" && x.message.endsWith(": snp")), JSON.stringify(above.doc?.reasons));
  const otherVmpl = verify([...ev, "--policy", policy({ ...base, snp_vmpl: (vmpl + 1) % 4 })]);
  check(`${c.dir} another VMPL is refused`, otherVmpl.rc === 4 && codes(otherVmpl.doc).includes("snp_vmpl"), JSON.stringify(otherVmpl.doc?.reasons));
}

// the simulated TEE: one verifier, accepted only under its root with debug allowed
{
  const d = join(tmp, "sim");
  const init = spawnSync(bin, ["sim", "init", "--dir", d], { encoding: "utf8" });
  check("sim init", init.status === 0 && JSON.parse(init.stdout).anchor === join(d, "root_ca.der"), init.stderr);
  const rd = "ab".repeat(64), mrtd = "cd".repeat(48);
  const qf = join(tmp, "sim-quote.bin");
  const q = spawnSync(bin, ["sim", "quote", "--dir", d, "--report-data", rd, "--mrtd", mrtd, "--out", qf], { encoding: "utf8" });
  check("sim quote", q.status === 0, q.stderr);
  const base = ["--evidence", qf, "--collateral", join(d, "collateral")], anchor = ["--anchor", join(d, "root_ca.der")];
  const ok = verify([...base, ...anchor, "--policy", policy({ allow_debug: true, tdx: [{ mrtd }], report_data: rd })]);
  check("sim quote accepted under its root with debug allowed", ok.rc === 0 && ok.doc.tcb_status === "UpToDate" && ok.doc.debug === true, JSON.stringify(ok.doc));
  const def = verify([...base, ...anchor]);
  check("sim quote rejected by the default policy (debug, no rule)", def.rc === 4 && JSON.stringify(codes(def.doc)) === '["debug","no_rule"]', JSON.stringify(def.doc?.reasons));
  const sgxOnly = verify([...base, ...anchor, "--policy", policy({ allow_debug: true, sgx: [{}] })]);
  check("a policy with only SGX rules refuses a TDX quote (no fail-open across TEE types)", sgxOnly.rc === 4 && codes(sgxOnly.doc).includes("no_rule"), JSON.stringify(sgxOnly.doc?.reasons));
  const anyM = spawnSync(bin, ["attest", "verify", ...base, ...anchor, "--policy", policy({ allow_debug: true }), "--any-measurement", "--json"], { encoding: "utf8" });
  check("--any-measurement accepts, and says so loudly", anyM.status === 0 && /WARNING: --any-measurement/.test(anyM.stderr), anyM.stderr);
  const intel = verify([...base, "--policy", policy({ allow_debug: true, any_measurement: true })]);
  check("sim quote rejected under the Intel root", intel.rc === 4 && intel.doc.reasons[0].message.includes("PCK chain root is not the trust anchor"));
  const hex = spawnSync(bin, ["sim", "quote", "--dir", d, "--report-data", rd], { encoding: "utf8" });
  check("sim quote as hex JSON", hex.status === 0 && /^0x[0-9a-f]+$/.test(JSON.parse(hex.stdout).quote));
  const none = spawnSync(bin, ["sim", "quote", "--dir", join(tmp, "none"), "--report-data", rd], { encoding: "utf8" });
  check("sim quote without init names the file and the fix", none.status === 1 && none.stderr.includes(join(tmp, "none", "root_ca.key")) &&
        none.stderr.includes("cloister sim init"), none.stderr);
}

// usage errors name what is wrong
const q = join(tv, "intel-dcap/sgx-v3-dcapqvl/quote.bin");
const unk = spawnSync(bin, ["attest", "verify", "--evidence", q, "--policy", policy({ allow_debgu: true })], { encoding: "utf8" });
check("unknown policy key named (exit 1: a file's content, not the command line)", unk.status === 1 &&
      unk.stderr.includes("allow_debgu") && JSON.parse(unk.stdout).error.message.includes("allow_debgu"), unk.stdout + unk.stderr);
const badStatus = spawnSync(bin, ["attest", "verify", "--evidence", q, "--policy", policy({ tcb_statuses: ["Fine"] })], { encoding: "utf8" });
check("unknown TCB status refused", badStatus.status === 1 && badStatus.stderr.includes("tcb_statuses"));
check("bad --at", spawnSync(bin, ["attest", "verify", "--evidence", q, "--at", "yesterday"]).status === 2);
const missing = spawnSync(bin, ["attest", "verify", "--evidence", join(tmp, "none")], { encoding: "utf8" });
check("missing evidence file named", missing.status === 1 && missing.stderr.includes(`--evidence: cannot read '${join(tmp, "none")}'`), missing.stderr);
const dirEv = spawnSync(bin, ["attest", "verify", "--evidence", tmp], { encoding: "utf8" });
check("a directory is not evidence (one JSON failure document)", dirEv.status === 1 && JSON.parse(dirEv.stdout).error.code === "io" &&
      /--evidence: cannot read .*directory/i.test(dirEv.stderr), dirEv.stdout + dirEv.stderr);
const noAnchor = spawnSync(bin, ["attest", "verify", "--evidence", q, "--anchor", join(tmp, "none")], { encoding: "utf8" });
check("missing anchor file named", noAnchor.status === 1 && noAnchor.stderr.includes("--anchor: cannot read"), noAnchor.stderr);
const junk = join(tmp, "junk.bin");
writeFileSync(junk, "not a quote at all");
const j = verify(["--evidence", junk]);
check("junk evidence rejected with a reason", j.rc === 4 && j.doc.reasons[0].code === "evidence");
check("--help", spawnSync(bin, ["attest", "verify", "--help"], { encoding: "utf8" }).stdout.includes("usage: cloister attest verify"));

rmSync(tmp, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
