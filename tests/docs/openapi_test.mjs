// openapi_test.mjs — docs/api.yaml is true:
//  1. it is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator,
//     pinned in package-lock.json);
//  2. every problem code and HTTP status the server's source can return
//     (src/host/api.c, src/host/submit.c) is in the spec;
//  3. every operation in the spec, driven against a real `cloister node run`,
//     answers with a status the spec lists for it, the content type it names,
//     and a body that validates against its schema (problem documents
//     included, so their codes are in the enum).
// Usage: node openapi_test.mjs /path/to/cloister
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, cli, makeNode, sleep, start, stop, tempDir } from '../host/nodeutil.mjs';

const bin = process.argv[2];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'package.json'));
const { Validator } = require('@seriousme/openapi-schema-validator');
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020').default;

let failures = 0;
const check = (ok, what, detail = '') => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok || !detail ? '' : '\n     ' + detail}`);
  if (!ok) failures++;
};

const specPath = process.env.CLO_API_SPEC ?? path.join(root, 'docs/api.yaml');
const text = readFileSync(specPath, 'utf8');

// 1. A valid OpenAPI 3.1 document.
const v = await new Validator().validate(text);
check(v.valid, 'docs/api.yaml is valid OpenAPI 3.1', JSON.stringify(v.errors ?? '').slice(0, 2000));
const spec = YAML.parse(text);
const codes = new Set(spec.components.schemas.Problem.properties.code.enum);
const statuses = new Set();
for (const p of Object.values(spec.paths)) for (const op of Object.values(p)) for (const s of Object.keys(op.responses ?? {})) statuses.add(+s);

// 2. What the source can return is documented.
const src = ['src/host/api.c', 'src/host/submit.c'].map((f) => readFileSync(path.join(root, f), 'utf8')).join('\n');
const found = new Map();
for (const m of src.matchAll(/\b([1-5]\d\d), "([a-z][a-z0-9-]+)"/g)) found.set(m[2], +m[1]);
for (const m of src.matchAll(/return "((?:envelope|input)-[a-z-]+)";/g)) if (!found.has(m[1])) found.set(m[1], 400);
check(found.size >= 30, `the source's problem codes were found (${found.size})`);
const undocCodes = [...found.keys()].filter((c) => !codes.has(c));
check(!undocCodes.length, 'every problem code the server returns is in Problem.code', undocCodes.join(', '));
const undocStatus = [...new Set(found.values())].filter((s) => !statuses.has(s) && s !== 405 && s !== 404);
check(!undocStatus.length, 'every status the server returns is documented', undocStatus.join(', '));

// 3. Every route answers as described.
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(spec, 'api.json');
const ptr = (...parts) => parts.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
function conforms(pathKey, method, status, r) {
  const op = spec.paths[pathKey]?.[method.toLowerCase()];
  if (!op) return `${method} ${pathKey} is not in the spec`;
  let resp = op.responses[String(status)], where = ptr('paths', pathKey, method.toLowerCase(), 'responses', status);
  if (!resp) return `${method} ${pathKey} answered ${status}, which the spec does not list`;
  if (resp.$ref) { where = resp.$ref.slice(2); resp = spec.components.responses[resp.$ref.split('/').pop()]; }
  if (!resp.content) return null;
  const type = (r.type ?? '').split(';')[0].trim();
  if (!resp.content[type]) return `${method} ${pathKey} ${status}: content type ${type}, the spec says ${Object.keys(resp.content)}`;
  if (!resp.content[type].schema) return null;
  const validate = ajv.compile({ $ref: `api.json#/${where}/${ptr('content', type, 'schema')}` });
  const body = type.endsWith('json') ? JSON.parse(r.text) : r.text;
  return validate(body) ? null : `${method} ${pathKey} ${status}: ${ajv.errorsText(validate.errors)} in ${r.text.slice(0, 300)}`;
}
const seen = new Map(); // "METHOD path" -> statuses exercised
async function call(pathKey, method, url, body, headers, expect) {
  const r = await api(node, method, url, body, headers);
  const err = conforms(pathKey, method, r.status, r);
  const key = `${method} ${pathKey}`;
  seen.set(key, [...(seen.get(key) ?? []), r.status]);
  check(!err && (expect === undefined || r.status === expect),
    `${method} ${url.length > 60 ? url.slice(0, 57) + '...' : url} -> ${r.status}${expect !== undefined && r.status !== expect ? ` (expected ${expect})` : ''}`, err ?? r.text.slice(0, 300));
  return r;
}

const dir = tempDir('openapi');
const node = await makeNode(bin, dir);
{ // the verifier-enclave role on, so its routes answer
  const c = JSON.parse(readFileSync(node.cfgPath, 'utf8'));
  writeFileSync(node.cfgPath, JSON.stringify({ ...c, api: { snp_verifier: true, key_sharing: true } }));
}
try {
  await start(node);
  const J = { 'Content-Type': 'application/json' }, T = { 'Content-Type': 'text/plain' };
  const keys = (await call('/v1/enclave/keys', 'GET', '/v1/enclave/keys', undefined, {}, 200)).doc;
  await call('/v1/enclave/evidence', 'GET', '/v1/enclave/evidence?nonce=' + 'ab'.repeat(32), undefined, {}, 200);
  await call('/v1/enclave/evidence', 'GET', '/v1/enclave/evidence', undefined, {}, 400);
  await call('/v1/enclave/evidence', 'GET', '/v1/enclave/evidence?nonce=zz', undefined, {}, 400);

  const A = '/v1/attest/snp/approve';
  const ch = (await call('/v1/attest/snp/challenge', 'POST', '/v1/attest/snp/challenge', {}, J, 200)).doc;
  const areq = { operator: '0x' + '11'.repeat(20), signer: '0x' + '22'.repeat(20), hpke_public_key: '0x' + '33'.repeat(32),
    epoch: 1, nonce: ch?.nonce, expiry: 4000000000, report: '0x' + '00'.repeat(1184), vcek: '0x3000' };
  await call(A, 'POST', A, areq, J, 422);
  await call(A, 'POST', A, { ...areq, report: '00' }, J, 400);
  await call(A, 'POST', A, JSON.stringify(areq), T, 415);

  const K = '/v1/keys/share';
  const kch = (await call('/v1/keys/challenge', 'POST', '/v1/keys/challenge', {}, J, 200)).doc;
  const kreq = { nonce: kch?.nonce, transport_public_key: '0x' + '44'.repeat(32), signer: '0x' + '00'.repeat(20), format: 1, evidence: '0x' + '00'.repeat(64), vcek: '0x' };
  await call(K, 'POST', K, kreq, J, 422);
  await call(K, 'POST', K, { ...kreq, nonce: '00' }, J, 400);
  await call(K, 'POST', K, JSON.stringify(kreq), T, 415);

  await call('/v1/models', 'POST', '/v1/models', { config: '0x010003' }, J, 201);
  await call('/v1/models', 'POST', '/v1/models', { config: 'xyz' }, J, 400);
  await call('/v1/models', 'POST', '/v1/models', JSON.stringify({ config: '010003' }), T, 415);

  const sid = '0x' + '11'.repeat(32);
  await call('/v1/secrets', 'POST', '/v1/secrets', { id: sid, epoch: keys.current, envelope: '0x' + '00'.repeat(80) }, J, 422);
  await call('/v1/secrets', 'POST', '/v1/secrets', { id: sid }, J, 400);
  await call('/v1/secrets', 'POST', '/v1/secrets', { id: sid, epoch: 999, envelope: '0x' + '00'.repeat(80) }, J);
  await call('/v1/secrets', 'POST', '/v1/secrets', JSON.stringify({ id: sid, epoch: 1, envelope: '00' }), T, 415);
  // A stream header (docs/formats.md §1.6): version 1, kind 4, X25519/SHA-256/AES-256-GCM,
  // epoch, enc (here the X25519 base point), u64 size, u32 chunk size.
  const hdr = (epoch, size, chunk, enc = '09' + '00'.repeat(31)) =>
    '0104002000010002' + epoch.toString(16).padStart(8, '0') + enc + size.toString(16).padStart(16, '0') + chunk.toString(16).padStart(8, '0');
  const S = '/v1/secrets/streams', C = '/v1/secrets/streams/{stream}/{index}', O = { 'Content-Type': 'application/octet-stream' };
  const st = await call(S, 'POST', S, { id: sid, header: hdr(keys.current, 10000, 4096) }, J, 201);
  await call(S, 'POST', S, { id: sid, header: '00' }, J, 400);
  await call(S, 'POST', S, { id: sid, header: hdr(999, 10000, 4096) }, J, 409);
  await call(S, 'POST', S, { id: sid, header: hdr(keys.current, 10000, 100) }, J, 413);
  await call(S, 'POST', S, { id: sid, header: hdr(keys.current, 10000, 4096, '00'.repeat(32)) }, J, 422);
  await call(S, 'POST', S, JSON.stringify({ id: sid, header: '00' }), T, 415);
  const h = st.doc?.stream?.slice(2);
  await call(C, 'PUT', `${S}/${h}/1`, 'x'.repeat(4112), O, 409);
  await call(C, 'PUT', `${S}/${h}/0`, 'x'.repeat(4112), T, 415);
  await call(C, 'PUT', `${S}/${h}/0`, 'x', O, 400);
  await call(C, 'PUT', `${S}/${h}/0`, 'x'.repeat(4112), O, 422);
  await call(C, 'PUT', `${S}/${h}/0`, 'x'.repeat(4112), O, 409);
  await call(C, 'PUT', `${S}/${'00'.repeat(16)}/0`, 'x'.repeat(4112), O, 409);

  const sealed = cli(bin, 'job', 'submit', '--trust-node', '--node', node.url, '--workload', 'vote', '--config', '010003',
    '--inputs', '01' + '33'.repeat(20) + '0001', '--print-request', '--keys-out', path.join(dir, 'k.json'));
  check(sealed.rc === 0, 'a request sealed with the CLI');
  const req = sealed.doc.request;
  await call('/v1/jobs', 'POST', '/v1/jobs', req, J, 202);
  await call('/v1/jobs', 'POST', '/v1/jobs', req, J, 200);
  await call('/v1/jobs', 'POST', '/v1/jobs', { ...req, workload: 'nope' }, J, 400);
  await call('/v1/jobs', 'POST', '/v1/jobs', JSON.stringify(req), T, 415);
  await call('/v1/jobs', 'POST', '/v1/jobs', { ...req, epoch: 77 }, J, 400);
  await call('/v1/jobs', 'POST', '/v1/jobs', { ...req, config: '0x00' }, J, 422);
  const id = req.job_id;
  for (let t = 0; t < 100 && (await api(node, 'GET', `/v1/jobs/${id}`)).doc?.state === 'accepted'; t++) await sleep(50);
  await call('/v1/jobs/{id}', 'GET', `/v1/jobs/${id}`, undefined, {}, 200);
  await call('/v1/jobs/{id}', 'GET', '/v1/jobs/nothex', undefined, {}, 400);
  await call('/v1/jobs/{id}', 'GET', '/v1/jobs/0x' + '77'.repeat(32), undefined, {}, 404);
  await call('/v1/jobs/{id}/result', 'GET', `/v1/jobs/${id}/result`, undefined, {}, 200);
  await call('/v1/jobs/{id}/result', 'GET', '/v1/jobs/0x' + '77'.repeat(32) + '/result', undefined, {}, 404);
  await call('/healthz', 'GET', '/healthz', undefined, {}, 200);
  await call('/readyz', 'GET', '/readyz', undefined, {}, 200);
  await call('/metrics', 'GET', '/metrics', undefined, {}, 200);

  // Generic answers described in info: 405 for an unlisted method, 404 for an unknown path.
  for (const [m, u] of [['DELETE', '/v1/jobs'], ['GET', '/v1/models'], ['PUT', '/v1/enclave/keys']]) {
    const r = await api(node, m, u);
    check(r.status === 405 && codes.has(r.doc?.code), `${m} ${u} -> 405 method-not-allowed`, r.text);
  }
  const nf = await api(node, 'GET', '/v2/nothing');
  check(nf.status === 404 && nf.doc?.code === 'not-found', 'an unknown path -> 404 not-found', nf.text);

  // Every operation of the spec was driven.
  const ops = Object.entries(spec.paths).flatMap(([p, o]) => Object.keys(o).map((m) => `${m.toUpperCase()} ${p}`));
  const missed = ops.filter((o) => !seen.has(o));
  check(!missed.length, `all ${ops.length} operations in the spec were exercised`, missed.join(', '));
} catch (e) {
  check(false, 'unexpected error', e.stack);
} finally {
  await stop(node);
  if (!process.env.CLO_KEEP) (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
}
console.log(failures ? `openapi: ${failures} failures` : 'openapi: all passed');
process.exit(failures ? 1 : 0);
