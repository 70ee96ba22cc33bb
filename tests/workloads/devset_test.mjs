// devset_test.mjs — every model of the development set (tests/support/devset.mjs:
// published models from pinned npm packages) runs in Cloister's engine and
// agrees with onnxruntime-node on the same inputs, within each model's
// tolerance. Usage: node devset_test.mjs /path/to/cloister
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { models, runCloister, ortFeeds, worstDiff } from "../support/devset.mjs";

const bin = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), "clo-devset-"));
let failed = 0;
for (const [label, model, make, tol] of models) {
  const feeds = make();
  let line;
  try {
    const doc = runCloister(bin, model, feeds, dir);
    const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const want = await sess.run(ortFeeds(ort, feeds));
    const names = Object.keys(want).sort().join(","), got = doc.outputs.map((o) => o.name).sort().join(",");
    const d = names === got ? worstDiff(doc, want) : Infinity;
    const ok = d <= tol;
    failed += !ok;
    line = `${ok ? "ok  " : "FAIL"} ${label}: ${doc.plan.steps} steps, worst difference ${d.toExponential(2)} (tolerance ${tol})`;
  } catch (e) {
    failed++;
    line = `FAIL ${label}: ${e.message}`;
  }
  console.log(line);
}
rmSync(dir, { recursive: true, force: true });
if (failed) { console.error(`${failed} of ${models.length} models failed`); process.exit(1); }
console.log(`all ${models.length} models agree with onnxruntime`);
