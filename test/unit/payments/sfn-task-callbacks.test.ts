import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnTaskCallbacks } from '../../../services/payments/adapters/sfn-task-callbacks';
import { startLoopbackServer, type LoopbackServer } from './support/http';

/** A tiny Step Functions endpoint speaking its JSON 1.0 protocol; tokens in `gone` answer like SFN does. */
async function fakeStepFunctions(gone: Record<string, string>): Promise<LoopbackServer> {
  return startLoopbackServer(async (req) => {
    const body = JSON.parse(req.body) as { taskToken: string };
    const errorType = gone[body.taskToken];
    if (errorType) {
      return {
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify({
          __type: `com.amazonaws.states#${errorType}`,
          message: 'Task no longer exists',
        }),
      };
    }
    if (body.taskToken === 'throttled') {
      return {
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify({ __type: 'com.amazonaws.states#TaskFailedBadly', message: 'boom' }),
      };
    }
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' };
  });
}

describe('Step Functions task callbacks', () => {
  let server: LoopbackServer;
  let callbacks: SfnTaskCallbacks;

  beforeAll(async () => {
    server = await fakeStepFunctions({
      expired: 'TaskTimedOut',
      bogus: 'InvalidToken',
      unknown: 'TaskDoesNotExist',
    });
    const client = new SFNClient({
      region: 'us-east-1',
      endpoint: server.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    callbacks = new SfnTaskCallbacks(client);
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends SendTaskSuccess with the JSON output', async () => {
    await expect(callbacks.succeed('live-1', { chargeId: 'ch_1', status: 'AUTHORIZED' })).resolves.toBe(
      'delivered',
    );
    const req = server.requests.at(-1);
    expect(req?.headers['x-amz-target']).toBe('AWSStepFunctions.SendTaskSuccess');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      taskToken: 'live-1',
      output: JSON.stringify({ chargeId: 'ch_1', status: 'AUTHORIZED' }),
    });
  });

  it('sends SendTaskFailure with error and cause', async () => {
    await expect(callbacks.fail('live-2', 'PaymentDeclinedError', 'card_declined')).resolves.toBe(
      'delivered',
    );
    const req = server.requests.at(-1);
    expect(req?.headers['x-amz-target']).toBe('AWSStepFunctions.SendTaskFailure');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      taskToken: 'live-2',
      error: 'PaymentDeclinedError',
      cause: 'card_declined',
    });
  });

  it.each(['expired', 'bogus', 'unknown'])('reports a %s token as gone instead of failing', async (token) => {
    await expect(callbacks.succeed(token, { chargeId: 'ch_1', status: 'AUTHORIZED' })).resolves.toBe('gone');
    await expect(callbacks.fail(token, 'PaymentDeclinedError', 'card_declined')).resolves.toBe('gone');
  });

  it('lets other errors through so the webhook is retried', async () => {
    await expect(
      callbacks.succeed('throttled', { chargeId: 'ch_1', status: 'AUTHORIZED' }),
    ).rejects.toThrow();
  });
});
