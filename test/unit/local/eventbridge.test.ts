import {
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  InvalidEventPatternException,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  ResourceNotFoundException,
  TestEventPatternCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import {
  LocalEventBridge,
  TargetDeliveryError,
  eventBridgeServer,
  type EventBridgeEvent,
  type EventBridgeHttpServer,
  type EventRule,
  type EventRuleTarget,
} from '../../../local/eventbridge';
import type { MessageAttributeValue } from '../../../local/sqs';

const REGION = 'us-east-1';
const PEER = 'eu-west-1';
const ACCOUNT = '111111111111';
const BUS = 'meridian-local-bus';
const BUS_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${BUS}`;
const PEER_BUS_ARN = `arn:aws:events:${PEER}:${ACCOUNT}:event-bus/${BUS}`;
const DLQ = `arn:aws:sqs:${REGION}:${ACCOUNT}:EventTargetDlq`;
const fn = (name: string): string => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}:live`;
const QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:inbox`;
const MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Saga`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`;

interface Call {
  readonly port: 'lambda' | 'sqs' | 'states' | 'eventBus' | 'sns';
  readonly arn: string;
  readonly payload: unknown;
  readonly attributes?: Readonly<Record<string, MessageAttributeValue>>;
}

/** Target ports that record every call; ARNs in `failing` reject with the error the map gives. */
function recordingPorts(failing: Map<string, () => Error> = new Map()) {
  const calls: Call[] = [];
  const record = async (call: Call): Promise<void> => {
    const fail = failing.get(call.arn);
    if (fail) throw fail();
    calls.push(call);
  };
  return {
    calls,
    ports: {
      lambda: (arn: string, payload: unknown) => record({ port: 'lambda', arn, payload }),
      sqs: (arn: string, body: string, attributes?: Readonly<Record<string, MessageAttributeValue>>) =>
        record({ port: 'sqs', arn, payload: body, ...(attributes && { attributes }) }),
      states: (arn: string, input: string) => record({ port: 'states', arn, payload: input }),
      eventBus: (arn: string, event: EventBridgeEvent) => record({ port: 'eventBus', arn, payload: event }),
      sns: (arn: string, message: string) => record({ port: 'sns', arn, payload: message }),
    },
  };
}

function target(
  kind: EventRuleTarget['kind'],
  arn: string,
  extra: Partial<EventRuleTarget> = {},
): EventRuleTarget {
  return { id: 'Target0', kind, ref: { arn }, deadLetterQueue: { arn: DLQ }, ...extra };
}

function rule(
  logicalId: string,
  eventPattern: Record<string, unknown>,
  targets: EventRuleTarget[],
): EventRule {
  return { logicalId, busName: BUS, eventPattern, enabled: true, targets };
}

const RULES: EventRule[] = [
  // Like the synthesized forward rule: this region's meridian.* events go to the peer's bus.
  rule('Forward', { source: [{ prefix: 'meridian.' }], detail: { region: [REGION] } }, [
    target('event-bus', PEER_BUS_ARN),
  ]),
  rule('Placed', { source: [{ prefix: 'meridian.' }], 'detail-type': ['OrderPlaced'] }, [
    target('lambda', fn('orders'), {
      retryPolicy: { maximumRetryAttempts: 8, maximumEventAgeSeconds: 7200 },
    }),
  ]),
  rule('Constant', { 'detail-type': ['Constant'] }, [target('sqs', QUEUE, { input: '{"fixed":true}' })]),
  rule('Saga', { 'detail-type': ['StartSaga'] }, [target('states', MACHINE, { inputPath: '$.detail' })]),
  rule('Transform', { 'detail-type': ['Transform'] }, [
    target('sqs', QUEUE, {
      inputTransformer: {
        inputPathsMap: { order: '$.detail.orderId', total: '$.detail.total' },
        inputTemplate:
          '{"order": <order>, "summary": "<order> costs <total>", "rule": "<aws.events.rule-name>"}',
      },
    }),
    target('sns', TOPIC, {
      id: 'Target1',
      inputTransformer: {
        inputPathsMap: { order: '$.detail.orderId' },
        inputTemplate: 'Order <order> changed',
      },
    }),
  ]),
  rule('Flaky', { 'detail-type': ['Flaky'] }, [
    target('lambda', fn('flaky'), { retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 } }),
  ]),
  rule('Aging', { 'detail-type': ['Aging'] }, [
    target('lambda', fn('aging'), { retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 60 } }),
  ]),
  rule('Gone', { 'detail-type': ['Gone'] }, [target('lambda', fn('gone'))]),
  { ...rule('Disabled', { source: [{ exists: true }] }, [target('lambda', fn('disabled'))]), enabled: false },
  {
    logicalId: 'Sweep',
    busName: 'default',
    scheduleExpression: 'rate(1 minute)',
    enabled: true,
    targets: [target('lambda', fn('sweep'))],
  },
];

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function entry(
  detailType: string,
  detail: Record<string, unknown>,
  extra: Partial<PutEventsRequestEntry> = {},
) {
  return {
    EventBusName: BUS,
    Source: 'meridian.orders',
    DetailType: detailType,
    Detail: JSON.stringify(detail),
    ...extra,
  };
}

describe('LocalEventBridge over the real EventBridge SDK client', () => {
  let recorder: ReturnType<typeof recordingPorts>;
  let failing: Map<string, () => Error>;
  let bridge: LocalEventBridge;
  let server: EventBridgeHttpServer;
  let client: EventBridgeClient;
  let logs: string[];

  beforeEach(async () => {
    failing = new Map();
    recorder = recordingPorts(failing);
    logs = [];
    bridge = new LocalEventBridge({
      region: REGION,
      accountId: ACCOUNT,
      buses: [{ logicalId: 'Bus', name: BUS, arn: BUS_ARN }],
      rules: RULES,
      targets: recorder.ports,
      // Fast retries: 1 s backoff becomes 1 ms.
      timeScale: 1000,
      log: (line) => logs.push(line),
    });
    server = await eventBridgeServer(bridge);
    client = new EventBridgeClient({
      endpoint: server.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
  });

  afterEach(async () => {
    client.destroy();
    await server.close();
    await bridge.close();
  });

  const callsTo = (arn: string): Call[] => recorder.calls.filter((c) => c.arn === arn);

  describe('PutEvents', () => {
    it('accepts entries and delivers the event in the AWS shape to the matching Lambda target', async () => {
      const out = await client.send(
        new PutEventsCommand({
          Entries: [
            entry(
              'OrderPlaced',
              { orderId: 'o-1', region: 'elsewhere' },
              {
                Time: new Date('2024-03-01T10:20:30.456Z'),
                Resources: ['arn:aws:dynamodb:us-east-1:111111111111:table/orders'],
              },
            ),
          ],
        }),
      );
      expect(out.FailedEntryCount).toBe(0);
      const id = out.Entries?.[0]?.EventId;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      await waitFor('the lambda call', () => callsTo(fn('orders')).length === 1);
      expect(callsTo(fn('orders'))[0]?.payload).toEqual({
        version: '0',
        id,
        'detail-type': 'OrderPlaced',
        source: 'meridian.orders',
        account: ACCOUNT,
        time: '2024-03-01T10:20:30Z',
        region: REGION,
        resources: ['arn:aws:dynamodb:us-east-1:111111111111:table/orders'],
        detail: { orderId: 'o-1', region: 'elsewhere' },
      });
      // Its detail.region is not this region's, so the forward rule did not match; the disabled rule never does.
      expect(callsTo(PEER_BUS_ARN)).toHaveLength(0);
      expect(callsTo(fn('disabled'))).toHaveLength(0);
      expect(bridge.stats().rules.Placed).toMatchObject({ matched: 1, delivered: 1, failed: 0 });
      expect(bridge.recent(1)[0]).toMatchObject({
        busName: BUS,
        origin: 'put-events',
        matchedRules: ['Placed'],
      });
    });

    it('stamps the current time with seconds precision when the entry has no Time', async () => {
      const before = Math.floor(Date.now() / 1000) * 1000;
      await client.send(new PutEventsCommand({ Entries: [entry('OrderPlaced', { orderId: 'o-2' })] }));
      await waitFor('the lambda call', () => callsTo(fn('orders')).length === 1);
      const time = (callsTo(fn('orders'))[0]?.payload as EventBridgeEvent).time;
      expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
    });

    it('reports per-entry errors and accepts the valid entries of the same call', async () => {
      const out = await client.send(
        new PutEventsCommand({
          Entries: [
            entry('OrderPlaced', { orderId: 'ok' }),
            { EventBusName: BUS, DetailType: 'OrderPlaced', Detail: '{}' },
            { EventBusName: BUS, Source: 'meridian.orders', Detail: '{}' },
            { EventBusName: BUS, Source: 'meridian.orders', DetailType: 'OrderPlaced' },
            { EventBusName: BUS, Source: 'meridian.orders', DetailType: 'OrderPlaced', Detail: '[1,2]' },
            { EventBusName: BUS, Source: 'meridian.orders', DetailType: 'OrderPlaced', Detail: '{not json' },
            {
              EventBusName: BUS,
              Source: 'meridian.orders',
              DetailType: 'OrderPlaced',
              Detail: JSON.stringify({ big: 'x'.repeat(262_144) }),
            },
            { EventBusName: BUS, Source: 'aws.ec2', DetailType: 'OrderPlaced', Detail: '{}' },
          ],
        }),
      );
      expect(out.FailedEntryCount).toBe(7);
      const codes = out.Entries?.map((e) => e.ErrorCode ?? 'ok');
      expect(codes).toEqual([
        'ok',
        'InvalidArgument',
        'InvalidArgument',
        'InvalidArgument',
        'MalformedDetail',
        'MalformedDetail',
        'InvalidArgument',
        'NotAuthorizedForSourceException',
      ]);
      expect(out.Entries?.[1]?.ErrorMessage).toMatch(/Source/);
      expect(out.Entries?.[2]?.ErrorMessage).toMatch(/DetailType/);
      expect(out.Entries?.[3]?.ErrorMessage).toMatch(/Detail/);
      expect(out.Entries?.[0]?.EventId).toBeDefined();
      await waitFor('the valid entry', () => callsTo(fn('orders')).length === 1);
    });

    it('rejects more than 10 entries, and an empty list, with ValidationException', async () => {
      const eleven = Array.from({ length: 11 }, () => entry('OrderPlaced', {}));
      await expect(client.send(new PutEventsCommand({ Entries: eleven }))).rejects.toMatchObject({
        name: 'ValidationException',
        message: expect.stringMatching(/less than or equal to 10/),
        $metadata: { httpStatusCode: 400 },
      });
      await expect(client.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
      expect(bridge.stats().accepted).toBe(0);
    });

    it('fails the call with ResourceNotFoundException for an unknown bus, by name or ARN', async () => {
      await expect(
        client.send(new PutEventsCommand({ Entries: [entry('OrderPlaced', {}, { EventBusName: 'nope' })] })),
      ).rejects.toBeInstanceOf(ResourceNotFoundException);
      const otherRegion = `arn:aws:events:${PEER}:${ACCOUNT}:event-bus/${BUS}`;
      await expect(
        client.send(
          new PutEventsCommand({ Entries: [entry('OrderPlaced', {}, { EventBusName: otherRegion })] }),
        ),
      ).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
        message: expect.stringContaining(otherRegion),
      });
    });

    it('accepts the bus by ARN, and puts events without a bus on the default bus', async () => {
      await client.send(
        new PutEventsCommand({ Entries: [entry('OrderPlaced', {}, { EventBusName: BUS_ARN })] }),
      );
      await waitFor('the lambda call', () => callsTo(fn('orders')).length === 1);
      const out = await client.send(
        new PutEventsCommand({
          Entries: [{ Source: 'meridian.orders', DetailType: 'OrderPlaced', Detail: '{}' }],
        }),
      );
      expect(out.FailedEntryCount).toBe(0);
      expect(bridge.recent(1)[0]).toMatchObject({ busName: 'default', matchedRules: [] });
    });
  });

  describe('target input', () => {
    it('sends the constant Input to the SQS target', async () => {
      await client.send(new PutEventsCommand({ Entries: [entry('Constant', { a: 1 })] }));
      await waitFor('the sqs call', () => callsTo(QUEUE).length === 1);
      expect(callsTo(QUEUE)[0]?.payload).toBe('{"fixed":true}');
    });

    it('sends the InputPath selection to the Step Functions target', async () => {
      await client.send(
        new PutEventsCommand({ Entries: [entry('StartSaga', { orderId: 'o-9', lines: [1] })] }),
      );
      await waitFor('the states call', () => callsTo(MACHINE).length === 1);
      expect(JSON.parse(callsTo(MACHINE)[0]?.payload as string)).toEqual({ orderId: 'o-9', lines: [1] });
    });

    it('renders the InputTransformer for each target (JSON and plain-text templates)', async () => {
      await client.send(
        new PutEventsCommand({ Entries: [entry('Transform', { orderId: 'o-5', total: 12.5 })] }),
      );
      await waitFor('both targets', () => callsTo(QUEUE).length === 1 && callsTo(TOPIC).length === 1);
      expect(JSON.parse(callsTo(QUEUE)[0]?.payload as string)).toEqual({
        order: 'o-5',
        summary: 'o-5 costs 12.5',
        rule: 'Transform',
      });
      expect(callsTo(TOPIC)[0]?.payload).toBe('Order o-5 changed');
    });
  });

  describe('retries and the dead-letter queue', () => {
    it('retries a failing target and delivers once it recovers', async () => {
      let failures = 2;
      failing.set(fn('orders'), () => new Error('throttled'));
      const original = recorder.ports.lambda;
      recorder.ports.lambda = (arn, payload) => {
        if (arn === fn('orders') && failures-- === 0) failing.delete(arn);
        return original(arn, payload);
      };
      // The ports object is read at construction: build a bridge with the patched port.
      await bridge.close();
      bridge = new LocalEventBridge({
        region: REGION,
        accountId: ACCOUNT,
        buses: [{ logicalId: 'Bus', name: BUS, arn: BUS_ARN }],
        rules: RULES,
        targets: recorder.ports,
        timeScale: 1000,
      });
      bridge.putEvents([entry('OrderPlaced', { orderId: 'o-r' })]);
      await waitFor('delivery after retries', () => callsTo(fn('orders')).length === 1);
      expect(bridge.stats().rules.Placed).toMatchObject({
        failed: 2,
        retried: 2,
        delivered: 1,
        deadLettered: 0,
      });
    });

    it('sends the event to the DLQ with the AWS attributes after MaximumRetryAttempts', async () => {
      failing.set(fn('flaky'), () =>
        Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }),
      );
      const out = await client.send(new PutEventsCommand({ Entries: [entry('Flaky', { orderId: 'o-f' })] }));
      await waitFor('the dead letter', () => callsTo(DLQ).length === 1);
      const dead = callsTo(DLQ)[0] as Call;
      expect(JSON.parse(dead.payload as string)).toMatchObject({
        id: out.Entries?.[0]?.EventId,
        detail: { orderId: 'o-f' },
      });
      expect(dead.attributes).toEqual({
        RULE_ARN: {
          DataType: 'String',
          StringValue: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${BUS}/Flaky`,
        },
        TARGET_ARN: { DataType: 'String', StringValue: fn('flaky') },
        ERROR_CODE: { DataType: 'String', StringValue: 'THROTTLING' },
        ERROR_MESSAGE: { DataType: 'String', StringValue: 'Rate exceeded' },
        RETRY_ATTEMPTS: { DataType: 'Number', StringValue: '2' },
        EXHAUSTED_RETRY_CONDITION: { DataType: 'String', StringValue: 'MaximumRetryAttempts' },
      });
      expect(bridge.stats().rules.Flaky).toMatchObject({
        failed: 3,
        retried: 2,
        delivered: 0,
        deadLettered: 1,
      });
    });

    it('gives up at MaximumEventAgeInSeconds (scaled) before MaximumRetryAttempts', async () => {
      failing.set(fn('aging'), () => new Error('boom'));
      bridge.putEvents([entry('Aging', {})]);
      await waitFor('the dead letter', () => callsTo(DLQ).length === 1);
      const attrs = callsTo(DLQ)[0]?.attributes;
      expect(attrs?.EXHAUSTED_RETRY_CONDITION?.StringValue).toBe('MaximumEventAgeInSeconds');
      expect(attrs?.ERROR_CODE?.StringValue).toBe('SDK_CLIENT_ERROR');
      expect(Number(attrs?.RETRY_ATTEMPTS?.StringValue)).toBeLessThan(185);
    });

    it('dead-letters a non-retryable failure at once', async () => {
      failing.set(fn('gone'), () => new TargetDeliveryError('RESOURCE_NOT_FOUND', 'Function not found'));
      bridge.putEvents([entry('Gone', {})]);
      await waitFor('the dead letter', () => callsTo(DLQ).length === 1);
      expect(callsTo(DLQ)[0]?.attributes).toMatchObject({
        ERROR_CODE: { StringValue: 'RESOURCE_NOT_FOUND' },
        RETRY_ATTEMPTS: { StringValue: '0' },
      });
      expect(callsTo(DLQ)[0]?.attributes?.EXHAUSTED_RETRY_CONDITION).toBeUndefined();
      expect(bridge.stats().rules.Gone).toMatchObject({ failed: 1, retried: 0, deadLettered: 1 });
    });

    it('counts the event as dropped when the dead-letter send fails too', async () => {
      failing.set(fn('gone'), () => new TargetDeliveryError('NO_PERMISSIONS', 'denied'));
      failing.set(DLQ, () => new Error('queue down'));
      bridge.putEvents([entry('Gone', {})]);
      await waitFor('the drop', () => bridge.stats().rules.Gone?.dropped === 1);
      expect(logs.some((l) => l.includes('dead-letter send') && l.includes('queue down'))).toBe(true);
    });

    it('returns from PutEvents before a slow target finishes', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      await bridge.close();
      bridge = new LocalEventBridge({
        region: REGION,
        accountId: ACCOUNT,
        buses: [{ logicalId: 'Bus', name: BUS, arn: BUS_ARN }],
        rules: RULES,
        targets: { ...recorder.ports, lambda: () => gate },
      });
      const out = bridge.putEvents([entry('OrderPlaced', {})]);
      expect(out.FailedEntryCount).toBe(0);
      await waitFor('the delivery to start', () => bridge.stats().pendingDeliveries === 1);
      expect(bridge.stats().rules.Placed?.delivered).toBe(0);
      release();
      await waitFor('the delivery', () => bridge.stats().rules.Placed?.delivered === 1);
    });
  });

  describe('cross-region forwarding', () => {
    it("forwards this region's meridian.* events to the peer bus, unchanged", async () => {
      const out = await client.send(
        new PutEventsCommand({ Entries: [entry('OrderPlaced', { orderId: 'o-x', region: REGION })] }),
      );
      await waitFor('the forward', () => callsTo(PEER_BUS_ARN).length === 1);
      const forwarded = callsTo(PEER_BUS_ARN)[0]?.payload as EventBridgeEvent;
      expect(forwarded).toMatchObject({
        id: out.Entries?.[0]?.EventId,
        region: REGION,
        detail: { region: REGION },
      });
      // The local consumer got it too.
      await waitFor('the local delivery', () => callsTo(fn('orders')).length === 1);
    });

    it('delivers a forwarded event locally, keeping id/region/time, and never forwards it again', async () => {
      const peerEvent: EventBridgeEvent = {
        version: '0',
        id: 'peer-event-1',
        'detail-type': 'OrderPlaced',
        source: 'meridian.orders',
        account: ACCOUNT,
        time: '2024-02-02T02:02:02Z',
        region: PEER,
        resources: [],
        // Even an event whose pattern would match the forward rule (as a misconfigured peer might send).
        detail: { orderId: 'o-peer', region: REGION },
      };
      bridge.receiveForwarded(peerEvent);
      await waitFor('the local delivery', () => callsTo(fn('orders')).length === 1);
      expect(callsTo(fn('orders'))[0]?.payload).toEqual(peerEvent);
      await new Promise((r) => setTimeout(r, 30));
      expect(callsTo(PEER_BUS_ARN)).toHaveLength(0);
      expect(bridge.stats()).toMatchObject({
        forwardedIn: 1,
        rules: { Forward: { matched: 1, loopsPrevented: 1 } },
      });
      expect(bridge.recent(1)[0]).toMatchObject({ origin: 'forwarded' });
    });

    it('rejects a malformed forwarded event and an unknown bus', () => {
      expect(() => bridge.receiveForwarded({ id: 'x' } as unknown as EventBridgeEvent)).toThrow(/not valid/);
      expect(() =>
        bridge.receiveForwarded(
          {} as EventBridgeEvent,
          `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/other`,
        ),
      ).toThrow(/does not exist/);
    });
  });

  describe('schedules', () => {
    it('fires Scheduled Event events to the rule targets, scaled by timeScale, and stops on close', async () => {
      await bridge.close();
      bridge = new LocalEventBridge({
        region: REGION,
        accountId: ACCOUNT,
        buses: [{ logicalId: 'Bus', name: BUS, arn: BUS_ARN }],
        rules: RULES,
        targets: recorder.ports,
        // rate(1 minute) every 10 ms.
        timeScale: 6000,
      });
      bridge.start();
      bridge.start();
      await waitFor('three firings', () => callsTo(fn('sweep')).length >= 3);
      await bridge.close();
      const fired = callsTo(fn('sweep')).length;
      expect(callsTo(fn('sweep'))[0]?.payload).toMatchObject({
        version: '0',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: ACCOUNT,
        region: REGION,
        resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/Sweep`],
        detail: {},
      });
      await new Promise((r) => setTimeout(r, 50));
      expect(callsTo(fn('sweep')).length).toBe(fired);
    });

    it('fires cron schedules on a virtual clock', async () => {
      await bridge.close();
      bridge = new LocalEventBridge({
        region: REGION,
        accountId: ACCOUNT,
        buses: [],
        rules: [
          {
            logicalId: 'EveryMinute',
            busName: 'default',
            scheduleExpression: 'cron(* * * * ? *)',
            enabled: true,
            targets: [target('sqs', QUEUE)],
          },
        ],
        targets: recorder.ports,
        timeScale: 6000,
      });
      bridge.start();
      await waitFor('two firings', () => callsTo(QUEUE).length >= 2);
      expect(JSON.parse(callsTo(QUEUE)[0]?.payload as string)).toMatchObject({
        'detail-type': 'Scheduled Event',
      });
    });

    it('refuses invalid configuration: bad schedule, schedule on a custom bus, unknown bus, bad pattern', () => {
      const base = { region: REGION, accountId: ACCOUNT, buses: [], targets: recorder.ports };
      const sched = (busName: string, scheduleExpression: string): EventRule => ({
        logicalId: 'S',
        busName,
        scheduleExpression,
        enabled: true,
        targets: [target('lambda', fn('x'))],
      });
      expect(() => new LocalEventBridge({ ...base, rules: [sched('default', 'rate(1 minutes)')] })).toThrow(
        /ScheduleExpression is not valid/,
      );
      expect(
        () =>
          new LocalEventBridge({
            ...base,
            buses: [{ logicalId: 'B', name: BUS, arn: BUS_ARN }],
            rules: [sched(BUS, 'rate(1 minute)')],
          }),
      ).toThrow(/only supported on the default bus/);
      expect(() => new LocalEventBridge({ ...base, rules: [rule('R', { source: ['x'] }, [])] })).toThrow(
        /does not exist/,
      );
      expect(
        () =>
          new LocalEventBridge({
            ...base,
            rules: [{ ...rule('R', { source: 'x' }, []), busName: 'default' }],
          }),
      ).toThrow(/not valid/);
    });
  });

  describe('describe and list operations', () => {
    it('DescribeEventBus answers by name, ARN and default; unknown buses are not found', async () => {
      const byName = await client.send(new DescribeEventBusCommand({ Name: BUS }));
      expect(byName).toMatchObject({ Name: BUS, Arn: BUS_ARN });
      expect(byName.CreationTime).toBeInstanceOf(Date);
      expect(await client.send(new DescribeEventBusCommand({ Name: BUS_ARN }))).toMatchObject({ Name: BUS });
      expect(await client.send(new DescribeEventBusCommand({}))).toMatchObject({
        Name: 'default',
        Arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
      });
      await expect(client.send(new DescribeEventBusCommand({ Name: 'missing' }))).rejects.toBeInstanceOf(
        ResourceNotFoundException,
      );
    });

    it('ListEventBuses lists the default and custom buses', async () => {
      const out = await client.send(new ListEventBusesCommand({}));
      expect(out.EventBuses?.map((b) => b.Name)).toEqual(['default', BUS]);
      const prefixed = await client.send(new ListEventBusesCommand({ NamePrefix: 'meridian' }));
      expect(prefixed.EventBuses?.map((b) => b.Name)).toEqual([BUS]);
    });

    it('ListRules pages through the rules of a bus', async () => {
      const first = await client.send(new ListRulesCommand({ EventBusName: BUS, Limit: 3 }));
      expect(first.Rules?.map((r) => r.Name)).toEqual(['Forward', 'Placed', 'Constant']);
      expect(first.Rules?.[0]).toMatchObject({
        Arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${BUS}/Forward`,
        EventBusName: BUS,
        State: 'ENABLED',
      });
      expect(JSON.parse(first.Rules?.[0]?.EventPattern ?? '')).toEqual(RULES[0]?.eventPattern);
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListRulesCommand({ EventBusName: BUS, Limit: 4, NextToken: token }),
        );
        names.push(...(page.Rules ?? []).map((r) => r.Name ?? ''));
        token = page.NextToken;
      } while (token);
      expect(names).toHaveLength(RULES.length - 1);
      const defaults = await client.send(new ListRulesCommand({}));
      expect(defaults.Rules).toEqual([
        expect.objectContaining({
          Name: 'Sweep',
          ScheduleExpression: 'rate(1 minute)',
          EventBusName: 'default',
        }),
      ]);
      await expect(client.send(new ListRulesCommand({ NextToken: 'bogus' }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
    });

    it('DescribeRule and ListTargetsByRule describe the rule and its targets', async () => {
      const disabled = await client.send(new DescribeRuleCommand({ Name: 'Disabled', EventBusName: BUS }));
      expect(disabled).toMatchObject({ Name: 'Disabled', State: 'DISABLED', CreatedBy: ACCOUNT });
      const targets = await client.send(new ListTargetsByRuleCommand({ Rule: 'Placed', EventBusName: BUS }));
      expect(targets.Targets).toEqual([
        {
          Id: 'Target0',
          Arn: fn('orders'),
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: DLQ },
        },
      ]);
      const transform = await client.send(
        new ListTargetsByRuleCommand({ Rule: 'Transform', EventBusName: BUS }),
      );
      expect(transform.Targets?.[0]?.InputTransformer?.InputPathsMap).toEqual({
        order: '$.detail.orderId',
        total: '$.detail.total',
      });
      await expect(client.send(new DescribeRuleCommand({ Name: 'Placed' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
        message: 'Rule Placed does not exist on EventBus default.',
      });
    });

    it('TestEventPattern uses the matcher and reports bad patterns', async () => {
      const event = JSON.stringify({
        id: '1',
        account: ACCOUNT,
        source: 'meridian.orders',
        time: '2024-01-01T00:00:00Z',
        region: REGION,
        resources: [],
        'detail-type': 'OrderPlaced',
        detail: { total: 15 },
      });
      const yes = await client.send(
        new TestEventPatternCommand({
          EventPattern: JSON.stringify({
            source: [{ prefix: 'meridian.' }],
            detail: { total: [{ numeric: ['>', 10] }] },
          }),
          Event: event,
        }),
      );
      expect(yes.Result).toBe(true);
      const no = await client.send(
        new TestEventPatternCommand({ EventPattern: JSON.stringify({ source: ['other'] }), Event: event }),
      );
      expect(no.Result).toBe(false);
      await expect(
        client.send(
          new TestEventPatternCommand({ EventPattern: '{"source": "not-an-array"}', Event: event }),
        ),
      ).rejects.toBeInstanceOf(InvalidEventPatternException);
      await expect(
        client.send(new TestEventPatternCommand({ EventPattern: '{oops', Event: event })),
      ).rejects.toBeInstanceOf(InvalidEventPatternException);
      await expect(
        client.send(
          new TestEventPatternCommand({ EventPattern: '{"source":["x"]}', Event: '{"source":"x"}' }),
        ),
      ).rejects.toMatchObject({
        name: 'InvalidEventPatternException',
        message: expect.stringMatching(/mandatory field/),
      });
    });
  });

  describe('bad requests', () => {
    const post = (body: string, targetHeader = 'AWSEvents.PutEvents', method = 'POST') =>
      fetch(server.endpoint, {
        method,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': targetHeader },
        ...(method === 'POST' && { body }),
      });

    it.each([
      ['not json', 'SerializationException'],
      ['[1,2]', 'SerializationException'],
      ['"text"', 'SerializationException'],
      ['{"Entries": "nope"}', 'ValidationException'],
      ['{"Entries": [1]}', 'ValidationException'],
      ['{"Entries": [{"EventBusName": 5, "Source": "a"}]}', 'ValidationException'],
    ])('answers %j with a 400 %s', async (body, type) => {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
      const json = (await res.json()) as { __type: string; message: string };
      expect(json.__type).toBe(type);
      expect(json.message).not.toMatch(/\n\s+at /);
    });

    it('answers unknown operations and other methods with UnknownOperationException, then keeps serving', async () => {
      const unknown = await post('{}', 'AWSEvents.CreateEventBus');
      expect(unknown.status).toBe(400);
      expect(((await unknown.json()) as { __type: string }).__type).toBe('UnknownOperationException');
      const proto = await post('{}', 'AWSEvents.constructor');
      expect(proto.status).toBe(400);
      const get = await post('', 'AWSEvents.PutEvents', 'GET');
      expect(get.status).toBe(400);
      expect(await client.send(new DescribeEventBusCommand({ Name: BUS }))).toMatchObject({ Name: BUS });
    });

    it('names the missing field of DescribeRule', async () => {
      const res = await post('{}', 'AWSEvents.DescribeRule');
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        __type: 'ValidationException',
        message: expect.stringContaining("'name'"),
      });
    });
  });
});
