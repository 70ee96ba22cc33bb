// browser_test.mjs — the auction dApp (examples/auction-web) in a real
// browser: Debian's Chromium, headless, driven by playwright-core, against the
// local stack (anvil, the contracts, a node whose enclave the committee
// registered). The page is bundled with esbuild from its source, the built
// @cloister/client and viem. It creates an auction, two bidders seal their bids
// in the page and bid, bidding closes, the enclave settles: the page shows the
// winner, each bidder opens its own result, and another's does not open. Every
// request the page made is kept: no bid's plaintext, and no amount in a
// bid's envelope-carrying transaction, ever left it. The price-feed view shows
// the round an oracle job made. A screenshot is saved on every run.
// Usage: node browser_test.mjs /path/to/cloister /path/to/built/package OUT_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as S from '../chain/stack.mjs';
import { oracleRound, viemOn } from './flows.mjs';

const [bin, pkg, outDir] = process.argv.slice(2);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'package.json'));
const esbuild = require('esbuild');
const { chromium } = require('playwright-core');
const C = await import(path.join(pkg, 'dist/index.js'));
let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('FAIL', what); } else console.log('ok  ', what);
}
const CHROMIUM = process.env.CLO_CHROMIUM ?? '/usr/bin/chromium';

// The page, bundled from its source.
const site = path.join(outDir, 'auction-web');
mkdirSync(site, { recursive: true });
await esbuild.build({ entryPoints: [path.join(root, 'examples/auction-web/app.js')], bundle: true, format: 'esm', platform: 'browser',
  target: 'es2022', outfile: path.join(site, 'app.js'), alias: { '@cloister/client': path.join(pkg, 'dist/index.js') },
  nodePaths: [path.join(root, 'node_modules')], logLevel: 'error' });
writeFileSync(path.join(site, 'index.html'), readFileSync(path.join(root, 'examples/auction-web/index.html')));
console.log(`     bundle: ${(readFileSync(path.join(site, 'app.js')).length / 1024).toFixed(0)} KB`);

const s = await S.startStack(bin);
let server = null, browser = null;
try {
  await S.startNode(s);
  await S.allowAndRegister(s);
  const v = viemOn(s);
  const o = await oracleRound(C, s, v); // a round for the feed view
  const keys = { seller: C.hex(C.bytes(s.key('deployer'))), bidders: [] };
  const { generatePrivateKey, privateKeyToAccount } = await import('viem/accounts');
  for (let i = 0; i < 2; i++) {
    const k = generatePrivateKey();
    keys.bidders.push(k);
    await v.publicClient.request({ method: 'anvil_setBalance', params: [privateKeyToAccount(k).address, '0x' + (10n ** 21n).toString(16)] });
  }
  const bidderAddr = keys.bidders.map((k) => privateKeyToAccount(k).address);
  const config = { chainId: s.dep.chain_id, rpc: s.dep.rpc, market: s.dep.contracts.JobMarket.address,
    registry: s.dep.contracts.EnclaveRegistry.address, auction: s.dep.contracts.SealedBidAuction.address,
    feed: s.dep.contracts.PriceFeed.address, keys };
  server = http.createServer((req, res) => {
    const f = { '/': 'index.html', '/index.html': 'index.html', '/app.js': 'app.js' }[req.url.split('?')[0]];
    if (req.url === '/config.json') return res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(config));
    if (!f) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': f.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(readFileSync(path.join(site, f)));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const sent = []; // every request body the page sent
  page.on('request', (r) => sent.push({ url: r.url(), body: r.postData() ?? '' }));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-loaded="1"]', { timeout: 30000 });
  check(/auction enclave 0x[0-9a-fA-F]{40}/.test(await page.textContent('#enclave')), "the page reads the auction enclave's record from the registry");

  await page.click('#create');
  await page.waitForSelector('#auction-status[data-ready="1"]', { timeout: 30000 });
  for (const i of [0, 1]) {
    await page.click(`[data-bidder="${i}"] .bid`);
    await page.waitForSelector(`[data-bidder="${i}"] .bid-status[data-done="1"]`, { timeout: 30000 });
  }
  const placed = await v.publicClient.getContractEvents({ address: config.auction, abi: C.sealedBidAuctionAbi, eventName: 'BidPlaced', fromBlock: 0n });
  check(placed.length === 2 && placed.every((e, i) => e.args.bidder.toLowerCase() === bidderAddr[i].toLowerCase()),
    'two bids sealed in the page are on chain, one from each bidder');
  await page.click('#close');
  await page.waitForSelector('#winner', { timeout: 90000 });
  const winner = await page.getAttribute('#winner', 'data-winner');
  check(winner?.toLowerCase() === bidderAddr[1].toLowerCase() && /pays 500/.test(await page.textContent('#winner')),
    `the page shows the winner: bidder B at the second price (${await page.textContent('#winner')})`);
  for (const i of [0, 1]) {
    await page.click(`[data-bidder="${i}"] .open`);
    await page.click(`[data-bidder="${i}"] .peek`);
  }
  const ra = await page.textContent('[data-bidder="0"] .result'), rb = await page.textContent('[data-bidder="1"] .result');
  check(/did not win/.test(ra) && /You won: you pay 500/.test(rb), 'each bidder opens its own result in the page');
  check((await page.$$('.sealed')).length === 2 && (await page.$$('.peeked')).length === 0, "... and neither opens the other's");

  // What left the page: JSON-RPC bodies only; no bid plaintext in any of them.
  const plain = bidderAddr.map((a, i) => C.hex(C.auctionBid(a, [500n, 700n][i])).slice(2));
  const leaked = sent.filter((r) => plain.some((p) => r.body.toLowerCase().includes(p)));
  check(sent.length > 10 && leaked.length === 0, `none of the page's ${sent.length} requests carries a bid's plaintext`);
  const bidTxs = sent.filter((r) => r.body.includes('eth_sendRawTransaction')).length;
  check(bidTxs >= 3, `... its transactions (${bidTxs}) carry the sealed envelopes`);

  await page.click('#tab-feed');
  await page.waitForSelector('#rounds tr.round', { timeout: 30000 });
  const answer = await page.textContent('#rounds tr.round .answer');
  check(Number(answer) === Number(o.out.value) / 1e8, `the price-feed view lists the oracle round (${answer})`);
  await page.click('#tab-auction');
  const shot = path.join(outDir, 'auction-web.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`     screenshot: ${shot}`);
  check(errors.length === 0 && (await page.getAttribute('body', 'data-error')) === null, `no error in the page${errors.length ? ': ' + errors[0] : ''}`);
} catch (err) {
  failures++;
  console.error('FAIL', err.stack ?? err);
} finally {
  if (browser) await browser.close();
  if (server) server.close();
  await S.stopStack(s);
}
console.log(failures ? `${failures} failure(s)` : 'all checks passed');
process.exit(failures ? 1 : 0);
