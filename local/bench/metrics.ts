/**
 * The pure arithmetic of `meridian bench`: counters read from the regions' status, background subtraction,
 * latency percentiles, state transitions from an execution history, Lambda REPORT lines, per-order counts
 * and their cost. No I/O here, so all of it is unit-tested.
 */
import { PRICES, costOf, type PriceTable } from './prices';

/** The counters the bench reads from every region (summed over regions), by name. */
export const COUNTER_NAMES = [
  'lambdaInvocations',
  /** Invocations of the functions behind API Gateway routes: one per API request that reached a function. */
  'apiRequests',
  /** Sum of Lambda's billed durations (REPORT lines) × configured memory, in GB-seconds. */
  'lambdaGbSeconds',
  'lambdaReports',
  'dynamodbWrites',
  'dynamodbWriteUnits',
  'dynamodbReplicatedWrites',
  'dynamodbReplicatedWriteUnits',
  'dynamodbReads',
  'dynamodbReadUnits',
  /** Events accepted by PutEvents (and fired by schedules), forwarded ones excluded. */
  'eventsPut',
  /** Events received from a peer region's forwarding rule. */
  'eventsForwardedIn',
  'sqsSent',
  'sqsReceiveRequests',
  'sqsReceived',
  'sqsDeleted',
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];
export type Counters = Record<CounterName, number>;

/** Counters all at zero. */
export function zeroCounters(): Counters {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as Counters;
}

/** `a + b`, counter by counter. */
export function addCounters(a: Counters, b: Counters): Counters {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, a[n] + b[n]])) as Counters;
}

/** `a - b`, counter by counter. */
export function subtractCounters(a: Counters, b: Counters): Counters {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, a[n] - b[n]])) as Counters;
}

/** Every counter times `factor`. */
export function scaleCounters(a: Counters, factor: number): Counters {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, a[n] * factor])) as Counters;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * The counters of one region's `GET /_meridian/status` answer. `apiFunctions` names the functions behind
 * API routes. Lambda GB-seconds come from the logs (see parseLambdaReports), not from the status.
 */
export function countersFromStatus(status: unknown, apiFunctions: ReadonlySet<string>): Counters {
  const s = obj(status);
  const c = zeroCounters();
  for (const fn of Array.isArray(s.lambda) ? (s.lambda as unknown[]) : []) {
    const f = obj(fn);
    const invocations = num(f.invocations);
    c.lambdaInvocations += invocations;
    if (typeof f.function === 'string' && apiFunctions.has(f.function)) c.apiRequests += invocations;
  }
  const ddb = obj(s.dynamodb);
  c.dynamodbWrites = num(ddb.writes);
  c.dynamodbWriteUnits = num(ddb.writeUnits);
  c.dynamodbReplicatedWrites = num(ddb.replicatedApplied);
  c.dynamodbReplicatedWriteUnits = num(ddb.replicatedWriteUnits);
  c.dynamodbReads = num(ddb.reads);
  c.dynamodbReadUnits = num(ddb.readUnits);
  const events = obj(s.events);
  // `accepted` counts every event routed on a bus, the forwarded ones included.
  c.eventsForwardedIn = num(events.forwardedIn);
  c.eventsPut = Math.max(0, num(events.accepted) - c.eventsForwardedIn);
  const sqs = obj(s.sqs);
  c.sqsSent = num(sqs.sent);
  c.sqsReceiveRequests = num(sqs.receiveRequests);
  c.sqsReceived = num(sqs.received);
  c.sqsDeleted = num(sqs.deleted);
  return c;
}

/** Per-function invocation counts of one region's status. */
export function invocationsByFunction(status: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const s = obj(status);
  for (const fn of Array.isArray(s.lambda) ? (s.lambda as unknown[]) : []) {
    const f = obj(fn);
    if (typeof f.function === 'string') out[f.function] = (out[f.function] ?? 0) + num(f.invocations);
  }
  return out;
}

/** What the REPORT lines of a stretch of Lambda logs add up to. */
export interface LambdaReportTotals {
  readonly reports: number;
  readonly billedMs: number;
  readonly gbSeconds: number;
}

const REPORT_LINE =
  /\bREPORT RequestId: \S+\s+Duration: [\d.]+ ms\s+Billed Duration: (\d+) ms\s+Memory Size: (\d+) MB/;

/** Sums Lambda's `REPORT … Billed Duration: N ms Memory Size: M MB` lines: GB-seconds = N/1000 × M/1024. */
export function parseLambdaReports(text: string): LambdaReportTotals {
  let reports = 0;
  let billedMs = 0;
  let gbSeconds = 0;
  for (const line of text.split('\n')) {
    const m = REPORT_LINE.exec(line);
    if (!m) continue;
    const ms = Number(m[1]);
    const mb = Number(m[2]);
    reports += 1;
    billedMs += ms;
    gbSeconds += (ms / 1000) * (mb / 1024);
  }
  return { reports, billedMs, gbSeconds };
}

/**
 * The counters of a measured window minus the idle background: the idle window's rate (per ms) times the
 * measured window's length. A counter the subtraction would drive below zero is clamped at zero.
 */
export function subtractBackground(
  measured: Counters,
  measuredMs: number,
  idle: Counters,
  idleMs: number,
): Counters {
  if (!(measuredMs > 0)) throw new RangeError(`measuredMs must be > 0, got ${measuredMs}`);
  if (!(idleMs > 0)) throw new RangeError(`idleMs must be > 0, got ${idleMs}`);
  const background = scaleCounters(idle, measuredMs / idleMs);
  return Object.fromEntries(
    COUNTER_NAMES.map((n) => [n, Math.max(0, measured[n] - background[n])]),
  ) as Counters;
}

/** subtractBackground for a map of named counts (per-function invocations); keys of `measured` only. */
export function subtractBackgroundMap(
  measured: Readonly<Record<string, number>>,
  measuredMs: number,
  idle: Readonly<Record<string, number>>,
  idleMs: number,
): Record<string, number> {
  if (!(measuredMs > 0)) throw new RangeError(`measuredMs must be > 0, got ${measuredMs}`);
  if (!(idleMs > 0)) throw new RangeError(`idleMs must be > 0, got ${idleMs}`);
  return Object.fromEntries(
    Object.entries(measured).map(([k, v]) => [k, Math.max(0, v - ((idle[k] ?? 0) * measuredMs) / idleMs)]),
  );
}

/** Latency figures in milliseconds (nearest-rank percentiles). */
export interface LatencySummary {
  readonly count: number;
  readonly minMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** The nearest-rank percentile `p` (0 < p ≤ 100) of ascending `sorted` values: sorted[ceil(p/100 · n) − 1]. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`p must be in (0, 100], got ${p}`);
  if (sorted.length === 0) throw new RangeError('percentile of no values');
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** min, p50, p95, p99, max and mean of `values` (ms), rounded to 0.1 ms; all 0 when there are none. */
export function summarizeLatencies(values: readonly number[]): LatencySummary {
  if (values.length === 0) return { count: 0, minMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    count: sorted.length,
    minMs: round(sorted[0]!),
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1]!),
    meanMs: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

/** The rule `countStateTransitions` applies, as printed in the report. */
export const STATE_TRANSITION_RULE =
  'one per state entered (every *StateEntered event of GetExecutionHistory, Parallel/Map branches ' +
  'included) plus one per retry of a Task (each TaskScheduled/LambdaFunctionScheduled after the first ' +
  'within one entry of the state), as Step Functions Standard bills transitions, retries included';

/** The billable state transitions of one execution, from its GetExecutionHistory events (in order). */
export function countStateTransitions(events: readonly { readonly type?: string }[]): number {
  let transitions = 0;
  let scheduledInEntry = 0;
  for (const e of events) {
    const type = e.type ?? '';
    if (type.endsWith('StateEntered')) {
      transitions += 1;
      scheduledInEntry = 0;
    } else if (type === 'TaskScheduled' || type === 'LambdaFunctionScheduled') {
      scheduledInEntry += 1;
      if (scheduledInEntry > 1) transitions += 1;
    }
  }
  return transitions;
}

/** Per-order resource counts: the background-free counter deltas divided by the fulfilled orders. */
export interface PerOrderCounts {
  readonly lambdaInvocations: number;
  readonly lambdaInvocationsByFunction: Record<string, number>;
  readonly lambdaGbSeconds: number;
  readonly stateTransitions: number;
  readonly apiRequests: number;
  readonly dynamodb: {
    /** Items written by the services in the region that wrote them. */
    readonly localWrites: number;
    /** Items written in peer regions by replication (Global Tables). */
    readonly replicatedWrites: number;
    readonly totalWrites: number;
    readonly writeUnits: number;
    readonly replicatedWriteUnits: number;
    readonly reads: number;
    readonly readUnits: number;
  };
  readonly events: {
    /** PutEvents entries accepted. */
    readonly put: number;
    /** Events delivered to another region's bus by the forwarding rules. */
    readonly forwardedCrossRegion: number;
    readonly total: number;
  };
  readonly sqs: {
    readonly sent: number;
    readonly received: number;
    readonly deleted: number;
    readonly receiveRequests: number;
    /** What SQS bills: SendMessage + ReceiveMessage + DeleteMessage requests (unbatched sends and deletes). */
    readonly requests: number;
  };
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Per-order counts from background-free counter deltas, the total state transitions of the run's executions
 * and the per-function invocation deltas, divided by `orders` (the fulfilled orders, > 0).
 */
export function perOrderCounts(
  delta: Counters,
  stateTransitions: number,
  byFunction: Record<string, number>,
  orders: number,
): PerOrderCounts {
  if (!(Number.isInteger(orders) && orders > 0)) {
    throw new RangeError(`orders must be a positive integer, got ${orders}`);
  }
  const per = (x: number) => round4(x / orders);
  const sqsRequests = delta.sqsSent + delta.sqsReceiveRequests + delta.sqsDeleted;
  return {
    lambdaInvocations: per(delta.lambdaInvocations),
    lambdaInvocationsByFunction: Object.fromEntries(
      Object.entries(byFunction)
        .filter(([, n]) => n > 0)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([fn, n]) => [fn, per(n)]),
    ),
    lambdaGbSeconds: round4(delta.lambdaGbSeconds / orders),
    stateTransitions: per(stateTransitions),
    apiRequests: per(delta.apiRequests),
    dynamodb: {
      localWrites: per(delta.dynamodbWrites),
      replicatedWrites: per(delta.dynamodbReplicatedWrites),
      totalWrites: per(delta.dynamodbWrites + delta.dynamodbReplicatedWrites),
      writeUnits: per(delta.dynamodbWriteUnits),
      replicatedWriteUnits: per(delta.dynamodbReplicatedWriteUnits),
      reads: per(delta.dynamodbReads),
      readUnits: per(delta.dynamodbReadUnits),
    },
    events: {
      put: per(delta.eventsPut),
      forwardedCrossRegion: per(delta.eventsForwardedIn),
      total: per(delta.eventsPut + delta.eventsForwardedIn),
    },
    sqs: {
      sent: per(delta.sqsSent),
      received: per(delta.sqsReceived),
      deleted: per(delta.sqsDeleted),
      receiveRequests: per(delta.sqsReceiveRequests),
      requests: per(sqsRequests),
    },
  };
}

/** Cost per million orders, US dollars, by line item. */
export interface CostPerMillionOrders {
  readonly currency: 'USD';
  readonly lambdaRequests: number;
  readonly lambdaCompute: number;
  readonly stepFunctions: number;
  readonly dynamodbWrites: number;
  readonly dynamodbReplicatedWrites: number;
  readonly dynamodbReads: number;
  readonly eventBridge: number;
  readonly apiGateway: number;
  readonly sqs: number;
  readonly total: number;
}

/** Prices a million orders of `perOrder` with `prices`. */
export function costPerMillionOrders(
  perOrder: PerOrderCounts,
  prices: PriceTable = PRICES,
): CostPerMillionOrders {
  const m = 1_000_000;
  const cents = (x: number) => Math.round(x * 100) / 100;
  const lines = {
    lambdaRequests: costOf(perOrder.lambdaInvocations * m, prices.lambdaRequests),
    lambdaCompute: costOf(perOrder.lambdaGbSeconds * m, prices.lambdaGbSecondsArm64),
    stepFunctions: costOf(perOrder.stateTransitions * m, prices.stepFunctionsStandardTransitions),
    dynamodbWrites: costOf(perOrder.dynamodb.writeUnits * m, prices.dynamodbWriteRequestUnits),
    dynamodbReplicatedWrites: costOf(
      perOrder.dynamodb.replicatedWriteUnits * m,
      prices.dynamodbReplicatedWriteRequestUnits,
    ),
    dynamodbReads: costOf(perOrder.dynamodb.readUnits * m, prices.dynamodbReadRequestUnits),
    eventBridge:
      costOf(perOrder.events.put * m, prices.eventBridgeCustomEvents) +
      costOf(perOrder.events.forwardedCrossRegion * m, prices.eventBridgeCrossRegionEvents),
    apiGateway: costOf(perOrder.apiRequests * m, prices.apiGatewayRestRequests),
    sqs: costOf(perOrder.sqs.requests * m, prices.sqsStandardRequests),
  };
  const total = Object.values(lines).reduce((a, b) => a + b, 0);
  return {
    currency: 'USD',
    ...(Object.fromEntries(Object.entries(lines).map(([k, v]) => [k, cents(v)])) as Omit<
      CostPerMillionOrders,
      'currency' | 'total'
    >),
    total: cents(total),
  };
}

/** The dynalite ceiling compared with what the run achieved. */
export interface CeilingComparison {
  /** Achieved fulfilled orders/s × total DynamoDB writes per order. */
  readonly achievedWritesPerSecond: number;
  /** achievedWritesPerSecond ÷ the ceiling. */
  readonly ratioToCeiling: number;
  /** The ceiling ÷ total writes per order: the order rate at which the writes alone would saturate dynalite. */
  readonly ordersPerSecondCeiling: number;
}

/** Compares the achieved write rate with the raw dynalite ceiling. */
export function compareWithCeiling(
  ordersPerSecond: number,
  writesPerOrder: number,
  ceilingWritesPerSecond: number,
): CeilingComparison {
  if (!(ceilingWritesPerSecond > 0)) {
    throw new RangeError(`ceilingWritesPerSecond must be > 0, got ${ceilingWritesPerSecond}`);
  }
  const achieved = ordersPerSecond * writesPerOrder;
  const r = (x: number, d = 100) => Math.round(x * d) / d;
  return {
    achievedWritesPerSecond: r(achieved, 10),
    ratioToCeiling: r(achieved / ceilingWritesPerSecond, 1000),
    ordersPerSecondCeiling: writesPerOrder > 0 ? r(ceilingWritesPerSecond / writesPerOrder) : 0,
  };
}
