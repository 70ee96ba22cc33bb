// onnx_cli_test.mjs — `cloister onnx info|run|test` as a user meets them:
// --help, one JSON document, exit codes 0/1/2, outputs checked against values
// computed here from the input files (a small TensorProto reader of our own),
// and bad input refused with a specific error.
// Usage: node onnx_cli_test.mjs /path/to/cloister [suite-dir]
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { join } from "node:path";

const bin = process.argv[2];
const suite = process.argv[3] || process.env.CLO_ONNX_TESTDATA || "/usr/share/libonnx-testdata/data";
let passed = 0, failed = 0;
function check(name, cond, extra = "") {
  if (cond) passed++;
  else { failed++; console.log(`FAIL ${name} ${extra}`); }
}
function run(...args) {
  const r = spawnSync(bin, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  let doc = null;
  try { doc = JSON.parse(r.stdout); } catch { /* not JSON */ }
  return { rc: r.status, out: r.stdout, err: r.stderr, doc };
}

// A TensorProto of floats in raw_data: dims (1), data_type (2), raw_data (9).
function readFloats(path) {
  const b = readFileSync(path);
  let i = 0, dims = [], raw = null, type = 0;
  const varint = () => { let v = 0, s = 0, c; do { c = b[i++]; v += (c & 0x7f) * 2 ** s; s += 7; } while (c & 0x80); return v; };
  while (i < b.length) {
    const key = varint(), field = key >> 3, wire = key & 7;
    if (wire === 0) { const v = varint(); if (field === 1) dims.push(v); if (field === 2) type = v; }
    else if (wire === 2) { const n = varint(); if (field === 9) raw = b.subarray(i, i + n); if (field === 1) { const end = i + n; while (i < end) dims.push(varint()); } i += n; continue; }
    else if (wire === 5) i += 4; else if (wire === 1) i += 8; else throw new Error("wire " + wire);
    if (wire === 2) continue;
  }
  if (type !== 1 || !raw) throw new Error(`${path}: not a raw float tensor`);
  const f = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  return { dims, data: Array.from(f) };
}

for (const cmd of [["onnx"], ["onnx", "info"], ["onnx", "run"], ["onnx", "test"]]) {
  const r = run(...cmd, "--help");
  check(`--help ${cmd.join(" ")}`, r.rc === 0 && /usage: cloister onnx/.test(r.out), r.err);
}
check("unknown subcommand", run("onnx", "frob").rc === 2);

// run: Relu and a broadcast Add, checked against values computed here.
const relu = join(suite, "node/test_relu");
{
  const x = readFloats(join(relu, "test_data_set_0/input_0.pb"));
  const r = run("onnx", "run", "--model", join(relu, "model.onnx"), "--input", `x=${join(relu, "test_data_set_0/input_0.pb")}`);
  const out = r.doc?.outputs?.[0];
  check("run relu exit 0", r.rc === 0, r.out + r.err);
  check("run relu shape", JSON.stringify(out?.shape) === JSON.stringify(x.dims));
  check("run relu values", out && out.data.length === x.data.length && out.data.every((v, i) => v === Math.max(0, x.data[i])));
  check("run reports the model id", /^0x[0-9a-f]{64}$/.test(r.doc?.model_id));
  check("run reports the plan", r.doc?.plan?.steps === 1 && r.doc?.plan?.arena_bytes > 0);
}
const add = join(suite, "node/test_add_bcast");
{
  const a = readFloats(join(add, "test_data_set_0/input_0.pb")), b = readFloats(join(add, "test_data_set_0/input_1.pb"));
  const r = run("onnx", "run", "--model", join(add, "model.onnx"), "--input", `x=${join(add, "test_data_set_0/input_0.pb")}`,
                "--input", `y=${join(add, "test_data_set_0/input_1.pb")}`, "--repeat", "3", "--warmup", "2");
  const out = r.doc?.outputs?.[0];
  const n = b.data.length; // y broadcasts along the last dim
  check("run add broadcast", out && out.data.every((v, i) => Math.abs(v - (a.data[i] + b.data[i % n])) <= 1e-6), r.err);
  check("run repeat counted", r.doc?.plan?.runs === 3 && r.doc?.plan?.warmup_runs === 2);
}

// Bad command lines: exit 2, the problem named.
{
  const m = join(add, "model.onnx"), in0 = join(add, "test_data_set_0/input_0.pb");
  let r = run("onnx", "run", "--model", m, "--input", `x=${in0}`);
  check("missing input named", r.rc === 2 && /'y'/.test(r.err), r.err);
  r = run("onnx", "run", "--model", m, "--input", `nope=${in0}`, "--input", `y=${in0}`);
  check("unknown input name", r.rc === 2 && /no input of that name/.test(r.err), r.err);
  r = run("onnx", "run", "--model", m, "--input", in0);
  check("input without NAME=", r.rc === 2 && /NAME=FILE/.test(r.err), r.err);
  r = run("onnx", "run");
  check("missing --model", r.rc === 2 && /--model/.test(r.err));
  r = run("onnx", "test");
  check("test needs a DIR", r.rc === 2 && /DIR/.test(r.err));
  r = run("onnx", "test", "--rtol", "-1", relu);
  check("bad tolerance", r.rc === 2 && /--rtol/.test(r.err));
}

// Bad files: exit 1, one JSON error naming the problem.
const tmp = mkdtempSync(join(tmpdir(), "clo-onnx-"));
{
  writeFileSync(join(tmp, "junk.onnx"), Buffer.from("this is not a model at all"));
  let r = run("onnx", "run", "--model", join(tmp, "junk.onnx"));
  check("junk model refused", r.rc === 1 && r.doc?.error?.code === "format", r.out);
  r = run("onnx", "info", "--model", join(tmp, "nonexistent.onnx"));
  check("missing model file", r.rc === 1 && /cannot read/.test(r.err), r.err);
  // wrong input shape: feed test_relu an input of another shape
  r = run("onnx", "run", "--model", join(relu, "model.onnx"), "--input", `x=${join(add, "test_data_set_0/input_1.pb")}`);
  check("input of the wrong shape", r.rc === 1 && r.doc?.error?.code === "argument" && /declared type and shape/.test(r.doc?.error?.message), r.out);
}

// info: operators and whether they are implemented.
{
  const r = run("onnx", "info", "--model", join(suite, "node/test_unique_sorted_without_axis/model.onnx"));
  check("info lists an unsupported op", r.rc === 0 && r.doc?.operators?.Unique?.supported === false && r.doc?.unsupported_operators === 1, r.out);
  const r2 = run("onnx", "info", "--model", join(add, "model.onnx"));
  check("info lists inputs", r2.doc?.inputs?.length === 2 && r2.doc.inputs[1].name === "y" && r2.doc.operators.Add.supported === true);
}

// test: the documented document; an unsupported model is a failed result with the reason;
// an output changed on disk is caught.
{
  let r = run("onnx", "test", relu, add);
  check("test passes", r.rc === 0 && r.doc?.passed === 2 && r.doc?.failed === 0, r.out);
  check("test result fields", ["dir", "data_set", "passed", "max_abs_err", "error"].every(k => k in (r.doc?.results?.[0] ?? {})));
  r = run("onnx", "test", "--json", join(suite, "node/test_unique_sorted_without_axis"));
  check("unsupported is a failed result", r.rc === 1 && r.doc?.failed === 1 && /unsupported: .*Unique/.test(r.doc?.results?.[0]?.error), r.out);
  const dir = join(tmp, "tampered");
  mkdirSync(dir);
  cpSync(relu, dir, { recursive: true });
  const outPath = join(dir, "test_data_set_0/output_0.pb");
  const bytes = readFileSync(outPath);
  bytes[bytes.length - 1] ^= 0x40; // flip a bit of the last float
  writeFileSync(outPath, bytes);
  r = run("onnx", "test", dir);
  check("a changed expected output fails", r.rc === 1 && r.doc?.failed === 1 && /differs/.test(r.doc?.results?.[0]?.error), r.out);
  r = run("onnx", "test", "--atol", "1e9", dir);
  check("tolerance applies", r.rc === 0 && r.doc?.passed === 1, r.out);
}

// model train: the diagnosis classifiers, checked by the engine; the id is the file's SHA-256.
{
  const csv = process.env.CLO_DATASETS ? join(process.env.CLO_DATASETS, "breast_cancer.csv")
                                       : new URL("../../data/datasets/breast_cancer.csv", import.meta.url).pathname;
  for (const kind of ["logreg", "mlp"]) {
    const out = join(tmp, `${kind}.onnx`);
    const r = run("model", "train", "--kind", kind, "--csv", csv, "--out", out);
    check(`model train ${kind}`, r.rc === 0 && r.doc?.test_accuracy >= 0.93 && r.doc?.test_rows === 114, r.out + r.err);
    const sha = "0x" + createHash("sha256").update(readFileSync(out)).digest("hex");
    check(`model id is the file's SHA-256 (${kind})`, r.doc?.model_id === sha);
    const info = run("onnx", "info", "--model", out);
    check(`trained model described (${kind})`, info.doc?.model_id === sha && info.doc?.unsupported_operators === 0 &&
          info.doc?.inputs?.[0]?.name === "record");
  }
  let r = run("model", "train", "--kind", "forest", "--out", join(tmp, "x.onnx"));
  check("model train: unknown kind", r.rc === 2 && /--kind/.test(r.err));
  writeFileSync(join(tmp, "bad.csv"), "2,2,a,b\n1,2,0\n3,oops,1\n");
  r = run("model", "train", "--csv", join(tmp, "bad.csv"), "--out", join(tmp, "x.onnx"));
  check("model train: bad csv names the line", r.rc === 1 && /line 3/.test(r.doc?.error?.message), r.out);
  check("--help model train", run("model", "train", "--help").rc === 0);
}

console.log(`onnx cli: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
