/**
 * `meridian bench`: a fixed-concurrency order load through the local runtime's edge (a closed loop: each
 * client waits for its order's saga to finish before placing the next), with every figure of
 * issue 5 item 5 measured in the same run — throughput, acknowledgement and fulfilment latency percentiles,
 * per-order resource counts (background subtracted), the raw dynalite write ceiling, and the cost per
 * million orders at AWS list prices.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { sagaExecutionArn } from '../../services/shared/saga';
import { readAssembly } from '../assembly';
import type { Runtime } from '../supervisor';
import { measureDynaliteCeiling, type CeilingResult } from './ceiling';
import {
  STATE_TRANSITION_RULE,
  addCounters,
  compareWithCeiling,
  costPerMillionOrders,
  countStateTransitions,
  countersFromStatus,
  invocationsByFunction,
  parseLambdaReports,
  perOrderCounts,
  subtractBackground,
  subtractBackgroundMap,
  subtractCounters,
  summarizeLatencies,
  zeroCounters,
  type CeilingComparison,
  type CostPerMillionOrders,
  type Counters,
  type LatencySummary,
  type PerOrderCounts,
} from './metrics';
import { PRICES, type PriceTable } from './prices';
import { measureVisibility, type VisibilityResult } from './visibility';

/** What `runBench` runs. */
export interface BenchOptions {
  /** A started runtime (from startRuntime). */
  readonly runtime: Runtime;
  /**
   * Orders in flight end to end: each of this many clients places an order, waits until its saga has
   * finished, then places the next (a closed loop, so the figures describe a system that keeps up). @default 8
   */
  readonly concurrency?: number;
  /** Orders submitted in total. @default 200 */
  readonly orders?: number;
  /** How long the raw dynalite write ceiling is measured, seconds. @default 5 */
  readonly ceilingSeconds?: number;
  /**
   * The idle window before the load whose counters are the background (health checks, schedules, pollers),
   * seconds. It should cover the longest background period, the one-minute schedule ÷ the time scale.
   * @default 60 ÷ time scale, between 5 and 60
   */
  readonly idleSeconds?: number;
  /**
   * Orders placed one at a time after the load, each read from every peer's replica until it appears:
   * the cross-region visibility lag. @default 20
   */
  readonly visibilityOrders?: number;
  /** How long to wait, after the last submission, for every saga to finish. @default 300 */
  readonly settleTimeoutSeconds?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** Every figure of a bench run; plain JSON (times in ms, rates per second, money in USD). */
export interface BenchReport {
  readonly startedAt: string;
  readonly durationMs: number;
  readonly regions: readonly string[];
  /** The runtime's time scale (background durations ÷ N; Lambda timeouts are not scaled). */
  readonly timeScale: number;
  readonly concurrency: number;
  readonly orders: {
    readonly requested: number;
    /** Answered 201 by the API. */
    readonly acknowledged: number;
    /** Acknowledged and read FULFILLED from the home region's API after the run. */
    readonly fulfilled: number;
    /** Acknowledged orders whose saga ended FAILED or CANCELLED. */
    readonly failed: number;
    readonly failureReasons: Readonly<Record<string, number>>;
    /** Acknowledged orders still in flight when the settle timeout ran out. */
    readonly unfinished: number;
    /** Submissions not answered 201 (by HTTP status, or `network`). */
    readonly errors: number;
    readonly errorRate: number;
    readonly errorsByKind: Readonly<Record<string, number>>;
    /** Acknowledged orders by the region that accepted them. */
    readonly byRegion: Readonly<Record<string, number>>;
  };
  readonly throughput: {
    /** First submission → last acknowledgement. */
    readonly submissionWindowMs: number;
    readonly acknowledgedPerSecond: number;
    /** First submission → last order FULFILLED. */
    readonly fulfilmentWindowMs: number;
    readonly fulfilledPerSecond: number;
  };
  readonly latency: {
    /** POST /orders sent → 201 received, at the client, through the edge. */
    readonly acknowledgementMs: LatencySummary;
    /** POST /orders sent → the saga's SetStatusFulfilled step done (order FULFILLED), fulfilled orders. */
    readonly fulfilmentMs: LatencySummary;
    readonly fulfilmentMeasuredBy: string;
  };
  /** Resource counts per fulfilled order, idle background subtracted. */
  readonly perOrder: PerOrderCounts;
  readonly stateTransitionRule: string;
  readonly background: {
    readonly backgroundSubtracted: true;
    readonly idleWindowMs: number;
    readonly measuredWindowMs: number;
    /** The idle window's counters per second (all regions). */
    readonly perSecond: Readonly<Record<string, number>>;
  };
  /** Cross-region visibility of an acknowledged order, measured on an idle runtime after the load. */
  readonly visibility: VisibilityResult;
  readonly dynaliteCeiling: CeilingResult &
    CeilingComparison & {
      /** The writes per order the ratio uses: local + replicated (every one is a dynalite write somewhere). */
      readonly writesPerOrderUsed: number;
    };
  readonly cost: {
    readonly perMillionOrders: CostPerMillionOrders;
    readonly prices: PriceTable;
    readonly assumptions: readonly string[];
  };
  readonly notes: readonly string[];
}

/** A bench that cannot run or produced nothing to measure (the message names the cause). */
export class BenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchError';
  }
}

/** The saga state whose successful exit is the moment an order becomes FULFILLED. */
const FULFILLED_STATE = 'SetStatusFulfilled';
const SAGA_SUFFIX = '-order-saga';
const CLOSING_EVENTS = new Set([
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionTimedOut',
  'ExecutionAborted',
]);
const POLL_MS = 250;
/** How often a closed-loop client asks whether its order's saga has finished. */
const EXECUTION_POLL_MS = 100;

interface Submission {
  readonly index: number;
  readonly location: string;
  readonly startedAtMs: number;
  ackMs?: number;
  ackAtMs?: number;
  orderId?: string;
  homeRegion?: string;
  error?: string;
}

interface Snapshot {
  readonly atMs: number;
  readonly counters: Counters;
  readonly byFunction: Record<string, number>;
  readonly logOffsets: Record<string, number>;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1)
    throw new BenchError(`${name} must be an integer >= 1, got ${String(value)}`);
  return v;
}

function positiveNumber(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new BenchError(`${name} must be a number > 0, got ${String(value)}`);
  }
  return v;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over `items` with at most `limit` in flight. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The bytes of `file` between two offsets, as text. */
function readSlice(file: string, from: number, to: number): string {
  if (to <= from) return '';
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(to - from);
    const n = readSync(fd, buffer, 0, buffer.length, from);
    return buffer.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * The benchmark's settings from its options, defaults applied; throws BenchError for a bad one, so a caller
 * can check them before it starts a runtime.
 */
export function benchSettings(
  options: Omit<BenchOptions, 'runtime' | 'log'>,
  timeScale: number,
): {
  concurrency: number;
  orderCount: number;
  ceilingSeconds: number;
  idleSeconds: number;
  settleTimeoutMs: number;
  visibilityOrders: number;
} {
  return {
    concurrency: positiveInteger('concurrency', options.concurrency, 8),
    orderCount: positiveInteger('orders', options.orders, 200),
    ceilingSeconds: positiveNumber('ceilingSeconds', options.ceilingSeconds, 5),
    idleSeconds: positiveNumber(
      'idleSeconds',
      options.idleSeconds,
      Math.min(60, Math.max(5, 60 / timeScale)),
    ),
    settleTimeoutMs: positiveNumber('settleTimeoutSeconds', options.settleTimeoutSeconds, 300) * 1000,
    visibilityOrders: positiveInteger('visibilityOrders', options.visibilityOrders, 20),
  };
}

/** Runs the benchmark against a started runtime and returns its report. */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const { runtime } = options;
  if (!runtime || typeof runtime.status !== 'function')
    throw new BenchError('runtime must be a started Runtime');
  const log = options.log ?? (() => undefined);
  const timeScale = runtime.edge.status().timeScale;
  const { concurrency, orderCount, ceilingSeconds, idleSeconds, settleTimeoutMs, visibilityOrders } =
    benchSettings(options, timeScale);
  const regions = [...runtime.regions];
  const started = Date.now();
  const notes: string[] = [];

  const down = runtime.processes().filter((p) => !p.running);
  if (down.length > 0) {
    throw new BenchError(`regions not running: ${down.map((p) => p.region).join(', ')} (restore them first)`);
  }

  // The model: which functions sit behind API routes (each API request invokes exactly one of them).
  const assembly = readAssembly(runtime.assemblyDir);
  const apiFunctions = new Set<string>();
  for (const model of assembly.regions) {
    for (const route of model.api?.routes ?? []) {
      const fn = model.functions.find((f) => f.logicalId === route.functionLogicalId);
      if (fn) apiFunctions.add(fn.functionName ?? fn.logicalId);
    }
  }

  const sfn = Object.fromEntries(
    regions.map((r) => [
      r,
      new SFNClient({
        region: r,
        endpoint: `http://127.0.0.1:${runtime.endpoints[r]!.ports.sfn}`,
        credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      }),
    ]),
  );
  try {
    // The saga's ARN in each region, account included, as the region serves it.
    const sagaArn: Record<string, string> = {};
    for (const r of regions) {
      const out = await sfn[r]!.send(new ListStateMachinesCommand({}));
      const saga = out.stateMachines?.find((m) => m.name?.endsWith(SAGA_SUFFIX));
      if (!saga?.stateMachineArn) throw new BenchError(`region ${r} serves no state machine *${SAGA_SUFFIX}`);
      sagaArn[r] = saga.stateMachineArn;
    }

    const logFiles = Object.fromEntries(runtime.processes().map((p) => [p.region, p.logFile]));
    const snapshot = async (): Promise<Snapshot> => {
      const logOffsets = Object.fromEntries(regions.map((r) => [r, fileSize(logFiles[r]!)]));
      const atMs = Date.now();
      let counters = zeroCounters();
      const byFunction: Record<string, number> = {};
      for (const r of regions) {
        const status = await regionStatus(runtime, r);
        counters = addCounters(counters, countersFromStatus(status, apiFunctions));
        for (const [fn, n] of Object.entries(invocationsByFunction(status))) {
          byFunction[fn] = (byFunction[fn] ?? 0) + n;
        }
      }
      return { atMs, counters, byFunction, logOffsets };
    };
    /** Counter deltas from a to b; Lambda GB-seconds from the REPORT lines logged in between. */
    const windowOf = (a: Snapshot, b: Snapshot) => {
      const counters = subtractCounters(b.counters, a.counters);
      for (const r of regions) {
        const reports = parseLambdaReports(readSlice(logFiles[r]!, a.logOffsets[r]!, b.logOffsets[r]!));
        counters.lambdaGbSeconds += reports.gbSeconds;
        counters.lambdaReports += reports.reports;
      }
      const byFunction = Object.fromEntries(
        Object.keys(b.byFunction).map((fn) => [fn, b.byFunction[fn]! - (a.byFunction[fn] ?? 0)]),
      );
      return { counters, byFunction, ms: b.atMs - a.atMs };
    };

    // Stock: every region's own allocation of a SKU fresh to this run, enough for every order.
    const runId = String(started);
    const sku = `PROD-${runId}`;
    for (const r of regions) {
      const res = await fetch(`${runtime.endpoints[r]!.apiBaseUrl}/inventory/${sku}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ available: orderCount }),
      });
      const text = await res.text();
      if (res.status !== 200)
        throw new BenchError(`PUT /inventory/${sku} in ${r}: HTTP ${res.status} ${text}`);
    }
    log(`stock: ${sku} = ${orderCount} in each of ${regions.join(', ')}`);
    /** Every bench order: one unit of the run's SKU, paid with the approving test card. */
    const orderBody = (customerId: string) => ({
      customerId,
      currency: 'EUR',
      lines: [{ productId: sku, quantity: 1, unitPrice: 19.99 }],
      paymentToken: 'tok_visa',
    });
    await waitQuiet(runtime, regions, 30_000);

    // The idle background, measured with nothing but the runtime's own activity.
    log(`idle window: ${idleSeconds} s (background: health checks, schedules, pollers)`);
    const idleStart = await snapshot();
    await sleep(idleSeconds * 1000);
    const idleEnd = await snapshot();
    const idle = windowOf(idleStart, idleEnd);

    // The load: `concurrency` orders in flight end to end through the edge, client locations alternating.
    log(`load: ${orderCount} orders, ${concurrency} in flight end to end, through ${runtime.edge.endpoint}`);
    const loadStart = await snapshot();
    const submissions: Submission[] = [];
    let nextIndex = 0;
    const submitter = async () => {
      while (nextIndex < orderCount) {
        const index = nextIndex++;
        const location = regions[index % regions.length]!;
        const s: Submission = { index, location, startedAtMs: Date.now() };
        submissions.push(s);
        const t0 = performance.now();
        try {
          const res = await fetch(`${runtime.edge.endpoint}/orders`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'idempotency-key': `bench-${runId}-${index}`,
              'x-meridian-client-location': location,
            },
            body: JSON.stringify(orderBody(`CUST-${runId}${index}`)),
          });
          const text = await res.text();
          s.ackMs = performance.now() - t0;
          s.ackAtMs = s.startedAtMs + s.ackMs;
          if (res.status !== 201) {
            s.error = `HTTP ${res.status}`;
            continue;
          }
          const body = JSON.parse(text) as { orderId?: unknown; homeRegion?: unknown };
          if (typeof body.orderId !== 'string') {
            s.error = 'no orderId';
            continue;
          }
          s.orderId = body.orderId;
          const header = res.headers.get('x-meridian-region');
          s.homeRegion = typeof body.homeRegion === 'string' ? body.homeRegion : (header ?? undefined);
          // The saga is watched through Step Functions, which touches none of the counted resources.
          if (s.homeRegion && sfn[s.homeRegion]) {
            await waitForExecution(sfn[s.homeRegion]!, sagaArn[s.homeRegion]!, s.orderId, settleTimeoutMs);
          }
        } catch {
          s.ackMs = performance.now() - t0;
          s.error = 'network';
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, submitter));
    const acked = submissions.filter((s) => s.orderId !== undefined && s.homeRegion !== undefined);
    log(`submitted: ${acked.length}/${orderCount} acknowledged`);

    // Every saga to its end, then the asynchronous tail (replication, forwarded events, event consumers).
    const stillRunning = await waitForSagas(sfn, sagaArn, acked, settleTimeoutMs);
    if (stillRunning.size > 0) {
      notes.push(
        `${stillRunning.size} sagas still RUNNING ${settleTimeoutMs / 1000} s after the last submission`,
      );
    }
    if (!(await waitQuiet(runtime, regions, 60_000))) {
      notes.push('the regions did not go quiet within 60 s after the sagas: late work may be missing');
    }
    const end = await snapshot();
    const run = windowOf(loadStart, end);

    // Per order: the saga's history (state transitions, the FULFILLED moment) and its status in the API.
    log('reading execution histories and order statuses');
    const outcomes = await mapLimit(acked, concurrency, async (s) => {
      const events = await executionHistory(sfn[s.homeRegion!]!, sagaArn[s.homeRegion!]!, s.orderId!);
      const res = await fetch(`${runtime.endpoints[s.homeRegion!]!.apiBaseUrl}/orders/${s.orderId}`);
      const order = (res.status === 200 ? await res.json() : {}) as {
        status?: string;
        failureReason?: string;
      };
      const exited = events.find(
        (e) => e.type?.endsWith('StateExited') && e.stateExitedEventDetails?.name === FULFILLED_STATE,
      );
      const succeeded = events.find((e) => e.type === 'ExecutionSucceeded');
      return {
        s,
        closed: events.some((e) => CLOSING_EVENTS.has(e.type ?? '')),
        transitions: countStateTransitions(events),
        status: order.status ?? `HTTP ${res.status}`,
        failureReason: order.failureReason,
        fulfilledAtMs: exited?.timestamp?.getTime() ?? succeeded?.timestamp?.getTime(),
        fallback: !exited,
      };
    });

    const fulfilled = outcomes.filter((o) => o.status === 'FULFILLED' && o.fulfilledAtMs !== undefined);
    const fallbacks = fulfilled.filter((o) => o.fallback).length;
    if (fallbacks > 0) {
      notes.push(
        `${fallbacks} fulfilled orders had no ${FULFILLED_STATE} exit in their history: ExecutionSucceeded time used`,
      );
    }
    const failureReasons: Record<string, number> = {};
    let failed = 0;
    for (const o of outcomes) {
      if (o.status === 'FAILED' || o.status === 'CANCELLED') {
        failed += 1;
        const reason = `${o.status}: ${o.failureReason ?? 'no reason given'}`;
        failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
      }
    }
    if (fulfilled.length === 0) {
      const statuses: Record<string, number> = {};
      for (const o of outcomes) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
      throw new BenchError(
        `no order was fulfilled (${acked.length} acknowledged, ${orderCount - acked.length} errors; ` +
          `statuses ${JSON.stringify(statuses)}): nothing to count per order`,
      );
    }

    // The raw dynalite ceiling, measured while the regions are idle again.
    log(`dynalite ceiling: ${ceilingSeconds} s of PutItem at concurrency ${concurrency}`);
    const ceiling = await measureDynaliteCeiling({ concurrency, seconds: ceilingSeconds, log });

    // Cross-region visibility, one order at a time on the idle runtime, after everything counted above.
    log(`visibility: ${visibilityOrders} orders, one at a time, each read from every peer's replica`);
    const visibility = await measureVisibility({
      runtime,
      ordersTable: assembly.tables.find((t) => t.tableName.endsWith('-orders'))!.tableName,
      orders: visibilityOrders,
      body: (i) => orderBody(`CUST-${runId}0${i}`),
      keyPrefix: `bench-${runId}-visibility`,
      settle: async () => void (await waitQuiet(runtime, regions, 30_000)),
      log,
    });

    const delta = subtractBackground(run.counters, run.ms, idle.counters, idle.ms);
    const byFunction = subtractBackgroundMap(run.byFunction, run.ms, idle.byFunction, idle.ms);
    const transitions = outcomes.reduce((n, o) => n + o.transitions, 0);
    const perOrder = perOrderCounts(delta, transitions, byFunction, fulfilled.length);

    const firstStart = Math.min(...submissions.map((s) => s.startedAtMs));
    const lastAck = Math.max(...acked.map((s) => s.ackAtMs ?? s.startedAtMs));
    const lastFulfilled = Math.max(...fulfilled.map((o) => o.fulfilledAtMs!));
    const submissionWindowMs = Math.max(1, Math.round(lastAck - firstStart));
    const fulfilmentWindowMs = Math.max(1, lastFulfilled - firstStart);
    const fulfilledPerSecond = round2((fulfilled.length / fulfilmentWindowMs) * 1000);

    const errorsByKind: Record<string, number> = {};
    for (const s of submissions) if (s.error) errorsByKind[s.error] = (errorsByKind[s.error] ?? 0) + 1;
    const errors = submissions.filter((s) => s.orderId === undefined).length;
    const byRegion: Record<string, number> = {};
    for (const s of acked) byRegion[s.homeRegion!] = (byRegion[s.homeRegion!] ?? 0) + 1;

    const writesPerOrderUsed = perOrder.dynamodb.totalWrites;
    const report: BenchReport = {
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      regions,
      timeScale,
      concurrency,
      orders: {
        requested: orderCount,
        acknowledged: acked.length,
        fulfilled: fulfilled.length,
        failed,
        failureReasons,
        unfinished: outcomes.filter((o) => !o.closed).length,
        errors,
        errorRate: round4(errors / orderCount),
        errorsByKind,
        byRegion,
      },
      throughput: {
        submissionWindowMs,
        acknowledgedPerSecond: round2((acked.length / submissionWindowMs) * 1000),
        fulfilmentWindowMs,
        fulfilledPerSecond,
      },
      latency: {
        acknowledgementMs: summarizeLatencies(acked.map((s) => s.ackMs!)),
        fulfilmentMs: summarizeLatencies(fulfilled.map((o) => o.fulfilledAtMs! - o.s.startedAtMs)),
        fulfilmentMeasuredBy:
          `the client's send time of POST /orders to the timestamp of the ${FULFILLED_STATE} state's exit ` +
          `in the execution's GetExecutionHistory (same machine clock), confirmed by one GET /orders/{id} ` +
          `per order after the run; no polling during the load, so it adds no requests to the counts`,
      },
      perOrder,
      stateTransitionRule: STATE_TRANSITION_RULE,
      background: {
        backgroundSubtracted: true,
        idleWindowMs: idle.ms,
        measuredWindowMs: run.ms,
        perSecond: Object.fromEntries(
          Object.entries(idle.counters).map(([k, v]) => [k, round4((v / idle.ms) * 1000)]),
        ),
      },
      visibility,
      dynaliteCeiling: {
        ...ceiling,
        ...compareWithCeiling(fulfilledPerSecond, writesPerOrderUsed, ceiling.writesPerSecond),
        writesPerOrderUsed,
      },
      cost: {
        perMillionOrders: costPerMillionOrders(perOrder, PRICES),
        prices: PRICES,
        assumptions: COST_ASSUMPTIONS,
      },
      notes,
    };
    log(`done in ${Math.round(report.durationMs / 1000)} s`);
    return report;
  } finally {
    for (const client of Object.values(sfn)) client.destroy();
  }
}

/** What the cost lines assume, printed with them. */
const COST_ASSUMPTIONS: readonly string[] = [
  'Lambda compute: the billed duration of every REPORT line (1 ms granularity) × the configured memory (the template MemorySize) at the Arm price; init duration is not included.',
  'DynamoDB: write units from each item size after the write (1 KB steps, GSI updates included), replicated writes priced as rWRU in each peer region; read units from the response size (4 KB steps, eventually consistent reads at half).',
  'EventBridge: PutEvents entries at the custom-event price, each event forwarded to a peer region once more at the cross-region price.',
  'API Gateway: one REST request per invocation of a function behind an API route (orders, inventory, payment webhook).',
  'SQS: one request per message sent, per ReceiveMessage call (empty polls of the idle background subtracted) and per message deleted; batching the deletes would lower it.',
  'Not priced: SNS/SES notifications, KMS requests, CloudWatch Logs and metrics, X-Ray, data transfer between regions, storage, free tiers.',
];

const round2 = (x: number) => Math.round(x * 100) / 100;
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** One region's `/_meridian/status`. */
async function regionStatus(runtime: Runtime, region: string): Promise<unknown> {
  const url = `${runtime.endpoints[region]!.controlUrl}/_meridian/status`;
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new BenchError(`GET ${url}: HTTP ${res.status}`);
  return res.json();
}

/** Every event of an execution's history, following the pages. */
async function executionHistory(client: SFNClient, sagaArn: string, name: string): Promise<HistoryEvent[]> {
  const executionArn = sagaExecutionArn(sagaArn, name);
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const out = await client.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        includeExecutionData: false,
        nextToken,
      }),
    );
    events.push(...(out.events ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  return events;
}

/** Waits until one order's execution has stopped (or the timeout passes). */
async function waitForExecution(
  client: SFNClient,
  sagaArn: string,
  orderId: string,
  timeoutMs: number,
): Promise<void> {
  const executionArn = sagaExecutionArn(sagaArn, orderId);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const out = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (out.status !== 'RUNNING') return;
    } catch (err) {
      // Started asynchronously by the API: it may not exist for a moment.
      if ((err as { name?: string }).name !== 'ExecutionDoesNotExist') throw err;
    }
    await sleep(EXECUTION_POLL_MS);
  }
}

/** Waits until none of the acknowledged orders' executions is RUNNING; returns those still running. */
async function waitForSagas(
  sfn: Record<string, SFNClient>,
  sagaArn: Record<string, string>,
  acked: readonly Submission[],
  timeoutMs: number,
): Promise<Set<string>> {
  const ours = new Set(acked.map((s) => s.orderId!));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = new Set<string>();
    for (const [region, client] of Object.entries(sfn)) {
      let nextToken: string | undefined;
      do {
        const out = await client.send(
          new ListExecutionsCommand({
            stateMachineArn: sagaArn[region],
            statusFilter: 'RUNNING',
            maxResults: 1000,
            nextToken,
          }),
        );
        for (const e of out.executions ?? []) if (e.name && ours.has(e.name)) running.add(e.name);
        nextToken = out.nextToken;
      } while (nextToken);
    }
    if (running.size === 0 || Date.now() > deadline) return running;
    await sleep(POLL_MS);
  }
}

/**
 * Waits until no region has work in flight: nothing pending on the replication links, no event deliveries
 * pending, no Lambda invocation running, queued or pending asynchronously, twice in a row. False on timeout.
 */
async function waitQuiet(runtime: Runtime, regions: readonly string[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let quietRounds = 0;
  while (Date.now() < deadline) {
    const statuses = await Promise.all(regions.map((r) => regionStatus(runtime, r)));
    quietRounds = statuses.every(isQuiet) ? quietRounds + 1 : 0;
    if (quietRounds >= 2) return true;
    await sleep(POLL_MS);
  }
  return false;
}

/** Whether one region's status shows no work in flight. */
export function isQuiet(status: unknown): boolean {
  const s = (status ?? {}) as {
    replication?: { outgoing?: { pending?: number }[] };
    events?: { pendingDeliveries?: number };
    lambda?: { running?: number; queued?: number; asyncPending?: number }[];
  };
  const links = s.replication?.outgoing ?? [];
  const fns = s.lambda ?? [];
  return (
    links.every((l) => (l.pending ?? 0) === 0) &&
    (s.events?.pendingDeliveries ?? 0) === 0 &&
    fns.every((f) => (f.running ?? 0) === 0 && (f.queued ?? 0) === 0 && (f.asyncPending ?? 0) === 0)
  );
}
