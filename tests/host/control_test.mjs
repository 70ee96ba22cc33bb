// control_test.mjs — the control plane (/healthz, /readyz, /metrics) never
// waits on the enclave or on the job API's clients (issue 16):
//   1. 200 idle, half-sent connections from one client address (slowloris):
//      another client's /readyz, /metrics and /healthz each answer within
//      100 ms; the flooding address gets no more than its per-IP share, and
//      the header deadline closes the idle ones;
//   2. the enclave stopped (SIGSTOP) with a job queued and an evidence call
//      waiting on it: /metrics and /readyz answer within 100 ms, and /readyz
//      says not ready; after SIGCONT it is ready again and the job is done;
//   3. a frozen enclave with nothing to do is not ready either.
// Usage: node control_test.mjs /path/to/cloister
import { request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { makeNode, start, stop, cli, api, tempDir, cleanup, sleep, addr, enclavePid } from "./nodeutil.mjs";

const bin = process.argv[2];
let passed = 0, failed = 0;
function check(name, cond, extra = "") {
  if (cond) passed++;
  else { failed++; console.log(`FAIL ${name} ${typeof extra === "string" ? extra : JSON.stringify(extra)}`); }
}

const PER_IP = 32, HEADER_S = 2;
const dir = tempDir("control");
const node = await makeNode(bin, dir, {
  limits: { max_connections_per_ip: PER_IP, header_timeout_seconds: HEADER_S, timeout_seconds: 30 },
  enclave: { heartbeat_seconds: 2 },
});
await start(node);

// One GET from a given source address, on a fresh connection; resolves with
// status, body and the time it took, or an error and the time to it.
function get(path, localAddress = "127.0.0.2", timeoutMs = 5000) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = request({ host: "127.0.0.1", port: node.port, path, localAddress, agent: false, timeout: timeoutMs },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode, body, ms: performance.now() - t0 }));
      });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ error: e.code || e.message, ms: performance.now() - t0 }));
    req.end();
  });
}

// Each control route, measured over a few tries: the slowest must be < 100 ms.
async function controlPlane(tag, wantReady) {
  for (const path of ["/healthz", "/readyz", "/metrics"]) {
    let worst = 0, last = null;
    for (let i = 0; i < 5; i++) {
      last = await get(path);
      worst = Math.max(worst, last.ms);
      if (last.error) break;
    }
    check(`${tag}: ${path} answers within 100 ms`, !last.error && worst < 100, `${last.error || last.status} worst ${worst.toFixed(1)} ms`);
    console.log(`${tag}: ${path} worst of 5: ${worst.toFixed(1)} ms`);
    if (path === "/readyz" && wantReady !== undefined)
      check(`${tag}: /readyz ${wantReady ? "ready" : "not ready"}`, last.status === (wantReady ? 200 : 503), `${last.status} ${last.body}`);
    if (path === "/metrics") controlPlane.metrics = last.body;
  }
}

// ---- 1. slowloris from one client address
{
  const socks = [];
  let closed = 0;
  for (let i = 0; i < 200; i++) {
    const s = connect({ host: "127.0.0.1", port: node.port, localAddress: "127.0.0.1" });
    s.on("error", () => {});
    s.on("close", () => closed++);
    s.on("connect", () => s.write("GET /readyz HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    socks.push(s);
  }
  await sleep(300);
  await controlPlane("200 idle connections from 127.0.0.1", true);
  check("slowloris: the flooding address holds at most its per-IP share", closed >= 200 - PER_IP, `closed ${closed}`);
  // The same address gets no slot until its idle ones are gone, and is told so at once.
  const same = await get("/readyz", "127.0.0.1");
  check("slowloris: the flooding address is refused at once, not left waiting", !!same.error && same.ms < 100, same);
  for (let i = 0; i < 60 && closed < 200; i++) await sleep(100);
  check(`slowloris: the header deadline (${HEADER_S} s) closes every idle connection`, closed === 200, `closed ${closed}`);
  for (const s of socks) s.destroy();
  const again = await get("/readyz", "127.0.0.1");
  check("slowloris: the address is served again once its idle connections are gone", again.status === 200, again);
}

// ---- 2. the enclave stopped, with a job queued and an enclave call waiting
{
  const sub = cli(bin, "job", "submit", "--trust-node", "--node", node.url, "--workload", "auction", "--auction", "second",
                  "--bids", `${addr(1)}:100,${addr(2)}:50`, "--print-request", "--keys-out", join(dir, "k.json"));
  check("sealed a job", sub.rc === 0, sub.err);
  const pid = enclavePid(node);
  check("found the enclave", pid > 0);
  process.kill(pid, "SIGSTOP");
  const posted = await api(node, "POST", "/v1/jobs", sub.doc.request);
  check("job queued while the enclave is stopped", posted.status === 202, posted.text);
  const evidence = get("/v1/enclave/evidence?nonce=" + "11".repeat(32), "127.0.0.3", 60000);
  await sleep(200);
  await controlPlane("enclave stopped, a job queued", false);
  check("metrics: the stopped enclave is down", /^cloister_enclave_up 0$/m.test(controlPlane.metrics), controlPlane.metrics);
  const queued = await api(node, "GET", `/v1/jobs/${sub.doc.request.job_id}`);
  check("job status answers while the enclave is stopped", queued.status === 200 && queued.doc?.state === "accepted", queued.text);
  process.kill(pid, "SIGCONT");
  const ev = await evidence;
  check("the waiting evidence call completes after SIGCONT", ev.status === 200, ev);
  let ready = null;
  for (let i = 0; i < 100; i++) { ready = await get("/readyz"); if (ready.status === 200) break; await sleep(50); }
  check("ready again after SIGCONT", ready.status === 200, ready);
  let done = null;
  for (let i = 0; i < 200; i++) {
    done = await api(node, "GET", `/v1/jobs/${sub.doc.request.job_id}`);
    if (done.doc?.state === "done") break;
    await sleep(50);
  }
  check("the queued job is done after SIGCONT", done.doc?.state === "done", done.text);
}

// ---- 3. a frozen enclave with nothing to do is not ready
{
  const pid = enclavePid(node);
  process.kill(pid, "SIGSTOP");
  await sleep(100);
  await controlPlane("idle enclave stopped", false);
  const r = await get("/readyz");
  check("readyz names why", /stopped/.test(r.body), r.body);
  process.kill(pid, "SIGCONT");
  let ready = null;
  for (let i = 0; i < 100; i++) { ready = await get("/readyz"); if (ready.status === 200) break; await sleep(50); }
  check("ready again", ready.status === 200, ready);
  const m = await get("/metrics");
  check("metrics: heartbeat gauges", /^cloister_enclave_silent_seconds \d/m.test(m.body) && /^cloister_enclave_busy_seconds /m.test(m.body), m.body);
}

await stop(node);
cleanup(dir);
console.log(`control plane: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
