import type { Runtime } from '../../../local/supervisor';
import {
  BenchError,
  COUNTER_NAMES,
  PRICES,
  STATE_TRANSITION_RULE,
  compareWithCeiling,
  costOf,
  costPerMillionOrders,
  countStateTransitions,
  countersFromStatus,
  formatBenchReport,
  isQuiet,
  measureDynaliteCeiling,
  parseLambdaReports,
  perOrderCounts,
  percentile,
  runBench,
  subtractBackground,
  subtractBackgroundMap,
  summarizeLatencies,
  type BenchReport,
  type Counters,
  type PerOrderCounts,
} from '../../../local/bench';

function counters(values: Partial<Counters> = {}): Counters {
  return { ...(Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as Counters), ...values };
}

describe('percentiles and latency summaries', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('uses the nearest rank: p50, p95, p99 of 1..100 are 50, 95, 99', () => {
    expect([50, 95, 99, 100].map((p) => percentile(oneToHundred, p))).toEqual([50, 95, 99, 100]);
  });

  it('rounds the rank up on small samples', () => {
    expect(percentile([10, 20, 30], 50)).toBe(20);
    expect(percentile([10, 20, 30], 99)).toBe(30);
    expect(percentile([7], 1)).toBe(7);
  });

  it('refuses an empty sample and a p outside (0, 100]', () => {
    expect(() => percentile([], 50)).toThrow('no values');
    expect(() => percentile([1], 0)).toThrow('p must be');
    expect(() => percentile([1], 101)).toThrow('p must be');
  });

  it('summarizes unsorted values with min, max and mean', () => {
    expect(summarizeLatencies([30, 10, 20, 40])).toEqual({
      count: 4,
      minMs: 10,
      p50Ms: 20,
      p95Ms: 40,
      p99Ms: 40,
      maxMs: 40,
      meanMs: 25,
    });
  });

  it('summarizes no values as zeros', () => {
    expect(summarizeLatencies([])).toMatchObject({ count: 0, p50Ms: 0, p99Ms: 0, meanMs: 0 });
  });
});

describe('countStateTransitions', () => {
  it('counts one transition per state entered', () => {
    const history = [
      { type: 'ExecutionStarted' },
      { type: 'TaskStateEntered' },
      { type: 'LambdaFunctionScheduled' },
      { type: 'LambdaFunctionSucceeded' },
      { type: 'TaskStateExited' },
      { type: 'ChoiceStateEntered' },
      { type: 'ChoiceStateExited' },
      { type: 'SucceedStateEntered' },
      { type: 'SucceedStateExited' },
      { type: 'ExecutionSucceeded' },
    ];
    expect(countStateTransitions(history)).toBe(3);
  });

  it('adds one per retry of a task within the same entry', () => {
    const history = [
      { type: 'TaskStateEntered' },
      { type: 'TaskScheduled' },
      { type: 'TaskFailed' },
      { type: 'TaskScheduled' },
      { type: 'TaskFailed' },
      { type: 'TaskScheduled' },
      { type: 'TaskSucceeded' },
      { type: 'TaskStateExited' },
      { type: 'TaskStateEntered' },
      { type: 'TaskScheduled' },
      { type: 'TaskSucceeded' },
    ];
    expect(countStateTransitions(history)).toBe(2 + 2);
  });

  it('documents its rule', () => {
    expect(STATE_TRANSITION_RULE).toMatch(/StateEntered/);
    expect(STATE_TRANSITION_RULE).toMatch(/retr/);
  });
});

describe('counters', () => {
  const status = {
    lambda: [
      { function: 'ordersApi', invocations: 10 },
      { function: 'notify', invocations: 4 },
      { function: 'webhook', invocations: 3 },
    ],
    dynamodb: {
      writes: 7,
      writeUnits: 9,
      replicatedApplied: 5,
      replicatedWriteUnits: 6,
      reads: 11,
      readUnits: 8.5,
    },
    events: { accepted: 12, forwardedIn: 4, pendingDeliveries: 0 },
    sqs: { sent: 2, receiveRequests: 30, received: 2, deleted: 1 },
  };

  it('reads every counter from a region status, API requests from the API functions', () => {
    expect(countersFromStatus(status, new Set(['ordersApi', 'webhook']))).toEqual(
      counters({
        lambdaInvocations: 17,
        apiRequests: 13,
        dynamodbWrites: 7,
        dynamodbWriteUnits: 9,
        dynamodbReplicatedWrites: 5,
        dynamodbReplicatedWriteUnits: 6,
        dynamodbReads: 11,
        dynamodbReadUnits: 8.5,
        eventsPut: 8,
        eventsForwardedIn: 4,
        sqsSent: 2,
        sqsReceiveRequests: 30,
        sqsReceived: 2,
        sqsDeleted: 1,
      }),
    );
  });

  it('reads a status without the new counters (an older region) as zeros', () => {
    expect(countersFromStatus({ dynamodb: { writes: 3 } }, new Set())).toEqual(
      counters({ dynamodbWrites: 3 }),
    );
  });

  it('sums billed duration × memory of REPORT lines into GB-seconds', () => {
    const text = [
      '2026-01-01T00:00:00.000Z [orders] START RequestId: a Version: 1',
      '2026-01-01T00:00:00.000Z [orders] REPORT RequestId: a\tDuration: 99.50 ms\tBilled Duration: 100 ms\tMemory Size: 512 MB\tMax Memory Used: 80 MB\tInit Duration: 300.00 ms',
      '2026-01-01T00:00:00.000Z [notify] REPORT RequestId: b\tDuration: 1999.10 ms\tBilled Duration: 2000 ms\tMemory Size: 1024 MB\tMax Memory Used: 80 MB',
      'a log line that mentions REPORT but is not one',
    ].join('\n');
    const totals = parseLambdaReports(text);
    expect(totals.reports).toBe(2);
    expect(totals.billedMs).toBe(2100);
    expect(totals.gbSeconds).toBeCloseTo(0.1 * 0.5 + 2 * 1, 10);
  });
});

describe('background subtraction', () => {
  it('subtracts the idle rate scaled to the measured window', () => {
    const measured = counters({ lambdaInvocations: 500, apiRequests: 230, sqsReceiveRequests: 100 });
    const idle = counters({ lambdaInvocations: 20, apiRequests: 20, sqsReceiveRequests: 10 });
    // 10 s measured, 5 s idle: twice the idle counts come off.
    const delta = subtractBackground(measured, 10_000, idle, 5_000);
    expect(delta.lambdaInvocations).toBe(460);
    expect(delta.apiRequests).toBe(190);
    expect(delta.sqsReceiveRequests).toBe(80);
  });

  it('clamps a counter the background would drive below zero', () => {
    const delta = subtractBackground(
      counters({ sqsReceiveRequests: 5 }),
      1000,
      counters({ sqsReceiveRequests: 50 }),
      1000,
    );
    expect(delta.sqsReceiveRequests).toBe(0);
  });

  it('refuses empty windows', () => {
    expect(() => subtractBackground(counters(), 0, counters(), 1000)).toThrow('measuredMs');
    expect(() => subtractBackground(counters(), 1000, counters(), 0)).toThrow('idleMs');
  });

  it('subtracts per-function maps the same way', () => {
    expect(subtractBackgroundMap({ api: 100, notify: 10 }, 2000, { api: 10, sweep: 4 }, 1000)).toEqual({
      api: 80,
      notify: 10,
    });
  });
});

const PER_ORDER: PerOrderCounts = perOrderCounts(
  counters({
    lambdaInvocations: 1000,
    lambdaGbSeconds: 50,
    apiRequests: 200,
    dynamodbWrites: 2000,
    dynamodbWriteUnits: 2500,
    dynamodbReplicatedWrites: 2000,
    dynamodbReplicatedWriteUnits: 2500,
    dynamodbReads: 1500,
    dynamodbReadUnits: 1200,
    eventsPut: 800,
    eventsForwardedIn: 800,
    sqsSent: 100,
    sqsReceiveRequests: 100,
    sqsReceived: 100,
    sqsDeleted: 100,
  }),
  1500,
  { ordersApi: 100, notify: 300, idle: 0 },
  100,
);

describe('per-order counts', () => {
  it('divides every delta by the fulfilled orders', () => {
    expect(PER_ORDER).toEqual({
      lambdaInvocations: 10,
      lambdaInvocationsByFunction: { notify: 3, ordersApi: 1 },
      lambdaGbSeconds: 0.5,
      stateTransitions: 15,
      apiRequests: 2,
      dynamodb: {
        localWrites: 20,
        replicatedWrites: 20,
        totalWrites: 40,
        writeUnits: 25,
        replicatedWriteUnits: 25,
        reads: 15,
        readUnits: 12,
      },
      events: { put: 8, forwardedCrossRegion: 8, total: 16 },
      sqs: { sent: 1, received: 1, deleted: 1, receiveRequests: 1, requests: 3 },
    });
  });

  it('refuses zero orders', () => {
    expect(() => perOrderCounts(counters(), 0, {}, 0)).toThrow('orders must be a positive integer');
  });
});

describe('cost per million orders', () => {
  it('prices each line from the per-order counts', () => {
    const cost = costPerMillionOrders(PER_ORDER);
    expect(cost).toEqual({
      currency: 'USD',
      lambdaRequests: 2, // 10 M requests × $0.20/M
      lambdaCompute: 6.67, // 0.5 GB-s × 1 M orders × $0.0000133334
      stepFunctions: 375, // 15 M transitions × $0.025/1000
      dynamodbWrites: 15.63, // 25 M WRU × $0.625/M
      dynamodbReplicatedWrites: 15.63,
      dynamodbReads: 1.5, // 12 M RRU × $0.125/M
      eventBridge: 16, // 16 M events × $1/M
      apiGateway: 7, // 2 M requests × $3.50/M
      sqs: 1.2, // 3 M requests × $0.40/M
      total: 440.62,
    });
  });

  it('uses the price table it is given', () => {
    const free = Object.fromEntries(
      Object.entries(PRICES).map(([k, v]) => [k, typeof v === 'object' ? { ...v, usd: 0 } : v]),
    ) as unknown as typeof PRICES;
    expect(costPerMillionOrders(PER_ORDER, free).total).toBe(0);
  });

  it('documents every price with an AWS source and the date it was read', () => {
    expect(PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const value of Object.values(PRICES)) {
      if (typeof value !== 'object') continue;
      expect(value.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(value.usd).toBeGreaterThan(0);
    }
    expect(costOf(2_000_000, PRICES.lambdaRequests)).toBeCloseTo(0.4, 10);
  });
});

describe('the dynalite ceiling', () => {
  it('compares the achieved write rate with the ceiling', () => {
    expect(compareWithCeiling(5, 40, 1000)).toEqual({
      achievedWritesPerSecond: 200,
      ratioToCeiling: 0.2,
      ordersPerSecondCeiling: 25,
    });
    expect(() => compareWithCeiling(5, 40, 0)).toThrow('ceilingWritesPerSecond');
  });

  it('measures PutItem against a fresh dynalite on disk', async () => {
    const result = await measureDynaliteCeiling({ concurrency: 2, seconds: 0.3 });
    expect(result.errors).toBe(0);
    expect(result.writes).toBeGreaterThan(0);
    expect(result.writesPerSecond).toBeCloseTo((result.writes / result.durationMs) * 1000, 0);
  });

  it('refuses a bad concurrency or duration', async () => {
    await expect(measureDynaliteCeiling({ concurrency: 0, seconds: 1 })).rejects.toThrow('concurrency');
    await expect(measureDynaliteCeiling({ concurrency: 1, seconds: 0 })).rejects.toThrow('ceilingSeconds');
  });
});

describe('runBench options', () => {
  const runtime = {
    status: async () => ({}),
    edge: { status: () => ({ timeScale: 1 }) },
    processes: () => [],
    regions: [],
  } as unknown as Runtime;

  it.each([
    [{ concurrency: 0 }, 'concurrency'],
    [{ orders: 1.5 }, 'orders'],
    [{ ceilingSeconds: -1 }, 'ceilingSeconds'],
    [{ idleSeconds: Number.NaN }, 'idleSeconds'],
    [{ settleTimeoutSeconds: 0 }, 'settleTimeoutSeconds'],
  ])('names the bad field %p', async (bad, field) => {
    const run = runBench({ runtime, ...bad });
    await expect(run).rejects.toBeInstanceOf(BenchError);
    await expect(runBench({ runtime, ...bad })).rejects.toThrow(field);
  });

  it('refuses a missing runtime', async () => {
    await expect(runBench({ runtime: undefined as unknown as Runtime })).rejects.toThrow('runtime');
  });

  it('refuses to run while a region is down', async () => {
    const down = {
      ...runtime,
      processes: () => [{ region: 'eu-west-1', running: false }],
    } as unknown as Runtime;
    await expect(runBench({ runtime: down })).rejects.toThrow('regions not running: eu-west-1');
  });
});

describe('isQuiet', () => {
  it('is quiet with nothing pending and nothing running', () => {
    expect(
      isQuiet({
        replication: { outgoing: [{ pending: 0 }] },
        events: { pendingDeliveries: 0 },
        lambda: [{ running: 0, queued: 0, asyncPending: 0 }],
      }),
    ).toBe(true);
  });

  it.each([
    [{ replication: { outgoing: [{ pending: 3 }] } }],
    [{ events: { pendingDeliveries: 1 } }],
    [{ lambda: [{ running: 1 }] }],
    [{ lambda: [{ asyncPending: 2 }] }],
  ])('is busy with work in flight: %p', (status) => {
    expect(isQuiet(status)).toBe(false);
  });
});

describe('formatBenchReport', () => {
  const latency = { count: 10, minMs: 100, p50Ms: 150, p95Ms: 290, p99Ms: 310, maxMs: 320, meanMs: 170 };
  const report: BenchReport = {
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 60_000,
    regions: ['us-east-1', 'eu-west-1'],
    timeScale: 1,
    concurrency: 8,
    orders: {
      requested: 10,
      acknowledged: 10,
      fulfilled: 9,
      failed: 1,
      failureReasons: { 'FAILED: PaymentDeclined': 1 },
      unfinished: 0,
      errors: 0,
      errorRate: 0,
      errorsByKind: {},
      byRegion: { 'us-east-1': 5, 'eu-west-1': 5 },
    },
    throughput: {
      submissionWindowMs: 2000,
      acknowledgedPerSecond: 5,
      fulfilmentWindowMs: 4000,
      fulfilledPerSecond: 2.25,
    },
    latency: {
      acknowledgementMs: latency,
      fulfilmentMs: { ...latency, p99Ms: 1234.5 },
      fulfilmentMeasuredBy: 'x',
    },
    perOrder: PER_ORDER,
    stateTransitionRule: STATE_TRANSITION_RULE,
    visibility: {
      orders: 5,
      readings: 5,
      timedOut: 0,
      linkLagMs: 100,
      writeToVisibleMs: { ...latency, p50Ms: 112.5 },
      ownMs: { ...latency, p50Ms: 12.5 },
      acknowledgementToVisibleMs: { ...latency, p50Ms: 98 },
      pollMs: 2,
    },
    background: { backgroundSubtracted: true, idleWindowMs: 5000, measuredWindowMs: 9000, perSecond: {} },
    dynaliteCeiling: {
      concurrency: 8,
      durationMs: 5000,
      writes: 5000,
      errors: 0,
      writesPerSecond: 1000,
      itemBytes: 600,
      achievedWritesPerSecond: 90,
      ratioToCeiling: 0.09,
      ordersPerSecondCeiling: 25,
      writesPerOrderUsed: 40,
    },
    cost: { perMillionOrders: costPerMillionOrders(PER_ORDER), prices: PRICES, assumptions: [] },
    notes: ['a note'],
  };

  it('prints every figure of the report', () => {
    const text = formatBenchReport(report);
    for (const expected of [
      'time scale 1',
      '8 orders in flight end to end',
      '10 acknowledged, 9 fulfilled, 1 failed',
      '5 orders/s',
      '2.25 orders/s',
      'p50 150  p95 290  p99 310  max 320  mean 170',
      'p99 1,234.5',
      'Lambda invocations',
      '10  (0.5 GB-s)',
      'Step Functions transitions',
      '20 local + 20 replicated = 40',
      '25 WRU + 25 rWRU',
      '15  (12 RRU)',
      '8 put + 8 cross-region = 16',
      '1 sent, 1 received, 1 deleted; 3 requests',
      '1,000 writes/s',
      '9% of the ceiling',
      'orders/s ceiling',
      'link lag 100 ms',
      'write → readable in a peer  p50 112.5',
      'of which our own          p50 12.5',
      '201 → readable in a peer    p50 98',
      '5 (5 orders × peers, one order at a time, GetItem every 2 ms); 0 timed out',
      '$440.62',
      'PaymentDeclined',
      'a note',
    ]) {
      expect(text).toContain(expected);
    }
  });
});
