/** The drill report (`meridian drill --json` prints it as is) and its table form. */
import type { AuditReport, ReplicaDiff } from './audit';
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
  readonly stranded: {
    readonly count: number;
    readonly unfinished: number;
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
        : `${r.stranded.count}: ${r.stranded.count - r.stranded.unfinished} finished after the recovery, ${r.stranded.unfinished} unfinished`,
    ],
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
