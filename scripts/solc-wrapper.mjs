#!/usr/bin/env node
// solc-wrapper.mjs — solc-js (npm `solc`, pinned in package-lock.json) behind
// the command line forge expects of a native solc, so forge works offline:
// `--version` answers with solc-js's version; `--standard-json` compiles the
// JSON on stdin. Every other flag forge adds (--allow-paths, --base-path, ...)
// is dropped: forge puts every source's content in the standard JSON already.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const solc = require(new URL('../node_modules/solc', import.meta.url).pathname);
const args = process.argv.slice(2);

if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
} else if (args.includes('--standard-json')) {
  const chunks = [];
  process.stdin.on('data', (c) => chunks.push(c));
  process.stdin.on('end', () => {
    process.stdout.write(solc.compile(Buffer.concat(chunks).toString('utf8')));
  });
} else {
  process.stderr.write('solc-wrapper: only --version and --standard-json are supported\n');
  process.exit(2);
}
