// doc_links.mjs — every pointer in the docs resolves inside the repository:
//  - a relative Markdown link names a file that exists, and its #anchor (if
//    any) a heading of that file (GitHub's slugs);
//  - "FILE.md §N" (in docs, README and source comments) names a file with a
//    heading numbered N; a bare "§N" in a Markdown file is a heading of that
//    file ("RFC 9180 §7.1" and the like are left alone);
//  - a backquoted repository path (`src/...`, `docs/...`, ...) exists.
// Usage: node doc_links.mjs [ROOT]   (default: the repository of this file)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../..'));
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root })
  .toString().split('\n').filter(Boolean)
  .filter((f) => !f.startsWith('tests/vectors/') && !f.startsWith('fuzz/corpus/') && existsSync(path.join(root, f)));

const problems = [];
const bad = (f, line, msg) => problems.push(`${f}:${line}: ${msg}`);

const headingCache = new Map();
function headings(rel) {
  if (headingCache.has(rel)) return headingCache.get(rel);
  let h = null;
  const abs = path.join(root, rel);
  if (existsSync(abs) && statSync(abs).isFile()) {
    h = [];
    let fence = false;
    for (const line of readFileSync(abs, 'utf8').split('\n')) {
      if (/^\s*```/.test(line)) fence = !fence;
      const m = !fence && /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
      if (m) h.push(m[2]);
    }
  }
  headingCache.set(rel, h);
  return h;
}
// GitHub: lower case, drop punctuation (keep letters, digits, '-', '_', space), spaces to '-'.
const slug = (t) => t.toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, '').replace(/ /g, '-');
const slugs = (rel) => {
  const seen = new Map();
  return (headings(rel) ?? []).map((t) => {
    const s = slug(t);
    const n = seen.get(s) ?? 0;
    seen.set(s, n + 1);
    return n ? `${s}-${n}` : s;
  });
};
const hasSection = (rel, num) =>
  (headings(rel) ?? []).some((t) => new RegExp(`^${num.replace(/\./g, '\\.')}(\\.|\\s)`).test(t));

// A file name as written in `from`: relative to it, to the root, or in docs/.
function resolveName(from, name) {
  for (const cand of [path.join(path.dirname(from), name), name, path.join('docs', name)]) {
    const n = path.normalize(cand);
    if (!n.startsWith('..') && existsSync(path.join(root, n))) return n;
  }
  return null;
}

// A path the tools make at run time (data/demo/, ...) is git-ignored, not missing.
const ignored = (p) => {
  try { execFileSync('git', ['check-ignore', '-q', '--no-index', p], { cwd: root }); return true; } catch { return false; }
};
const topDirs = ['src/', 'docs/', 'tests/', 'scripts/', 'contracts/', 'data/', 'bench/', 'fuzz/', '.ci/'];
const codeExt = /\.(c|h|sol|mjs|js|sh|txt|yaml|json)$|(^|\/)(CMakeLists\.txt|Makefile)$/;
let checked = 0;

for (const f of files) {
  const isMd = f.endsWith('.md');
  if (!isMd && !codeExt.test(f)) continue;
  if (f === 'package-lock.json' || f.endsWith('_cases.json')) continue;
  const text = readFileSync(path.join(root, f), 'utf8');
  let fence = false;
  text.split('\n').forEach((line, i) => {
    const ln = i + 1;
    if (isMd && /^\s*```/.test(line)) { fence = !fence; return; }
    // "X.md §N" anywhere (code comments included).
    for (const m of line.matchAll(/([\w./-]+\.md)`?\]?(?:\([^)\s]*\))?\s*§\s?(\d+(?:\.\d+)*)/g)) {
      checked++;
      const rel = resolveName(f, m[1]);
      if (!rel) bad(f, ln, `${m[1]} §${m[2]}: no such file`);
      else if (!hasSection(rel, m[2])) bad(f, ln, `${m[1]} §${m[2]}: ${rel} has no section ${m[2]}`);
    }
    if (!isMd || fence) return;
    // Bare "§N" in a Markdown file: this file's own section.
    for (const m of line.matchAll(/(^|[^\w.`\])])\s*§\s?(\d+(?:\.\d+)*)/g)) {
      const before = line.slice(0, m.index + m[1].length);
      if (/(RFC|EIP|FIPS|SP)[\s-]?\d+\s*$/.test(before) || /\.md`?\]?(\([^)]*\))?\s*$/.test(before)) continue;
      checked++;
      if (!hasSection(f, m[2])) bad(f, ln, `§${m[2]}: ${f} has no section ${m[2]}`);
    }
    // Relative Markdown links.
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (/^[a-z]+:/i.test(target)) continue;
      checked++;
      const [p, anchor] = target.split('#');
      const rel = p ? path.normalize(path.join(path.dirname(f), p)) : f;
      if (rel.startsWith('..') || !existsSync(path.join(root, rel))) { bad(f, ln, `link ${target}: no such file`); continue; }
      if (anchor !== undefined && rel.endsWith('.md') && !slugs(rel).includes(anchor))
        bad(f, ln, `link ${target}: ${rel} has no heading #${anchor}`);
    }
    // Backquoted repository paths.
    for (const m of line.matchAll(/`([^`\s]+)`/g)) {
      let p = m[1].replace(/[:,;.]$/, '');
      if (!topDirs.some((d) => p.startsWith(d)) || /[*{}<>$|]|\.\.\./.test(p)) continue;
      p = p.replace(/:\d+$/, '');
      checked++;
      if (!existsSync(path.join(root, p)) && !ignored(p)) bad(f, ln, `\`${m[1]}\`: no such path in the repository`);
    }
  });
}

for (const p of problems) console.log(p);
console.log(`doc links: ${checked} pointers checked, ${problems.length} broken`);
process.exit(problems.length ? 1 : 0);
