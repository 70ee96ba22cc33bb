// fetch_test.mjs — an oracle-https job on a real node (simulated TEE): the
// enclave fetches its sources over TLS itself while cloisterd only carries
// ciphertext (issue 20). Real HTTPS servers on 127.0.0.1 (node's https
// module, certificates made here with the openssl tool under a test CA):
//   honest:  feed-a (Content-Length, an API key header from a provisioned
//            secret), feed-b (chunked), feed-c (slow), feed-m (demands a client
//            certificate, provisioned as a sealed secret)
//   lying:   feed-d, feed-e (far from the others: named outliers)
//   refused: feed-f (demands a client certificate the enclave lacks),
//            feed-h (expired at the job's time), feed-i (a certificate for
//            another name), feed-s (trusting the compiled-in Debian roots,
//            which do not hold the test CA), feed-t and feed-x (valid servers
//            a config names with the API key secret, which names only feed-a's
//            hosts and pins feed-a's key: feed-t's host is not named, feed-x's
//            key not pinned; neither gets a request), and four through a
//            tampering relay:
//            feed-flip (one byte flipped), feed-cut (the response cut short),
//            feed-replay (an earlier recorded session played back),
//            feed-swap (another CA's certificate swapped in).
// Every request carries a private query from the job's sealed input.
// The median is the honest one, every refused source is named with its
// reason and gives no value, each used source's leaf key and body hash are in
// the output, and no request or response plaintext (price, private query,
// API key) reaches the node's log, its memory or the relayed bytes.
// Usage: node fetch_test.mjs /path/to/cloister
import { spawn, spawnSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { createServer as createHttps } from "node:https";
import { connect as tlsConnect } from "node:tls";
import { createServer as createTcp, connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { makeNode, start, stop, tempDir, api, cleanup, sleep } from "./nodeutil.mjs";

const bin = process.argv[2];
let passed = 0, failed = 0;
function check(name, cond, extra = "") {
  if (cond) passed++;
  else { failed++; console.log(`FAIL ${name} ${extra}`); }
}

const dir = tempDir("fetch");
const pki = join(dir, "pki");
mkdirSync(join(pki, "newcerts"), { recursive: true });
writeFileSync(join(pki, "index.txt"), "");
writeFileSync(join(pki, "serial"), "1000\n");
writeFileSync(join(pki, "ca.cnf"), `[ca]
default_ca = d
[d]
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./serial
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
`);

function sh(...args) {
  const r = spawnSync("openssl", args, { cwd: pki, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}
const stamp = (t) => new Date(t * 1000).toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
const now = Math.floor(Date.now() / 1000);
function mkca(name) {
  sh("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`,
     "-out", `${name}.pem`, "-days", "3650", "-subj", `/CN=${name}`,
     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
}
function mkleaf(name, ca, names, from = now - 86400, to = now + 30 * 86400) {
  sh("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`,
     "-out", `${name}.csr`, "-subj", `/CN=${names[0]}`);
  writeFileSync(join(pki, `${name}.ext`), `subjectAltName=${names.map((n) => "DNS:" + n).join(",")}
basicConstraints=critical,CA:FALSE
extendedKeyUsage=serverAuth,clientAuth
`);
  sh("ca", "-config", "ca.cnf", "-batch", "-notext", "-cert", `${ca}.pem`, "-keyfile", `${ca}.key`, "-in", `${name}.csr`,
     "-out", `${name}.pem`, "-startdate", stamp(from), "-enddate", stamp(to), "-extfile", `${name}.ext`);
  return { key: readFileSync(join(pki, `${name}.key`)), cert: readFileSync(join(pki, `${name}.pem`)) };
}
mkca("ca");
mkca("otherca");
const ca = readFileSync(join(pki, "ca.pem"));
const creds = {
  a: mkleaf("a", "ca", ["feed-a.test", "feed-flip.test", "feed-cut.test", "feed-replay.test", "feed-s.test"]),
  b: mkleaf("b", "ca", ["feed-b.test"]), c: mkleaf("c", "ca", ["feed-c.test"]),
  d: mkleaf("d", "ca", ["feed-d.test"]), e: mkleaf("e", "ca", ["feed-e.test"]),
  f: mkleaf("f", "ca", ["feed-f.test"]), m: mkleaf("m", "ca", ["feed-m.test"]),
  g: mkleaf("g", "otherca", ["feed-swap.test"]),
  t: mkleaf("t", "ca", ["feed-t.test"]), x: mkleaf("x", "ca", ["feed-x.test"]),
  h: mkleaf("h", "ca", ["feed-h.test"], now - 400 * 86400, now - 30 * 86400),
  i: mkleaf("i", "ca", ["elsewhere.test"]),
  client: mkleaf("client", "ca", ["enclave.client.test"]),
};
const spki = (pem) => createHash("sha256").update(new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" })).digest("hex");

// ---- the sources ----
const API_KEY = "sekret-" + createHash("sha256").update(String(now)).digest("hex").slice(0, 16);
const PATH_TOKEN = "pair=CLO-USD&token=q" + now; // a query that must stay private
const seen = []; // what the servers received, to check the enclave's requests
function serve(name, price, opts = {}) {
  const srv = createHttps({ key: creds[name].key, cert: creds[name].cert, ...(opts.tls || {}) }, (req, res) => {
    seen.push({ name, url: req.url, key: req.headers["x-api-key"], host: req.headers.host });
    if (opts.needsKey && req.headers["x-api-key"] !== API_KEY) { res.writeHead(401); res.end("{}"); return; }
    const body = opts.shape ? opts.shape(price) : JSON.stringify({ price: String(price) });
    if (opts.chunked) {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write(body.slice(0, 7));
      setTimeout(() => { res.write(body.slice(7, 12)); setTimeout(() => res.end(body.slice(12)), 100); }, 100);
    } else if (opts.slow) {
      setTimeout(() => { res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }); res.end(body); }, opts.slow);
    } else {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    }
  });
  return new Promise((resolve) => srv.listen(0, "127.0.0.1", () => resolve({ srv, port: srv.address().port })));
}
const needClient = { requestCert: true, rejectUnauthorized: true, ca };
const S = {
  a: await serve("a", "2000.50", { needsKey: true }),
  b: await serve("b", "2000.25", { chunked: true, shape: (p) => JSON.stringify({ data: { price: Number(p) } }) }),
  c: await serve("c", "2000.75", { slow: 1500 }),
  d: await serve("d", "2500"),
  e: await serve("e", "10"),
  f: await serve("f", "2000.10", { tls: needClient }),
  m: await serve("m", "2000.40", { tls: needClient }),
  g: await serve("g", "2000.60"),
  t: await serve("t", "2000.60"),
  x: await serve("x", "2000.60"),
  h: await serve("h", "2000.60"),
  i: await serve("i", "2000.60"),
};

// ---- the tampering relay, in front of feed-a ----
const relayed = []; // every byte it carried, both ways
let recorded = null;  // the server's side of one honest session, for replay
function relay(mode) {
  const srv = createTcp((down) => {
    if (mode === "replay" && recorded) { // play the old session back, whatever the client says
      down.once("data", (d) => { relayed.push(d); down.end(recorded); });
      down.on("error", () => {});
      return;
    }
    const up = tcpConnect(mode === "swap" ? S.g.port : S.a.port, "127.0.0.1");
    let fromClient = 0, sent = 0, held = [];
    const record = [];
    down.on("data", (d) => { relayed.push(d); fromClient++; up.write(d); });
    up.on("data", (d) => {
      relayed.push(d);
      record.push(d);
      if (mode === "flip" && sent < 200 && sent + d.length > 100) { d = Buffer.from(d); d[100 - sent] ^= 0x40; }
      if (mode === "cut" && fromClient >= 2) { held.push(d); return; }
      sent += d.length;
      down.write(d);
    });
    up.on("end", () => {
      if (mode === "cut") { const all = Buffer.concat(held); down.end(all.subarray(0, Math.max(0, all.length - 40))); }
      else down.end();
      if (mode === "replay" && !recorded) recorded = Buffer.concat(record);
    });
    for (const s of [up, down]) s.on("error", () => { up.destroy(); down.destroy(); });
  });
  return new Promise((resolve) => srv.listen(0, "127.0.0.1", () => resolve({ srv, port: srv.address().port })));
}
const R = { flip: await relay("flip"), cut: await relay("cut"), replay: await relay("replay"), swap: await relay("swap") };
// One honest session through the replay relay, recorded there.
await new Promise((resolve, reject) => {
  const s = tlsConnect({ host: "127.0.0.1", port: R.replay.port, servername: "feed-replay.test", ca }, () => {
    s.write(`GET /price HTTP/1.1\r\nHost: feed-replay.test\r\nX-Api-Key: ${API_KEY}\r\nConnection: close\r\n\r\n`);
  });
  s.on("data", () => {});
  s.on("end", resolve);
  s.on("error", reject);
});
for (let t = 0; !recorded && t < 100; t++) await sleep(20);
check("the replay relay recorded an honest session", recorded && recorded.length > 500);

// ---- the node ----
const node = await makeNode(bin, dir);
const connect = [
  ...Object.entries(S).map(([k, v]) => `feed-${k}.test:443=127.0.0.1:${v.port}`),
  ...Object.entries(R).map(([k, v]) => `feed-${k}.test:443=127.0.0.1:${v.port}`),
  `feed-s.test:443=127.0.0.1:${S.a.port}`,
];
const cfg = JSON.parse(readFileSync(node.cfgPath, "utf8"));
cfg.fetch = { timeout_ms: 15000, connect };
writeFileSync(node.cfgPath, JSON.stringify(cfg));
await start(node);
const N = ["--node", node.url];

// Every readable private mapping of a process, concatenated (as a core dump holds it).
function nodeMemory(pid) {
  const maps = readFileSync(`/proc/${pid}/maps`, "utf8").trim().split("\n");
  const fd = openSync(`/proc/${pid}/mem`, "r");
  const parts = [];
  for (const line of maps) {
    const [range, perms, , , , path = ""] = line.split(/\s+/);
    if (!perms.startsWith("r") || path.startsWith("/usr") || path.startsWith("/lib") || path === "[vvar]") continue;
    const [lo, hi] = range.split("-").map((h) => parseInt(h, 16));
    if (hi - lo > 512 << 20) continue;
    const buf = Buffer.alloc(hi - lo);
    try { readSync(fd, buf, 0, buf.length, lo); parts.push(buf); } catch { /* a guard page */ }
  }
  closeSync(fd);
  return Buffer.concat(parts);
}

function clia(...args) { // async: the servers answer in this process meanwhile
  return new Promise((resolve) => {
    const p = spawn(bin, args);
    let out = "", err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("exit", (rc) => { let doc = null; try { doc = JSON.parse(out); } catch { /* not JSON */ } resolve({ rc, out, err, doc }); });
  });
}

try {
  const keys = (await api(node, "GET", "/v1/enclave/keys")).doc;
  const dep = join(dir, "deployment.json");
  writeFileSync(dep, JSON.stringify({ chain_id: keys.chain_id, contracts: {
    EnclaveRegistry: { address: "0x" + "cd".repeat(20) }, JobMarket: { address: keys.job_market } } }));
  // The sources' credentials, sealed to the attested enclave.
  const headersFile = join(dir, "api-key.txt"), clientFile = join(dir, "client.pem");
  // The API key's secret names where it may go: feed-a's names, feed-a's key.
  writeFileSync(headersFile, `Cloister-For: feed-a.test feed-flip.test feed-cut.test feed-replay.test feed-x.test ` +
                             `sha256:${spki(creds.a.cert)}\r\nX-Api-Key: ${API_KEY}\r\n`);
  writeFileSync(clientFile, Buffer.concat([creds.client.cert, creds.client.key]));
  const ids = {};
  for (const [k, f] of [["headers", headersFile], ["client", clientFile]]) {
    const p = await clia("model", "provision", "--no-registry", "--model", f, ...N, "--deployment", dep, "--sim-dir", join(dir, "sim"));
    check(`provision the ${k} secret`, p.rc === 0, p.out + p.err);
    ids[k] = createHash("sha256").update(readFileSync(f)).digest("hex");
    check(`... under its SHA-256`, p.doc?.model_id === "0x" + ids[k], p.out);
  }

  const caFile = join(pki, "ca.pem");
  const src = (k, extra = {}) => ({ url: `https://feed-${k}.test/price`, private_query: `?${PATH_TOKEN}`, json_path: "$.price",
                                    decimals: 8, trust: "ca", ...extra });
  const order = ["a", "b", "c", "m", "d", "e", "f", "t", "h", "i", "flip", "cut", "replay", "x", "s", "swap"];
  const sources = order.map((k) =>
    k === "a" ? src(k, { headers_secret: ids.headers }) :
    k === "b" ? src(k, { json_path: "$.data.price" }) :
    k === "m" ? src(k, { client_secret: ids.client }) :
    k === "c" ? src(k, { trust: "pins", pins: [spki(creds.c.cert)] }) :
    ["flip", "cut", "replay", "t", "x"].includes(k) ? src(k, { headers_secret: ids.headers }) :
    k === "s" ? src(k, { trust: "system" }) : src(k));
  const sourcesFile = join(dir, "sources.json");
  writeFileSync(sourcesFile, JSON.stringify({ min_sources: 3, max_deviation_bps: 500, max_age_seconds: 300, ca_files: [caFile], sources }));

  const t0 = Date.now();
  const sub = await clia("job", "submit", "--trust-node", ...N, "--workload", "oracle-https", "--sources", sourcesFile);
  check("submit the oracle-https job", sub.rc === 0 && sub.doc?.job_id, sub.out + sub.err);
  const id = sub.doc?.job_id;
  let st = null;
  for (let t = 0; t < 200; t++) {
    st = await api(node, "GET", `/v1/jobs/${id}`);
    if (st.doc?.state === "done" || st.doc?.state === "failed") break;
    await sleep(100);
  }
  const secs = (Date.now() - t0) / 1000;
  check("the job is done", st.doc?.state === "done", JSON.stringify(st.doc));
  const res = await clia("job", "result", ...N, "--id", id);
  const pub = res.doc?.verified?.public;
  check("job result decodes the public output", pub && Array.isArray(pub.sources), res.out + res.err);
  if (process.env.DEBUG) console.log(res.out);
  const by = Object.fromEntries(order.map((k, i) => [k, pub?.sources?.[i]]));
  // 2000.25, 2000.40, 2000.50, 2000.75 agree; 2500 and 10 are outliers.
  check("the median is the honest sources'", pub?.value === 200045000000, JSON.stringify(pub));
  check("four used, two outliers, ten failed", pub?.used === 4 && pub?.outliers === 2 && pub?.failed === 10, JSON.stringify(pub));
  for (const k of ["a", "b", "c", "m"]) check(`${k} used`, by[k]?.outcome === "used", JSON.stringify(by[k]));
  for (const k of ["d", "e"]) check(`${k} named an outlier`, by[k]?.outcome === "outlier", JSON.stringify(by[k]));
  const want = { f: "tls-auth", t: "no-secret", h: "tls-stale", i: "tls-auth", flip: "tls-auth", replay: "tls-auth", x: "no-secret",
                 s: "tls-auth", swap: "tls-auth" };
  for (const [k, w] of Object.entries(want)) check(`${k} refused: ${w}`, by[k]?.outcome === w && by[k]?.value === 0, JSON.stringify(by[k]));
  check("cut refused, no value", ["not-fetched", "tls-auth"].includes(by.cut?.outcome) && by.cut?.value === 0, JSON.stringify(by.cut));
  check("values read at each path", by.a?.value === 200050000000 && by.b?.value === 200025000000 && by.m?.value === 200040000000, JSON.stringify([by.a, by.b, by.m]));
  for (const k of ["a", "b", "c", "m"]) {
    check(`${k}: its leaf key in the output`, by[k]?.spki_sha256 === "0x" + spki(creds[k].cert), JSON.stringify(by[k]));
    check(`${k}: TLS 1.3, 200, a Date near now`, by[k]?.tls === "1.3" && by[k]?.http_status === 200 && Math.abs(by[k]?.date - now) < 120);
    check(`${k}: the chain's window`, by[k]?.cert_until === new Date(new X509Certificate(creds[k].cert).validTo).getTime() / 1000);
  }
  const bodyA = JSON.stringify({ price: "2000.50" });
  check("a: the body's hash", by.a?.body_sha256 === "0x" + createHash("sha256").update(bodyA).digest("hex"));
  check("the path and private query hashed, not shown", by.a?.path_sha256 === "0x" + createHash("sha256").update(`/price?${PATH_TOKEN}`).digest("hex") &&
        !res.out.includes(PATH_TOKEN));
  check("the window is the used chains' intersection", pub?.valid_from >= now - 86400 - 5 && pub?.valid_until <= now + 30 * 86400 + 5 && pub?.valid_from < pub?.valid_until);
  check("as_of is the latest used Date", Math.abs(pub?.as_of - now) < 120);
  check("the slow source waited for, the whole fetch within the timeout", secs < 15, `${secs}s`);
  // What the servers got: the enclave's own requests, the key only where configured.
  const fromEnclave = seen.filter((s) => s.url === `/price?${PATH_TOKEN}`);
  check("the servers got the enclave's requests", fromEnclave.some((s) => s.name === "a" && s.key === API_KEY && s.host === "feed-a.test") &&
        fromEnclave.some((s) => s.name === "m") && fromEnclave.every((s) => s.name === "a" || s.key === undefined), JSON.stringify(seen));
  check("the client certificate was shown only to feed-m's demand", !fromEnclave.some((s) => s.name === "f"));
  check("the servers the API key's secret does not name, or whose key it does not pin, got no request",
        !seen.some((s) => s.name === "t" || s.name === "x"), JSON.stringify(seen));
  // Nothing in the clear outside the enclave: the node's log, its memory (every
  // readable mapping of the running cloisterd, enclave excluded), the wire.
  const log = readFileSync(node.log, "utf8");
  const mem = nodeMemory(node.proc.pid);
  check("the node's memory was read", mem.length > 1 << 20, `${mem.length} bytes`);
  // a control: what the node does hold, the job's id (in its journal and API answers)
  check("the scan sees what the node holds", mem.includes(Buffer.from(id.slice(2))));
  for (const secret of [API_KEY, PATH_TOKEN, '"price":"2000.50"', '"price":"2500"']) {
    check(`not in the node's memory: ${secret.slice(0, 14)}`, !mem.includes(Buffer.from(secret)));
  }
  const wire = Buffer.concat(relayed).toString("latin1");
  for (const secret of [API_KEY, PATH_TOKEN, "2000.50", "2500"]) {
    check(`not in the node's log: ${secret.slice(0, 12)}`, !log.includes(secret));
    check(`not on the relayed wire: ${secret.slice(0, 12)}`, !wire.includes(secret));
  }
  console.log(`fetch: ${secs.toFixed(2)} s for 16 sources`);
} finally {
  await stop(node);
  for (const s of [...Object.values(S), ...Object.values(R)]) s.srv.close();
  if (failed === 0) cleanup(dir);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
