/**
 * Runs one drill: stock for the drill's own SKUs, steady load through the edge with the retrying client and
 * a DNS-only probe, the fault, the recovery, then waits for every acknowledged order to settle and the
 * replicas to converge, and audits what happened (lost, duplicated, double-charged, oversold).
 */
import {
  auditDrill,
  backlogOf,
  diffReplicas,
  outstandingBacklog,
  TABLE_IDS,
  type AcknowledgedOrder,
  type Item,
  type RegionSnapshot,
  type ReplicationBacklog,
} from './audit';
import { startLoad, startProbe, type SubmissionRecord } from './load';
import { takeoverReport, type DrillReport, type StrandedOrder } from './report';
import { SCENARIO_DEFINITIONS, type FaultContext, type ScenarioName } from './scenarios';
import type { DrillTarget } from './target';
import { detectionOf, percentile, recoveryOf, type Outcome } from './timeline';
import { TERMINAL_STATUSES } from '../../services/shared/saga';
import { DrillTargetError } from './aws-target';

/** Options of {@link runDrill}. Durations marked "AWS seconds" are divided by the target's time scale. */
export interface DrillOptions {
  readonly target: DrillTarget;
  readonly scenario: ScenarioName;
  /** The region the fault hits. @default the target's first region */
  readonly region?: string;
  /** The other end of the link (partition, latency). @default the first other region */
  readonly peer?: string;
  /** Order submissions in flight at most. @default 4 */
  readonly concurrency?: number;
  /** Order submissions per second (real time). @default 5 */
  readonly ratePerSecond?: number;
  /** Steady load before the fault, AWS seconds. @default 30 */
  readonly warmupSeconds?: number;
  /** How long the fault is held, AWS seconds. @default 180 (health detection 30 s + DNS TTL 60 s, twice over) */
  readonly faultSeconds?: number;
  /** Steady load after the recovery, AWS seconds. @default 60 */
  readonly recoverySeconds?: number;
  /** The link lag of the `latency` drill, ms (real time: the link is not time-scaled). @default 2000 */
  readonly latencyMs?: number;
  /** Longest wait for orders to settle and replicas to converge after the load, real seconds. @default 180 */
  readonly settleTimeoutSeconds?: number;
  /** Units per region of the ample SKU and of the scarce SKU (sold out on purpose). @default 100000 / 3 */
  readonly stock?: { readonly ample?: number; readonly scarce?: number };
  /** Aborts the drill: the fault is mended, the load stopped, and DrillInterruptedError thrown. */
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

const TERMINAL = new Set<string>(TERMINAL_STATUSES);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Thrown when the drill's signal aborts it; the fault has been mended by then. */
export class DrillInterruptedError extends Error {
  override readonly name = 'DrillInterruptedError';
}

/** A phase's wait, cut short by the signal. */
function phase(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(new DrillInterruptedError('drill interrupted'));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DrillInterruptedError('drill interrupted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** How long the retrying client keeps away from a region that failed, AWS ms: Route 53's 30 s + a 60 s TTL, and some. */
const CLIENT_AVOID_MS = 120_000;
/** Success must hold this long (AWS ms) to count as recovered. */
const SUSTAIN_MS = 30_000;

function attemptOk(status: number | undefined): boolean {
  return status !== undefined && status < 500 && status !== 429;
}

async function setStock(target: DrillTarget, region: string, sku: string, available: number): Promise<void> {
  const url = `${target.apiUrls[region]}/inventory/${encodeURIComponent(sku)}`;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ available }),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      if (res.ok) return;
      if (res.status < 500 || attempt >= 5)
        throw new Error(`PUT ${url}: HTTP ${res.status} ${text.slice(0, 200)}`);
    } catch (err) {
      if (attempt >= 5) throw err;
    }
    await sleep(500 * attempt);
  }
}

async function snapshotOf(target: DrillTarget, region: string, tables = TABLE_IDS): Promise<RegionSnapshot> {
  const takenAt = Date.now();
  const entries = await Promise.all(tables.map(async (t) => [t, await target.scan(region, t)] as const));
  return { region, takenAt, tables: Object.fromEntries(entries) };
}

const orderItemsOf = (snapshot: RegionSnapshot, customerId: string): Item[] =>
  (snapshot.tables.orders ?? []).filter((i) => i.sk === 'ORDER' && i.customerId === customerId);

/** Runs the drill and returns its report; `report.invariants.passed` is false when an invariant broke. */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const { target } = options;
  const log = options.log ?? (() => {});
  const scenario = SCENARIO_DEFINITIONS[options.scenario];
  if (!scenario) throw new DrillTargetError(`unknown scenario "${String(options.scenario)}"`);
  const missing = scenario.needs.filter((f) => !target.faults[f]);
  if (missing.length) {
    throw new DrillTargetError(
      `${scenario.name} needs ${missing.join(', ')}, which the ${target.kind} target cannot do` +
        (target.kind === 'aws'
          ? ' (in AWS: health-check-inversion, and replication-partition where every region has its FIS experiment template)'
          : ''),
    );
  }
  const region = options.region ?? target.regions[0]!;
  const peer = options.peer ?? target.regions.find((r) => r !== region)!;
  for (const [name, value] of [
    ['region', region],
    ['peer', peer],
  ] as const) {
    if (!target.regions.includes(value)) {
      throw new DrillTargetError(
        `--${name} ${value} is not one of the target's regions (${target.regions.join(', ')})`,
      );
    }
  }
  if (region === peer) throw new DrillTargetError('--peer must differ from --region');

  const scale = target.timeScale;
  const scaled = (awsSeconds: number) => (awsSeconds * 1000) / scale;
  const warmupSeconds = options.warmupSeconds ?? 30;
  const faultSeconds = options.faultSeconds ?? 180;
  const recoverySeconds = options.recoverySeconds ?? 60;
  const settleTimeoutMs = (options.settleTimeoutSeconds ?? 180) * 1000;
  const ctx: FaultContext = { target, region, peer, latencyMs: options.latencyMs ?? 2000 };

  const started = Date.now();
  const digits = String(started).slice(-9);
  const runId = `drill-${scenario.name}-${started.toString(36)}`;
  const customerId = `CUST-${digits}`;
  const skus = [`PROD-${digits}1`, `PROD-${digits}2`];
  const stockLevels = { ample: options.stock?.ample ?? 100_000, scarce: options.stock?.scarce ?? 3 };
  const timeline: { at: number; event: string }[] = [];
  const mark = (event: string) => {
    timeline.push({ at: Date.now(), event });
    log(event);
  };

  mark(
    `${scenario.name} on ${target.kind}/${target.env} (${target.regions.join(', ')}), time scale ${scale}`,
  );
  const initialStock: Record<string, Record<string, number>> = {};
  for (const [i, sku] of skus.entries()) {
    initialStock[sku] = {};
    for (const r of target.regions) {
      const units = i === 0 ? stockLevels.ample : stockLevels.scarce;
      await setStock(target, r, sku, units);
      initialStock[sku]![r] = units;
    }
  }
  mark(
    `stock set: ${skus[0]} ${stockLevels.ample}/region, ${skus[1]} ${stockLevels.scarce}/region (sells out)`,
  );

  target.startHealthWatch();
  const load = startLoad({
    ...(target.edgeUrl && { edgeUrl: target.edgeUrl }),
    apiUrls: target.apiUrls,
    locations: target.regions,
    concurrency: options.concurrency ?? 4,
    ratePerSecond: options.ratePerSecond ?? 5,
    runId,
    customerId,
    skus,
    timeScale: scale,
    avoidMs: CLIENT_AVOID_MS,
    declineEvery: 10,
  });
  // The DNS-only client sits where the faulted region is nearest, so DNS sends it there first.
  const probe = target.edgeUrl
    ? startProbe(target.edgeUrl, region, Math.max(100, 2000 / scale), 8000)
    : undefined;
  mark(`load started: ${options.concurrency ?? 4} in flight at most, ${options.ratePerSecond ?? 5} orders/s`);

  let faultAt = 0;
  let recoverAt = 0;
  let strandedSeen: Item[] = [];
  let atRisk: AcknowledgedOrder[] = [];
  let differencesAtRecovery: ReplicationBacklog | undefined;
  let backlog: BacklogTracker | undefined;
  let recovered = false;
  try {
    await phase(scaled(warmupSeconds), options.signal);
    faultAt = Date.now();
    mark(await scenario.inject(ctx));
    await phase(scaled(faultSeconds), options.signal);

    // What the other regions know of the faulted region's orders just before the recovery.
    const snapshotAt = Date.now();
    const survivors = target.regions.filter((r) => r !== region);
    const before = await Promise.all(
      (scenario.regionReadableDuringFault ? target.regions : survivors).map((r) => snapshotOf(target, r)),
    );
    const seenBySurvivors = new Map<string, Item>();
    for (const s of before.filter((b) => b.region !== region)) {
      for (const item of orderItemsOf(s, customerId)) {
        if (item.homeRegion === region) seenBySurvivors.set(String(item.orderId), item);
      }
    }
    if (!scenario.regionReadableDuringFault) {
      // Sagas run only in their home region: a dead region's unfinished orders wait for it (stranded).
      strandedSeen = [...seenBySurvivors.values()].filter((i) => !TERMINAL.has(String(i.status)));
      atRisk = ordersAtRisk(acknowledgedOf(load.submissions), region, snapshotAt, seenBySurvivors);
      strandedSeen.push(...atRisk.map((a) => ({ orderId: a.orderId, status: 'NOT_REPLICATED' })));
    }
    if (scenario.regionReadableDuringFault) differencesAtRecovery = backlogOf(before);

    recoverAt = Date.now();
    mark(await scenario.recover(ctx));
    recovered = true;
    // A region that was down is compared right after it is back: what it has to catch up on.
    if (!scenario.regionReadableDuringFault) {
      differencesAtRecovery = backlogOf(await Promise.all(target.regions.map((r) => snapshotOf(target, r))));
    }
    backlog = trackBacklog(target, differencesAtRecovery);
    await phase(scaled(recoverySeconds), options.signal);
  } finally {
    if (faultAt && !recovered) {
      // Never leave the target broken: a failed drill still mends what it broke.
      await scenario.recover(ctx).then(mark, (err: unknown) => mark(`recovery failed: ${String(err)}`));
    }
    await load.stop();
    await probe?.stop();
    // From here the settle loop scans every region; the tracker reads those scans instead of its own.
    await backlog?.stopPolling();
  }
  const loadStoppedAt = Date.now();
  mark(`load stopped: ${load.submissions.length} submissions`);

  // Settle: every acknowledged order terminal in its home region; then every replica identical.
  const acknowledged = acknowledgedOf(load.submissions);
  const settleDeadline = Date.now() + settleTimeoutMs;
  let settledAt: number | undefined;
  let snapshots: RegionSnapshot[] = [];
  let convergedAt: number | undefined;
  let lastDiff: ReturnType<typeof diffReplicas> | undefined;
  for (;;) {
    const up = (
      await Promise.all(target.regions.map(async (r) => ((await target.regionUp(r)) ? r : undefined)))
    ).filter((r): r is string => r !== undefined);
    snapshots = await Promise.all(up.map((r) => snapshotOf(target, r)));
    backlog?.observe(snapshots);
    lastDiff = diffReplicas(snapshots);
    const byId = new Map<string, Item>();
    for (const s of snapshots) {
      for (const item of orderItemsOf(s, customerId)) {
        if (s.region === item.homeRegion || !byId.has(String(item.orderId)))
          byId.set(String(item.orderId), item);
      }
    }
    const unsettled = acknowledged.filter((a) => !TERMINAL.has(String(byId.get(a.orderId)?.status)));
    if (unsettled.length === 0 && settledAt === undefined) {
      settledAt = Date.now();
      mark(`all ${acknowledged.length} acknowledged orders settled`);
    }
    if (settledAt !== undefined && lastDiff.identical && up.length === target.regions.length) {
      convergedAt = Date.now();
      mark('replicas identical in every region');
      break;
    }
    if (Date.now() > settleDeadline) {
      mark(
        `gave up waiting after ${settleTimeoutMs / 1000} s: ${unsettled.length} orders unsettled, ${lastDiff.differences} items differ`,
      );
      break;
    }
    await sleep(1000);
  }

  const backlogConvergedAt = backlog?.drainedAt();
  const audit = auditDrill({
    acknowledged,
    snapshots,
    customerIds: [customerId],
    skus,
    initialStock,
    faultAt,
  });

  // The faulted region's stranded sagas: their fate after the recovery, and whether a survivor took them over.
  const takenOver = new Map(audit.takeover.orders.map((t) => [t.orderId, t]));
  const stranded: StrandedOrder[] = await Promise.all(
    strandedSeen.map(async (item) => {
      const orderId = String(item.orderId);
      const home = snapshots.find((s) => s.region === region);
      const final = home && orderItemsOf(home, customerId).find((i) => i.orderId === orderId);
      const execution = await target.execution(region, orderId).catch(() => undefined);
      return {
        orderId,
        statusDuringFault: String(item.status),
        finalStatus: final ? String(final.status) : 'UNKNOWN',
        ...(final?.failureReason !== undefined && { failureReason: String(final.failureReason) }),
        ...(execution && { execution: execution.status }),
        ...(execution?.stopDate !== undefined &&
          recoverAt && { finishedAfterRecoveryMs: Math.max(0, execution.stopDate - recoverAt) }),
        takenOver: takenOver.has(orderId),
        ...(takenOver.has(orderId) && { takenOverBy: takenOver.get(orderId)!.takenOverBy }),
      };
    }),
  );
  const strandedUnfinished = stranded.filter((s) => !TERMINAL.has(s.finalStatus));

  const attempts = load.submissions.flatMap((s) => s.attempts);
  const attemptOutcomes: Outcome[] = attempts.map((a) => ({ at: a.endedAt, ok: attemptOk(a.status) }));
  const retrying = recoveryOf(attemptOutcomes, { from: faultAt, sustainMs: SUSTAIN_MS / scale });
  const dnsOnly = probe
    ? recoveryOf(
        probe.records.map((p) => ({ at: p.at, ok: p.ok })),
        { from: faultAt, sustainMs: SUSTAIN_MS / scale },
      )
    : undefined;
  const changes = await target.healthChanges();
  const detection = detectionOf(changes, region, faultAt);

  const requests = load.submissions.length;
  const succeeded = load.submissions.filter((s) => s.status === 200 || s.status === 201).length;
  const failedAttempts = attempts.filter((a) => !attemptOk(a.status)).length;
  const statuses: Record<string, number> = {};
  for (const s of load.submissions) {
    const key = s.status === undefined ? 'no-response' : String(s.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  const servedBy: Record<string, number> = {};
  for (const s of load.submissions) if (s.region) servedBy[s.region] = (servedBy[s.region] ?? 0) + 1;
  const ackLatencies = load.submissions.filter((s) => s.orderId).map((s) => s.endedAt - s.startedAt);

  const violations = [...audit.violations];
  if (!lastDiff?.identical || convergedAt === undefined) violations.push('replicas-diverged');
  if (strandedUnfinished.length) violations.push('stranded-unfinished');

  const aws = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * scale));
  const atRiskFirst = atRisk.reduce((m, a) => Math.min(m, a.ackAt), Infinity);
  const report: DrillReport = {
    scenario: scenario.name,
    summary: scenario.summary,
    target: { kind: target.kind, env: target.env, regions: target.regions, timeScale: scale },
    faultedRegion: region,
    ...(scenario.needs.some((n) => n === 'partition' || n === 'setLinkLag') && { peer }),
    runId,
    customerId,
    skus,
    timeline: timeline.map((t) => ({ atMs: t.at - started, event: t.event })),
    phases: {
      warmupMs: faultAt - started,
      faultMs: recoverAt - faultAt,
      recoveryMs: loadStoppedAt - recoverAt,
      settleMs: (convergedAt ?? Date.now()) - loadStoppedAt,
    },
    detection: scenario.detected
      ? {
          expected: true,
          ...(detection.detectionMs !== undefined && {
            detectionMs: detection.detectionMs,
            awsEquivalentMs: aws(detection.detectionMs)!,
          }),
          ...(detection.healthyAgainAt !== undefined &&
            recoverAt && { healthyAgainAfterRecoveryMs: detection.healthyAgainAt - recoverAt }),
        }
      : { expected: false, note: 'health checks see each region answer: this fault is invisible to DNS' },
    rto: {
      retryingClient: {
        failedAttempts: retrying.failures,
        recovered: retrying.recovered,
        ...(retrying.rtoMs !== undefined && { rtoMs: retrying.rtoMs, awsEquivalentMs: aws(retrying.rtoMs)! }),
      },
      ...(dnsOnly && {
        dnsOnly: {
          probes: probe!.records.length,
          failedProbes: dnsOnly.failures,
          recovered: dnsOnly.recovered,
          ...(dnsOnly.rtoMs !== undefined && { rtoMs: dnsOnly.rtoMs, awsEquivalentMs: aws(dnsOnly.rtoMs)! }),
        },
      }),
    },
    traffic: {
      requests,
      succeeded,
      failed: requests - succeeded,
      errorRate: requests ? (requests - succeeded) / requests : 0,
      attempts: attempts.length,
      failedAttempts,
      attemptErrorRate: attempts.length ? failedAttempts / attempts.length : 0,
      retriedRequests: load.submissions.filter((s) => s.attempts.length > 1).length,
      statuses,
      servedBy,
      ackLatencyMs: {
        p50: percentile(ackLatencies, 50) ?? 0,
        p99: percentile(ackLatencies, 99) ?? 0,
        max: ackLatencies.length ? Math.max(...ackLatencies) : 0,
      },
    },
    orders: audit.orders,
    lost: audit.lost,
    rpo: {
      lostOrders: audit.lost.count,
      seconds: audit.lost.rpoSeconds,
      atRiskDuringFault: {
        count: atRisk.length,
        seconds: atRisk.length ? Math.max(0, faultAt - atRiskFirst) / 1000 : 0,
        orderIds: atRisk.map((a) => a.orderId).sort(),
      },
    },
    duplicateOrders: audit.duplicateOrders,
    duplicateCharges: audit.duplicateCharges,
    unrefundedCharges: audit.unrefundedCharges,
    stock: audit.stock,
    takeover: takeoverReport(audit, {
      timeScale: scale,
      ...(faultAt && { faultAt }),
      ...(target.takeoverGraceSeconds !== undefined && { graceSeconds: target.takeoverGraceSeconds }),
    }),
    stranded: {
      count: stranded.length,
      unfinished: strandedUnfinished.length,
      takenOver: stranded.filter((o) => o.takenOver).length,
      orders: stranded,
    },
    replication: {
      ...(differencesAtRecovery && {
        differencesAtRecovery: differencesAtRecovery.items.size,
        ...(backlogConvergedAt !== undefined && {
          backlogConvergenceMs: backlogConvergedAt - recoverAt,
        }),
      }),
      converged: convergedAt !== undefined,
      ...(convergedAt !== undefined && { convergedAfterRecoveryMs: convergedAt - recoverAt }),
      finalDifferences: lastDiff?.differences ?? 0,
      ...(lastDiff && !lastDiff.identical && { samples: lastDiff.samples, byTable: lastDiff.byTable }),
    },
    invariants: { passed: violations.length === 0, violations },
  };
  return report;
}

/** Follows a replication backlog until it has drained. */
interface BacklogTracker {
  /** Judges a round of snapshots scanned by someone else (the settle loop), so no region is scanned twice. */
  observe(snapshots: readonly RegionSnapshot[]): void;
  /** Ends the tracker's own polling; observe() goes on counting. */
  stopPolling(): Promise<void>;
  /** When the backlog had drained (the earliest scan of the round that found nothing outstanding). */
  drainedAt(): number | undefined;
}

/** Polls every region until no item of `backlog` is outstanding, or until its polling is stopped. */
function trackBacklog(
  target: DrillTarget,
  backlog: ReplicationBacklog | undefined,
): BacklogTracker | undefined {
  if (!backlog) return undefined;
  let drainedAt: number | undefined = backlog.items.size === 0 ? Date.now() : undefined;
  const observe = (snapshots: readonly RegionSnapshot[]) => {
    if (drainedAt === undefined && outstandingBacklog(backlog, snapshots).length === 0) {
      drainedAt = Math.min(...snapshots.map((s) => s.takenAt));
    }
  };
  let polling = true;
  const loop = (async () => {
    while (polling && drainedAt === undefined) {
      try {
        observe(await Promise.all(target.regions.map((r) => snapshotOf(target, r))));
      } catch {
        // A region still starting up: the next round will tell.
      }
      if (drainedAt === undefined) await sleep(250);
    }
  })();
  return {
    observe,
    async stopPolling() {
      polling = false;
      await loop;
    },
    drainedAt: () => drainedAt,
  };
}

/**
 * The acknowledged orders of a region that is down which its peers had not received when they were read
 * (`snapshotAt`): only the down region holds them. An answer sent just before the kill can reach the client
 * after the fault began, so every acknowledgement the region gave counts, not only those before the fault.
 */
export function ordersAtRisk(
  acknowledged: readonly AcknowledgedOrder[],
  region: string,
  snapshotAt: number,
  seenBySurvivors: ReadonlyMap<string, unknown>,
): AcknowledgedOrder[] {
  return acknowledged.filter(
    (a) => a.region === region && a.ackAt < snapshotAt && !seenBySurvivors.has(a.orderId),
  );
}

/** The orders the API acknowledged (201 created or 200 replayed, with an order id). */
function acknowledgedOf(submissions: readonly SubmissionRecord[]): AcknowledgedOrder[] {
  return submissions
    .filter((s) => (s.status === 201 || s.status === 200) && s.orderId)
    .map((s) => ({
      orderId: s.orderId!,
      idempotencyKey: s.idempotencyKey,
      ...(s.region && { region: s.region }),
      ackAt: s.endedAt,
      quantityBySku: { [s.sku]: s.quantity },
    }));
}
