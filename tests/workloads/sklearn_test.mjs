// sklearn_test.mjs — the ONNX-ML operators against scikit-learn's own
// predictions (issue 17's acceptance): tests/workloads/sklearn/ holds models
// fitted by scikit-learn 1.2 (Debian's python3-sklearn) on the data sets it
// ships, written as ONNX graphs from their fitted parameters by gen.py (run
// by hand, never at test time), with scikit-learn's predictions on held-out
// rows. `cloister onnx run` must give the same labels and, within each case's
// tolerance (relative, against max(1, |value|)), the same scores,
// probabilities, regressions and transforms. onnxruntime-node runs the same
// models for comparison (printed, not required: it is not the reference here).
// Usage: node sklearn_test.mjs /path/to/cloister
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import ort from "onnxruntime-node";

const bin = process.argv[2];
const here = join(dirname(fileURLToPath(import.meta.url)), "sklearn");
const set = JSON.parse(readFileSync(join(here, "cases.json"), "utf8"));
const dir = mkdtempSync(join(tmpdir(), "clo-sklearn-"));
let passed = 0, failed = 0;
const ortDiffers = [];

const varint = (v) => { const o = []; do { let b = v & 0x7f; v = Math.floor(v / 128); if (v) b |= 0x80; o.push(b); } while (v); return o; };
const len = (field, bytes) => [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
function floatTensor(name, dims, raw) { // TensorProto: dims, FLOAT, name, raw_data
  return Buffer.from([...dims.flatMap((d) => [...varint(1 << 3), ...varint(d)]), ...varint(2 << 3), 1,
                      ...len(8, [...Buffer.from(name)]), ...len(9, [...raw])]);
}
function stringTensor(name, dims, strs) { // TensorProto: dims, STRING, name, string_data (one field each)
  return Buffer.from([...dims.flatMap((d) => [...varint(1 << 3), ...varint(d)]), ...varint(2 << 3), 8,
                      ...len(8, [...Buffer.from(name)]), ...strs.flatMap((s) => len(6, [...Buffer.from(s, "utf8")]))]);
}
// strings (class names) match exactly; numbers within the case's tolerance
const near = (got, want, tol) => typeof want === "string" ? got === want
                                 : tol === 0 ? Math.fround(want) === got
                                 : Math.abs(got - want) <= tol * Math.max(1, Math.abs(want));
const value = (v) => typeof v === "string" ? v : Number(v);

for (const c of set.cases) {
  const strs = c.input.strings;
  const raw = strs ? null : Buffer.from(c.input.f32, "base64");
  const inFile = join(dir, "x.pb");
  writeFileSync(inFile, strs ? stringTensor("X", c.input.dims, strs) : floatTensor("X", c.input.dims, raw));
  const r = spawnSync(bin, ["onnx", "run", "--model", join(here, c.model), "--input", `X=${inFile}`], { encoding: "utf8" });
  let doc = null;
  try { doc = JSON.parse(r.stdout); } catch { /* not JSON */ }
  const outs = Object.fromEntries((doc?.outputs ?? []).map((o) => [o.name, o.data.map(value)]));
  const bad = [];
  for (const [k, want] of Object.entries(c.expect)) {
    const got = outs[k];
    if (!got || got.length !== want.length) { bad.push(`${k}: ${got ? got.length : "no"} values for ${want.length}`); continue; }
    const worst = want.reduce((m, w, i) => near(got[i], w, c.tol) ? m : (m < 0 ? i : m), -1);
    if (worst >= 0) bad.push(`${k}[${worst}]: ${got[worst]} for scikit-learn's ${want[worst]}`);
  }
  if (r.status === 0 && !bad.length) passed++;
  else { failed++; console.log(`FAIL ${c.name} (${c.note}): ${bad.join("; ") || r.stdout.slice(0, 300)}`); }
  // onnxruntime, for comparison only
  try {
    const s = await ort.InferenceSession.create(join(here, c.model));
    const x = strs ? new ort.Tensor("string", strs, c.input.dims)
                   : new ort.Tensor("float32", new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)), c.input.dims);
    const o = await s.run({ X: x });
    const agrees = Object.entries(c.expect).every(([k, want]) => o[k] && Array.from(o[k].data).map(value).every((v, i) => near(v, want[i], Math.max(c.tol, 1e-4))));
    if (!agrees) ortDiffers.push(c.name);
  } catch (e) { ortDiffers.push(`${c.name} (${e.message.split("\n")[0].slice(0, 80)})`); }
}
rmSync(dir, { recursive: true, force: true });
console.log(`scikit-learn ${set.sklearn}: ${passed} of ${set.cases.length} models agree with its predictions, ${failed} do not`);
if (ortDiffers.length) console.log(`(onnxruntime ${ort.env.versions.common} differs from scikit-learn on: ${ortDiffers.join(", ")})`);
process.exit(failed ? 1 : 0);
