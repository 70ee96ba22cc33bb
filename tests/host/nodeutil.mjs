// nodeutil.mjs — start and stop a real `cloister node run` for the host tests:
// its own temporary directory, a free port on 127.0.0.1, JSON-lines log file.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, openSync, closeSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";

export async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

export function tempDir(tag) { return mkdtempSync(join(tmpdir(), `cloister-${tag}-`)); }

export async function makeNode(bin, dir, extra = {}) {
  const port = await freePort();
  const cfg = {
    listen: { port }, data_dir: join(dir, "data"),
    enclave: { sim_dir: join(dir, "sim"), ...(extra.enclave || {}) },
    chain: { job_market: "0x" + "ab".repeat(20), registry: "0x" + "cd".repeat(20) },
    limits: { timeout_seconds: 10, ...(extra.limits || {}) },
  };
  const cfgPath = join(dir, "node.json");
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const node = { bin, dir, port, cfgPath, url: `http://127.0.0.1:${port}`, log: join(dir, "node.log"), proc: null };
  return node;
}

export async function start(node, env = {}) {
  const fd = openSync(node.log, "a");
  node.proc = spawn(node.bin, ["node", "run", "--config", node.cfgPath],
                    { stdio: ["ignore", "pipe", fd], env: { ...process.env, ...env } });
  closeSync(fd);
  node.exited = new Promise((resolve) => node.proc.on("exit", (code, sig) => resolve({ code, sig })));
  const t0 = Date.now();
  while (Date.now() - t0 < 20000) {
    try {
      const r = await fetch(node.url + "/readyz");
      if (r.status === 200) return;
    } catch { /* not up yet */ }
    if (node.proc.exitCode !== null || node.proc.signalCode !== null) throw new Error("node exited during start: " + readFileSync(node.log, "utf8").slice(-2000));
    await sleep(20);
  }
  throw new Error("node did not become ready");
}

export async function stop(node, sig = "SIGTERM") {
  if (!node.proc) return null;
  node.proc.kill(sig);
  const r = await node.exited;
  node.proc = null;
  return r;
}

export function enclavePid(node) {
  const r = spawnSync("pgrep", ["-P", String(node.proc.pid), "-f", "cloister-enclave"], { encoding: "utf8" });
  const pid = parseInt(r.stdout.trim().split("\n")[0], 10);
  return Number.isFinite(pid) ? pid : 0;
}

export function cli(bin, ...args) {
  const r = spawnSync(bin, args, { encoding: "utf8" });
  let doc = null;
  try { doc = JSON.parse(r.stdout); } catch { /* not JSON */ }
  return { rc: r.status, out: r.stdout, err: r.stderr, doc };
}

export async function api(node, method, path, body, headers = {}) {
  const opts = { method, headers: { ...headers } };
  if (body !== undefined) {
    opts.body = typeof body === "string" ? body : JSON.stringify(body);
    if (!("Content-Type" in opts.headers)) opts.headers["Content-Type"] = "application/json";
  }
  let r;
  try {
    r = await fetch(node.url + path, opts);
  } catch (e) {
    // A GET on a kept-alive connection the node closed as idle at that moment
    // (its limits.timeout_seconds): retried once on a new one, as browsers do.
    if (method !== "GET" || e.cause?.code !== "UND_ERR_SOCKET") throw e;
    r = await fetch(node.url + path, opts);
  }
  const text = await r.text();
  let doc = null;
  try { doc = JSON.parse(text); } catch { /* metrics are text */ }
  return { status: r.status, text, doc, type: r.headers.get("content-type") };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export function cleanup(dir) { rmSync(dir, { recursive: true, force: true }); }

export function addr(b) { return "0x" + b.toString(16).padStart(2, "0").repeat(20); }

// The port a server wrote to pf, once written (a loaded machine starts it slowly).
export async function portFile(pf) {
  for (let t = 0; t < 500; t++) {
    const port = existsSync(pf) ? readFileSync(pf, "utf8").trim() : "";
    if (port) return port;
    await sleep(20);
  }
  throw new Error(`${pf}: the server did not start`);
}
