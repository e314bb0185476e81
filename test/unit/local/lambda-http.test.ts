import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { LambdaService, lambdaHttpServer, type LambdaHttpServer } from '../../../local/lambda';
import { ACCOUNT, REGION, fnModel, waitFor } from './fixtures/lambda/model';

const decode = (bytes: Uint8Array | undefined): unknown =>
  JSON.parse(Buffer.from(bytes ?? []).toString('utf8'));
const encode = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

describe('Lambda Invoke API over the real SDK client', () => {
  let lambda: LambdaService;
  let server: LambdaHttpServer;
  let client: LambdaClient;
  const echo = fnModel('orders-api', 'echo', {
    aliases: [
      {
        logicalId: 'Live',
        name: 'live',
        arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-api:live`,
      },
    ],
  });

  beforeAll(async () => {
    lambda = new LambdaService({
      region: REGION,
      accountId: ACCOUNT,
      functions: [
        echo,
        fnModel('typed', 'typedError'),
        fnModel('logger', 'logs'),
        fnModel('single', 'sleep', { reservedConcurrency: 1 }),
        fnModel('ok', 'ok'),
      ],
    });
    server = await lambdaHttpServer(lambda, { port: 0 });
    client = new LambdaClient({
      endpoint: server.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client.destroy();
    await server.close();
    await lambda.close();
  });

  it('invokes a function synchronously', async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'orders-api', Payload: encode({ a: 1 }) }),
    );

    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    expect(decode(out.Payload)).toMatchObject({
      event: { a: 1 },
      env: { AWS_LAMBDA_FUNCTION_NAME: 'orders-api' },
    });
  });

  it('passes an empty payload as {} and the client context to the handler', async () => {
    const clientContext = Buffer.from(JSON.stringify({ custom: { tenant: 't-1' } })).toString('base64');

    const out = await client.send(
      new InvokeCommand({ FunctionName: 'orders-api', ClientContext: clientContext }),
    );

    expect(decode(out.Payload)).toMatchObject({
      event: {},
      context: { clientContext: { custom: { tenant: 't-1' } } },
    });
  });

  it('invokes an alias by ARN and by Qualifier', async () => {
    const byArn = await client.send(
      new InvokeCommand({ FunctionName: `${echo.arn}:live`, Payload: encode({}) }),
    );
    const byQualifier = await client.send(
      new InvokeCommand({ FunctionName: 'orders-api', Qualifier: 'live', Payload: encode({}) }),
    );

    expect(byArn.ExecutedVersion).toBe('1');
    expect(byQualifier.ExecutedVersion).toBe('1');
    expect(decode(byQualifier.Payload)).toMatchObject({
      context: { invokedFunctionArn: `${echo.arn}:live` },
    });
  });

  it('answers a function error with X-Amz-Function-Error and the error payload', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'typed', Payload: encode({}) }));

    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(decode(out.Payload)).toMatchObject({
      errorType: 'OrderNotFoundError',
      errorMessage: 'order ORD-42 not found',
    });
  });

  it('returns the log tail with LogType Tail', async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'logger', LogType: 'Tail', Payload: encode({ who: 'sdk' }) }),
    );

    const tail = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    expect(tail).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
    expect(tail).toContain('INFO\thello from sdk');
    expect(tail).toContain('REPORT RequestId:');
  });

  it('answers 404 ResourceNotFoundException for an unknown function or alias', async () => {
    const unknown = await client.send(new InvokeCommand({ FunctionName: 'ghost' })).catch((e: unknown) => e);
    const badAlias = await client
      .send(new InvokeCommand({ FunctionName: 'orders-api', Qualifier: 'blue' }))
      .catch((e: unknown) => e);

    expect(unknown).toMatchObject({
      name: 'ResourceNotFoundException',
      message: `Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:ghost`,
      $metadata: { httpStatusCode: 404 },
    });
    expect(badAlias).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  });

  it('queues Event invocations with 202 and answers DryRun with 204', async () => {
    const before = lambda.stats().find((s) => s.function === 'ok')?.invocations ?? 0;

    const event = await client.send(
      new InvokeCommand({ FunctionName: 'ok', InvocationType: 'Event', Payload: encode({ id: 1 }) }),
    );
    const dryRun = await client.send(new InvokeCommand({ FunctionName: 'ok', InvocationType: 'DryRun' }));
    const dryRunUnknown = await client
      .send(new InvokeCommand({ FunctionName: 'ghost', InvocationType: 'DryRun' }))
      .catch((e: unknown) => e);

    expect(event.StatusCode).toBe(202);
    expect(dryRun.StatusCode).toBe(204);
    expect(dryRunUnknown).toMatchObject({ name: 'ResourceNotFoundException' });
    await waitFor(
      () => (lambda.stats().find((s) => s.function === 'ok')?.invocations ?? 0) === before + 1,
      'the event',
    );
  });

  it('throttles beyond the reserved concurrency with 429 TooManyRequestsException', async () => {
    // Holds the one slot long enough for the SDK's first call to arrive on a loaded machine.
    const running = lambda.invoke('single', { ms: 2_000 });

    const err = await client
      .send(new InvokeCommand({ FunctionName: 'single', Payload: encode({ ms: 1 }) }))
      .catch((e: unknown) => e);

    expect(err).toMatchObject({
      name: 'TooManyRequestsException',
      Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      $metadata: { httpStatusCode: 429 },
    });
    await expect(running).resolves.toMatchObject({ payload: 'slept' });
  });

  it('rejects a body that is not JSON with 400 InvalidRequestContentException', async () => {
    const err = await client
      .send(new InvokeCommand({ FunctionName: 'orders-api', Payload: Buffer.from('{not json') }))
      .catch((e: unknown) => e);

    expect(err).toMatchObject({
      name: 'InvalidRequestContentException',
      message: expect.stringContaining('Could not parse request body into json'),
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('rejects a synchronous payload over 6 MB with 413 RequestTooLargeException', async () => {
    const err = await client
      .send(
        new InvokeCommand({
          FunctionName: 'orders-api',
          Payload: encode({ pad: 'x'.repeat(6 * 1024 * 1024) }),
        }),
      )
      .catch((e: unknown) => e);

    expect(err).toMatchObject({ name: 'RequestTooLargeException', $metadata: { httpStatusCode: 413 } });
  });

  it('answers other routes and bad headers with AWS-shaped errors', async () => {
    const other = await fetch(`${server.endpoint}/2015-03-31/functions`, { method: 'GET' });
    const badType = await fetch(`${server.endpoint}/2015-03-31/functions/ok/invocations`, {
      method: 'POST',
      headers: { 'x-amz-invocation-type': 'Sometimes' },
      body: '{}',
    });

    expect(other.status).toBe(404);
    expect(other.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(badType.status).toBe(400);
    expect(badType.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(await badType.json()).toMatchObject({ message: expect.stringContaining("'invocationType'") });
  });
});
