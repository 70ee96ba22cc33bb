// ml_ort_test.mjs — ONNX-ML operators against onnxruntime-node (the
// reference runtime the converters target; a test oracle here, never a
// runtime dependency). Models are written by a small ONNX writer below, run
// by `cloister onnx run` and by onnxruntime on the same input, and must agree
// to 1e-5 (PROBIT: 5e-4, see below); a combination onnxruntime answers
// by ignoring the trees is refused by Cloister with its documented reason.
//
// Today: one-score binary TreeEnsembleClassifier models (issue 17's wrong
// refusal), every combination of the class its weights score (0 or 1), their
// signs, 0/1/2 base values and the five post transforms: 60 models.
// Usage: node ml_ort_test.mjs /path/to/cloister
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";

const bin = process.argv[2];
let passed = 0, failed = 0;
function check(name, cond, extra = "") {
  if (cond) passed++;
  else { failed++; console.log(`FAIL ${name} ${extra}`); }
}

// ---- a minimal protocol buffers / ONNX writer ----
const varint = (v) => { const o = []; v = BigInt.asUintN(64, BigInt(v)); do { let b = Number(v & 0x7fn); v >>= 7n; if (v) b |= 0x80; o.push(b); } while (v); return o; };
const key = (field, wire) => varint((field << 3) | wire);
const len = (field, bytes) => [...key(field, 2), ...varint(bytes.length), ...bytes];
const str = (field, s) => len(field, [...Buffer.from(s)]);
const int = (field, v) => [...key(field, 0), ...varint(v)];
const f32 = (v) => [...Buffer.from(new Float32Array([v]).buffer)];
function attr(name, v) {
  const a = str(1, name);
  if (typeof v === "string") return [...a, ...str(4, v), ...int(20, 3)];
  if (v.kind === "ints") return [...a, ...v.v.flatMap((x) => int(8, x)), ...int(20, 7)];
  if (v.kind === "floats") return [...a, ...v.v.flatMap((x) => [...key(7, 5), ...f32(x)]), ...int(20, 6)];
  if (v.kind === "strings") return [...a, ...v.v.flatMap((x) => str(9, x)), ...int(20, 8)];
  throw new Error("attr " + name);
}
const ints = (v) => ({ kind: "ints", v }), floats = (v) => ({ kind: "floats", v }), strings = (v) => ({ kind: "strings", v });
function valueInfo(name, elemType, dims) {
  const shape = dims.flatMap((d) => len(1, int(1, d)));
  return len(1, [...str(1, name), ...len(2, len(1, [...int(1, elemType), ...len(2, shape)]))]);
}
function model(op, attrs, inputs, outputs) {
  const node = [...str(1, "X"), ...outputs.flatMap((o) => str(2, o.name)), ...str(3, outputs[0].name), ...str(4, op),
                ...str(7, "ai.onnx.ml"), ...Object.entries(attrs).flatMap(([k, v]) => len(5, attr(k, v)))];
  const graph = [...len(1, node), ...str(2, "g"), ...inputs.flatMap((i) => len(11, valueInfo(i.name, i.type, i.dims).slice(2))),
                 ...outputs.flatMap((o) => len(12, valueInfo(o.name, o.type, o.dims).slice(2)))];
  const opset = (d, v) => len(8, [...str(1, d), ...int(2, v)]);
  return Buffer.from([...int(1, 8), ...opset("", 17), ...opset("ai.onnx.ml", 3), ...len(7, graph)]);
}
function floatTensor(name, dims, data) { // TensorProto: dims, data_type 1, name, raw_data
  return Buffer.from([...dims.flatMap((d) => int(1, d)), ...int(2, 1), ...str(8, name),
                      ...len(9, [...Buffer.from(new Float32Array(data).buffer)])]);
}

const dir = mkdtempSync(join(tmpdir(), "clo-ml-ort-"));
const x = [-1, 1];
writeFileSync(join(dir, "x.pb"), floatTensor("X", [2, 1], x));

// Within tol relative; NaN where onnxruntime's is NaN, the same infinity
// where its is infinite (the CLI writes those as "NaN", "Infinity", "-Infinity").
function close(a, b, tol = 1e-5) {
  if (a.length !== b.length) return false;
  return a.map(Number).every((v, i) => (Number.isNaN(v) && Number.isNaN(b[i])) || v === b[i] ||
                                       Math.abs(v - b[i]) <= tol * (1 + Math.abs(b[i])));
}

// ---- one-score binary tree ensembles: one tree, x0 <= 0 ? w0 : w1 ----
let n = 0;
const unsettled = [];
for (const weights of [[0.3, 0.9], [-0.3, 0.9]]) {
  for (const cls of [0, 1]) {
    for (const base of [null, [0.1], [0.2, 0.1]]) {
      for (const pt of ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"]) {
        const name = `binary tree: weights ${weights} on class ${cls}, base ${base}, ${pt}`;
        const attrs = {
          nodes_treeids: ints([0, 0, 0]), nodes_nodeids: ints([0, 1, 2]), nodes_featureids: ints([0, 0, 0]),
          nodes_values: floats([0, 0, 0]), nodes_modes: strings(["BRANCH_LEQ", "LEAF", "LEAF"]),
          nodes_truenodeids: ints([1, 0, 0]), nodes_falsenodeids: ints([2, 0, 0]),
          class_treeids: ints([0, 0]), class_nodeids: ints([1, 2]), class_ids: ints([cls, cls]),
          class_weights: floats(weights), classlabels_int64s: ints([4, 9]), post_transform: pt,
        };
        if (base) attrs.base_values = floats(base);
        const bytes = model("TreeEnsembleClassifier", attrs, [{ name: "X", type: 1, dims: [2, 1] }],
                            [{ name: "Y", type: 7, dims: [2] }, { name: "Z", type: 1, dims: [2, 2] }]);
        const file = join(dir, `m${n++}.onnx`);
        writeFileSync(file, bytes);
        const s = await ort.InferenceSession.create(bytes);
        const answer = async () => {
          const r = await s.run({ X: new ort.Tensor("float32", Float32Array.from(x), [2, 1]) });
          return { y: Array.from(r.Y.data).map(Number), z: Array.from(r.Z.data) };
        };
        const want = await answer(), again = await answer();
        const got = spawnSync(bin, ["onnx", "run", "--model", file, "--input", `X=${join(dir, "x.pb")}`], { encoding: "utf8" });
        let doc = null;
        try { doc = JSON.parse(got.stdout); } catch { /* not JSON */ }
        if (cls === 1 && base?.length === 2) {
          check(`${name}: refused`, got.status === 1 &&
                /scoring class 1 with two base values/.test(doc?.error?.message ?? ""), got.stdout);
          // ...because onnxruntime's answer ignores the trees: the same for both rows.
          check(`${name}: onnxruntime ignores the trees`, close(want.z.slice(0, 2), want.z.slice(2)) &&
                want.y[0] === want.y[1], JSON.stringify(want));
          continue;
        }
        const y = doc?.outputs?.[0]?.data, z = doc?.outputs?.[1]?.data;
        // PROBIT: onnxruntime's erfinv is Winitzki's approximation (within about
        // 2e-4); Cloister's is accurate to float precision. With one score of
        // class 0, onnxruntime writes [probit(s), ?]: the second column is
        // memory it never wrote (it differs between sessions); Cloister writes 0.
        const tol = pt === "PROBIT" ? 5e-4 : 1e-5;
        if (pt === "PROBIT" && cls === 0 && (base?.length ?? 0) < 2) {
          check(name, got.status === 0 && JSON.stringify(y) === JSON.stringify(want.y) && z?.length === 4 &&
                close([z[0], z[2]], [want.z[0], want.z[2]], tol) && z[1] === 0 && z[3] === 0,
                `ours ${JSON.stringify({ y, z })} onnxruntime ${JSON.stringify(want)}`);
          continue;
        }
        if (!close(want.z, again.z, 0)) { // onnxruntime reads memory it never wrote here
          unsettled.push(name);
          check(`${name}: runs`, got.status === 0 && y?.length === 2 && z?.length === 4, got.stdout);
          continue;
        }
        check(name, got.status === 0 && JSON.stringify(y) === JSON.stringify(want.y) && z && close(z, want.z, tol),
              `ours ${JSON.stringify({ y, z })} onnxruntime ${JSON.stringify(want)} ${got.stderr}`);
      }
    }
  }
}
rmSync(dir, { recursive: true, force: true });
if (unsettled.length)
  console.log(`onnxruntime gave two different answers for the same input, so not compared: ${unsettled.join("; ")}`);
console.log(`ml_ort: ${passed} passed, ${failed} failed (${n} models against onnxruntime ${ort.env.versions.common})`);
process.exit(failed ? 1 : 0);
