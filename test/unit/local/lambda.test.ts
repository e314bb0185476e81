import { LambdaError, LambdaService, type InvokeResult } from '../../../local/lambda';
import { ACCOUNT, BASIC, BROKEN, ESM, REGION, fnModel, waitFor } from './fixtures/lambda/model';

interface EchoPayload {
  event: unknown;
  invocationsSinceInit: number;
  env: Record<string, string | undefined>;
  context: Record<string, unknown>;
}

const services: LambdaService[] = [];
function service(...args: ConstructorParameters<typeof LambdaService>): LambdaService {
  const s = new LambdaService(args[0]);
  services.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
});

const base = { region: REGION, accountId: ACCOUNT };

describe('LambdaService environment', () => {
  it('gives the handler the model environment, Lambda runtime variables and the extra environment', async () => {
    const fn = fnModel('orders-api', 'echo', {
      memoryMb: 512,
      environment: { FOO: 'from-template', NODE_OPTIONS: '--enable-source-maps' },
    });
    const lambda = service({
      ...base,
      functions: [fn],
      extraEnvironment: () => ({ EXTRA: 'endpoint-vars' }),
    });

    const result = await lambda.invoke('orders-api', { hello: 'world' });

    expect(result.functionError).toBeUndefined();
    const payload = result.payload as EchoPayload;
    expect(payload.event).toEqual({ hello: 'world' });
    expect(payload.env).toMatchObject({
      FOO: 'from-template',
      EXTRA: 'endpoint-vars',
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_LAMBDA_FUNCTION_NAME: 'orders-api',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/orders-api',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      _HANDLER: 'index.echo',
      LAMBDA_TASK_ROOT: BASIC,
      TZ: ':UTC',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SESSION_TOKEN: 'local',
    });
    expect(payload.env.NODE_OPTIONS).toBeUndefined();
    expect(payload.env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(payload.env._X_AMZN_TRACE_ID).toMatch(
      /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/,
    );
    expect(payload.context).toMatchObject({
      awsRequestId: result.requestId,
      functionName: 'orders-api',
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: '512',
      logGroupName: '/aws/lambda/orders-api',
      logStreamName: payload.env.AWS_LAMBDA_LOG_STREAM_NAME,
    });
    expect(payload.context.remainingMs).toBeGreaterThan(0);
    expect(payload.context.remainingMs).toBeLessThanOrEqual(10_000);
    expect(result.executedVersion).toBe('$LATEST');
    expect(process.env.FOO).toBeUndefined();
  });

  it('isolates process.env between functions invoked in parallel', async () => {
    const alpha = fnModel('alpha', 'echo', { environment: { FOO: 'alpha' } });
    const beta = fnModel('beta', 'echo', { environment: { FOO: 'beta' } });
    const lambda = service({ ...base, functions: [alpha, beta] });

    const calls = Array.from({ length: 8 }, (_, i) => {
      const name = i % 2 === 0 ? 'alpha' : 'beta';
      return lambda.invoke(name, { ms: 20 }).then((r) => ({ name, r }));
    });
    const results = await Promise.all(calls);

    for (const { name, r } of results) {
      const payload = r.payload as EchoPayload;
      expect(payload.env.FOO).toBe(name);
      expect(payload.env.AWS_LAMBDA_FUNCTION_NAME).toBe(name);
    }
  });
});

describe('LambdaService execution environments', () => {
  it('starts cold once, then reuses the warm environment', async () => {
    const lambda = service({ ...base, functions: [fnModel('warm', 'echo')] });

    const first = await lambda.invoke('warm', {});
    const second = await lambda.invoke('warm', {});

    expect(first.coldStart).toBe(true);
    expect(first.initDurationMs).toBeGreaterThan(0);
    expect((first.payload as EchoPayload).invocationsSinceInit).toBe(1);
    expect(second.coldStart).toBe(false);
    expect(second.initDurationMs).toBeUndefined();
    expect((second.payload as EchoPayload).invocationsSinceInit).toBe(2);
    expect(lambda.stats()).toEqual([
      expect.objectContaining({
        function: 'warm',
        invocations: 2,
        coldStarts: 1,
        errors: 0,
        running: 0,
        warm: 1,
      }),
    ]);
  });

  it('terminates an idle environment after idleTimeoutMs, so the next call is cold', async () => {
    const lambda = service({ ...base, functions: [fnModel('idle', 'echo')], idleTimeoutMs: 30 });

    await lambda.invoke('idle', {});
    await waitFor(() => lambda.stats()[0]?.warm === 0, 'the idle environment to end');
    const next = await lambda.invoke('idle', {});

    expect(next.coldStart).toBe(true);
    expect((next.payload as EchoPayload).invocationsSinceInit).toBe(1);
  });

  it('never runs more invocations of a function at once than its reserved concurrency', async () => {
    const lambda = service({
      ...base,
      functions: [fnModel('narrow', 'interval', { reservedConcurrency: 2 })],
    });

    const results = await Promise.all(Array.from({ length: 6 }, () => lambda.invoke('narrow', { ms: 60 })));

    const intervals = results.map((r) => r.payload as { start: number; end: number });
    const maxOverlap = Math.max(
      ...intervals.map(({ start }) => intervals.filter((o) => o.start <= start && start < o.end).length),
    );
    expect(maxOverlap).toBeLessThanOrEqual(2);
    expect(results.every((r) => r.functionError === undefined)).toBe(true);
    const stats = lambda.stats()[0];
    expect(stats).toMatchObject({ invocations: 6, running: 0, queued: 0 });
    expect(stats?.coldStarts).toBeLessThanOrEqual(2);
  });

  it('queues beyond the limit by default and throttles with reject, as AWS does for sync invokes', async () => {
    const lambda = service({ ...base, functions: [fnModel('one', 'sleep')], concurrencyLimit: 1 });

    const running = lambda.invoke('one', { ms: 200 });
    const queued = lambda.invoke('one', { ms: 1 });
    const rejected = lambda.invoke('one', { ms: 1 }, { throttle: 'reject' });

    await expect(rejected).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      statusCode: 429,
      reason: 'ConcurrentInvocationLimitExceeded',
    });
    expect(lambda.stats()[0]).toMatchObject({ running: 1, queued: 1, throttles: 1 });
    await expect(running).resolves.toMatchObject({ payload: 'slept' });
    await expect(queued).resolves.toMatchObject({ payload: 'slept', coldStart: false });
  });

  it('always throttles a function with reserved concurrency 0', async () => {
    const lambda = service({ ...base, functions: [fnModel('off', 'echo', { reservedConcurrency: 0 })] });

    await expect(lambda.invoke('off', {})).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
    });
  });
});

describe('LambdaService function errors', () => {
  function expectUnhandled(result: InvokeResult, errorType: string, errorMessage: string | RegExp): void {
    expect(result.statusCode).toBe(200);
    expect(result.functionError).toBe('Unhandled');
    expect(result.errorType).toBe(errorType);
    if (typeof errorMessage === 'string') expect(result.errorMessage).toBe(errorMessage);
    else expect(result.errorMessage).toMatch(errorMessage);
    expect(result.payload).toMatchObject({ errorType, errorMessage: result.errorMessage });
  }

  it('reports a typed error as Lambda does and keeps the environment warm', async () => {
    const lambda = service({ ...base, functions: [fnModel('typed', 'typedError')] });

    const result = await lambda.invoke('typed', {});
    const again = await lambda.invoke('typed', {});

    expectUnhandled(result, 'OrderNotFoundError', 'order ORD-42 not found');
    const trace = (result.payload as { trace: string[] }).trace;
    expect(trace[0]).toBe('OrderNotFoundError: order ORD-42 not found');
    expect(again.coldStart).toBe(false);
    expect(lambda.stats()[0]).toMatchObject({ errors: 2 });
  });

  it('reports a thrown non-error by its type', async () => {
    const lambda = service({ ...base, functions: [fnModel('str', 'throwString')] });

    expectUnhandled(await lambda.invoke('str', {}), 'string', 'plain string');
  });

  it('kills the environment on timeout and starts cold next time', async () => {
    const lambda = service({
      ...base,
      // 1 s of real time: a cold start on a loaded machine must not time out the calls meant to succeed.
      functions: [fnModel('slow', 'sleep', { timeoutSeconds: 20 })],
      timeScale: 20,
    });
    await lambda.invoke('slow', { ms: 1 });

    const timedOut = await lambda.invoke('slow', { ms: 30_000 });
    const next = await lambda.invoke('slow', { ms: 1 });

    expectUnhandled(
      timedOut,
      'Sandbox.Timedout',
      `RequestId: ${timedOut.requestId} Error: Task timed out after 20.00 seconds`,
    );
    expect(timedOut.coldStart).toBe(false);
    expect(next).toMatchObject({ payload: 'slept', coldStart: true });
  });

  it('survives an uncaught exception in the function and replaces the environment', async () => {
    const lambda = service({
      ...base,
      functions: [fnModel('crash', 'crashInTimer'), fnModel('fine', 'echo')],
    });

    const crashed = await lambda.invoke('crash', {});
    const next = await lambda.invoke('crash', {});

    expectUnhandled(crashed, 'TypeError', 'boom in a timer');
    expect(next.coldStart).toBe(true);
    expect((await lambda.invoke('fine', {})).functionError).toBeUndefined();
  });

  it('reports process.exit as Runtime.ExitError', async () => {
    const lambda = service({ ...base, functions: [fnModel('exit', 'exit')] });

    const result = await lambda.invoke('exit', { code: 3 });
    const next = await lambda.invoke('exit', { code: 0 });

    expectUnhandled(
      result,
      'Runtime.ExitError',
      `RequestId: ${result.requestId} Error: Runtime exited with error: exit status 3`,
    );
    expect(next.coldStart).toBe(true);
    expectUnhandled(
      next,
      'Runtime.ExitError',
      `RequestId: ${next.requestId} Error: Runtime exited without providing a reason`,
    );
  });

  it('kills an environment that exceeds its memory size with Runtime.OutOfMemory', async () => {
    const lambda = service({ ...base, functions: [fnModel('hog', 'hog', { memoryMb: 64 })] });

    const result = await lambda.invoke('hog', {});

    expectUnhandled(
      result,
      'Runtime.OutOfMemory',
      `RequestId: ${result.requestId} Error: Runtime exited with error: signal: killed`,
    );
  });

  it('reports an unhandled promise rejection as Runtime.UnhandledPromiseRejection', async () => {
    const lambda = service({ ...base, functions: [fnModel('reject', 'unhandledRejection')] });

    expectUnhandled(
      await lambda.invoke('reject', {}),
      'Runtime.UnhandledPromiseRejection',
      'Error: nobody caught me',
    );
  });

  it('reports init failures with the runtime error types', async () => {
    const lambda = service({
      ...base,
      functions: [
        fnModel('broken', 'handler', { assetPath: BROKEN }),
        fnModel('missing-export', 'nope'),
        fnModel('not-function', 'notAFunction'),
        fnModel('missing-file', 'x', { handler: 'missing.handler' }),
        fnModel('bad-name', 'x', { handler: 'index' }),
      ],
    });

    const broken = await lambda.invoke('broken', {});
    expectUnhandled(broken, 'ConfigError', 'TABLE_NAME is not set');
    expect(broken.coldStart).toBe(true);
    expect((await lambda.invoke('broken', {})).coldStart).toBe(true);
    expectUnhandled(
      await lambda.invoke('missing-export', {}),
      'Runtime.HandlerNotFound',
      'index.nope is undefined or not exported',
    );
    expectUnhandled(
      await lambda.invoke('not-function', {}),
      'Runtime.HandlerNotFound',
      'index.notAFunction is not a function',
    );
    expectUnhandled(
      await lambda.invoke('missing-file', {}),
      'Runtime.ImportModuleError',
      "Error: Cannot find module 'missing'",
    );
    expectUnhandled(await lambda.invoke('bad-name', {}), 'Runtime.MalformedHandlerName', 'Bad handler');
  });

  it('answers Function.ResponseSizeTooLarge beyond 6 MB and rejects requests beyond 6 MB', async () => {
    const lambda = service({ ...base, functions: [fnModel('big', 'big')] });

    expectUnhandled(
      await lambda.invoke('big', { bytes: 6 * 1024 * 1024 + 1 }),
      'Function.ResponseSizeTooLarge',
      /^Response payload size exceeded maximum allowed payload size/,
    );
    await expect(lambda.invoke('big', { pad: 'x'.repeat(6 * 1024 * 1024) })).rejects.toMatchObject({
      name: 'RequestTooLargeException',
    });
  });
});

describe('LambdaService handler styles', () => {
  const lambda = (): LambdaService =>
    service({
      ...base,
      functions: [
        fnModel('callback', 'callback'),
        fnModel('callback-error', 'callbackError'),
        fnModel('legacy', 'legacySucceed'),
        fnModel('wait-loop', 'waitsForEmptyLoop'),
        fnModel('sync', 'syncNoCallback'),
        fnModel('undef', 'returnsUndefined'),
      ],
    });

  it('supports callback handlers, context.succeed and callback errors', async () => {
    const l = lambda();

    expect((await l.invoke('callback', { value: 7 })).payload).toEqual({ viaCallback: 7 });
    expect((await l.invoke('legacy', { value: 'x' })).payload).toEqual({ legacy: 'x' });
    const failed = await l.invoke('callback-error', {});
    expect(failed).toMatchObject({
      functionError: 'Unhandled',
      errorType: 'RangeError',
      errorMessage: 'out of range',
    });
  });

  it('waits for the empty event loop before answering a callback, unless told not to', async () => {
    const l = lambda();

    expect((await l.invoke('wait-loop', { wait: true })).payload).toEqual({ late: true });
    expect((await l.invoke('wait-loop', { wait: false })).payload).toEqual({ late: false });
  });

  it('answers null for undefined results and for sync handlers that never call back', async () => {
    const l = lambda();

    const undef = await l.invoke('undef', {});
    const sync = await l.invoke('sync', {});

    expect(undef).toMatchObject({ payload: null, payloadJson: 'null' });
    expect(sync).toMatchObject({ payload: null, payloadJson: 'null' });
  });
});

describe('LambdaService module formats', () => {
  it('loads an ES module handler (index.mjs)', async () => {
    const lambda = service({ ...base, functions: [fnModel('esm', 'handler', { assetPath: ESM })] });

    expect((await lambda.invoke('esm', { v: 1 })).payload).toEqual({ esm: true, event: { v: 1 } });
  });
});

describe('LambdaService logs', () => {
  it('captures function output as Lambda log records, with START/END/REPORT', async () => {
    const lines: { fn: string; line: string }[] = [];
    const lambda = service({
      ...base,
      functions: [fnModel('logger', 'logs')],
      log: (fn, line) => lines.push({ fn, line }),
    });

    const first = await lambda.invoke('logger', { who: 'tests' }, { logType: 'Tail' });
    const second = await lambda.invoke('logger', { who: 'again' });
    await waitFor(() => lines.filter((l) => l.line.startsWith('REPORT')).length === 2, 'both REPORT lines');

    const texts = lines.map((l) => l.line);
    expect(new Set(lines.map((l) => l.fn))).toEqual(new Set(['logger']));
    const id = first.requestId;
    expect(texts).toContain(`START RequestId: ${id} Version: $LATEST`);
    expect(texts).toContainEqual(
      expect.stringMatching(new RegExp(`^\\S+Z\\t${id}\\tINFO\\thello from tests { n: 1 }$`)),
    );
    expect(texts).toContainEqual(expect.stringMatching(new RegExp(`\\t${id}\\tERROR\\tmulti\\nline$`)));
    expect(texts).toContain('raw write');
    expect(texts).toContain(`END RequestId: ${id}`);
    const reports = texts.filter((t) => t.startsWith('REPORT'));
    expect(reports[0]).toMatch(
      new RegExp(
        `^REPORT RequestId: ${id}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: [\\d.]+ ms$`,
      ),
    );
    expect(reports[1]).toContain(`RequestId: ${second.requestId}`);
    expect(reports[1]).not.toContain('Init Duration');
    const tail = Buffer.from(first.logResult ?? '', 'base64').toString('utf8');
    expect(tail).toContain(`START RequestId: ${id}`);
    expect(tail).toContain('hello from tests');
    expect(tail).toContain(`REPORT RequestId: ${id}`);
    expect(second.logResult).toBeUndefined();
  });
});

describe('LambdaService references', () => {
  const fn = fnModel('orders-api', 'echo', {
    logicalId: 'OrdersApiFn1234',
    aliases: [
      {
        logicalId: 'OrdersApiLive',
        name: 'live',
        arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-api:live`,
      },
    ],
  });

  it('resolves names, logical ids, ARNs, partial ARNs and qualifiers', () => {
    const lambda = service({ ...base, functions: [fn] });
    const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-api`;

    for (const ref of [
      'orders-api',
      'OrdersApiFn1234',
      arn,
      `${arn}:live`,
      `${arn}:$LATEST`,
      `${arn}:1`,
      `${ACCOUNT}:function:orders-api`,
      'orders-api:live',
    ]) {
      expect(lambda.resolve(ref)).toBe(fn);
    }
    for (const ref of [
      'nope',
      `${arn}:blue`,
      `${arn}:7`,
      `arn:aws:lambda:us-east-1:${ACCOUNT}:function:orders-api`,
      `arn:aws:lambda:${REGION}:999999999999:function:orders-api`,
      'a:b:c',
    ]) {
      expect(lambda.resolve(ref)).toBeUndefined();
    }
  });

  it('runs an alias as version 1 and names the qualified ARN in the context', async () => {
    const lambda = service({ ...base, functions: [fn] });

    const result = await lambda.invoke(`${fn.arn}:live`, {});

    expect(result.executedVersion).toBe('1');
    expect((result.payload as EchoPayload).context).toMatchObject({
      functionVersion: '1',
      invokedFunctionArn: `${fn.arn}:live`,
    });
  });

  it('throws ResourceNotFoundException for an unknown function', async () => {
    const lambda = service({ ...base, functions: [fn] });

    const err = await lambda.invoke('ghost', {}).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(LambdaError);
    expect(err).toMatchObject({
      name: 'ResourceNotFoundException',
      statusCode: 404,
      message: `Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:ghost`,
    });
  });
});

describe('LambdaService close', () => {
  it('ends running invocations and refuses new ones', async () => {
    const lambda = new LambdaService({ ...base, functions: [fnModel('long', 'sleep')] });

    const running = lambda.invoke('long', { ms: 30_000 });
    await waitFor(() => lambda.stats()[0]?.running === 1, 'the invocation to start');
    await lambda.close();

    await expect(running).resolves.toMatchObject({
      functionError: 'Unhandled',
      errorType: 'Runtime.ExitError',
    });
    await expect(lambda.invoke('long', { ms: 1 })).rejects.toMatchObject({ name: 'ServiceException' });
  });
});
