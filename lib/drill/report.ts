/** The drill report (`meridian drill --json` prints it as is) and its table form. */
import type { AuditReport, ReplicaDiff, TakeoverFate, TakenOverFates } from './audit';
import type { ScenarioName } from './scenarios';

/** One of the faulted region's unfinished orders, and what became of it. */
export interface StrandedOrder {
  readonly orderId: string;
  /** Its status in the surviving replicas just before the recovery (`NOT_REPLICATED`: they had not seen it). */
  readonly statusDuringFault: string;
  readonly finalStatus: string;
  readonly failureReason?: string;
  /** Its saga execution's status in the home region at the end. */
  readonly execution?: string;
  /** When its execution stopped, counted from the recovery. */
  readonly finishedAfterRecoveryMs?: number;
  /** Whether a surviving region took it over (it has a takeover marker, docs/decisions/007). */
  readonly takenOver: boolean;
  /** The surviving region that took it over. */
  readonly takenOverBy?: string;
}

/** One order a surviving region took over, in the report. */
export interface TakeoverReportOrder {
  readonly orderId: string;
  readonly homeRegion: string;
  /** The surviving region that wrote the marker. */
  readonly takenOverBy: string;
  readonly statusAtTakeover: string;
  readonly finalStatus: string;
  readonly failureReason?: string;
  readonly fate: TakeoverFate;
  /** The fault (the kill, for a region outage) → the marker's `takenOverAt`, ms on the target. */
  readonly afterFaultMs?: number;
  /** `afterFaultMs` × the time scale. */
  readonly awsEquivalentMs?: number;
  /** Charges still holding money although it did not end FULFILLED (a violation). */
  readonly chargesHoldingMoney: readonly string[];
  /** Units still held that should not be (a violation). */
  readonly unitsHeld: number;
}

/** What surviving regions did with stranded orders (docs/decisions/007). */
export interface TakeoverReport {
  /** The grace period, AWS seconds, when the target knows it. */
  readonly graceSeconds?: number;
  /** The grace period on the target (÷ the time scale), ms. */
  readonly graceMs?: number;
  /** Orders taken over. */
  readonly count: number;
  readonly byFate: Omit<TakenOverFates, 'total'>;
  /** The fault → the first marker, ms on the target, and × the time scale. */
  readonly firstAfterFaultMs?: number;
  readonly firstAwsEquivalentMs?: number;
  /** Taken over, then fulfilled (the home region finished it first): reported, not a violation. */
  readonly falseFailures: readonly string[];
  /** Settled taken-over orders still holding money (violation `takeover-money-held`). */
  readonly moneyHeld: AuditReport['takeover']['moneyHeld'];
  /** Settled taken-over orders still holding stock (violation `takeover-stock-held`). */
  readonly stockHeld: AuditReport['takeover']['stockHeld'];
  /** Takeover watches left in the tables at the end (a survivor still sees a region unhealthy). */
  readonly watchesAtEnd: number;
  readonly orders: readonly TakeoverReportOrder[];
}

/** A client's view of the disturbance (ms in the target's time; `awsEquivalentMs` × the time scale). */
export interface ClientRecovery {
  readonly recovered: boolean;
  readonly rtoMs?: number;
  readonly awsEquivalentMs?: number;
}

/** Everything a drill measured. Times are ms measured on the target; `awsEquivalent…` multiply by the time scale. */
export interface DrillReport {
  readonly scenario: ScenarioName;
  readonly summary: string;
  readonly target: {
    readonly kind: 'local' | 'aws';
    readonly env: string;
    readonly regions: readonly string[];
    readonly timeScale: number;
  };
  readonly faultedRegion: string;
  readonly peer?: string;
  readonly runId: string;
  readonly customerId: string;
  readonly skus: readonly string[];
  readonly timeline: readonly { readonly atMs: number; readonly event: string }[];
  readonly phases: {
    readonly warmupMs: number;
    readonly faultMs: number;
    readonly recoveryMs: number;
    readonly settleMs: number;
  };
  /** Fault → the health check takes the region out of DNS answers. */
  readonly detection: {
    readonly expected: boolean;
    readonly detectionMs?: number;
    readonly awsEquivalentMs?: number;
    readonly healthyAgainAfterRecoveryMs?: number;
    readonly note?: string;
  };
  /** Client-visible RTO: first failure → sustained success (30 AWS-seconds without a failure). */
  readonly rto: {
    readonly retryingClient: ClientRecovery & { readonly failedAttempts: number };
    readonly dnsOnly?: ClientRecovery & { readonly probes: number; readonly failedProbes: number };
  };
  readonly traffic: {
    readonly requests: number;
    readonly succeeded: number;
    readonly failed: number;
    readonly errorRate: number;
    readonly attempts: number;
    readonly failedAttempts: number;
    readonly attemptErrorRate: number;
    readonly retriedRequests: number;
    readonly statuses: Readonly<Record<string, number>>;
    /** Acknowledgements by the region that answered. */
    readonly servedBy: Readonly<Record<string, number>>;
    readonly ackLatencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  };
  readonly orders: AuditReport['orders'];
  readonly lost: AuditReport['lost'];
  /** Lost orders after convergence, and the orders only the faulted region had while it was down. */
  readonly rpo: {
    readonly lostOrders: number;
    readonly seconds: number;
    readonly atRiskDuringFault: {
      readonly count: number;
      readonly seconds: number;
      readonly orderIds: readonly string[];
    };
  };
  readonly duplicateOrders: AuditReport['duplicateOrders'];
  readonly duplicateCharges: AuditReport['duplicateCharges'];
  readonly unrefundedCharges: AuditReport['unrefundedCharges'];
  readonly stock: AuditReport['stock'];
  readonly takeover: TakeoverReport;
  readonly stranded: {
    readonly count: number;
    readonly unfinished: number;
    /** Stranded orders a surviving region took over. */
    readonly takenOver: number;
    readonly orders: readonly StrandedOrder[];
  };
  readonly replication: {
    /** Items that differed between the regions at the recovery (heal). */
    readonly differencesAtRecovery?: number;
    /**
     * Recovery → every region has caught up on those items (real time: replication, like Global Tables,
     * is not time-scaled, so there is no AWS-equivalent multiple).
     */
    readonly backlogConvergenceMs?: number;
    readonly converged: boolean;
    /** Recovery → all tables identical in every region (after the load stopped and orders settled). */
    readonly convergedAfterRecoveryMs?: number;
    readonly finalDifferences: number;
    readonly samples?: readonly string[];
    readonly byTable?: ReplicaDiff['byTable'];
  };
  readonly invariants: { readonly passed: boolean; readonly violations: readonly string[] };
}

/**
 * The report's takeover section from the audit: each taken-over order with the time from the fault
 * (`faultAt`, epoch ms; absent when no fault was injected) to its marker, scaled and AWS-equivalent.
 */
export function takeoverReport(
  audit: Pick<AuditReport, 'orders' | 'takeover'>,
  options: { readonly timeScale: number; readonly faultAt?: number; readonly graceSeconds?: number },
): TakeoverReport {
  const { timeScale, faultAt, graceSeconds } = options;
  const timing = (at: number) =>
    faultAt === undefined
      ? {}
      : { afterFaultMs: at - faultAt, awsEquivalentMs: Math.round((at - faultAt) * timeScale) };
  const orders = audit.takeover.orders.map((o): TakeoverReportOrder => ({
    orderId: o.orderId,
    homeRegion: o.homeRegion,
    takenOverBy: o.takenOverBy,
    statusAtTakeover: o.statusAtTakeover,
    finalStatus: o.finalStatus,
    ...(o.failureReason !== undefined && { failureReason: o.failureReason }),
    fate: o.fate,
    ...timing(o.takenOverAt),
    chargesHoldingMoney: o.chargesHoldingMoney,
    unitsHeld: o.unitsHeld,
  }));
  const first = audit.takeover.orders.reduce((m, o) => Math.min(m, o.takenOverAt), Infinity);
  const firstTiming = orders.length ? timing(first) : {};
  const { total, ...byFate } = audit.orders.takenOver;
  return {
    ...(graceSeconds !== undefined && {
      graceSeconds,
      graceMs: Math.round((graceSeconds * 1000) / timeScale),
    }),
    count: total,
    byFate,
    ...('afterFaultMs' in firstTiming && {
      firstAfterFaultMs: firstTiming.afterFaultMs,
      firstAwsEquivalentMs: firstTiming.awsEquivalentMs,
    }),
    falseFailures: audit.takeover.falseFailures,
    moneyHeld: audit.takeover.moneyHeld,
    stockHeld: audit.takeover.stockHeld,
    watchesAtEnd: audit.takeover.watches.length,
    orders,
  };
}

const ms = (value: number | undefined, scale: number): string =>
  value === undefined
    ? '—'
    : scale === 1
      ? `${value} ms`
      : `${value} ms (AWS ≈ ${((value * scale) / 1000).toFixed(1)} s)`;

const pct = (rate: number) => `${(rate * 100).toFixed(2)} %`;

/** The report as a two-column table for a terminal. */
export function formatDrillReport(r: DrillReport): string {
  const s = r.target.timeScale;
  const failed = Object.entries(r.orders.failed.byReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const inFlight = Object.entries(r.orders.inFlight.byStatus)
    .map(([status, n]) => `${status} ${n}`)
    .join(', ');
  const rows: [string, string][] = [
    ['scenario', `${r.scenario}: ${r.summary}`],
    ['target', `${r.target.kind}/${r.target.env} (${r.target.regions.join(', ')}), time scale ${s}`],
    ['faulted', r.peer ? `${r.faultedRegion} ↔ ${r.peer}` : r.faultedRegion],
    [
      'detection',
      r.detection.expected ? ms(r.detection.detectionMs, s) : `n/a: ${r.detection.note ?? 'not expected'}`,
    ],
    [
      'RTO, retrying client',
      r.rto.retryingClient.recovered
        ? `${ms(r.rto.retryingClient.rtoMs, s)}; ${r.rto.retryingClient.failedAttempts} failed attempts`
        : 'NOT RECOVERED',
    ],
    [
      'RTO, DNS only',
      !r.rto.dnsOnly
        ? 'n/a (no latency-routed entry)'
        : r.rto.dnsOnly.recovered
          ? `${ms(r.rto.dnsOnly.rtoMs, s)}; ${r.rto.dnsOnly.failedProbes}/${r.rto.dnsOnly.probes} probes failed`
          : 'NOT RECOVERED',
    ],
    [
      'requests',
      `${r.traffic.requests}, ${r.traffic.failed} failed (${pct(r.traffic.errorRate)}); attempts ${r.traffic.attempts}, ${r.traffic.failedAttempts} failed (${pct(r.traffic.attemptErrorRate)}); ${r.traffic.retriedRequests} retried`,
    ],
    [
      'served by',
      Object.entries(r.traffic.servedBy)
        .map(([region, n]) => `${region} ${n}`)
        .join(', ') || '—',
    ],
    ['ack latency', `p50 ${r.traffic.ackLatencyMs.p50} ms, p99 ${r.traffic.ackLatencyMs.p99} ms`],
    [
      'acknowledged orders',
      `${r.orders.acknowledged}: ${r.orders.fulfilled} FULFILLED, ${r.orders.failed.total} FAILED${failed ? ` (${failed})` : ''}, ${r.orders.cancelled} CANCELLED, ${r.orders.inFlight.total} in flight${inFlight ? ` (${inFlight})` : ''}`,
    ],
    ['lost orders (RPO)', `${r.lost.count} (${r.rpo.seconds.toFixed(1)} s of writes)`],
    [
      'at risk during fault',
      `${r.rpo.atRiskDuringFault.count} orders only the faulted region held (${r.rpo.atRiskDuringFault.seconds.toFixed(1)} s of writes)`,
    ],
    ['duplicate orders', String(r.duplicateOrders.count)],
    ['duplicate charges', String(r.duplicateCharges.count)],
    ['unrefunded charges', String(r.unrefundedCharges.count)],
    ['oversold units', `${r.stock.oversoldUnits} (unaccounted ${r.stock.unaccountedUnits})`],
    [
      'stranded sagas',
      r.stranded.count === 0
        ? '0'
        : `${r.stranded.count}: ${r.stranded.count - r.stranded.unfinished} finished after the recovery, ${r.stranded.unfinished} unfinished, ${r.stranded.takenOver} taken over`,
    ],
    ...takeoverRows(r.takeover, s),
    [
      'replication',
      `${r.replication.differencesAtRecovery ?? '—'} items differed at recovery; backlog drained in ${ms(r.replication.backlogConvergenceMs, 1)} (real time); ` +
        (r.replication.converged
          ? `all identical ${r.replication.convergedAfterRecoveryMs} ms after recovery`
          : `NOT CONVERGED (${r.replication.finalDifferences} differ)`),
    ],
    ['invariants', r.invariants.passed ? 'PASSED' : `BROKEN: ${r.invariants.violations.join(', ')}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** The takeover section as table rows: a summary, then one row per taken-over order. */
function takeoverRows(t: TakeoverReport, scale: number): [string, string][] {
  const grace =
    t.graceSeconds === undefined ? 'grace unknown' : `grace ${t.graceSeconds} s (${t.graceMs} ms here)`;
  if (t.count === 0) return [['taken over', `0 (${grace})`]];
  const failed = Object.entries(t.byFate.failed.byReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const rows: [string, string][] = [
    [
      'taken over',
      `${t.count} (${grace}): ${t.byFate.failed.total} FAILED${failed ? ` (${failed})` : ''}, ${t.byFate.cancelled} CANCELLED, ` +
        `${t.byFate.fulfilledAfterTakeover} taken over then FULFILLED (false failure), ${t.byFate.inFlight} in flight; ` +
        `first ${ms(t.firstAfterFaultMs, scale)} after the fault`,
    ],
    [
      'takeover holds',
      `money held by ${t.moneyHeld.count} orders, ${t.stockHeld.units} units held by ${t.stockHeld.count} orders`,
    ],
  ];
  for (const o of t.orders) {
    const reason = o.failureReason ? ` (${o.failureReason})` : '';
    const held = [
      ...(o.chargesHoldingMoney.length ? [`MONEY HELD: ${o.chargesHoldingMoney.join(', ')}`] : []),
      ...(o.unitsHeld ? [`STOCK HELD: ${o.unitsHeld} units`] : []),
    ];
    rows.push([
      '',
      `${o.orderId}: ${o.homeRegion} → ${o.takenOverBy}, ${o.statusAtTakeover} → ${o.finalStatus}${reason}, ` +
        `${ms(o.afterFaultMs, scale)} after the fault${held.length ? `; ${held.join('; ')}` : ''}`,
    ]);
  }
  return rows;
}
