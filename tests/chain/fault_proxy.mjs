// fault_proxy.mjs — a loopback JSON-RPC proxy that misbehaves on purpose,
// between a node and anvil: it drops requests (connection closed, nothing
// forwarded), forwards and then loses the reply (the call happened, its
// answer never comes back: the nastiest case for eth_sendRawTransaction),
// delays, answers HTTP 500, and answers malformed JSON. Faults are drawn from
// a seeded generator so a run can be replayed.
import http from 'node:http';

export async function startFaultProxy(target, { rate = 0.2, seed = 7, maxDelayMs = 1500 } = {}) {
  let x = seed;
  const rnd = () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
  const counts = { forwarded: 0, drop: 0, lost_reply: 0, delay: 0, http500: 0, malformed: 0 };
  const forward = (body) => fetch(target, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })
    .then((r) => r.text());
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString();
      const r = rnd();
      const kind = r >= rate ? 'none' : ['drop', 'lost_reply', 'delay', 'http500', 'malformed'][Math.floor((r / rate) * 5)];
      try {
        if (kind === 'drop') { counts.drop++; req.socket.destroy(); return; }
        if (kind === 'http500') { counts.http500++; res.writeHead(500); res.end('busy'); return; }
        if (kind === 'delay') { counts.delay++; await new Promise((ok) => setTimeout(ok, rnd() * maxDelayMs)); }
        const reply = await forward(body);
        counts.forwarded++;
        if (kind === 'lost_reply') { counts.lost_reply++; req.socket.destroy(); return; }
        if (kind === 'malformed') { counts.malformed++; res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(reply.slice(0, reply.length >> 1)); return; }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(reply);
      } catch { req.socket.destroy(); }
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}`, counts, close: () => server.close() };
}
