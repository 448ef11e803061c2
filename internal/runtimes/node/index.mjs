// lambdad's runtime interface client for Node.js.
//
// lambdad runs it as `node /var/runtime/node/index.mjs` in every environment
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
// It uses only Node's standard library.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const RUNTIME_PATH = '/2018-06-01/runtime';
const [HOST, PORT] = splitAddress(process.env.AWS_LAMBDA_RUNTIME_API || '127.0.0.1:9001');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function splitAddress(a) {
  const i = a.lastIndexOf(':');
  return [a.slice(0, i), Number(a.slice(i + 1))];
}

// request sends one request to the Runtime API and resolves with
// {status, headers, body (Buffer)}.
function request(method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: PORT, method, path: RUNTIME_PATH + p, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function post(p, body, errorType) {
  const buf = Buffer.from(body, 'utf8');
  const headers = { 'Content-Type': 'application/json', 'Content-Length': buf.length };
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

console.log = (...a) => logLine('INFO', a);
console.info = (...a) => logLine('INFO', a);
console.warn = (...a) => logLine('WARN', a);
console.error = (...a) => logLine('ERROR', a);
console.debug = (...a) => logLine('DEBUG', a);
console.trace = (...a) => logLine('TRACE', a);
console.fatal = (...a) => logLine('FATAL', a);

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

async function loadModule(root, name) {
  const base = path.resolve(root, name);
  const require = createRequire(import.meta.url);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = base + ext;
    if (!fs.existsSync(file)) continue;
    if (ext === '.mjs' || (ext === '.js' && isModulePackage(path.dirname(file), root))) {
      return await import(pathToFileURL(file).href);
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

globalThis.awslambda = {
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

// invokeStreaming runs a streamified handler; it resolves once the runtime
// API has answered the streamed POST.
function invokeStreaming(handler, requestId, event, ctx) {
  return new Promise((done) => {
    const req = http.request({
      host: HOST, port: PORT, method: 'POST', agent,
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

process.on('uncaughtException', (e) => fatal(e, 'Runtime.UncaughtException'));
process.on('unhandledRejection', (reason) => {
  const msg = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  const err = new UserCodeError('Runtime.UnhandledPromiseRejection', msg, reason instanceof Error ? reason : undefined);
  fatal(err, err.name);
});

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

main();
