import { auditDrill } from '../../../lib/drill/audit';
import { formatDrillReport, takeoverReport, type DrillReport } from '../../../lib/drill/report';
import {
  T0,
  ack,
  allocationItem,
  chargeItem,
  healthyAcks,
  healthyWith,
  orderItem,
  replaceItem,
  takeoverItem,
} from './fixtures';

const FAULT_AT = T0 + 5_000;

/**
 * A drill where r2 took over t1 (stood down, refunded) 25 s after the fault and t2 (fulfilled by its home
 * region first) 28 s after it.
 */
function auditWithTakeovers() {
  return auditDrill(
    healthyWith(
      (t) => {
        t.orders?.push(
          orderItem('t1', { status: 'FAILED', failureReason: 'HomeRegionUnavailable' }),
          takeoverItem('t1', { takenOverAt: FAULT_AT + 25_000, statusAtTakeover: 'RESERVED' }),
          orderItem('t2', { status: 'FULFILLED' }),
          takeoverItem('t2', { takenOverAt: FAULT_AT + 28_000 }),
        );
        t.payments?.push(
          chargeItem('ch-t1', 't1', { status: 'voided' }),
          chargeItem('ch-t2', 't2', { status: 'captured' }),
        );
        t.inventory = replaceItem(
          t.inventory,
          'SKU#sku-a',
          allocationItem('sku-a', 'r1', 6, { o3: [1, 'COMMITTED'] }),
        );
      },
      { acknowledged: [...healthyAcks, ack('t1', T0 + 400), ack('t2', T0 + 500)], faultAt: FAULT_AT },
    ),
  );
}

describe('takeoverReport', () => {
  it('gives each taken-over order its time from the fault, scaled and AWS-equivalent, and the grace', () => {
    const report = takeoverReport(auditWithTakeovers(), {
      timeScale: 20,
      faultAt: FAULT_AT,
      graceSeconds: 300,
    });

    expect(report).toEqual({
      graceSeconds: 300,
      graceMs: 15_000,
      count: 2,
      byFate: {
        failed: { total: 1, byReason: { HomeRegionUnavailable: 1 } },
        cancelled: 0,
        fulfilledAfterTakeover: 1,
        inFlight: 0,
      },
      firstAfterFaultMs: 25_000,
      firstAwsEquivalentMs: 500_000,
      falseFailures: ['t2'],
      moneyHeld: { count: 0, orderIds: [] },
      stockHeld: { count: 0, units: 0, orderIds: [] },
      watchesAtEnd: 0,
      orders: [
        {
          orderId: 't1',
          homeRegion: 'r1',
          takenOverBy: 'r2',
          statusAtTakeover: 'RESERVED',
          finalStatus: 'FAILED',
          failureReason: 'HomeRegionUnavailable',
          fate: 'failed',
          afterFaultMs: 25_000,
          awsEquivalentMs: 500_000,
          chargesHoldingMoney: [],
          unitsHeld: 0,
        },
        {
          orderId: 't2',
          homeRegion: 'r1',
          takenOverBy: 'r2',
          statusAtTakeover: 'PAID',
          finalStatus: 'FULFILLED',
          fate: 'fulfilled-after-takeover',
          afterFaultMs: 28_000,
          awsEquivalentMs: 560_000,
          chargesHoldingMoney: [],
          unitsHeld: 0,
        },
      ],
    });
  });

  it('leaves out what it does not know: the grace, and times without a fault', () => {
    const report = takeoverReport(auditWithTakeovers(), { timeScale: 1 });

    expect(report).not.toHaveProperty('graceSeconds');
    expect(report).not.toHaveProperty('firstAfterFaultMs');
    expect(report.orders[0]).not.toHaveProperty('afterFaultMs');
    expect(report.count).toBe(2);
  });

  it('reports no takeover as a count of 0', () => {
    const report = takeoverReport(auditDrill(healthyWith(() => undefined)), {
      timeScale: 20,
      faultAt: FAULT_AT,
      graceSeconds: 1500,
    });

    expect(report).toMatchObject({ count: 0, orders: [], graceMs: 75_000 });
    expect(report).not.toHaveProperty('firstAfterFaultMs');
  });
});

/** A whole report around an audit, as runDrill assembles it (figures other than the takeover are filler). */
function drillReport(audit: ReturnType<typeof auditDrill>): DrillReport {
  return {
    scenario: 'region-outage',
    summary: 'kill a region under load, keep it down, restore it',
    target: { kind: 'local', env: 'local', regions: ['r1', 'r2'], timeScale: 20 },
    faultedRegion: 'r1',
    runId: 'drill-region-outage-x',
    customerId: 'cust_drill',
    skus: ['sku-a'],
    timeline: [],
    phases: { warmupMs: 1000, faultMs: 30_000, recoveryMs: 1000, settleMs: 5000 },
    detection: { expected: true, detectionMs: 1000, awsEquivalentMs: 20_000 },
    rto: { retryingClient: { recovered: true, rtoMs: 50, awsEquivalentMs: 1000, failedAttempts: 1 } },
    traffic: {
      requests: 6,
      succeeded: 6,
      failed: 0,
      errorRate: 0,
      attempts: 7,
      failedAttempts: 1,
      attemptErrorRate: 1 / 7,
      retriedRequests: 1,
      statuses: { '201': 6 },
      servedBy: { r1: 3, r2: 3 },
      ackLatencyMs: { p50: 40, p99: 90, max: 90 },
    },
    orders: audit.orders,
    lost: audit.lost,
    rpo: { lostOrders: 0, seconds: 0, atRiskDuringFault: { count: 0, seconds: 0, orderIds: [] } },
    duplicateOrders: audit.duplicateOrders,
    duplicateCharges: audit.duplicateCharges,
    unrefundedCharges: audit.unrefundedCharges,
    stock: audit.stock,
    takeover: takeoverReport(audit, { timeScale: 20, faultAt: FAULT_AT, graceSeconds: 300 }),
    stranded: {
      count: 2,
      unfinished: 0,
      takenOver: 2,
      orders: [
        {
          orderId: 't1',
          statusDuringFault: 'RESERVED',
          finalStatus: 'FAILED',
          takenOver: true,
          takenOverBy: 'r2',
        },
        {
          orderId: 't2',
          statusDuringFault: 'PAID',
          finalStatus: 'FULFILLED',
          takenOver: true,
          takenOverBy: 'r2',
        },
      ],
    },
    replication: { converged: true, convergedAfterRecoveryMs: 4000, finalDifferences: 0 },
    invariants: { passed: true, violations: [] },
  };
}

describe('formatDrillReport', () => {
  it('shows the takeover section: grace, fates, and one row per taken-over order', () => {
    const lines = formatDrillReport(drillReport(auditWithTakeovers())).split('\n');

    expect(lines.find((l) => l.startsWith('stranded sagas'))).toContain(
      '2: 2 finished after the recovery, 0 unfinished, 2 taken over',
    );
    expect(lines.find((l) => l.startsWith('taken over'))).toContain(
      '2 (grace 300 s (15000 ms here)): 1 FAILED (HomeRegionUnavailable 1), 0 CANCELLED, ' +
        '1 taken over then FULFILLED (false failure), 0 in flight; first 25000 ms (AWS ≈ 500.0 s) after the fault',
    );
    expect(lines.find((l) => l.startsWith('takeover holds'))).toContain(
      'money held by 0 orders, 0 units held by 0 orders',
    );
    expect(
      lines.some((l) =>
        l
          .trimEnd()
          .endsWith(
            't1: r1 → r2, RESERVED → FAILED (HomeRegionUnavailable), 25000 ms (AWS ≈ 500.0 s) after the fault',
          ),
      ),
    ).toBe(true);
    expect(
      lines.some((l) =>
        l.includes('t2: r1 → r2, PAID → FULFILLED, 28000 ms (AWS ≈ 560.0 s) after the fault'),
      ),
    ).toBe(true);
  });

  it('names what a taken-over order still holds', () => {
    const audit = auditDrill(
      healthyWith((t) => {
        t.orders?.push(
          orderItem('t1', { status: 'FAILED', failureReason: 'HomeRegionUnavailable' }),
          takeoverItem('t1', { takenOverAt: FAULT_AT + 25_000 }),
        );
        t.payments?.push(chargeItem('ch-t1', 't1', { status: 'captured' }));
        t.inventory = replaceItem(
          t.inventory,
          'SKU#sku-a',
          allocationItem('sku-a', 'r1', 6, { o3: [1, 'COMMITTED'], t1: [1, 'HELD'] }),
        );
      }),
    );

    const text = formatDrillReport(drillReport(audit));

    expect(text).toContain('money held by 1 orders, 1 units held by 1 orders');
    expect(text).toContain('MONEY HELD: ch-t1; STOCK HELD: 1 units');
  });

  it('says when no order was taken over, and whether the grace is known', () => {
    const audit = auditDrill(healthyWith(() => undefined));
    const unknown = { ...drillReport(audit), takeover: takeoverReport(audit, { timeScale: 20 }) };

    expect(formatDrillReport(drillReport(audit))).toMatch(
      /^taken over +0 \(grace 300 s \(15000 ms here\)\)$/m,
    );
    expect(formatDrillReport(unknown)).toMatch(/^taken over +0 \(grace unknown\)$/m);
  });
});
