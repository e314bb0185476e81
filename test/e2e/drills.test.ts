/**
 * The four failover drills, short and time-scaled, against one local runtime: each must lose nothing,
 * charge nothing twice, oversell nothing, converge, and report its RTO. The health-check inversion and the
 * replication partition also run through the AWS target's code path (Route 53, FIS, DynamoDB and Step
 * Functions SDK clients) pointed at the local runtime's AWS-compatible endpoints. Then a region outage longer than the takeover grace period, on a
 * runtime of its own with a short grace: the survivor takes the stranded orders over (docs/decisions/007).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  awsTarget,
  inProcessHandle,
  localTarget,
  runDrill,
  type DrillReport,
  type DrillTarget,
  type ScenarioName,
} from '../../lib/drill';
import { startRuntime, type Runtime } from '../../local/supervisor';
import { E2E_TIME_SCALE, useTestRuntime } from './support/runtime';

jest.setTimeout(300_000);

/** AWS seconds, divided by the e2e time scale (20): 1 s of warm-up, 6 s of fault, 1 s of recovery. */
const SHORT = { warmupSeconds: 20, faultSeconds: 120, recoverySeconds: 20, concurrency: 3, ratePerSecond: 4 };

function expectInvariantsHeld(report: DrillReport): void {
  // A broken invariant carries the drill's own account of what happened, so a CI log can be diagnosed.
  const diagnosis = report.invariants.passed
    ? {}
    : { timeline: report.timeline, replication: report.replication, orders: report.orders };
  expect({ ...report.invariants, ...diagnosis }).toEqual({ passed: true, violations: [] });
  expect(report.lost.count).toBe(0);
  expect(report.duplicateOrders.count).toBe(0);
  expect(report.duplicateCharges.count).toBe(0);
  expect(report.unrefundedCharges.count).toBe(0);
  expect(report.stock.oversoldUnits).toBe(0);
  expect(report.replication.converged).toBe(true);
  expect(report.replication.finalDifferences).toBe(0);
  expect(report.orders.acknowledged).toBeGreaterThan(0);
  expect(report.orders.inFlight.total).toBe(0);
  expect(report.rto.retryingClient.recovered).toBe(true);
  expect(report.rto.retryingClient.rtoMs).toEqual(expect.any(Number));
}

describe('failover drills on the local runtime', () => {
  const runtime = useTestRuntime();
  let target: DrillTarget | undefined;
  const local = () => (target ??= localTarget(inProcessHandle(runtime().runtime)));
  afterAll(async () => {
    await target?.close();
  });

  const drill = (scenario: ScenarioName, extra: Record<string, unknown> = {}) =>
    runDrill({ target: local(), scenario, ...SHORT, ...extra });

  it('region-outage: the edge detects the dead region, clients fail over, stranded sagas finish after the restore', async () => {
    const report = await drill('region-outage');

    expectInvariantsHeld(report);
    expect(report.detection.detectionMs).toEqual(expect.any(Number));
    expect(report.detection.awsEquivalentMs).toBe(report.detection.detectionMs! * E2E_TIME_SCALE);
    expect(report.rto.dnsOnly?.recovered).toBe(true);
    // Requests the dead region could not answer were answered by the other one.
    expect(report.traffic.servedBy[report.target.regions[1]!]).toBeGreaterThan(0);
    expect(report.stranded.unfinished).toBe(0);
    for (const order of report.stranded.orders)
      expect(['FULFILLED', 'FAILED', 'CANCELLED']).toContain(order.finalStatus);
  });

  it('replication-partition: both sides keep taking orders, and the replicas converge after the heal', async () => {
    const report = await drill('replication-partition');

    expectInvariantsHeld(report);
    expect(report.detection.expected).toBe(false);
    expect(report.replication.differencesAtRecovery).toBeGreaterThan(0);
    expect(report.replication.backlogConvergenceMs).toEqual(expect.any(Number));
    expect(Object.keys(report.traffic.servedBy).sort()).toEqual([...report.target.regions].sort());
  });

  it('latency: a slow link delays replication but breaks nothing', async () => {
    const report = await drill('latency', { latencyMs: 1500 });

    expectInvariantsHeld(report);
    expect(report.timeline.map((t) => t.event)).toContain(
      `link ${report.faultedRegion} ↔ ${report.peer}: lag 100 → 1500 ms`,
    );
    expect(runtime().runtime.links()[report.faultedRegion]![report.peer!]!.lagMs).toBe(100);
  });

  /** The AWS target's code path (Route 53, FIS, DynamoDB, Step Functions clients) on the local endpoints. */
  const awsOnLocal = () => {
    const rt = runtime();
    const ports = (r: string) => rt.runtime.endpoints[r]!.ports;
    return awsTarget({
      env: 'local',
      regions: rt.regions,
      edgeUrl: rt.edge,
      healthPollMs: 200,
      timeScale: E2E_TIME_SCALE,
      endpoints: {
        route53: rt.edge,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        regions: Object.fromEntries(
          rt.regions.map((r) => [
            r,
            {
              dynamodb: `http://127.0.0.1:${ports(r).dynamodb}`,
              sfn: `http://127.0.0.1:${ports(r).sfn}`,
              fis: rt.runtime.fisEndpoint,
            },
          ]),
        ),
      },
    });
  };

  it('health-check-inversion through the AWS target: Route 53 UpdateHealthCheck moves the traffic away', async () => {
    const rt = runtime();
    const aws = await awsOnLocal();
    try {
      // The AWS target found the regions' APIs from the health checks alone.
      expect(aws.apiUrls).toEqual(Object.fromEntries(rt.regions.map((r) => [r, rt.api(r)])));

      const report = await runDrill({ target: aws, scenario: 'health-check-inversion', ...SHORT });

      expectInvariantsHeld(report);
      expect(report.target.kind).toBe('aws');
      expect(report.detection.detectionMs).toEqual(expect.any(Number));
      // An inverted check fails no request: the region still answers; DNS just stops sending clients there.
      expect(report.traffic.failed).toBe(0);
      expect(rt.runtime.edge.status().regions.every((r) => !r.inverted)).toBe(true);
    } finally {
      await aws.close();
    }
  });

  it('replication-partition through the AWS target: a FIS experiment pauses the replication, stopping it heals', async () => {
    const rt = runtime();
    const aws = await awsOnLocal();
    try {
      const report = await runDrill({ target: aws, scenario: 'replication-partition', ...SHORT });

      expectInvariantsHeld(report);
      expect(report.target.kind).toBe('aws');
      // The pause held replication: the regions differed when the experiment was stopped, then caught up.
      expect(report.replication.differencesAtRecovery).toBeGreaterThan(0);
      // Stopping the experiment lifted the pause on every link.
      const links = Object.values(rt.runtime.links()).flatMap((peers) => Object.values(peers));
      expect(links.filter((l) => l.partitioned)).toEqual([]);
    } finally {
      await aws.close();
    }
  });

  it('refuses a fault the AWS target cannot inject, before touching anything', async () => {
    const aws = await awsOnLocal();
    try {
      await expect(runDrill({ target: aws, scenario: 'region-outage' })).rejects.toThrow(
        /region-outage needs killRegion, restoreRegion, which the aws target cannot do/,
      );
    } finally {
      await aws.close();
    }
  });
});

/** The takeover grace of the long outage, AWS seconds: 15 s at the e2e time scale. */
const GRACE_SECONDS = 300;
/** The survivor's takeover function runs every minute (3 s scaled); detection takes about 30 s (1.5 s). */
const SWEEP_SECONDS = 60;
const DETECTION_SECONDS = 30;

describe('a region outage longer than the takeover grace period', () => {
  let runtime: Runtime | undefined;
  let stateDir: string | undefined;

  beforeAll(async () => {
    const assemblyDir = process.env.MERIDIAN_E2E_ASSEMBLY;
    if (!assemblyDir) throw new Error('MERIDIAN_E2E_ASSEMBLY is not set: run the e2e project through jest');
    stateDir = mkdtempSync(path.join(tmpdir(), 'meridian-e2e-takeover-'));
    runtime = await startRuntime({
      stateDir,
      assemblyDir,
      reuseAssembly: true,
      edgePort: 0,
      timeScale: E2E_TIME_SCALE,
      takeoverGraceSeconds: GRACE_SECONDS,
    });
  }, 120_000);

  afterAll(async () => {
    await runtime?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('region-outage longer than the takeover grace period: the survivor takes stranded orders over, and each ends with no money and no stock held', async () => {
    if (!runtime) throw new Error('the local runtime did not start (see beforeAll)');
    const target = localTarget(inProcessHandle(runtime));
    let report: DrillReport;
    try {
      report = await runDrill({
        target,
        scenario: 'region-outage',
        // Steady load before the kill, so that some of the killed region's sagas are under way.
        warmupSeconds: 60,
        // Down past detection, the grace period and the first sweep, then five more sweeps: the survivor
        // takes over during the fault (630 AWS s: 31.5 s here).
        faultSeconds: DETECTION_SECONDS + GRACE_SECONDS + 5 * SWEEP_SECONDS,
        recoverySeconds: 20,
        concurrency: 4,
        ratePerSecond: 5,
      });
    } finally {
      await target.close();
    }

    const { takeover } = report;
    const region = report.faultedRegion;
    expect(takeover.graceSeconds).toBe(GRACE_SECONDS);
    expect(takeover.graceMs).toBe((GRACE_SECONDS * 1000) / E2E_TIME_SCALE);
    expect(takeover.count).toBeGreaterThan(0);
    for (const order of takeover.orders) {
      expect(order.homeRegion).toBe(region);
      expect(report.target.regions.filter((r) => r !== region)).toContain(order.takenOverBy);
      expect(['PENDING', 'RESERVED', 'PAID']).toContain(order.statusAtTakeover);
      // Never before the home region has been unhealthy for the whole grace period.
      expect(order.afterFaultMs).toBeGreaterThanOrEqual(takeover.graceMs!);
      expect(order.awsEquivalentMs).toBe(order.afterFaultMs! * E2E_TIME_SCALE);
      // Stood down with nothing held, or finished by the home region first (a reported false failure).
      expect(['failed', 'cancelled', 'fulfilled-after-takeover']).toContain(order.fate);
      expect(order.chargesHoldingMoney).toEqual([]);
      expect(order.unitsHeld).toBe(0);
    }
    // The home region, back with a replication backlog, still finds the markers (in its peers' replicas)
    // before its sagas finish: a false failure is the rare exception, not what a takeover comes to.
    expect(takeover.falseFailures.length).toBeLessThan(takeover.count);
    expect(takeover.byFate.inFlight).toBe(0);
    expect(takeover.moneyHeld.count).toBe(0);
    expect(takeover.stockHeld.count).toBe(0);
    // Every taken-over order was one of the stranded orders, and the stranded section says so.
    const strandedIds = new Set(report.stranded.orders.filter((o) => o.takenOver).map((o) => o.orderId));
    expect({
      takenOverButNotStranded: takeover.orders.filter((o) => !strandedIds.has(o.orderId)),
      ...(takeover.orders.every((o) => strandedIds.has(o.orderId))
        ? {}
        : { stranded: report.stranded.orders, timeline: report.timeline, rpo: report.rpo }),
    }).toEqual({ takenOverButNotStranded: [] });
    expect(report.stranded.takenOver).toBe(takeover.count);
    expect(report.stranded.unfinished).toBe(0);

    expectInvariantsHeld(report);
  });
});
