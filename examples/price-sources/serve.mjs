// serve.mjs — three HTTPS price APIs on 127.0.0.1 for `cloister demo` (issue
// 20): the "outside world" an oracle-https job fetches from inside the
// enclave. Each has its own key and certificate under a CA made here with the
// openssl tool, and its own JSON shape, like the exchange APIs they stand in
// for (one answers with chunked encoding, one a little late):
//   prices-1.cloister.test  {"data":{"base":"CLO","currency":"USD","amount":"2.00"}}
//   prices-2.cloister.test  {"result":{"CLOUSD":{"c":["2.02","14.2"]}}}   (chunked)
//   prices-3.cloister.test  {"symbol":"CLOUSD","price":"1.99"}            (after 200 ms)
// It writes DIR/ca.pem, DIR/sources.json (for `cloister job submit --sources`)
// and, once listening, DIR/ready.json {"connect": [...]} (for the node's
// fetch.connect: the names are not in DNS), then serves until SIGTERM.
// Usage: node serve.mjs DIR
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import { createServer } from "node:https";
import { join, resolve } from "node:path";

const dir = resolve(process.argv[2] || ".");
const pki = join(dir, "pki");
mkdirSync(join(pki, "newcerts"), { recursive: true });
writeFileSync(join(pki, "index.txt"), "");
writeFileSync(join(pki, "serial"), "1000\n");
writeFileSync(join(pki, "ca.cnf"), "[ca]\ndefault_ca = d\n[d]\ndatabase = ./index.txt\nnew_certs_dir = ./newcerts\n" +
  "serial = ./serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n");
function openssl(...args) {
  const r = spawnSync("openssl", args, { cwd: pki, encoding: "utf8" });
  if (r.status !== 0) { console.error(`openssl ${args[0]}: ${r.stderr}`); process.exit(1); }
}
const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=Cloister demo price CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");

const shapes = [
  { path: "/v2/prices/CLO-USD/spot", json_path: "$.data.amount", body: (p) => ({ data: { base: "CLO", currency: "USD", amount: p } }) },
  { path: "/0/public/Ticker?pair=CLOUSD", json_path: "$.result.CLOUSD.c[0]", body: (p) => ({ error: [], result: { CLOUSD: { c: [p, "14.2"] } } }), chunked: true },
  { path: "/api/v3/ticker/price?symbol=CLOUSD", json_path: "$.price", body: (p) => ({ symbol: "CLOUSD", price: p }), late: 200 },
];
const prices = ["2.00", "2.02", "1.99"];
const connect = [], sources = [];
let listening = 0;
shapes.forEach((s, i) => {
  const host = `prices-${i + 1}.cloister.test`;
  openssl("req", ...ec, "-keyout", `${host}.key`, "-out", `${host}.csr`, "-subj", `/CN=${host}`);
  writeFileSync(join(pki, `${host}.ext`), `subjectAltName=DNS:${host}\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl("ca", "-config", "ca.cnf", "-batch", "-notext", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", `${host}.csr`,
          "-out", `${host}.pem`, "-days", "30", "-extfile", `${host}.ext`);
  const srv = createServer({ key: readFileSync(join(pki, `${host}.key`)), cert: readFileSync(join(pki, `${host}.pem`)) }, (req, res) => {
    if (req.url !== s.path) { res.writeHead(404, { "Content-Length": 2 }); res.end("{}"); return; }
    const body = JSON.stringify(s.body(prices[i]));
    const answer = () => {
      if (s.chunked) {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.write(body.slice(0, 10));
        res.end(body.slice(10));
      } else {
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
        res.end(body);
      }
    };
    if (s.late) setTimeout(answer, s.late); else answer();
  });
  srv.listen(0, "127.0.0.1", () => {
    connect[i] = `${host}:443=127.0.0.1:${srv.address().port}`;
    sources[i] = { url: `https://${host}${s.path}`, json_path: s.json_path, decimals: 8, trust: "ca" };
    if (++listening === shapes.length) {
      writeFileSync(join(dir, "ca.pem"), readFileSync(join(pki, "ca.pem")));
      writeFileSync(join(dir, "sources.json"), JSON.stringify({
        min_sources: 2, max_deviation_bps: 500, max_age_seconds: 300, ca_files: [join(dir, "ca.pem")], sources }, null, 2));
      writeFileSync(join(dir, "ready.json.tmp"), JSON.stringify({ connect }));
      renameSync(join(dir, "ready.json.tmp"), join(dir, "ready.json"));
    }
  });
});
process.on("SIGTERM", () => process.exit(0));
