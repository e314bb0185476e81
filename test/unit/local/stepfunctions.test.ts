import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { synthLocal, type LocalAssembly } from '../../../local/assembly';
import {
  LocalStateMachine,
  LocalStepFunctions,
  parseTaskResource,
  scaleDefinition,
  type JsonObject,
  type JsonValue,
} from '../../../local/stepfunctions';

const FN = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}:live`;

/** Task → Task(waitForTaskToken) → Choice → Succeed, every failure caught into a compensation. */
const definition = {
  StartAt: 'Reserve',
  States: {
    Reserve: {
      Type: 'Task',
      Resource: FN('reserve'),
      Parameters: { 'order.$': '$.order' },
      ResultPath: '$.reservation',
      TimeoutSeconds: 10,
      Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Compensate' }],
      Next: 'Pay',
    },
    Pay: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: FN('pay'),
        Payload: { 'order.$': '$.order', 'taskToken.$': '$$.Task.Token', 'execution.$': '$$.Execution.Id' },
      },
      ResultPath: '$.payment',
      TimeoutSeconds: 60,
      Catch: [{ ErrorEquals: ['PaymentDeclinedError'], ResultPath: '$.error', Next: 'Compensate' }],
      Next: 'Approved?',
    },
    'Approved?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.payment.approved', BooleanEquals: true, Next: 'Done' }],
      Default: 'NotApproved',
    },
    Done: { Type: 'Succeed' },
    NotApproved: { Type: 'Fail', Error: 'NotApprovedError', Cause: 'payment not approved' },
    Compensate: {
      Type: 'Task',
      Resource: FN('release'),
      Parameters: { 'order.$': '$.order', 'reason.$': '$.error.Error' },
      ResultPath: '$.released',
      Next: 'Compensated',
    },
    Compensated: { Type: 'Pass', Result: 'compensated', ResultPath: '$.outcome', End: true },
  },
};

interface Call {
  readonly fn: string;
  readonly payload: JsonValue;
}

/** A runner whose Lambda functions are in-memory; `reserve` can be scripted, `pay` hands out its token. */
function harness(
  options: { reserve?: (attempt: number) => JsonValue; timeScale?: number; def?: object } = {},
) {
  const calls: Call[] = [];
  const tokens: string[] = [];
  const waiters: ((token: string) => void)[] = [];
  let reserveAttempts = 0;
  const machine = track(
    new LocalStateMachine({
      definition: (options.def ?? definition) as Record<string, unknown>,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:test',
      timeScale: options.timeScale ?? 1000,
      invokeFunction: (fn, payload) => {
        calls.push({ fn, payload });
        if (fn === FN('reserve')) {
          reserveAttempts += 1;
          return options.reserve ? options.reserve(reserveAttempts) : { reservedUntil: 'later' };
        }
        if (fn === FN('pay')) {
          const token = (payload as { taskToken: string }).taskToken;
          tokens.push(token);
          waiters.shift()?.(token);
          return null;
        }
        if (fn === FN('release')) return { released: true };
        throw new Error(`unexpected function ${fn}`);
      },
    }),
  );
  /** The next task token the pay step receives (each token handed out once). */
  let cursor = 0;
  const nextToken = () =>
    new Promise<string>((resolve) => {
      const ready = tokens[cursor];
      if (ready !== undefined) {
        cursor += 1;
        resolve(ready);
      } else {
        waiters.push((t) => {
          cursor += 1;
          resolve(t);
        });
      }
    });
  return { machine, calls, nextToken, reserveAttempts: () => reserveAttempts };
}

const machines: LocalStateMachine[] = [];
function track(machine: LocalStateMachine): LocalStateMachine {
  machines.push(machine);
  return machine;
}
afterEach(() => machines.splice(0).forEach((m) => m.dispose()));

const input = { order: { orderId: 'o-1', amount: 42 } };

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('LocalStateMachine (aws-local-stepfunctions + local task handlers)', () => {
  it('installs Promise.withResolvers on Node 20', () => {
    expect(typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers).toBe('function');
  });

  it('runs the success path: waitForTaskToken completes after sendTaskSuccess', async () => {
    const h = harness();
    const { executionArn } = h.machine.startExecution({ name: 'ok-1', input: JSON.stringify(input) });
    expect(executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:test:ok-1');
    const token = await h.nextToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(h.machine.describeExecution(executionArn).status).toBe('RUNNING');
    h.machine.sendTaskHeartbeat(token);
    h.machine.sendTaskSuccess(token, JSON.stringify({ approved: true, chargeId: 'ch_1' }));

    const done = await h.machine.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.stopDate).toBeInstanceOf(Date);
    expect(JSON.parse(done.output!)).toEqual({
      ...input,
      reservation: { reservedUntil: 'later' },
      payment: { approved: true, chargeId: 'ch_1' },
    });
    // Parameters reached the function as AWS builds them: the token and the context object substituted.
    expect(h.calls.map((c) => c.fn)).toEqual([FN('reserve'), FN('pay')]);
    expect(h.calls[1]!.payload).toEqual({ order: input.order, taskToken: token, execution: executionArn });

    const types = h.machine.getExecutionHistory(executionArn).map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types).toEqual(expect.arrayContaining(['TaskSubmitted', 'TaskSucceeded', 'StateEntered']));
    expect(types[types.length - 1]).toBe('ExecutionSucceeded');
    // The token is spent.
    expect(errorOf(() => h.machine.sendTaskSuccess(token, '{}')).name).toBe('TaskTimedOut');
  });

  it('routes sendTaskFailure(PaymentDeclinedError) to the Catch branch (compensation)', async () => {
    const h = harness();
    const { executionArn } = h.machine.startExecution({ name: 'declined', input });
    const token = await h.nextToken();
    h.machine.sendTaskFailure(token, 'PaymentDeclinedError', 'card declined');

    const done = await h.machine.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    const output = JSON.parse(done.output!) as Record<string, unknown>;
    expect(output.error).toEqual({ Error: 'PaymentDeclinedError', Cause: 'card declined' });
    expect(output.outcome).toBe('compensated');
    expect(h.calls[2]).toEqual({
      fn: FN('release'),
      payload: { order: input.order, reason: 'PaymentDeclinedError' },
    });
    expect(h.machine.getExecutionHistory(executionArn).map((e) => e.type)).toContain('StateCaught');
  });

  it('fails the execution when a task error matches no Catch', async () => {
    const h = harness();
    const { executionArn } = h.machine.startExecution({ name: 'uncaught', input });
    const token = await h.nextToken();
    h.machine.sendTaskFailure(token, 'ProviderExploded', 'boom');
    const done = await h.machine.waitForExecution(executionArn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'ProviderExploded', cause: 'boom' });
  });

  it('takes the Choice default when the task output says so', async () => {
    const h = harness();
    const { executionArn } = h.machine.startExecution({ name: 'not-approved', input });
    h.machine.sendTaskSuccess(await h.nextToken(), { approved: false });
    const done = await h.machine.waitForExecution(executionArn);
    expect(done).toMatchObject({
      status: 'FAILED',
      error: 'NotApprovedError',
      cause: 'payment not approved',
    });
  });

  it('retries a failing task with backoff (durations scaled), then succeeds', async () => {
    const h = harness({
      reserve: (attempt) => {
        if (attempt < 3) throw Object.assign(new Error('try again'), { name: 'TransientError' });
        return { reservedUntil: 'third time' };
      },
    });
    const { executionArn } = h.machine.startExecution({ name: 'retry', input });
    h.machine.sendTaskSuccess(await h.nextToken(), { approved: true });
    const done = await h.machine.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(h.reserveAttempts()).toBe(3);
    const retried = h.machine.getExecutionHistory(executionArn).filter((e) => e.type === 'StateRetried');
    expect(retried.map((e) => e.stateName)).toEqual(['Reserve', 'Reserve']);
  });

  it('routes a thrown Error by its name: not retried, caught into compensation', async () => {
    const h = harness({
      reserve: () => {
        throw Object.assign(new Error('no stock'), { name: 'OutOfStockError' });
      },
    });
    const { executionArn } = h.machine.startExecution({ name: 'oos', input });
    const done = await h.machine.waitForExecution(executionArn);
    expect(h.reserveAttempts()).toBe(1);
    expect(JSON.parse(done.output!)).toMatchObject({
      error: { Error: 'OutOfStockError', Cause: 'no stock' },
      outcome: 'compensated',
    });
  });

  it('gives up after MaxAttempts retries and then catches', async () => {
    const h = harness({
      reserve: () => {
        throw Object.assign(new Error('still down'), { name: 'TransientError' });
      },
    });
    const { executionArn } = h.machine.startExecution({ name: 'retry-exhausted', input });
    const done = await h.machine.waitForExecution(executionArn);
    expect(h.reserveAttempts()).toBe(4);
    expect(JSON.parse(done.output!)).toMatchObject({ error: { Error: 'TransientError' } });
  });

  it('startExecution is idempotent by name while running; other input or a closed one → ExecutionAlreadyExists', async () => {
    const h = harness();
    const first = h.machine.startExecution({ name: 'order-7', input });
    const again = h.machine.startExecution({ name: 'order-7', input: JSON.stringify(input) });
    expect(again).toEqual(first);
    expect(
      errorOf(() => h.machine.startExecution({ name: 'order-7', input: { order: { orderId: 'other' } } }))
        .name,
    ).toBe('ExecutionAlreadyExists');

    h.machine.sendTaskSuccess(await h.nextToken(), { approved: true });
    await h.machine.waitForExecution(first.executionArn);
    expect(h.calls.filter((c) => c.fn === FN('reserve'))).toHaveLength(1);
    expect(errorOf(() => h.machine.startExecution({ name: 'order-7', input })).name).toBe(
      'ExecutionAlreadyExists',
    );
    expect(h.machine.listExecutions('SUCCEEDED').map((e) => e.name)).toEqual(['order-7']);
  });

  it('answers task-token calls on unknown tokens with TaskDoesNotExist', () => {
    const h = harness();
    for (const call of [
      () => h.machine.sendTaskSuccess('nope', '{}'),
      () => h.machine.sendTaskFailure('nope', 'E', 'c'),
      () => h.machine.sendTaskHeartbeat('nope'),
    ]) {
      expect(errorOf(call).name).toBe('TaskDoesNotExist');
    }
    expect(errorOf(() => h.machine.describeExecution('arn:nope')).name).toBe('ExecutionDoesNotExist');
    expect(errorOf(() => h.machine.startExecution({ name: 'bad name!' })).name).toBe('InvalidName');
  });

  it('rejects invalid output JSON without spending the token', async () => {
    const h = harness();
    const { executionArn } = h.machine.startExecution({ name: 'bad-output', input });
    const token = await h.nextToken();
    expect(errorOf(() => h.machine.sendTaskSuccess(token, '{not json')).name).toBe('InvalidOutput');
    h.machine.sendTaskSuccess(token, '{"approved":true}');
    expect((await h.machine.waitForExecution(executionArn)).status).toBe('SUCCEEDED');
  });

  it('stopExecution aborts: ABORTED with error and cause, no compensation, the token is dead', async () => {
    const h = harness();
    const { executionArn } = h.machine.startExecution({ name: 'stopped', input });
    const token = await h.nextToken();
    h.machine.stopExecution(executionArn, { error: 'Operator', cause: 'drill' });
    const done = await h.machine.waitForExecution(executionArn);
    expect(done).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'drill' });
    expect(errorOf(() => h.machine.sendTaskSuccess(token, '{}')).name).toBe('TaskTimedOut');
    expect(h.calls.map((c) => c.fn)).not.toContain(FN('release'));
    expect(h.machine.getExecutionHistory(executionArn).map((e) => e.type)).toContain('ExecutionAborted');
  });

  it('times a waiting task out (States.Timeout, not caught by a specific catcher) and retires its token', async () => {
    // A waiting task's timeout is scaled no lower than 60 s or its own value: Pay's 1 s stays 1 s.
    const h = harness({
      def: {
        ...definition,
        States: { ...definition.States, Pay: { ...definition.States.Pay, TimeoutSeconds: 1 } },
      },
    });
    const { executionArn } = h.machine.startExecution({ name: 'timeout', input });
    const token = await h.nextToken();
    const done = await h.machine.waitForExecution(executionArn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(errorOf(() => h.machine.sendTaskSuccess(token, '{}')).name).toBe('TaskTimedOut');
  });

  it('times out a whole execution (TIMED_OUT)', async () => {
    // 1000 s / 1000 = 1 s for the execution, well before Pay's own timeout (60 s, the floor of a waiting task).
    const h = harness({ def: { ...definition, TimeoutSeconds: 1000 } });
    const { executionArn } = h.machine.startExecution({ name: 'exec-timeout', input });
    const token = await h.nextToken();
    const done = await h.machine.waitForExecution(executionArn);
    expect(done.status).toBe('TIMED_OUT');
    expect(errorOf(() => h.machine.sendTaskSuccess(token, '{}')).name).toBe('TaskTimedOut');
  });

  it('serves SQS waitForTaskToken and DynamoDB updateItem integrations; errors get the service prefix', async () => {
    const sent: { queueUrl: string; body: string }[] = [];
    const updates: unknown[] = [];
    let failUpdate = false;
    const machine = track(
      new LocalStateMachine({
        definition: {
          StartAt: 'Record',
          States: {
            Record: {
              Type: 'Task',
              Resource: 'arn:aws:states:::dynamodb:updateItem',
              Parameters: {
                TableName: 'orders',
                Key: { pk: { 'S.$': "States.Format('ORDER#{}', $.id)" } },
                UpdateExpression: 'SET execution = :e',
                ExpressionAttributeValues: { ':e': { 'S.$': '$$.Execution.Id' } },
              },
              ResultPath: null,
              Catch: [
                {
                  ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'],
                  ResultPath: '$.error',
                  Next: 'NotOwned',
                },
              ],
              Next: 'Ship',
            },
            Ship: {
              Type: 'Task',
              Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
              Parameters: {
                QueueUrl: 'http://localhost/q/shipping',
                MessageBody: { 'id.$': '$.id', 'taskToken.$': '$$.Task.Token' },
              },
              ResultPath: '$.shipment',
              End: true,
            },
            NotOwned: { Type: 'Fail', Error: 'NotOwned', Cause: 'not here' },
          },
        },
        sendMessage: (queueUrl, body) => {
          sent.push({ queueUrl, body });
          return { MessageId: 'm-1' };
        },
        updateItem: (params) => {
          updates.push(params);
          if (failUpdate) {
            throw Object.assign(new Error('The conditional request failed'), {
              name: 'ConditionalCheckFailedException',
            });
          }
          return {};
        },
      }),
    );
    const { executionArn } = machine.startExecution({ name: 'svc', input: { id: 'o-9' } });
    while (sent.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(updates[0]).toEqual({
      TableName: 'orders',
      Key: { pk: { S: 'ORDER#o-9' } },
      UpdateExpression: 'SET execution = :e',
      ExpressionAttributeValues: { ':e': { S: executionArn } },
    });
    expect(sent[0]!.queueUrl).toBe('http://localhost/q/shipping');
    const body = JSON.parse(sent[0]!.body) as { id: string; taskToken: string };
    expect(body.id).toBe('o-9');
    machine.sendTaskSuccess(body.taskToken, { shipmentId: 's-1' });
    const done = await machine.waitForExecution(executionArn);
    expect(JSON.parse(done.output!)).toEqual({ id: 'o-9', shipment: { shipmentId: 's-1' } });

    failUpdate = true;
    const second = machine.startExecution({ name: 'svc-2', input: { id: 'o-10' } });
    expect(await machine.waitForExecution(second.executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'NotOwned',
      cause: 'not here',
    });
  });

  it('refuses definitions with Task resources it cannot serve', () => {
    expect(parseTaskResource('arn:aws:states:::events:putEvents')).toBeUndefined();
    expect(parseTaskResource('arn:aws:states:::lambda:invoke.waitForTaskToken')).toEqual({
      kind: 'lambda:invoke',
      waitForTaskToken: true,
    });
    const error = errorOf(
      () =>
        new LocalStateMachine({
          definition: {
            StartAt: 'Put',
            States: { Put: { Type: 'Task', Resource: 'arn:aws:states:::events:putEvents', End: true } },
          },
        }),
    );
    expect(error.name).toBe('InvalidDefinition');
    expect(error.message).toContain('Put (arn:aws:states:::events:putEvents)');
  });
});

describe('the order saga from the cloud assembly (bundling off)', () => {
  jest.setTimeout(120_000);
  let outdir: string;
  let model: LocalAssembly;
  const cleanup: (() => void)[] = [];
  beforeAll(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'meridian-sfn-'));
    model = synthLocal({ outdir, bundling: false });
  });
  afterAll(() => {
    for (const fn of cleanup) fn();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('runs the happy path to SUCCEEDED with in-memory handlers', async () => {
    const saga = model.regions[0]!.stateMachines[0]!;
    const statuses: string[] = [];
    const updates: unknown[] = [];
    const machine: LocalStateMachine = track(
      new LocalStateMachine({
        definition: saga.definition,
        stateMachineArn: saga.arn,
        timeScale: 1000,
        invokeFunction: (_fn, payload): JsonValue => {
          const p = payload as Record<string, JsonValue>;
          if (typeof p.taskToken === 'string') {
            const token = p.taskToken;
            setImmediate(() => machine.sendTaskSuccess(token, { authorized: true }));
            return null;
          }
          if (typeof p.status === 'string') {
            statuses.push(p.status);
            return { orderId: p.orderId ?? null, status: p.status };
          }
          return {};
        },
        sendMessage: (_queueUrl, body) => {
          const token = (JSON.parse(body) as { taskToken: string }).taskToken;
          setImmediate(() => machine.sendTaskSuccess(token, { shipmentId: 's-1' }));
          return { MessageId: 'm-1' };
        },
        updateItem: (params) => {
          updates.push(params);
          return {};
        },
      }),
    );
    const { executionArn } = machine.startExecution({
      name: 'o-1',
      input: { order: { orderId: 'o-1', correlationId: 'c-1' } },
    });
    const done = await machine.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(statuses).toEqual(['RESERVED', 'PAID', 'SHIPPED', 'FULFILLED']);
    expect(updates).toHaveLength(1);
    expect(JSON.stringify(updates[0])).toContain(executionArn);
  });

  it('resumes the saga after a crash while it waits for the payment: no step before it runs again', async () => {
    const region = model.regions[0]!;
    const saga = region.stateMachines[0]!;
    const dir = mkdtempSync(path.join(tmpdir(), 'meridian-saga-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    /** A region process: its step functions recorded; authorizePayment answers only when `pay` says so. */
    const boot = (pay: boolean) => {
      const steps: string[] = [];
      const tokens: string[] = [];
      let updates = 0;
      const registry: LocalStepFunctions = new LocalStepFunctions({
        region: region.region,
        accountId: region.accountId,
        machines: [saga],
        dir,
        // Step timeouts 60 s → 6 s, the payment's 300 s → 30 s: nothing times out during the test.
        timeScale: 10,
        invokeFunction: (fn, payload): JsonValue => {
          const p = payload as Record<string, JsonValue>;
          const name = /function:Services([a-zA-Z]+?)Function/.exec(fn)?.[1] ?? fn;
          steps.push(typeof p.status === 'string' ? `${name}:${p.status}` : name);
          if (typeof p.taskToken === 'string') {
            const token = p.taskToken;
            tokens.push(token);
            if (pay) setImmediate(() => registry.sendTaskSuccess(token, { authorized: true }));
            return null;
          }
          return typeof p.status === 'string' ? { orderId: p.orderId ?? null, status: p.status } : {};
        },
        sendMessage: (_queueUrl, body) => {
          const token = (JSON.parse(body) as { taskToken: string }).taskToken;
          setImmediate(() => registry.sendTaskSuccess(token, { shipmentId: 's-1' }));
          return { MessageId: 'm-1' };
        },
        updateItem: () => {
          updates += 1;
          return {};
        },
      });
      cleanup.push(() => registry.close());
      return { registry, steps, tokens, updates: () => updates };
    };

    const before = boot(false);
    const { executionArn } = before.registry.startExecution(saga.arn, {
      name: 'o-9',
      input: { order: { orderId: 'o-9', correlationId: 'c-9' } },
    });
    for (let i = 0; i < 2000 && before.tokens.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(before.steps).toEqual(['reserveStock', 'setOrderStatus:RESERVED', 'authorizePayment']);
    expect(before.updates()).toBe(1);

    // The region is killed while the saga waits for the payment webhook, then restarted on the same dir.
    const after = boot(true);
    const done = await after.registry.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(after.steps).toEqual([
      'authorizePayment',
      'capturePayment',
      'commitStock',
      'setOrderStatus:PAID',
      'setOrderStatus:SHIPPED',
      'setOrderStatus:FULFILLED',
      'notify',
    ]);
    expect(after.updates()).toBe(0);
    expect(after.tokens[0]).not.toBe(before.tokens[0]);
    expect(() => after.registry.sendTaskSuccess(before.tokens[0]!, '{}')).toThrow(
      expect.objectContaining({ name: 'TaskTimedOut' }),
    );
  });
});

describe('scaleDefinition', () => {
  it('scales waits, retries and callback timeouts, but not the timeout of a call that does real work', () => {
    const machine: JsonObject = {
      TimeoutSeconds: 600,
      StartAt: 'Invoke',
      States: {
        Invoke: {
          Type: 'Task',
          Resource: FN('reserve'),
          TimeoutSeconds: 10,
          Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxDelaySeconds: 20 }],
          Next: 'Callback',
        },
        Callback: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          TimeoutSeconds: 300,
          HeartbeatSeconds: 60,
          Next: 'Ship',
        },
        Ship: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
          TimeoutSeconds: 86_400,
          Next: 'Pause',
        },
        Pause: { Type: 'Wait', Seconds: 40, End: true },
      },
    };

    scaleDefinition(machine, 20);

    const states = machine.States as Record<string, Record<string, unknown>>;
    expect(machine.TimeoutSeconds).toBe(30);
    expect(states.Invoke!.TimeoutSeconds).toBe(10);
    expect(states.Invoke!.Retry).toEqual([
      { ErrorEquals: ['States.ALL'], IntervalSeconds: 0.1, MaxDelaySeconds: 1 },
    ]);
    // Callbacks wait on real work: scaled, but never below a minute (or their own timeout).
    expect(states.Callback!.TimeoutSeconds).toBe(60);
    expect(states.Callback!.HeartbeatSeconds).toBe(60);
    expect(states.Ship!.TimeoutSeconds).toBe(4320);
    expect(states.Pause!.Seconds).toBe(2);
  });
});
