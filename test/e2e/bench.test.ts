/**
 * `meridian bench` end to end, small: a closed loop through the edge of a running local runtime, every
 * figure of the report produced from what the runtime really did.
 */
import { runBench } from '../../local/bench';
import { useTestRuntime } from './support/runtime';

jest.setTimeout(300_000);

describe('meridian bench on the local runtime', () => {
  const runtime = useTestRuntime();

  it('fulfils every order of a small load and reports counts per order, visibility, the ceiling and the cost', async () => {
    const rt = runtime();

    const report = await runBench({
      runtime: rt.runtime,
      orders: 6,
      concurrency: 2,
      idleSeconds: 5,
      ceilingSeconds: 1,
      visibilityOrders: 4,
    });

    expect(report.orders).toMatchObject({
      requested: 6,
      acknowledged: 6,
      fulfilled: 6,
      errors: 0,
      unfinished: 0,
    });
    expect(Object.keys(report.orders.byRegion).sort()).toEqual([...rt.regions].sort());
    expect(report.latency.fulfilmentMs.count).toBe(6);
    expect(report.latency.fulfilmentMs.minMs).toBeGreaterThan(report.latency.acknowledgementMs.minMs);
    // The happy path: one transition per state entered, at least the 12 of the fulfilled path.
    expect(report.perOrder.stateTransitions).toBeGreaterThanOrEqual(12);
    expect(report.perOrder.lambdaInvocations).toBeGreaterThan(0);
    expect(report.perOrder.dynamodb.replicatedWrites).toBeGreaterThan(0);
    expect(report.perOrder.events.forwardedCrossRegion).toBeGreaterThan(0);
    expect(report.perOrder.sqs.sent).toBeGreaterThan(0);
    // Each order was read from every peer; the link holds every entry at least its lag.
    expect(report.visibility).toMatchObject({
      orders: 4,
      readings: 4 * (rt.regions.length - 1),
      timedOut: 0,
    });
    expect(report.visibility.writeToVisibleMs.minMs).toBeGreaterThanOrEqual(report.visibility.linkLagMs);
    expect(report.visibility.ownMs.p50Ms).toBeCloseTo(
      report.visibility.writeToVisibleMs.p50Ms - report.visibility.linkLagMs,
      0,
    );
    expect(report.dynaliteCeiling.writesPerSecond).toBeGreaterThan(0);
    expect(report.dynaliteCeiling.ratioToCeiling).toBeGreaterThan(0);
    expect(report.cost.perMillionOrders.total).toBeGreaterThan(0);
    expect(report.cost.perMillionOrders.stepFunctions).toBeGreaterThan(0);
  });
});
