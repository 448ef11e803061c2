// Randomised tests of the Node client's Runtime API connection (its HTTP
// response parser above all), run by TestNodeConnection in Go:
//
//   node connection_test.js <iterations> <seed>
//
// A loopback server answers each request with a response built at random
// (Content-Length or chunked with extensions and trailers, keep-alive or
// Connection: close), written in random pieces; the client must read back
// exactly what was sent. Random bytes instead of a response must settle the
// request (an error, or whatever they parse as), never hang it or crash the
// process. Prints "ok <n>" on success; exits non-zero otherwise.
'use strict';

const net = require('node:net');
const assert = require('node:assert');
const { Connection } = require('./index.cjs');

const iterations = Number(process.argv[2] || 200);
let seed = Number(process.argv[3] || 1) >>> 0;

// rand returns an integer in [0, n) from a xorshift32 sequence.
function rand(n) {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed % n;
}

function randomBytes(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rand(256);
  return b;
}

// build returns a response and what the client should make of it.
function build() {
  const status = [200, 202, 400, 403, 500][rand(5)];
  const body = randomBytes(rand(4) === 0 ? 0 : rand(3000));
  const headers = { 'lambda-runtime-aws-request-id': `id-${rand(1e6)}`, 'x-padding': 'p'.repeat(rand(200)) };
  const close = rand(4) === 0;
  let head = `HTTP/1.1 ${status} Whatever\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    const name = rand(2) ? k.toUpperCase() : k;
    head += `${name}:${rand(2) ? ' ' : ''}${v}${rand(2) ? ' ' : ''}\r\n`;
  }
  if (close) head += 'Connection: close\r\n';
  let payload;
  if (rand(2)) {
    head += `Content-Length: ${body.length}\r\n\r\n`;
    payload = Buffer.concat([Buffer.from(head, 'latin1'), body]);
  } else {
    head += 'Transfer-Encoding: chunked\r\n\r\n';
    const parts = [Buffer.from(head, 'latin1')];
    for (let i = 0; i < body.length;) {
      const n = Math.min(body.length - i, 1 + rand(700));
      const ext = rand(3) === 0 ? ';name=value' : '';
      parts.push(Buffer.from(`${n.toString(16)}${ext}\r\n`, 'latin1'), body.subarray(i, i + n), Buffer.from('\r\n'));
      i += n;
    }
    parts.push(Buffer.from(`0\r\n${rand(2) ? 'Trailer-A: x\r\n' : ''}\r\n`, 'latin1'));
    payload = Buffer.concat(parts);
  }
  if (close) headers.connection = 'close';
  return { payload, status, body, headers, close };
}

// pieces splits b at random points.
function pieces(b) {
  const out = [];
  for (let i = 0; i < b.length;) {
    const n = Math.min(b.length - i, 1 + rand(rand(2) ? 16 : 2000));
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

const pause = () => new Promise((resolve) => setImmediate(resolve));

// The server answers each request (one at a time, as the client sends them)
// with the next planned action.
const plan = [];
let connections = 0;
const server = net.createServer((sock) => {
  connections++;
  let buf = Buffer.alloc(0);
  sock.on('error', () => {});
  sock.on('data', async (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/content-length: (\d+)/i.exec(buf.toString('latin1', 0, end))[1]);
      if (buf.length < end + 4 + len) return;
      buf = buf.subarray(end + 4 + len);
      const step = plan.shift();
      if (!step || step.kind === 'close-idle') {
        sock.destroy(); // as a server does with an idle keep-alive connection
        return;
      }
      for (const p of pieces(step.payload)) {
        if (sock.destroyed) return;
        sock.write(p);
        if (rand(3) === 0) await pause();
      }
      if (step.kind === 'garbage' || step.close) sock.end();
    }
  });
});

function withTimeout(p, what) {
  let timer;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in 5 s`)), 5000);
    }),
  ]);
}

async function run() {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const conn = new Connection('127.0.0.1', server.address().port);
  for (let i = 0; i < iterations; i++) {
    const kind = ['response', 'response', 'response', 'garbage', 'idle'][rand(5)];
    const body = rand(2) ? randomBytes(rand(100)) : undefined;
    if (kind === 'idle') {
      // The server drops the connection between requests: the next
      // request goes out again on a new one.
      plan.push({ kind: 'close-idle' });
      const r = build();
      plan.push({ kind: 'response', ...r });
      const before = connections;
      const got = await withTimeout(conn.request('POST', '/x', body, {}), `idle ${i}`).catch((e) => e);
      if (got instanceof Error && plan.length) {
        plan.length = 0; // the drop came on a fresh connection: nothing to retry
        continue;
      }
      assert.ok(!(got instanceof Error), `idle ${i}: ${got}`);
      assert.strictEqual(got.status, r.status);
      assert.ok(connections > before);
      continue;
    }
    if (kind === 'garbage') {
      plan.push({ kind, payload: randomBytes(rand(500)) });
      await withTimeout(conn.request('GET', '/g', body, {}).catch(() => null), `garbage ${i}`);
      plan.length = 0;
      continue;
    }
    const r = build();
    plan.push({ kind, ...r });
    const got = await withTimeout(conn.request('GET', '/r', body, { 'X-Test': String(i) }), `response ${i}`);
    assert.strictEqual(got.status, r.status, `response ${i}`);
    assert.ok(Buffer.compare(got.body, r.body) === 0, `response ${i}: body differs`);
    for (const [k, v] of Object.entries(r.headers)) assert.strictEqual(got.headers[k], v, `response ${i}: header ${k}`);
  }
  server.close();
  process.stdout.write(`ok ${iterations}\n`);
  process.exit(0); // the server side of the kept-alive connection holds the loop
}

run().catch((e) => {
  process.stderr.write(`${e && e.stack}\n`);
  process.exit(1);
});
