import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import type { StateMachineModel } from '../../../local/assembly/model';
import {
  LocalStepFunctions,
  stepFunctionsServer,
  type JsonValue,
  type StepFunctionsServer,
} from '../../../local/stepfunctions';

const REGION = 'us-east-1';
const ACCOUNT = '111111111111';
const FN = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}:live`;
const SM = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;

/** Reserve (Lambda) → Pay (lambda:invoke.waitForTaskToken) → Approved? → Done | NotApproved; Catch → Compensate. */
const orderDefinition = {
  StartAt: 'Reserve',
  States: {
    Reserve: {
      Type: 'Task',
      Resource: FN('reserve'),
      Parameters: { 'order.$': '$.order' },
      ResultPath: '$.reservation',
      TimeoutSeconds: 10,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Compensate' }],
      Next: 'Pay',
    },
    Pay: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: FN('pay'),
        Payload: { 'order.$': '$.order', 'taskToken.$': '$$.Task.Token' },
      },
      ResultPath: '$.payment',
      TimeoutSeconds: 60,
      HeartbeatSeconds: 30,
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
      End: true,
    },
  },
};

/** A Map over `$.items` and a Parallel of two Pass branches: the history's Map/Parallel events. */
const fanOutDefinition = {
  StartAt: 'EachItem',
  States: {
    EachItem: {
      Type: 'Map',
      ItemsPath: '$.items',
      ResultPath: '$.mapped',
      Iterator: {
        StartAt: 'Double',
        States: { Double: { Type: 'Task', Resource: FN('double'), End: true } },
      },
      Next: 'Both',
    },
    Both: {
      Type: 'Parallel',
      ResultPath: '$.both',
      Branches: [
        { StartAt: 'Left', States: { Left: { Type: 'Pass', Result: 'l', End: true } } },
        { StartAt: 'Right', States: { Right: { Type: 'Pass', Result: 'r', End: true } } },
      ],
      End: true,
    },
  },
};

const machines: StateMachineModel[] = [
  { logicalId: 'Orders', name: 'orders', arn: SM('orders'), type: 'STANDARD', definition: orderDefinition },
  {
    logicalId: 'FanOut',
    name: 'fan-out',
    arn: SM('fan-out'),
    type: 'STANDARD',
    definition: fanOutDefinition,
  },
];

interface Harness {
  registry: LocalStepFunctions;
  server: StepFunctionsServer;
  sfn: SFNClient;
  calls: { fn: string; payload: JsonValue }[];
  logs: string[];
  /** The next task token `pay` receives. */
  nextToken(): Promise<string>;
  /** Forgets the calls and tokens seen so far. */
  reset(): void;
}

const open: Harness[] = [];

async function newHarness(): Promise<Harness> {
  const calls: Harness['calls'] = [];
  const logs: string[] = [];
  const tokens: string[] = [];
  let cursor = 0;
  const registry = new LocalStepFunctions({
    region: REGION,
    accountId: ACCOUNT,
    machines,
    // Pay's TimeoutSeconds 60 and HeartbeatSeconds 30 stay as they are (a waiting task scales no lower than
    // 60 s or its own value): room for SDK round trips on a busy machine.
    timeScale: 10,
    invokeFunction: (fn, payload): JsonValue => {
      calls.push({ fn, payload });
      if (fn === FN('reserve')) return { reservedUntil: 'later' };
      if (fn === FN('pay')) {
        tokens.push((payload as { taskToken: string }).taskToken);
        return null;
      }
      if (fn === FN('release')) return { released: true };
      if (fn === FN('double')) return (payload as number) * 2;
      throw new Error(`unexpected function ${fn}`);
    },
    sendMessage: () => ({ MessageId: 'm-1' }),
    updateItem: () => ({}),
    log: (line) => logs.push(line),
  });
  const server = await stepFunctionsServer(registry);
  const sfn = new SFNClient({
    region: REGION,
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  const nextToken = async () => {
    await until(() => tokens.length > cursor);
    cursor += 1;
    return tokens[cursor - 1]!;
  };
  const reset = () => {
    calls.length = 0;
    cursor = tokens.length;
  };
  const h = { registry, server, sfn, calls, logs, nextToken, reset };
  open.push(h);
  return h;
}

afterAll(async () => {
  for (const h of open.splice(0)) {
    h.sfn.destroy();
    await h.server.close();
    h.registry.close();
  }
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function settled(h: Harness, executionArn: string) {
  for (;;) {
    const d = await h.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== 'RUNNING') return d;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function errorOf(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

const input = JSON.stringify({ order: { orderId: 'o-1', amount: 42 } });

describe('Step Functions API over HTTP (real @aws-sdk/client-sfn)', () => {
  // One registry and server for the whole file (building one validates its definitions); every test uses
  // its own execution names. The listing test and the wire-protocol test (which closes its registry) build
  // their own.
  let shared: Promise<Harness> | undefined;
  const harness = async (): Promise<Harness> => {
    shared ??= newHarness();
    const h = await shared;
    h.reset();
    return h;
  };
  it('starts, completes a waitForTaskToken task with SendTaskSuccess, and describes the execution', async () => {
    const h = await harness();
    const started = await h.sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM('orders'), name: 'ok-1', input }),
    );
    expect(started.executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:orders:ok-1`);
    expect(started.startDate).toBeInstanceOf(Date);

    const token = await h.nextToken();
    const running = await h.sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(running).toMatchObject({ status: 'RUNNING', name: 'ok-1', stateMachineArn: SM('orders'), input });
    await h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await h.sfn.send(
      new SendTaskSuccessCommand({
        taskToken: token,
        output: JSON.stringify({ approved: true, chargeId: 'c' }),
      }),
    );

    const done = await settled(h, started.executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.stopDate).toBeInstanceOf(Date);
    expect(done.startDate!.getTime()).toBe(started.startDate!.getTime());
    expect(JSON.parse(done.output!)).toEqual({
      order: { orderId: 'o-1', amount: 42 },
      reservation: { reservedUntil: 'later' },
      payment: { approved: true, chargeId: 'c' },
    });
    // The spent token: the task is over.
    const late = await errorOf(h.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })));
    expect(late.name).toBe('TaskTimedOut');
    expect(late.$metadata?.httpStatusCode).toBe(400);
  });

  it('returns the history in the AWS event shapes, paginated, reversible, with or without data', async () => {
    const h = await harness();
    const { executionArn } = await h.sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM('orders'), name: 'hist', input }),
    );
    const token = await h.nextToken();
    await h.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
    await settled(h, executionArn!);

    const { events, nextToken } = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(nextToken).toBeUndefined();
    const all = events!;
    expect(all.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    all.forEach((e, i) => {
      expect(e.id).toBe(i + 1);
      expect(e.previousEventId).toBe(i);
      expect(e.timestamp).toBeInstanceOf(Date);
    });
    const byType = (type: string): HistoryEvent => all.find((e) => e.type === type)!;
    expect(byType('ExecutionStarted').executionStartedEventDetails).toMatchObject({
      input: JSON.stringify(JSON.parse(input)),
      roleArn: expect.stringContaining(`arn:aws:iam::${ACCOUNT}:role/`),
    });
    expect(byType('TaskStateEntered').stateEnteredEventDetails).toMatchObject({ name: 'Reserve' });
    expect(byType('LambdaFunctionScheduled').lambdaFunctionScheduledEventDetails).toMatchObject({
      resource: FN('reserve'),
      input: JSON.stringify({ order: { orderId: 'o-1', amount: 42 } }),
      timeoutInSeconds: 10,
    });
    const scheduled = byType('TaskScheduled').taskScheduledEventDetails!;
    expect(scheduled).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      region: REGION,
      timeoutInSeconds: 60,
      heartbeatInSeconds: 30,
    });
    expect(JSON.parse(scheduled.parameters!)).toEqual({
      FunctionName: FN('pay'),
      Payload: { order: { orderId: 'o-1', amount: 42 }, taskToken: token },
    });
    expect(byType('TaskSucceeded').taskSucceededEventDetails).toMatchObject({
      resourceType: 'lambda',
      output: '{"approved":true}',
    });
    expect(JSON.parse(all[all.length - 1]!.executionSucceededEventDetails!.output!)).toMatchObject({
      payment: { approved: true },
    });

    // Pages of 5 put back together are the whole history; the token is opaque and bound to the listing.
    const pages: HistoryEvent[] = [];
    let page: string | undefined;
    do {
      const r = await h.sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 5, nextToken: page }),
      );
      expect(r.events!.length).toBeLessThanOrEqual(5);
      pages.push(...r.events!);
      page = r.nextToken;
    } while (page);
    expect(pages).toEqual(all);

    const reversed = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));
    expect(reversed.events!.map((e) => e.id)).toEqual(all.map((e) => e.id).reverse());

    const noData = await h.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }),
    );
    const started = noData.events!.find((e) => e.type === 'ExecutionStarted')!;
    expect(started.executionStartedEventDetails!.input).toBeUndefined();
    expect(
      noData.events!.find((e) => e.type === 'TaskScheduled')!.taskScheduledEventDetails!.parameters,
    ).toBeUndefined();
  });

  it('reports Map and Parallel states with their AWS events', async () => {
    const h = await harness();
    const { executionArn } = await h.sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM('fan-out'), input: '{"items":[1,2,3]}' }),
    );
    const done = await settled(h, executionArn!);
    expect(JSON.parse(done.output!)).toEqual({ items: [1, 2, 3], mapped: [2, 4, 6], both: ['l', 'r'] });
    const { events } = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = events!.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'MapStateEntered',
        'MapStateStarted',
        'MapIterationStarted',
        'MapIterationSucceeded',
        'MapStateSucceeded',
        'MapStateExited',
        'ParallelStateEntered',
        'ParallelStateStarted',
        'PassStateEntered',
        'ParallelStateSucceeded',
        'ParallelStateExited',
      ]),
    );
    expect(events!.find((e) => e.type === 'MapStateStarted')!.mapStateStartedEventDetails).toEqual({
      length: 3,
    });
    expect(types.filter((t) => t === 'MapIterationSucceeded')).toHaveLength(3);
    expect(types.filter((t) => t === 'LambdaFunctionSucceeded')).toHaveLength(3);
  });

  it('routes SendTaskFailure to the Catch (compensation) and records TaskFailed', async () => {
    const h = await harness();
    const { executionArn } = await h.sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM('orders'), name: 'declined', input }),
    );
    await h.sfn.send(
      new SendTaskFailureCommand({
        taskToken: await h.nextToken(),
        error: 'PaymentDeclinedError',
        cause: 'card',
      }),
    );
    const done = await settled(h, executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toMatchObject({
      error: { Error: 'PaymentDeclinedError', Cause: 'card' },
      released: { released: true },
    });
    expect(h.calls.map((c) => c.fn)).toEqual([FN('reserve'), FN('pay'), FN('release')]);
    const { events } = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events!.find((e) => e.type === 'TaskFailed')!.taskFailedEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      error: 'PaymentDeclinedError',
      cause: 'card',
    });
  });

  it('fails an execution on an uncaught error and reports error and cause', async () => {
    const h = await harness();
    const { executionArn } = await h.sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM('orders'), name: 'not-approved', input }),
    );
    await h.sfn.send(
      new SendTaskSuccessCommand({ taskToken: await h.nextToken(), output: '{"approved":false}' }),
    );
    const done = await settled(h, executionArn!);
    expect(done).toMatchObject({
      status: 'FAILED',
      error: 'NotApprovedError',
      cause: 'payment not approved',
    });
    const { events } = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));
    expect(events![0]!.type).toBe('ExecutionFailed');
    expect(events![0]!.executionFailedEventDetails).toEqual({
      error: 'NotApprovedError',
      cause: 'payment not approved',
    });
    expect(events![1]!.type).toBe('FailStateEntered');
  });

  it('stops an execution: ABORTED with error and cause, its token dead', async () => {
    const h = await harness();
    const { executionArn } = await h.sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM('orders'), name: 'stopped', input }),
    );
    const token = await h.nextToken();
    const stopped = await h.sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'drill' }),
    );
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const d = await h.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(d).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'drill' });
    expect(
      (await errorOf(h.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).name,
    ).toBe('TaskTimedOut');
    expect((await errorOf(h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token })))).name).toBe(
      'TaskTimedOut',
    );
    const { events } = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));
    expect(events![0]).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Operator', cause: 'drill' },
    });
    expect(h.calls.map((c) => c.fn)).not.toContain(FN('release'));
  });

  it('StartExecution is idempotent by name and input; another input → ExecutionAlreadyExists', async () => {
    const h = await harness();
    const first = await h.sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM('orders'), name: 'o-7', input }),
    );
    const again = await h.sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM('orders'), name: 'o-7', input }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate!.getTime()).toBe(first.startDate!.getTime());
    const other = await errorOf(
      h.sfn.send(new StartExecutionCommand({ stateMachineArn: SM('orders'), name: 'o-7', input: '{"x":1}' })),
    );
    expect(other.name).toBe('ExecutionAlreadyExists');
    expect(other.message).toContain(first.executionArn);
    expect(other.$metadata?.httpStatusCode).toBe(400);
    await until(() => h.calls.length === 2);
    expect(h.calls.filter((c) => c.fn === FN('reserve'))).toHaveLength(1);
  });

  it('lists executions newest first, filtered by status, paginated', async () => {
    const h = await newHarness();
    const names = ['l-1', 'l-2', 'l-3'];
    for (const name of names) {
      await h.sfn.send(new StartExecutionCommand({ stateMachineArn: SM('orders'), name, input }));
      await h.nextToken();
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await h.sfn.send(
      new StopExecutionCommand({ executionArn: `${SM('orders').replace('stateMachine', 'execution')}:l-2` }),
    );
    const all = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: SM('orders') }));
    expect(all.executions!.map((e) => e.name)).toEqual(['l-3', 'l-2', 'l-1']);
    expect(all.executions![0]).toMatchObject({ stateMachineArn: SM('orders'), status: 'RUNNING' });
    expect(all.executions![0]!.startDate).toBeInstanceOf(Date);
    const running = await h.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: SM('orders'), statusFilter: 'RUNNING' }),
    );
    expect(running.executions!.map((e) => e.name)).toEqual(['l-3', 'l-1']);
    const aborted = await h.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: SM('orders'), statusFilter: 'ABORTED' }),
    );
    expect(aborted.executions!.map((e) => e.name)).toEqual(['l-2']);
    expect(aborted.executions![0]!.stopDate).toBeInstanceOf(Date);
    const first = await h.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: SM('orders'), maxResults: 2 }),
    );
    expect(first.executions!.map((e) => e.name)).toEqual(['l-3', 'l-2']);
    const second = await h.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: SM('orders'), maxResults: 2, nextToken: first.nextToken }),
    );
    expect(second.executions!.map((e) => e.name)).toEqual(['l-1']);
    expect(second.nextToken).toBeUndefined();
    expect(h.registry.stats()).toEqual([
      { stateMachine: 'orders', running: 2, succeeded: 0, failed: 0, timedOut: 0, aborted: 1 },
      { stateMachine: 'fan-out', running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0 },
    ]);
  });

  it('describes and lists the state machines', async () => {
    const h = await harness();
    const d = await h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: SM('orders') }));
    expect(d).toMatchObject({
      stateMachineArn: SM('orders'),
      name: 'orders',
      status: 'ACTIVE',
      type: 'STANDARD',
    });
    expect(JSON.parse(d.definition!)).toEqual(orderDefinition);
    expect(d.roleArn).toMatch(/^arn:aws:iam::111111111111:role\//);
    expect(d.creationDate).toBeInstanceOf(Date);
    const list = await h.sfn.send(new ListStateMachinesCommand({}));
    expect(list.stateMachines!.map((m) => [m.name, m.stateMachineArn, m.type])).toEqual([
      ['fan-out', SM('fan-out'), 'STANDARD'],
      ['orders', SM('orders'), 'STANDARD'],
    ]);
    const paged = await h.sfn.send(new ListStateMachinesCommand({ maxResults: 1 }));
    expect(paged.stateMachines).toHaveLength(1);
    expect(paged.nextToken).toBeDefined();
  });

  it('answers bad requests with the AWS error names', async () => {
    const h = await harness();
    const start = (over: Record<string, unknown>) =>
      errorOf(h.sfn.send(new StartExecutionCommand({ stateMachineArn: SM('orders'), ...over })));
    const cases: [Promise<Error>, string][] = [
      [start({ input: '{not json' }), 'InvalidExecutionInput'],
      [start({ input: JSON.stringify({ big: 'x'.repeat(262_144) }) }), 'InvalidExecutionInput'],
      [start({ name: 'bad name!' }), 'InvalidName'],
      [start({ name: 'x'.repeat(81) }), 'ValidationException'],
      [start({ stateMachineArn: 'not-an-arn' }), 'InvalidArn'],
      [start({ stateMachineArn: SM('nope') }), 'StateMachineDoesNotExist'],
      [start({ stateMachineArn: undefined }), 'ValidationException'],
      [errorOf(h.sfn.send(new DescribeExecutionCommand({ executionArn: SM('orders') }))), 'InvalidArn'],
      [
        errorOf(
          h.sfn.send(
            new DescribeExecutionCommand({
              executionArn: `${SM('orders').replace('stateMachine', 'execution')}:nope`,
            }),
          ),
        ),
        'ExecutionDoesNotExist',
      ],
      [
        errorOf(
          h.sfn.send(
            new GetExecutionHistoryCommand({
              executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:other:x`,
            }),
          ),
        ),
        'ExecutionDoesNotExist',
      ],
      [
        errorOf(h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: SM('nope') }))),
        'StateMachineDoesNotExist',
      ],
      [
        errorOf(h.sfn.send(new ListExecutionsCommand({ stateMachineArn: SM('orders'), maxResults: 5000 }))),
        'ValidationException',
      ],
      [
        errorOf(
          h.sfn.send(
            new ListExecutionsCommand({ stateMachineArn: SM('orders'), statusFilter: 'NOPE' as never }),
          ),
        ),
        'ValidationException',
      ],
      [
        errorOf(
          h.sfn.send(new ListExecutionsCommand({ stateMachineArn: SM('orders'), nextToken: 'garbage' })),
        ),
        'InvalidToken',
      ],
      [errorOf(h.sfn.send(new SendTaskSuccessCommand({ taskToken: 'nope', output: '{}' }))), 'InvalidToken'],
      [
        errorOf(h.sfn.send(new SendTaskSuccessCommand({ taskToken: 'A'.repeat(43), output: '{}' }))),
        'TaskDoesNotExist',
      ],
      [errorOf(h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'B'.repeat(43) }))), 'TaskDoesNotExist'],
    ];
    for (const [promise, name] of cases) {
      const error = await promise;
      expect({ name: error.name, message: error.message.length > 0 }).toEqual({ name, message: true });
    }
    // Invalid output JSON leaves the token usable.
    const { executionArn } = await h.sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM('orders'), name: 'bad-output', input }),
    );
    const token = await h.nextToken();
    expect(
      (await errorOf(h.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{nope' })))).name,
    ).toBe('InvalidOutput');
    await h.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
    expect((await settled(h, executionArn!)).status).toBe('SUCCEEDED');
  });

  it('speaks the wire protocol: __type errors, unknown operations, bad bodies, internal failures', async () => {
    const h = await newHarness();
    const post = async (target: string, body: string) => {
      const res = await fetch(h.server.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
        body,
      });
      return {
        status: res.status,
        type: res.headers.get('content-type'),
        body: (await res.json()) as Record<string, string>,
      };
    };
    const missing = await post(
      'AWSStepFunctions.DescribeExecution',
      JSON.stringify({ executionArn: `${SM('orders').replace('stateMachine', 'execution')}:none` }),
    );
    expect(missing).toMatchObject({
      status: 400,
      type: 'application/x-amz-json-1.0',
      body: {
        __type: 'com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist',
        message: expect.stringContaining(':none'),
      },
    });
    expect(await post('AWSStepFunctions.CreateActivity', '{}')).toMatchObject({
      status: 400,
      body: { __type: expect.stringMatching(/#UnknownOperationException$/) },
    });
    expect(await post('Nope.Thing', '{}')).toMatchObject({
      status: 400,
      body: { __type: expect.stringMatching(/#UnknownOperationException$/) },
    });
    expect(await post('AWSStepFunctions.StartExecution', '{oops')).toMatchObject({
      status: 400,
      body: { __type: expect.stringMatching(/#SerializationException$/) },
    });
    expect(
      await post('AWSStepFunctions.StartExecution', JSON.stringify({ stateMachineArn: 42 })),
    ).toMatchObject({
      status: 400,
      body: { __type: expect.stringMatching(/#SerializationException$/) },
    });
    // A closed registry refuses new executions with a plain error: an InternalFailure, logged, no stack leaked;
    // the server keeps answering.
    h.registry.close();
    const failure = await post(
      'AWSStepFunctions.StartExecution',
      JSON.stringify({ stateMachineArn: SM('orders') }),
    );
    expect(failure).toEqual({
      status: 500,
      type: 'application/x-amz-json-1.0',
      body: { __type: 'com.amazon.coral.service#InternalFailure', message: 'Internal failure' },
    });
    expect(h.logs.some((l) => l.includes('internal failure'))).toBe(true);
    const list = await h.sfn.send(new ListStateMachinesCommand({}));
    expect(list.stateMachines).toHaveLength(2);
  });
});
