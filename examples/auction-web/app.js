// app.js — the auction dApp, written only against @cloister/client and viem.
// Bids are sealed here, in the page, to the auction enclave's key read from
// the registry; only the envelopes leave it. Each bidder keeps its reply
// secret in this page's memory and opens only its own result.
// config.json (served next to the page) names the chain and the contracts,
// and, on a devnet, the keys of the seller and the two bidders.
import { createPublicClient, createWalletClient, defineChain, formatUnits, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { AuctionRule, createCloisterClient, decodeAuctionPrivate, decodeAuctionPublic, openReply } from '@cloister/client';

const $ = (s, el = document) => el.querySelector(s);
const log = (m) => { $('#log').textContent += `${new Date().toISOString().slice(11, 19)} ${m}\n`; };
window.addEventListener('unhandledrejection', (e) => {
  log('error: ' + (e.reason?.shortMessage ?? e.reason?.message ?? e.reason));
  document.body.dataset.error = '1';
});
const cfg = await (await fetch('config.json')).json();
const chain = defineChain({ id: cfg.chainId, name: 'devnet', nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [cfg.rpc] } } });
const publicClient = createPublicClient({ chain, transport: http(cfg.rpc), pollingInterval: 200 });
const clientFor = (key) => createCloisterClient({ publicClient, market: cfg.market, registry: cfg.registry,
  walletClient: createWalletClient({ chain, account: privateKeyToAccount(key), transport: http(cfg.rpc) }) });
const seller = clientFor(cfg.keys.seller);
const bidders = cfg.keys.bidders.map((k) => ({ account: privateKeyToAccount(k), client: clientFor(k), secret: null }));
let auction = null, result = null;

// Two bidders, one panel each (their own key, amount and reply secret).
const names = ['A', 'B'], amounts = [500, 700];
for (const [i, b] of bidders.entries()) {
  const el = $('#bidder').content.firstElementChild.cloneNode(true);
  el.dataset.bidder = String(i);
  $('.name', el).textContent = `Bidder ${names[i]}`;
  $('.addr', el).textContent = b.account.address;
  $('input', el).value = String(amounts[i]);
  $('.peek', el).textContent = `Open ${names[1 - i]}'s result with my key`;
  $('#bidders').append(el);
}

try {
  const e = await seller.getEnclave('auction');
  $('#enclave').textContent = `auction enclave ${e.signer} (epoch ${e.epoch}, from the registry)`;
} catch (err) {
  $('#enclave').textContent = 'no auction enclave: ' + err.message;
}

$('#create').onclick = async () => {
  $('#auction-status').textContent = 'creating…';
  auction = await seller.createAuction({ auction: cfg.auction, rule: AuctionRule.secondPrice, reserve: 100n, biddingSeconds: 600,
    settleSeconds: 3600, bidDeposit: 10n ** 18n, fee: 1000n });
  $('#auction-status').textContent = `auction #${auction.id}, job ${auction.jobId.slice(0, 18)}…`;
  $('#auction-status').dataset.ready = '1';
  log(`auction ${auction.id} created`);
};

document.querySelectorAll('.bidder').forEach((el) => {
  const i = Number(el.dataset.bidder), b = bidders[i];
  $('.bid', el).onclick = async () => {
    const amount = BigInt($('input', el).value);
    $('.bid-status', el).textContent = 'sealing in the browser…';
    const r = await b.client.bid({ auction: cfg.auction, id: auction.id, amount });
    b.secret = r.replySecret;
    $('.bid-status', el).textContent = `sealed bid on chain (tx ${r.hash.slice(0, 14)}…); the amount never left this page`;
    $('.bid-status', el).dataset.done = '1';
    log(`bidder ${'AB'[i]} bid (sealed)`);
  };
  $('.open', el).onclick = () => {
    const mine = decodeAuctionPrivate(openReply(result.privateOutputs[i], b.secret, auction.jobId));
    $('.result', el).innerHTML = mine.won ? `<span class="ok">You won: you pay ${mine.price}</span>` : '<span class="bad">You did not win</span>';
  };
  $('.peek', el).onclick = () => {
    try {
      openReply(result.privateOutputs[1 - i], b.secret, auction.jobId);
      $('.result', el).innerHTML += '<br><span class="bad peeked">opened the other bid (must not happen)</span>';
    } catch {
      $('.result', el).innerHTML += '<br><span class="ok sealed">the other bidder\'s result does not open with my key</span>';
    }
  };
});

$('#close').onclick = async () => {
  // devnet only: move the chain's clock past the bidding window
  await publicClient.request({ method: 'evm_increaseTime', params: [601] });
  await publicClient.request({ method: 'evm_mine', params: [] });
  await seller.submitAuction({ auction: cfg.auction, id: auction.id });
  $('#outcome').textContent = 'submitted; waiting for the enclave\'s settlement…';
  result = await seller.waitForResult(auction.jobId, { timeoutMs: 90000 });
  const p = decodeAuctionPublic(result.publicOutput);
  $('#outcome').innerHTML = p.sold
    ? `<span class="ok" id="winner" data-winner="${p.winner}">Winner ${p.winner} pays ${p.price}</span> (${p.bids} bids; settled by enclave ${result.signer})`
    : '<span class="bad" id="winner" data-winner="">Unsold</span>';
  log(`settled in tx ${result.transactionHash}`);
};

async function loadFeed() {
  const feedAbi = (await import('@cloister/client')).priceFeedAbi;
  $('#feed-desc').textContent = await publicClient.readContract({ address: cfg.feed, abi: feedAbi, functionName: 'description' });
  const decimals = await publicClient.readContract({ address: cfg.feed, abi: feedAbi, functionName: 'decimals' });
  const latest = await publicClient.readContract({ address: cfg.feed, abi: feedAbi, functionName: 'latestRound' });
  const rows = [];
  for (let r = latest; r >= 1n && rows.length < 20; r--) {
    const [id, answer, startedAt, updatedAt] = await publicClient.readContract({ address: cfg.feed, abi: feedAbi, functionName: 'getRoundData', args: [r] });
    rows.push(`<tr class="round"><td>${id}</td><td class="answer">${formatUnits(answer, decimals)}</td>`
      + `<td>${new Date(Number(startedAt) * 1000).toISOString()}</td><td>${new Date(Number(updatedAt) * 1000).toISOString()}</td></tr>`);
  }
  $('#rounds').innerHTML = rows.join('') || '<tr><td colspan="4" class="muted">no rounds yet</td></tr>';
}
$('#refresh').onclick = loadFeed;
$('#tab-auction').onclick = () => { $('#view-auction').hidden = false; $('#view-feed').hidden = true; $('#tab-auction').className = 'on'; $('#tab-feed').className = ''; };
$('#tab-feed').onclick = async () => { $('#view-auction').hidden = true; $('#view-feed').hidden = false; $('#tab-feed').className = 'on'; $('#tab-auction').className = ''; await loadFeed(); };
document.body.dataset.loaded = '1';
