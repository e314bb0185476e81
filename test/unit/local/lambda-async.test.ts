import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaService, type DestinationRecord } from '../../../local/lambda';
import type { ResourceRef } from '../../../local/assembly/model';
import { ACCOUNT, REGION, fnModel, waitFor } from './fixtures/lambda/model';

const DLQ: ResourceRef = { arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:orders-failed`, type: 'AWS::SQS::Queue' };
const DONE: ResourceRef = { arn: `arn:aws:sns:${REGION}:${ACCOUNT}:orders-done`, type: 'AWS::SNS::Topic' };

const services: LambdaService[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A service whose destination records land in `sent`; retry delays and event ages are divided by 1000. */
function setup(
  functions: ConstructorParameters<typeof LambdaService>[0]['functions'],
  extra: Partial<ConstructorParameters<typeof LambdaService>[0]> = {},
): { lambda: LambdaService; sent: { arn: string; record: DestinationRecord }[] } {
  const sent: { arn: string; record: DestinationRecord }[] = [];
  const lambda = new LambdaService({
    region: REGION,
    accountId: ACCOUNT,
    functions,
    timeScale: 1000,
    sendToDestination: async (arn, record) => {
      sent.push({ arn, record });
    },
    ...extra,
  });
  services.push(lambda);
  return { lambda, sent };
}

describe('LambdaService asynchronous invocation', () => {
  it('retries a failing event, then sends the AWS destination record to OnFailure', async () => {
    const fn = fnModel('consumer', 'alwaysFails', {
      asyncInvoke: { qualifier: '$LATEST', maximumRetryAttempts: 2, onFailure: DLQ },
    });
    const { lambda, sent } = setup([fn]);

    const { requestId } = lambda.invokeAsync('consumer', { id: 'e-1' });
    await waitFor(() => sent.length === 1, 'the OnFailure record');

    expect(sent[0]?.arn).toBe(DLQ.arn);
    const record = sent[0]?.record as DestinationRecord;
    expect(record).toEqual({
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      requestContext: {
        requestId,
        functionArn: `${fn.arn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { id: 'e-1' },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: {
        errorType: 'Error',
        errorMessage: 'cannot process e-1',
        trace: expect.arrayContaining([expect.stringContaining('Error: cannot process e-1')]),
      },
    });
    expect(lambda.stats()[0]).toMatchObject({ invocations: 3, errors: 3, asyncPending: 0 });
  });

  it('makes 1 + 2 attempts by default and honours maximumRetryAttempts', async () => {
    const { lambda, sent } = setup([
      fnModel('defaults', 'alwaysFails'),
      fnModel('once', 'alwaysFails', { asyncInvoke: { maximumRetryAttempts: 0, onFailure: DLQ } }),
    ]);

    lambda.invokeAsync('defaults', { id: 'd' });
    lambda.invokeAsync('once', { id: 'o' });
    await waitFor(() => lambda.stats().every((s) => s.asyncPending === 0), 'both events to finish');

    const [defaults, once] = lambda.stats();
    expect(defaults?.invocations).toBe(3);
    expect(once?.invocations).toBe(1);
    expect(sent.map((s) => s.record.requestContext.approximateInvokeCount)).toEqual([1]);
  });

  it('sends the response to OnSuccess', async () => {
    const fn = fnModel('happy', 'ok', { asyncInvoke: { onSuccess: DONE, onFailure: DLQ } });
    const { lambda, sent } = setup([fn]);

    const { requestId } = lambda.invokeAsync('happy', { id: 'h-1' });
    await waitFor(() => sent.length === 1, 'the OnSuccess record');

    expect(sent[0]?.arn).toBe(DONE.arn);
    expect(sent[0]?.record).toMatchObject({
      requestContext: { requestId, condition: 'Success', approximateInvokeCount: 1 },
      requestPayload: { id: 'h-1' },
      responseContext: { statusCode: 200, executedVersion: '$LATEST' },
      responsePayload: { processed: 'h-1' },
    });
    expect(sent[0]?.record.responseContext).not.toHaveProperty('functionError');
  });

  it('drops an event older than maximumEventAgeSeconds with EventAgeExceeded', async () => {
    const fn = fnModel('throttled', 'ok', {
      reservedConcurrency: 0,
      asyncInvoke: { maximumEventAgeSeconds: 60, onFailure: DLQ },
    });
    const { lambda, sent } = setup([fn]);

    lambda.invokeAsync('throttled', { id: 'late' });
    await waitFor(() => sent.length === 1, 'the EventAgeExceeded record');

    expect(sent[0]?.record.requestContext).toMatchObject({
      condition: 'EventAgeExceeded',
      approximateInvokeCount: 0,
    });
    expect(sent[0]?.record).not.toHaveProperty('responseContext');
    expect(lambda.stats()[0]).toMatchObject({ invocations: 0, asyncPending: 0 });
  });

  it('applies an alias EventInvokeConfig to invocations of that alias only', async () => {
    const fn = fnModel('aliased', 'alwaysFails', {
      aliases: [
        { logicalId: 'Live', name: 'live', arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:aliased:live` },
      ],
      asyncInvoke: { qualifier: 'live', maximumRetryAttempts: 0, onFailure: DLQ },
    });
    const { lambda, sent } = setup([fn]);

    lambda.invokeAsync('aliased:live', { id: 'via-alias' });
    lambda.invokeAsync('aliased', { id: 'unqualified' });
    await waitFor(() => lambda.stats()[0]?.asyncPending === 0, 'both events to finish');

    expect(sent.map((s) => s.record.requestPayload)).toEqual([{ id: 'via-alias' }]);
    expect(sent[0]?.record.requestContext.functionArn).toBe(`${fn.arn}:live`);
    expect(sent[0]?.record.responseContext?.executedVersion).toBe('1');
    expect(lambda.stats()[0]?.invocations).toBe(1 + 3);
  });

  it('rejects unknown functions and payloads over 1 MB at once', () => {
    const { lambda } = setup([fnModel('small', 'ok')]);

    expect(() => lambda.invokeAsync('ghost', {})).toThrow(
      expect.objectContaining({ name: 'ResourceNotFoundException' }),
    );
    expect(() => lambda.invokeAsync('small', { pad: 'x'.repeat(1024 * 1024) })).toThrow(
      expect.objectContaining({ name: 'RequestTooLargeException' }),
    );
  });

  it('keeps queued events in its dir across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-lambda-'));
    dirs.push(dir);
    const blocked = fnModel('later', 'ok', { reservedConcurrency: 0, asyncInvoke: { onSuccess: DONE } });
    const first = setup([blocked], { dir, timeScale: 1 });

    const { requestId } = first.lambda.invokeAsync('later', { id: 'survivor' });
    await first.lambda.close();
    expect(readFileSync(join(dir, 'async-events.jsonl'), 'utf8')).toContain(requestId);

    const open = fnModel('later', 'ok', { asyncInvoke: { onSuccess: DONE } });
    const second = setup([open], { dir, timeScale: 1 });
    await waitFor(() => second.sent.length === 1, 'the resumed event');

    expect(second.sent[0]?.record.requestContext).toMatchObject({ requestId, condition: 'Success' });
    expect(second.sent[0]?.record.responsePayload).toEqual({ processed: 'survivor' });
    expect(existsSync(join(dir, 'async-events.jsonl'))).toBe(true);
    expect(readFileSync(join(dir, 'async-events.jsonl'), 'utf8')).toBe('');
  });
});
