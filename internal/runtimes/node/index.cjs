// lambdad's runtime interface client for Node.js.
//
// lambdad runs it as `node /var/runtime/node/index.cjs` in every environment
// of a nodejs*.x function. It speaks the Lambda Runtime API 2018-06-01 at
// $AWS_LAMBDA_RUNTIME_API over a keep-alive connection: it loads the handler
// named by $_HANDLER once (Init), then loops on GET /invocation/next and
// posts the handler's result or error, as AWS's own Node.js client does:
//
// - handler "path/file.export[.nested]": file.js, file.mjs or file.cjs under
//   $LAMBDA_TASK_ROOT; .mjs and "type": "module" packages load as ES
//   modules, the rest as CommonJS; /opt/nodejs/node_modules is on NODE_PATH;
// - async handlers (the promise settles the invocation) and callback
//   handlers (callback(err, result); with context.callbackWaitsForEmptyEventLoop
//   true, the default, the result is sent once the event loop is empty);
// - errors as {errorType, errorMessage, trace}; init failures go to
//   /runtime/init/error as Runtime.MalformedHandlerName,
//   Runtime.ImportModuleError, Runtime.UserCodeSyntaxError or
//   Runtime.HandlerNotFound and the process exits;
// - console output as "<ISO time>\t<request id>\t<LEVEL>\t<message>";
// - response streaming with awslambda.streamifyResponse and
//   awslambda.HttpResponseStream.from.
//
// It uses only Node's standard library. It is a CommonJS script, not an ES
// module, and loads handlers with require() where Node can (ES modules
// too, from Node 20.19 and 22.12): an ES module entry point or import()
// starts Node's ESM loader, which costs a cold start several milliseconds.

'use strict';

const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');

const RUNTIME_PATH = '/2018-06-01/runtime';
const [HOST, PORT] = splitAddress(process.env.AWS_LAMBDA_RUNTIME_API || '127.0.0.1:9001');

function splitAddress(a) {
  const i = a.lastIndexOf(':');
  return [a.slice(0, i).replace(/^\[(.*)\]$/, '$1'), Number(a.slice(i + 1))];
}

// MAX_HEAD bounds the status line and headers of one response.
const MAX_HEAD = 64 * 1024;

// Connection is one keep-alive HTTP/1.1 connection to the Runtime API,
// spoken by hand rather than with node:http, whose loading and first
// request cost every cold start several milliseconds; the Runtime API is a
// small, known server. Requests run one at a time, in order. The socket
// holds the event loop open only while a request is in flight, as an idle
// keep-alive socket of an http.Agent does not: an empty event loop is how
// the client knows a callback handler's work is done.
class Connection {
  constructor(host, port) {
    this.host = host;
    this.port = port;
    this.hostHeader = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.socket = null;
    this.buf = Buffer.alloc(0); // received, not yet parsed
    this.exchange = null; // the request in flight
    this.queue = Promise.resolve();
  }

  // request sends one request and resolves with {status, headers (names in
  // lower case), body (a Buffer)}. A reused connection that turns out to be
  // closed before any answer is re-opened once.
  request(method, p, body, headers) {
    const run = () => this.send(method, p, body, headers, true);
    const res = this.queue.then(run);
    this.queue = res.then(noop, noop);
    return res;
  }

  send(method, p, body, headers, retry) {
    const reused = this.socket !== null;
    if (!reused) this.connect();
    const len = body ? body.length : 0;
    let head = `${method} ${RUNTIME_PATH}${p} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nContent-Length: ${len}\r\n`;
    for (const k in headers) head += `${k}: ${headers[k]}\r\n`;
    head += '\r\n';
    const sent = new Promise((resolve, reject) => {
      this.exchange = newExchange(resolve, reject);
      this.socket.ref();
      this.socket.write(len ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1'));
    });
    return sent.catch((e) => {
      if (retry && reused && e.unanswered) return this.send(method, p, body, headers, false);
      throw e;
    });
  }

  connect() {
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    socket.on('data', (d) => this.received(socket, d));
    socket.on('error', (e) => this.closed(socket, e));
    socket.on('close', () => this.closed(socket, null));
    this.socket = socket;
    this.buf = Buffer.alloc(0);
  }

  // closed forgets socket and fails the request in flight on it.
  closed(socket, err) {
    if (this.socket !== socket) return;
    this.socket = null;
    socket.destroy();
    const x = this.exchange;
    if (!x) return;
    this.exchange = null;
    const e = err || new Error('runtime api: connection closed');
    e.unanswered = !x.answered;
    x.reject(e);
  }

  received(socket, data) {
    if (this.socket !== socket) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    const x = this.exchange;
    if (!x) return; // nothing asked: kept until a request is in flight
    x.answered = true;
    try {
      if (!this.parse(x)) return;
    } catch (e) {
      this.closed(socket, e);
      return;
    }
    this.exchange = null;
    const close = (x.headers.connection || '').toLowerCase() === 'close';
    if (close) {
      this.socket = null;
      socket.destroy();
    } else {
      socket.unref();
    }
    x.resolve({ status: x.status, headers: x.headers, body: x.body });
  }

  // parse consumes what it can of the response of x from buf and says
  // whether the response is complete.
  parse(x) {
    if (x.headers === null) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > MAX_HEAD) throw new Error('runtime api: response head too long');
        return false;
      }
      const lines = this.buf.toString('latin1', 0, end).split('\r\n');
      this.buf = this.buf.subarray(end + 4);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
      if (!m) throw new Error(`runtime api: bad status line ${JSON.stringify(lines[0])}`);
      x.status = Number(m[1]);
      x.headers = {};
      for (let i = 1; i < lines.length; i++) {
        const c = lines[i].indexOf(':');
        if (c > 0) x.headers[lines[i].slice(0, c).trim().toLowerCase()] = lines[i].slice(c + 1).trim();
      }
      if ((x.headers['transfer-encoding'] || '').toLowerCase().includes('chunked')) {
        x.chunks = [];
      } else {
        x.length = Number(x.headers['content-length'] || 0);
        if (!Number.isSafeInteger(x.length) || x.length < 0) throw new Error('runtime api: bad Content-Length');
      }
    }
    if (x.chunks === null) {
      if (this.buf.length < x.length) return false;
      x.body = this.buf.subarray(0, x.length);
      this.buf = this.buf.subarray(x.length);
      return true;
    }
    for (;;) {
      if (x.size < 0) {
        // A chunk-size line, or the trailer section after the last chunk.
        const e = this.buf.indexOf('\r\n');
        if (e < 0) return false;
        const line = this.buf.toString('latin1', 0, e);
        this.buf = this.buf.subarray(e + 2);
        if (x.size === -2) {
          if (line === '') {
            x.body = Buffer.concat(x.chunks);
            return true;
          }
          continue; // a trailer field
        }
        const size = parseInt(line.split(';')[0].trim(), 16);
        if (!(size >= 0)) throw new Error('runtime api: bad chunk size');
        x.size = size === 0 ? -2 : size;
        continue;
      }
      if (this.buf.length < x.size + 2) return false;
      x.chunks.push(this.buf.subarray(0, x.size));
      this.buf = this.buf.subarray(x.size + 2);
      x.size = -1;
    }
  }
}

// newExchange is the state of one request in flight: how to settle it, and
// how far parse got in its response.
function newExchange(resolve, reject) {
  return { resolve, reject, answered: false, status: 0, headers: null, length: -1, chunks: null, size: -1 };
}

function noop() {}

const runtimeAPI = new Connection(HOST, PORT);

function request(method, p, body, headers) {
  return runtimeAPI.request(method, p, body, headers);
}

function post(p, body, errorType) {
  const buf = Buffer.from(body, 'utf8');
  const headers = { 'Content-Type': 'application/json' };
  if (errorType) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
  return request('POST', p, buf, headers);
}

// Logging: console methods write AWS's text format to stdout (a pipe,
// written synchronously on Linux), newlines in a message turned into
// carriage returns so that one call is one line.
let currentRequestId = undefined;

function logLine(level, args) {
  const msg = util.format(...args);
  process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${msg}`.replace(/\n/g, '\r') + '\n');
}

// errorBody shapes a thrown value as AWS does: an Error by its name,
// message and stack; anything else by its type.
function toError(e) {
  if (e instanceof Error || (e && typeof e === 'object' && typeof e.stack === 'string' && 'message' in e)) {
    return {
      errorType: e.name || 'Error',
      errorMessage: String(e.message),
      trace: typeof e.stack === 'string' ? e.stack.split('\n') : [],
    };
  }
  let msg;
  try {
    msg = typeof e === 'string' ? e : JSON.stringify(e);
  } catch {
    msg = String(e);
  }
  return { errorType: typeof e, errorMessage: msg === undefined ? String(e) : msg, trace: [] };
}

// logError logs an error as AWS's client does: "Invoke Error \t{json}".
function logError(prefix, err) {
  logLine('ERROR', [`${prefix}\t${JSON.stringify({ errorType: err.errorType, errorMessage: err.errorMessage, stack: err.trace })}`]);
}

class UserCodeError extends Error {
  constructor(name, message, cause) {
    super(message);
    this.name = name;
    if (cause && typeof cause.stack === 'string') {
      this.stack = `${name}: ${message}\n` + cause.stack.split('\n').slice(1).join('\n');
    }
  }
}

// isModulePackage says whether the nearest package.json above dir, up to
// the task root, has "type": "module".
function isModulePackage(dir, root) {
  for (;;) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      return pkg.type === 'module';
    } catch {
      // no package.json here, or not JSON
    }
    if (dir === root || dir === path.dirname(dir)) return false;
    dir = path.dirname(dir);
  }
}

// requireESM says whether require() loads ES modules (Node 20.19, 22.12
// and later, unless --no-experimental-require-module).
const requireESM = process.features.require_module === true;

// importFile loads an ES module: with require() when Node can (the same
// module instance import() would give, without starting the ESM loader),
// with import() otherwise and for a module that uses top-level await, which
// require() refuses before running any of it.
async function importFile(file) {
  if (requireESM) {
    try {
      return require(file);
    } catch (e) {
      if (!e || (e.code !== 'ERR_REQUIRE_ASYNC_MODULE' && e.code !== 'ERR_REQUIRE_ESM')) throw e;
    }
  }
  return await import(require('node:url').pathToFileURL(file).href);
}

async function loadModule(root, name) {
  const base = path.resolve(root, name);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = base + ext;
    if (!fs.existsSync(file)) continue;
    if (ext === '.mjs' || (ext === '.js' && isModulePackage(path.dirname(file), root))) {
      return await importFile(file);
    }
    return require(file);
  }
  // No file: a module on the resolution path (node_modules, NODE_PATH).
  return require(name);
}

async function loadHandler() {
  const root = process.env.LAMBDA_TASK_ROOT || '/var/task';
  const full = process.env._HANDLER || '';
  const slash = full.lastIndexOf('/');
  const dot = full.indexOf('.', slash + 1);
  if (dot <= slash + 1 || dot === full.length - 1 || full.includes('..')) {
    throw new UserCodeError('Runtime.MalformedHandlerName', 'Bad handler');
  }
  const moduleName = full.slice(0, dot);
  const handlerPath = full.slice(dot + 1);
  let mod;
  try {
    mod = await loadModule(root, moduleName);
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new UserCodeError('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`, e);
    }
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw new UserCodeError('Runtime.ImportModuleError', `${e.name}: ${e.message}`, e);
    }
    throw e;
  }
  let fn = mod;
  for (const part of handlerPath.split('.')) {
    fn = fn == null ? undefined : fn[part];
    if (fn === undefined && mod && mod.default && mod !== mod.default && part === handlerPath.split('.')[0]) {
      fn = mod.default[part]; // a CommonJS module imported as ESM
    }
  }
  if (fn === undefined) {
    throw new UserCodeError('Runtime.HandlerNotFound', `${full} is undefined or not exported`);
  }
  if (typeof fn !== 'function') {
    throw new UserCodeError('Runtime.HandlerNotFound', `${full} is not a function`);
  }
  return fn;
}

// Response streaming: awslambda.streamifyResponse marks a handler that
// takes (event, responseStream, context); its answer is posted with
// Lambda-Runtime-Function-Response-Mode: streaming as it is written, and an
// error after the first byte travels in the HTTP trailers.
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HTTP_INTEGRATION = 'application/vnd.awslambda.http-integration-response';

const awslambda = {
  streamifyResponse(handler) {
    handler[STREAMING] = 'response';
    return handler;
  },
  HttpResponseStream: class HttpResponseStream {
    // from writes the HTTP prelude (status, headers, cookies) and the
    // 8-byte delimiter, as function URLs expect.
    static from(stream, prelude) {
      stream.setContentType(HTTP_INTEGRATION);
      stream.write(JSON.stringify(prelude || {}));
      stream.write(Buffer.alloc(8));
      return stream;
    }
  },
};

// streamAgent carries streamed responses, on a connection of their own: a
// streamed body is a Writable the handler writes to, which node:http
// provides (loaded by the first streamed invocation only).
let streamAgent = null;

// invokeStreaming runs a streamified handler; it resolves once the runtime
// API has answered the streamed POST.
function invokeStreaming(handler, requestId, event, ctx) {
  const http = require('node:http');
  if (streamAgent === null) streamAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return new Promise((done) => {
    const req = http.request({
      host: HOST, port: PORT, method: 'POST', agent: streamAgent,
      path: `${RUNTIME_PATH}/invocation/${requestId}/response`,
      headers: {
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        'Transfer-Encoding': 'chunked',
        Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
        'Content-Type': 'application/octet-stream',
      },
    });
    req.setContentType = (ct) => req.setHeader('Content-Type', ct);
    let answered = false;
    const finish = () => {
      if (!answered) {
        answered = true;
        done();
      }
    };
    req.on('response', (res) => {
      res.resume();
      res.on('end', finish);
      res.on('error', finish);
    });
    req.on('error', (e) => {
      process.stderr.write(`lambdad runtime: streamed response: ${e && e.message}\n`);
      finish();
    });
    const fail = (e) => {
      const body = toError(e);
      logError('Invoke Error ', body);
      if (req.writableEnded) return; // too late to tell the caller
      req.addTrailers({
        'Lambda-Runtime-Function-Error-Type': body.errorType,
        'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(body)).toString('base64'),
      });
      req.end();
    };
    current = { requestId, settle: fail };
    let ret;
    try {
      ret = handler(event, req, ctx);
    } catch (e) {
      fail(e);
      return;
    }
    Promise.resolve(ret).then(() => {
      if (!req.writableEnded) req.end();
    }, (e) => fail(e === undefined ? new Error('undefined') : e));
  });
}

// An invocation in progress, so that uncaught errors can be reported to it.
let current = null;

function makeContext(headers, settle) {
  const deadline = Number(headers['lambda-runtime-deadline-ms'] || 0);
  const parse = (h) => {
    if (!h) return undefined;
    try {
      return JSON.parse(h);
    } catch {
      return undefined;
    }
  };
  const ctx = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: parse(headers['lambda-runtime-cognito-identity']),
    clientContext: parse(headers['lambda-runtime-client-context']),
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    succeed: (result) => settle(null, result, false),
    fail: (err) => settle(err == null ? '' : err, undefined, false),
    done: (err, result) => settle(err, result, false),
  };
  return ctx;
}

async function respond(requestId, err, result) {
  const p = `/invocation/${requestId}`;
  if (err !== null && err !== undefined) {
    const body = toError(err);
    logError('Invoke Error ', body);
    await post(`${p}/error`, JSON.stringify(body), body.errorType);
    return;
  }
  let out;
  try {
    out = JSON.stringify(result === undefined ? null : result);
  } catch (e) {
    const body = { errorType: 'Runtime.MarshalError', errorMessage: `Unable to stringify response body: ${e.message}`, trace: [] };
    logError('Invoke Error ', body);
    await post(`${p}/error`, JSON.stringify(body), body.errorType);
    return;
  }
  await post(`${p}/response`, out);
}

// invoke runs the handler for one event and resolves once the answer is
// posted.
function invoke(handler, res) {
  const requestId = res.headers['lambda-runtime-aws-request-id'];
  return new Promise((done) => {
    let settled = false;
    let ctx;
    // With neither a promise nor a callback call, an empty event loop ends
    // the invocation with a null result.
    const onEmpty = () => settle(null, undefined, false);
    process.on('beforeExit', onEmpty);
    const finish = (err, result) => {
      process.removeListener('beforeExit', onEmpty);
      respond(requestId, err, result).then(done, (e) => {
        process.stderr.write(`lambdad runtime: post answer: ${e && e.stack}\n`);
        process.exit(1);
      });
    };
    const settle = (err, result, fromCallback) => {
      if (settled) return;
      settled = true;
      if (fromCallback && ctx.callbackWaitsForEmptyEventLoop) {
        // Answer when nothing else is left to run, as AWS does.
        process.removeListener('beforeExit', onEmpty);
        process.once('beforeExit', () => finish(err, result));
      } else {
        finish(err, result);
      }
    };
    current = { requestId, settle: (e) => settle(e, undefined, false) };
    ctx = makeContext(res.headers, settle);
    const callback = (err, result) => settle(err, result, true);
    let event;
    try {
      event = res.body.length ? JSON.parse(res.body.toString('utf8')) : null;
    } catch (e) {
      settle({ name: 'Runtime.UnmarshalError', message: `Unable to parse input as JSON: ${e.message}`, stack: '' }, undefined, false);
      return;
    }
    if (handler[STREAMING] === 'response') {
      process.removeListener('beforeExit', onEmpty);
      settled = true;
      invokeStreaming(handler, requestId, event, ctx).then(done);
      return;
    }
    let ret;
    try {
      ret = handler(event, ctx, callback);
    } catch (e) {
      settle(e, undefined, false);
      return;
    }
    if (ret && typeof ret.then === 'function') {
      ret.then((r) => settle(null, r, false), (e) => settle(e === undefined ? new Error('undefined') : e, undefined, false));
    } else if (handler.length < 3) {
      // A synchronous handler without a callback: its return value.
      settle(null, ret, false);
    }
    // Otherwise the callback (or an empty event loop) settles it.
  });
}

// install sets up the process for the function's code: console output in
// AWS's format, the awslambda global, and uncaught errors reported to the
// invocation (or to Init).
function install() {
  console.log = (...a) => logLine('INFO', a);
  console.info = (...a) => logLine('INFO', a);
  console.warn = (...a) => logLine('WARN', a);
  console.error = (...a) => logLine('ERROR', a);
  console.debug = (...a) => logLine('DEBUG', a);
  console.trace = (...a) => logLine('TRACE', a);
  console.fatal = (...a) => logLine('FATAL', a);
  globalThis.awslambda = awslambda;
  process.on('uncaughtException', (e) => fatal(e, 'Runtime.UncaughtException'));
  process.on('unhandledRejection', (reason) => {
    const msg = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
    const err = new UserCodeError('Runtime.UnhandledPromiseRejection', msg, reason instanceof Error ? reason : undefined);
    fatal(err, err.name);
  });
}

let dying = false;
async function fatal(e, fallbackType) {
  if (dying) return;
  dying = true;
  const body = toError(e);
  if (!body.errorType) body.errorType = fallbackType;
  logError(current ? 'Invoke Error ' : 'Init Error ', body);
  try {
    if (current) {
      await post(`/invocation/${current.requestId}/error`, JSON.stringify(body), body.errorType);
    } else {
      await post('/init/error', JSON.stringify(body), body.errorType);
    }
  } finally {
    process.exit(129);
  }
}

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    const body = toError(e);
    logError('Init Error ', body);
    await post('/init/error', JSON.stringify(body), body.errorType);
    process.exit(1);
  }
  for (;;) {
    const res = await request('GET', '/invocation/next');
    if (res.status !== 200) {
      throw new Error(`runtime api: /invocation/next answered ${res.status}`);
    }
    currentRequestId = res.headers['lambda-runtime-aws-request-id'];
    const trace = res.headers['lambda-runtime-trace-id'];
    if (trace) process.env._X_AMZN_TRACE_ID = trace;
    else delete process.env._X_AMZN_TRACE_ID;
    await invoke(handler, res);
    current = null;
    dying = false;
  }
}

if (require.main === module) {
  install();
  main();
} else {
  // Required by the client's own tests (parse_test.js).
  module.exports = { Connection, newExchange };
}
