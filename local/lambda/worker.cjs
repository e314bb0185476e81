'use strict';
/**
 * The Lambda sandbox: one worker thread = one execution environment of one function.
 * Plain CommonJS so it runs without tsx/ts-jest. It loads the bundle once (the init phase), then runs one
 * invocation at a time, as the Node.js runtime interface client does, and reports back by message.
 */
const { parentPort, workerData } = require('node:worker_threads');
const path = require('node:path');
const fs = require('node:fs');
const util = require('node:util');
const { pathToFileURL } = require('node:url');
const { Buffer } = require('node:buffer');
const { performance } = require('node:perf_hooks');

const {
  taskRoot,
  handler: handlerString,
  functionName,
  memoryMb,
  logGroupName,
  logStreamName,
  spawnedAt,
  sourceMaps,
} = workerData;

if (sourceMaps && typeof process.setSourceMapsEnabled === 'function') process.setSourceMapsEnabled(true);

/** The invocation in progress, or undefined between invocations. */
let current;
let initDurationMs;
let reportedInit = false;

// --- Logging: Lambda's text log format, and a per-invocation capture for `X-Amz-Log-Type: Tail`. ---

const TAIL_KEEP = 8192;
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => {
    if (current && current.tail) {
      current.tailText += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (current.tailText.length > TAIL_KEEP * 2) current.tailText = current.tailText.slice(-TAIL_KEEP);
    }
    return write(chunk, ...rest);
  };
}

function emit(level, args) {
  const requestId = current ? current.requestId : 'undefined';
  // The runtime writes one record per call; newlines become \r so a record stays one line.
  const message = util.format(...args).replace(/\n/g, '\r');
  process.stdout.write(`${new Date().toISOString()}\t${requestId}\t${level}\t${message}\n`);
}
console.log = (...args) => emit('INFO', args);
console.info = (...args) => emit('INFO', args);
console.warn = (...args) => emit('WARN', args);
console.error = (...args) => emit('ERROR', args);
console.debug = (...args) => emit('DEBUG', args);
console.trace = (...args) => {
  const err = { name: 'Trace', message: util.format(...args) };
  Error.captureStackTrace(err, console.trace);
  emit('TRACE', [err.stack]);
};

// --- Errors, shaped as the Node.js runtime reports them. ---

function isError(e) {
  return util.types.isNativeError(e) || (e !== null && typeof e === 'object' && typeof e.stack === 'string');
}

function toRapidResponse(error) {
  try {
    if (isError(error)) {
      return {
        errorType: error.name,
        errorMessage: error.message,
        trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

function runtimeError(errorType, message, cause) {
  const trace = cause && typeof cause.stack === 'string' ? cause.stack.split('\n') : [];
  return { errorType, errorMessage: message, trace };
}

// --- Init: load the handler exactly as the runtime resolves `file.export`. ---

async function loadHandler() {
  const slash = handlerString.lastIndexOf('/');
  const dot = handlerString.indexOf('.', slash + 1);
  if (dot <= slash + 1 || dot === handlerString.length - 1) {
    throw { rapid: runtimeError('Runtime.MalformedHandlerName', 'Bad handler') };
  }
  const moduleName = handlerString.slice(0, dot);
  const exportPath = handlerString.slice(dot + 1).split('.');
  const base = path.resolve(taskRoot, moduleName);
  let mod;
  try {
    if (fs.existsSync(`${base}.mjs`)) {
      mod = await import(pathToFileURL(`${base}.mjs`).href);
    } else {
      try {
        mod = require(base);
      } catch (err) {
        if (err && err.code === 'ERR_REQUIRE_ESM')
          mod = await import(pathToFileURL(require.resolve(base)).href);
        else throw err;
      }
    }
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(base)) {
      throw {
        rapid: runtimeError('Runtime.ImportModuleError', `Error: Cannot find module '${moduleName}'`, err),
      };
    }
    if (err instanceof SyntaxError) {
      throw { rapid: runtimeError('Runtime.UserCodeSyntaxError', `${err.name}: ${err.message}`, err) };
    }
    throw err;
  }
  let fn = mod;
  for (const key of exportPath) fn = fn == null ? undefined : fn[key];
  if (fn === undefined || fn === null) {
    throw { rapid: runtimeError('Runtime.HandlerNotFound', `${handlerString} is undefined or not exported`) };
  }
  if (typeof fn !== 'function') {
    throw { rapid: runtimeError('Runtime.HandlerNotFound', `${handlerString} is not a function`) };
  }
  return fn;
}

// --- Invocation ---

function report(inv, status) {
  const duration = performance.now() - inv.startedAt;
  const usedMb = Math.ceil(process.memoryUsage().heapUsed / (1024 * 1024));
  let line =
    `REPORT RequestId: ${inv.requestId}\tDuration: ${duration.toFixed(2)} ms\t` +
    `Billed Duration: ${Math.ceil(duration)} ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: ${usedMb} MB`;
  if (!reportedInit && initDurationMs !== undefined) {
    line += `\tInit Duration: ${initDurationMs.toFixed(2)} ms`;
    reportedInit = true;
  }
  if (status) line += `\tStatus: ${status}`;
  process.stdout.write(`END RequestId: ${inv.requestId}\n${line}\n`);
}

/** Sends the invocation's outcome once; later calls (a second callback, a late promise) are ignored. */
function finish(inv, outcome, status) {
  if (inv.finished) return;
  inv.finished = true;
  report(inv, status);
  current = undefined;
  parentPort.ref();
  const logTail = inv.tail ? Buffer.from(inv.tailText, 'utf8').subarray(-4096).toString('utf8') : undefined;
  parentPort.postMessage({ type: 'done', requestId: inv.requestId, logTail, ...outcome });
}

function succeed(inv, result) {
  let payloadJson;
  try {
    payloadJson = result === undefined ? 'null' : JSON.stringify(result);
    if (payloadJson === undefined) payloadJson = 'null';
  } catch (err) {
    finish(inv, {
      ok: false,
      error: runtimeError(
        'Runtime.UnmarshalError',
        `Unable to stringify response body as json: ${err && err.message}`,
        err,
      ),
    });
    return;
  }
  finish(inv, { ok: true, payloadJson });
}

function fail(inv, error) {
  const rapid = toRapidResponse(error);
  console.error('Invoke Error', JSON.stringify(rapid));
  finish(inv, { ok: false, error: rapid });
}

/** Settles once the event loop has emptied, like callbackWaitsForEmptyEventLoop in the runtime. */
function whenLoopEmpty(inv, settle) {
  inv.onEmpty = settle;
  parentPort.unref();
}

process.on('beforeExit', () => {
  const inv = current;
  if (inv && inv.onEmpty) {
    const settle = inv.onEmpty;
    inv.onEmpty = undefined;
    settle();
  }
});

function invoke(handler, msg) {
  const inv = {
    requestId: msg.requestId,
    startedAt: performance.now(),
    tail: msg.tail,
    tailText: '',
    finished: false,
  };
  current = inv;
  process.env._X_AMZN_TRACE_ID = msg.traceId;
  process.stdout.write(`START RequestId: ${inv.requestId} Version: ${msg.functionVersion}\n`);

  let event;
  try {
    event = JSON.parse(msg.eventJson);
  } catch (err) {
    finish(inv, {
      ok: false,
      error: runtimeError('Runtime.UnmarshalError', String(err && err.message), err),
    });
    return;
  }

  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: msg.functionVersion,
    invokedFunctionArn: msg.invokedFunctionArn,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: inv.requestId,
    logGroupName,
    logStreamName,
    clientContext: msg.clientContext,
    identity: undefined,
    getRemainingTimeInMillis: () => Math.max(msg.deadline - Date.now(), 0),
  };
  // The callback: with callbackWaitsForEmptyEventLoop the response waits for the event loop to empty.
  const callback = (err, result) => {
    if (inv.finished || inv.called) return;
    inv.called = true;
    const settle = () => (err === undefined || err === null ? succeed(inv, result) : fail(inv, err));
    if (context.callbackWaitsForEmptyEventLoop) whenLoopEmpty(inv, settle);
    else settle();
  };
  context.done = callback;
  context.succeed = (result) => callback(null, result);
  context.fail = (err) => callback(err === undefined || err === null ? 'handled' : err);

  try {
    const result = handler(event, context, callback);
    if (result && typeof result.then === 'function') {
      result.then(
        (value) => {
          if (!inv.called) succeed(inv, value);
        },
        (err) => {
          if (!inv.called) fail(inv, err);
        },
      );
    } else if (!inv.called) {
      // A handler that neither returns a promise nor calls back answers null once the loop is empty.
      whenLoopEmpty(inv, () => {
        if (!inv.called) succeed(inv, null);
      });
    }
  } catch (err) {
    callback(err);
  }
}

// --- Fatal errors: the runtime answers the invocation with the error, then the sandbox exits. ---

function fatal(error, exitCode) {
  const inv = current;
  console.error(
    error.errorType === 'Runtime.UnhandledPromiseRejection'
      ? 'Unhandled Promise Rejection'
      : 'Uncaught Exception',
    JSON.stringify(error),
  );
  if (inv && !inv.finished) {
    inv.finished = true;
    report(inv, 'error');
    parentPort.postMessage({ type: 'done', requestId: inv.requestId, ok: false, error, fatal: true });
  }
  process.exit(exitCode);
}

process.on('uncaughtException', (err) => fatal(toRapidResponse(err), 129));
process.on('unhandledRejection', (reason) => {
  const message = reason === undefined || reason === null ? String(reason) : String(reason);
  fatal(
    {
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: message,
      trace: [`Runtime.UnhandledPromiseRejection: ${message}`],
    },
    128,
  );
});

// --- Start ---

loadHandler().then(
  (handler) => {
    initDurationMs = Date.now() - spawnedAt;
    parentPort.on('message', (msg) => {
      if (msg && msg.type === 'invoke') invoke(handler, msg);
    });
    parentPort.postMessage({ type: 'ready', initDurationMs });
  },
  (err) => {
    const error = err && err.rapid ? err.rapid : toRapidResponse(err);
    console.error('Init Error', JSON.stringify(error));
    parentPort.postMessage({ type: 'initError', error, initDurationMs: Date.now() - spawnedAt });
  },
);
