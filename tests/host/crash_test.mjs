// crash_test.mjs — a stream of jobs while the enclave and then the daemon are
// killed with SIGKILL at random moments and at the named crash points
// (after_journal, after_enclave_result, before_reply). Clients retry with the
// identical request, as a real client would. Checks: every job ends with
// exactly one result, no job fails, and every result fetched more than once
// (across restarts) is byte-identical.
// Usage: node crash_test.mjs /path/to/cloister [cycles]
import { join } from "node:path";
import { makeNode, start, stop, cli, api, tempDir, cleanup, sleep, addr, enclavePid } from "./nodeutil.mjs";

const bin = process.argv[2];
const CYCLES = parseInt(process.argv[3] || "210", 10);
const t0 = Date.now();
let failed = 0;
function check(name, cond, extra = "") {
  if (!cond) { failed++; console.log(`FAIL ${name} ${extra}`); }
}

const dir = tempDir("crash");
const node = await makeNode(bin, dir);
await start(node);

// Jobs, sealed once up front; a retry re-sends the same bytes.
const jobs = [];
const PER_CYCLE = 2;
for (let i = 0; i < CYCLES * PER_CYCLE; i++) {
  const r = cli(bin, "job", "submit", "--trust-node", "--node", node.url, "--workload", "auction", "--auction", "second",
                "--bids", `${addr(1 + (i % 200))}:${100 + i},${addr(201 + (i % 50))}:${50 + i}`,
                "--print-request", "--keys-out", join(dir, "k.json"));
  if (r.rc !== 0) throw new Error("cannot seal: " + r.out + r.err);
  jobs.push({ req: r.doc.request, accepted: false, result: null });
}
let next = 0;

async function post(job) {
  try {
    const r = await api(node, "POST", "/v1/jobs", job.req);
    if (r.status === 202 || r.status === 200) job.accepted = true;
    else if (r.status !== 503) check("submit answered", false, `${r.status} ${r.text}`);
  } catch { /* the daemon died under us: retried later */ }
}

async function fetchResult(job) {
  try {
    const r = await api(node, "GET", `/v1/jobs/${job.req.job_id}/result`);
    if (r.status === 200) {
      if (job.result === null) job.result = r.text;
      else check("re-delivered result is byte-identical", job.result === r.text, job.req.job_id);
    } else if (r.status === 422) {
      check("no job fails", false, r.text);
    }
  } catch { /* died: later */ }
}

// Re-send everything not yet acknowledged; re-read some results.
async function settle() {
  for (const j of jobs.slice(0, next)) if (!j.accepted) await post(j);
  const done = jobs.slice(0, next).filter((j) => j.result !== null);
  for (let i = 0; i < 3 && done.length; i++) await fetchResult(done[Math.floor(Math.random() * done.length)]);
}

async function isUp() { return node.proc && node.proc.exitCode === null && node.proc.signalCode === null; }

const counts = { enclave: 0, daemon: 0, after_journal: 0, after_enclave_result: 0, before_reply: 0 };
for (let c = 0; c < CYCLES; c++) {
  const batch = jobs.slice(next, next + PER_CYCLE);
  next += batch.length;
  const kind = c < CYCLES * 0.5 ? "enclave" : c < CYCLES * 0.75 ? "daemon"
             : ["after_journal", "after_enclave_result", "before_reply"][c % 3];
  if (kind === "enclave") {
    // The daemon restarts a dead enclave on its next call (at most a second away),
    // after a backoff that doubles up to 5 s while starts keep failing (a kill
    // that lands mid-start, common under ASan): wait that out, or the cycle kills nothing.
    for (let i = 0; i < 1400 && !enclavePid(node); i++) await sleep(5);
    const posts = batch.map(post);
    await sleep(Math.random() * 15);
    const pid = enclavePid(node);
    if (pid) { try { process.kill(pid, "SIGKILL"); counts.enclave++; } catch { /* already gone */ } }
    await Promise.all(posts);
  } else if (kind === "daemon") {
    const posts = batch.map(post);
    await sleep(Math.random() * 20);
    await stop(node, "SIGKILL");
    counts.daemon++;
    await Promise.all(posts);
    await start(node);
  } else {
    await stop(node, "SIGTERM");
    await start(node, { CLOISTER_CRASH_POINT: `${kind}:${1 + (c % 2)}` });
    for (const j of batch) await post(j);
    const prev = jobs.slice(0, next).filter((j) => j.accepted).slice(-4);
    const until = Date.now() + 3000;
    while ((await isUp()) && Date.now() < until) {
      for (const j of prev) await fetchResult(j);
      for (const j of batch) if (!j.accepted) await post(j);
      await sleep(5);
    }
    if (await isUp()) { await stop(node, "SIGKILL"); } else { node.proc = null; counts[kind]++; }
    await start(node);
  }
  await settle();
}

// Everything accepted ends with exactly one result.
const deadline = Date.now() + 60000;
for (const j of jobs) {
  while (!j.accepted && Date.now() < deadline) { await post(j); if (!j.accepted) await sleep(20); }
  let r;
  while (Date.now() < deadline) {
    r = await api(node, "GET", `/v1/jobs/${j.req.job_id}/result`);
    if (r.status !== 409) break;
    await sleep(10);
  }
  check("job has a result", r?.status === 200, `${j.req.job_id} ${r?.status} ${r?.text}`);
  if (r?.status === 200) {
    if (j.result !== null) check("final result is byte-identical", j.result === r.text, j.req.job_id);
    j.result = r.text;
  }
}
const m = await api(node, "GET", "/metrics");
const done = parseInt(m.text.match(/cloister_jobs\{state="done"\} (\d+)/)[1], 10);
const fail = parseInt(m.text.match(/cloister_jobs\{state="failed"\} (\d+)/)[1], 10);
check("journal holds each job once, all done", done === jobs.length && fail === 0, `done=${done} failed=${fail} jobs=${jobs.length}`);
const restarts = parseInt(m.text.match(/cloister_enclave_restarts_total (\d+)/)[1], 10);
await stop(node);
cleanup(dir);
const kills = Object.values(counts).reduce((a, b) => a + b, 0);
check("at least 200 crash cycles", kills >= 200, JSON.stringify(counts));
console.log(`crash: ${CYCLES} cycles, kills ${JSON.stringify(counts)}, ${jobs.length} jobs, ` +
            `last daemon saw ${restarts} enclave restarts, ${((Date.now() - t0) / 1000).toFixed(1)} s; ${failed} failures`);
process.exit(failed ? 1 : 0);
