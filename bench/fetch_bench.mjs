// fetch_bench.mjs — `make bench`, fetch part (issue 20): one HTTPS fetch by
// the enclave (clo_bench_fetch: a real cloister-enclave process, the host
// carrying the bytes over a real socket, FETCH_BEGIN/PUMP/END of a one-source
// oracle-https job) against `openssl s_client` making the same handshake and
// request to the same server (examples/price-sources, node's https module,
// TLS 1.3, P-256), a process per fetch as the issue names it, and against
// `openssl s_time -new`, which makes the new handshakes and requests in one
// process (no process start: the closer floor). All figures are wall time per
// fetch, sequential, in the same run; the ratios are enclave / peer (goal:
// <= 1.3 against s_client).
// Usage: node fetch_bench.mjs BUILD_DIR [N]
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const build = process.argv[2] || "build";
const N = Number(process.argv[3] || 200);
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cloister-fetch-bench-"));
const srv = spawn(process.execPath, [join(here, "../examples/price-sources/serve.mjs"), dir], { stdio: ["ignore", "ignore", "inherit"] });
try {
  for (let t = 0; t < 200 && !existsSync(join(dir, "ready.json")); t++) await new Promise((r) => setTimeout(r, 50));
  const ready = JSON.parse(readFileSync(join(dir, "ready.json"), "utf8"));
  const src = JSON.parse(readFileSync(join(dir, "sources.json"), "utf8")).sources[0];
  const host = new URL(src.url).hostname, path = new URL(src.url).pathname + new URL(src.url).search;
  const port = Number(ready.connect[0].split(":").pop());
  const ca = join(dir, "ca.pem");

  // the peer: s_client, one process per fetch, as a shell script would use it
  const req = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAccept: application/json\r\nConnection: close\r\n\r\n`;
  const peer = [];
  for (let i = -3; i < N; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", host, "-CAfile", ca,
                                    "-verify_return_error", "-verify_hostname", host, "-quiet", "-ign_eof"], { input: req });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0 || !r.stdout.toString().includes("\"amount\"")) throw new Error("s_client: " + r.stderr);
    if (i >= 0) peer.push(ms);
  }
  peer.sort((a, b) => a - b);
  // the floor: s_time, new connections with a GET each, for 10 s in one process
  const t0 = process.hrtime.bigint();
  const st = spawnSync("openssl", ["s_time", "-connect", `127.0.0.1:${port}`, "-new", "-time", "10", "-www", path,
                                   "-CAfile", ca, "-verify", "2"], { encoding: "utf8" });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const conns = Number((st.stdout.match(/(\d+) connections in \d+ real seconds/) || [])[1]);
  if (st.status !== 0 || !conns) throw new Error("s_time: " + st.stdout + st.stderr);
  const floor = wall / conns;
  const ours = spawnSync(join(build, "bin/clo_bench_fetch"), [host, String(port), path, src.json_path, ca, String(N)], { encoding: "utf8" });
  if (ours.status !== 0) throw new Error("clo_bench_fetch: " + ours.stderr);
  const e = JSON.parse(ours.stdout);
  const p50 = peer[Math.floor(N / 2)], mean = peer.reduce((a, b) => a + b, 0) / N;
  console.log(`fetch (HTTPS, TLS 1.3 P-256, one request), ${N} sequential, p50 / mean ms:`);
  console.log(`  enclave (FETCH_BEGIN..END, real process and socket)  ${e.p50_ms.toFixed(2)} / ${e.mean_ms.toFixed(2)}`);
  console.log(`  openssl s_client (a process per fetch)                ${p50.toFixed(2)} / ${mean.toFixed(2)}`);
  console.log(`  openssl s_time -new (one process, mean)               ${floor.toFixed(2)}`);
  console.log(`  ratio enclave / s_client (p50)                        ${(e.p50_ms / p50).toFixed(2)}`);
  console.log(`  ratio enclave / s_time (mean)                         ${(e.mean_ms / floor).toFixed(2)}`);
} finally {
  srv.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
