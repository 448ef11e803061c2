// The Node side of FuzzNodeResponse (Go): reads inputs framed as a 4-byte
// big-endian length and the bytes, feeds each to a fresh Connection as one
// piece, byte by byte and in pieces of 7 bytes, and answers one line per
// input: "same <outcome>" when the three outcomes agree, "diff ..." when
// they do not. An exception that escapes the parser kills the process.
'use strict';

const { Connection, newExchange } = require('./index.cjs');

function outcome(data, step) {
  const conn = new Connection('127.0.0.1', 1);
  const sock = { destroy() {}, unref() {}, ref() {} };
  conn.socket = sock;
  let result = 'pending';
  conn.exchange = newExchange(
    (r) => { result = `ok ${r.status} ${JSON.stringify(r.headers)} ${r.body.toString('hex')}`; },
    (e) => { result = `error ${e.message}`; },
  );
  for (let i = 0; i < data.length && result === 'pending'; i += step) conn.received(sock, data.subarray(i, i + step));
  return result;
}

let buf = Buffer.alloc(0);
process.stdin.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
    const n = buf.readUInt32BE(0);
    const data = buf.subarray(4, 4 + n);
    buf = buf.subarray(4 + n);
    const whole = outcome(data, Math.max(data.length, 1));
    const bytes = outcome(data, 1);
    const sevens = outcome(data, 7);
    const line = whole === bytes && bytes === sevens ? `same ${whole}` : `diff whole=${whole} bytes=${bytes} sevens=${sevens}`;
    process.stdout.write(line.replace(/\n/g, ' ') + '\n');
  }
});
