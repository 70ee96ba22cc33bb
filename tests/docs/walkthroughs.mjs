// walkthroughs.mjs — the README's command blocks are tests: every ```sh block
// (except one preceded by "<!-- walkthrough: skip (reason) -->") is run
// literally, in order, in one bash session, from an empty directory with the
// build tree linked in as build/. A placeholder "<job id>" is replaced by the
// value of the key job_id in the newest JSON document an earlier command
// printed. A command ending in "&" runs on and must print one JSON document
// once it serves; every other command must exit 0, and a `$B` (cloister)
// command must print exactly one JSON document.
// Usage: node walkthroughs.mjs BUILD_DIR [README]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const build = path.resolve(process.argv[2] ?? 'build');
const readme = path.resolve(process.argv[3] ?? path.join(here, '../../README.md'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the blocks ----
function blocks(text) {
  const out = [];
  const lines = text.split('\n');
  let skip = null, cur = null;
  lines.forEach((line, i) => {
    if (cur) {
      if (/^```\s*$/.test(line)) { out.push(cur); cur = null; } else cur.lines.push({ text: line, no: i + 1 });
      return;
    }
    const m = /^<!--\s*walkthrough:\s*skip\s*(.*?)\s*-->/.exec(line);
    if (m) { skip = m[1] || 'no reason'; return; }
    if (/^```(sh|bash|console)\s*$/.test(line)) { cur = { start: i + 1, lines: [], skip }; skip = null; return; }
    if (line.trim()) skip = null; // a marker applies to the next block only
  });
  return out;
}

// Commands: "\" continues a line; a comment starts at " #" (outside quotes).
function commands(block) {
  const cmds = [];
  let acc = '', first = 0;
  for (const { text, no } of block.lines) {
    if (!acc) first = no;
    let t = stripComment(text);
    const cont = /\\\s*$/.test(t);
    if (cont) t = t.replace(/\\\s*$/, '');
    acc += (acc ? ' ' : '') + t.trim();
    if (!cont) { if (acc.trim()) cmds.push({ cmd: acc.trim(), line: first }); acc = ''; }
  }
  return cmds;
}
function stripComment(s) {
  let q = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) { if (c === q) q = null; continue; }
    if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]))) return s.slice(0, i);
  }
  return s;
}

// The newest JSON document holding key (searched breadth-first).
function lookup(docs, key) {
  for (let i = docs.length - 1; i >= 0; i--) {
    const queue = [docs[i]];
    while (queue.length) {
      const o = queue.shift();
      if (o && typeof o === 'object') {
        if (!Array.isArray(o) && key in o && typeof o[key] !== 'object') return String(o[key]);
        queue.push(...Object.values(o));
      }
    }
  }
  return null;
}

// First complete JSON document in text (null if none yet).
function firstJson(text) {
  const t = text.trim();
  if (!t) return null;
  try { return JSON.parse(t); } catch { /* maybe more than one, or incomplete */ }
  for (let end = t.indexOf('}\n'); end >= 0; end = t.indexOf('}\n', end + 1)) {
    try { return JSON.parse(t.slice(0, end + 1)); } catch { /* keep looking */ }
  }
  return null;
}

// ---- one bash session ----
const work = mkdtempSync(path.join(tmpdir(), 'cloister-walk-'));
const io = path.join(work, '.io');
symlinkSync(build, path.join(work, 'build'));
const sh = spawn('bash', ['--norc', '--noprofile'], { cwd: work, stdio: ['pipe', 'ignore', 'inherit'] });
sh.stdin.write(`mkdir -p '${io}'\n`);
let n = 0;
async function run(cmd, bg) {
  const k = ++n, o = path.join(io, `${k}.out`), e = path.join(io, `${k}.err`), rc = path.join(io, `${k}.rc`);
  if (bg) sh.stdin.write(`${cmd.replace(/&\s*$/, '')} > '${o}' 2> '${e}' &\necho $! > '${rc}.pid'; echo 0 > '${rc}'\n`);
  else sh.stdin.write(`{ ${cmd}\n} > '${o}' 2> '${e}'; echo $? > '${rc}'\n`);
  const t0 = Date.now();
  while (!existsSync(rc) || !readFileSync(rc, 'utf8').endsWith('\n')) {
    if (Date.now() - t0 > 180000) return { code: -1, out: '', err: 'timed out' };
    await sleep(20);
  }
  if (!bg) return { code: +readFileSync(rc, 'utf8'), out: readFileSync(o, 'utf8'), err: readFileSync(e, 'utf8') };
  // Background: wait for its ready document (or its death).
  const pid = +readFileSync(`${rc}.pid`, 'utf8');
  for (;;) {
    const out = existsSync(o) ? readFileSync(o, 'utf8') : '';
    const doc = firstJson(out);
    if (doc) return { code: 0, out, err: '', doc };
    let alive = true;
    try { process.kill(pid, 0); } catch { alive = false; }
    if (!alive || Date.now() - t0 > 60000)
      return { code: alive ? -1 : 1, out, err: (existsSync(e) ? readFileSync(e, 'utf8') : '') + (alive ? '\n(no ready document in 60 s)' : '\n(exited)') };
    await sleep(50);
  }
}

let failures = 0, ran = 0, skipped = 0;
const docs = [];
try {
  const all = blocks(readFileSync(readme, 'utf8'));
  for (const b of all) {
    if (b.skip) { skipped++; console.log(`skip README.md:${b.start}: ${b.skip}`); continue; }
    for (const { cmd, line } of commands(b)) {
      let missing = null;
      const filled = cmd.replace(/<([a-z][a-z ]*)>/g, (m, words) => {
        const v = lookup(docs, words.trim().replace(/ +/g, '_'));
        if (v === null) missing = m;
        return v ?? m;
      });
      if (missing) { console.log(`FAIL README.md:${line}: no earlier JSON has ${missing}`); failures++; continue; }
      const bg = /&\s*$/.test(filled);
      const r = await run(filled, bg);
      ran++;
      let ok = r.code === 0, why = `exit ${r.code}`;
      let doc = r.doc ?? null;
      if (ok && !bg && /^\$B\b/.test(filled)) {
        try { doc = JSON.parse(r.out); } catch { ok = false; why = 'stdout is not one JSON document'; }
      }
      if (doc) docs.push(doc);
      console.log(`${ok ? 'ok  ' : 'FAIL'} README.md:${line}: ${cmd.length > 110 ? cmd.slice(0, 107) + '...' : cmd}`);
      if (!ok) {
        failures++;
        console.log(`     ${why}\n     stdout: ${r.out.slice(-1500)}\n     stderr: ${r.err.slice(-1500)}`);
      }
    }
  }
  if (ran < 10) { console.log(`FAIL only ${ran} commands ran: the README lost its walkthroughs?`); failures++; }
} finally {
  sh.stdin.write('kill $(jobs -p) 2>/dev/null; wait; build/bin/cloister devnet down >/dev/null 2>&1; exit\n');
  await new Promise((r) => sh.on('exit', r));
  if (!process.env.CLO_KEEP) rmSync(work, { recursive: true, force: true });
  else console.log('kept', work);
}
console.log(`walkthroughs: ${ran} commands run, ${skipped} blocks skipped, ${failures} failures`);
process.exit(failures ? 1 : 0);
