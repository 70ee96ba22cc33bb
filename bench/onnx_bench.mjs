// onnx_bench.mjs — Cloister's ONNX engine against onnxruntime (npm
// onnxruntime-node, the benchmark peer only), same models, same inputs, one
// thread each, in the same run. The models are written by
// `clo_bench_onnx gen` (bench/onnx_bench.c); Cloister's timings come from
// `clo_bench_onnx run`, onnxruntime's from its InferenceSession here (the
// per-call cost of its Node binding included, as a user of it pays it).
// Outputs of the two engines are compared, so a fast wrong answer shows.
// Usage: node bench/onnx_bench.mjs /path/to/clo_bench_onnx
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";

const bench = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), "clo-onnx-bench-"));
const gen = spawnSync(bench, ["gen", dir], { encoding: "utf8" });
if (gen.status !== 0) { console.error(gen.stderr); process.exit(1); }
const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
const iters = { cnn_mnist: 2000, mlp_784_128_10: 5000, trees_100: 20000, transformer_block: 5000, resnet50: 20, qcnn_int8: 300 };

function stats(t) {
  t.sort((a, b) => a - b);
  const mean = t.reduce((a, b) => a + b, 0) / t.length;
  return { mean, p99: t[Math.min(t.length - 1, Math.floor(t.length * 0.99))] };
}

const rows = [];
for (const [name, m] of Object.entries(manifest)) {
  const n = iters[name] ?? 100;
  const model = join(dir, `${name}.onnx`), input = join(dir, `${name}.in`);
  const buf = readFileSync(input);
  const x = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  // onnxruntime: one thread, all graph optimisations (its default level).
  const sess = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all",
  });
  const feeds = { [m.input]: new ort.Tensor("float32", x, m.shape) };
  let out;
  for (let i = 0; i < 5; i++) out = await sess.run(feeds);
  // Alternate batches of the two engines so drift hits both alike.
  const ortT = [];
  let ours = null;
  const batches = 3;
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < Math.ceil(n / batches); i++) {
      const t0 = process.hrtime.bigint();
      out = await sess.run(feeds);
      ortT.push(Number(process.hrtime.bigint() - t0) / 1e3);
    }
    const r = spawnSync(bench, ["run", model, input, String(Math.ceil(n / batches)), m.shape.join(",")], { encoding: "utf8" });
    if (r.status !== 0) { console.error(r.stderr); process.exit(1); }
    const doc = JSON.parse(r.stdout);
    ours = ours ? { ...doc, times: [...ours.times, doc] } : { ...doc, times: [doc] };
  }
  const o = stats(ortT);
  const oursMean = ours.times.reduce((a, d) => a + d.mean_us, 0) / ours.times.length;
  const oursP99 = Math.max(...ours.times.map(d => d.p99_us));
  const ref = Array.from(Object.values(out)[0].data).slice(0, 8);
  const maxRef = Math.max(...ref.map(Math.abs), 1e-30);
  const relErr = Math.max(...ours.out.map((v, i) => Math.abs(v - ref[i]))) / maxRef;
  rows.push({ name, oursMean, oursP99, ortMean: o.mean, ortP99: o.p99, ratio: oursMean / o.mean, relErr, arena: ours.arena_bytes });
  await sess.release?.();
}
rmSync(dir, { recursive: true, force: true });

console.log(`\nONNX engine vs onnxruntime ${ort.env.versions.common} (one thread each; CPU: ${cpus()[0].model})`);
console.log("| model | Cloister mean µs | p99 µs | onnxruntime mean µs | p99 µs | Cloister / onnxruntime | max rel. diff of outputs | arena |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows)
  console.log(`| ${r.name} | ${r.oursMean.toFixed(1)} | ${r.oursP99.toFixed(1)} | ${r.ortMean.toFixed(1)} | ${r.ortP99.toFixed(1)} | **${r.ratio.toFixed(2)}x** | ${r.relErr.toExponential(1)} | ${(r.arena / 1024).toFixed(0)} KiB |`);
const bad = rows.filter(r => !(r.relErr < 1e-3));
if (bad.length) { console.error("outputs differ from onnxruntime:", bad.map(r => r.name).join(", ")); process.exit(1); }
