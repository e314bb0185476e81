import type { HealthCheck } from '@aws-sdk/client-route-53';
import { detectionOf, percentile, recoveryOf, regionOfHealthCheck } from '../../../lib/drill';

const ok = (at: number) => ({ at, ok: true });
const fail = (at: number) => ({ at, ok: false });

describe('recoveryOf (client-visible RTO)', () => {
  it('is 0 when nothing failed after the fault', () => {
    expect(recoveryOf([fail(5), ok(20), ok(30)], { from: 10, sustainMs: 100 })).toEqual({
      failures: 0,
      rtoMs: 0,
      recovered: true,
    });
  });

  it('runs from the first failure to the first success that is not followed by a failure within the window', () => {
    const outcomes = [ok(0), fail(100), fail(150), ok(200), fail(250), ok(400), ok(600), ok(900)];

    const r = recoveryOf(outcomes, { from: 50, sustainMs: 100 });

    // ok(200) is followed by fail(250) within 100 ms, so the recovery is ok(400).
    expect(r).toEqual({ failures: 3, firstFailureAt: 100, recoveredAt: 400, rtoMs: 300, recovered: true });
  });

  it('accepts a success followed by a failure later than the window', () => {
    const r = recoveryOf([fail(100), ok(200), fail(400)], { from: 0, sustainMs: 100 });

    expect(r.recoveredAt).toBe(200);
    expect(r.failures).toBe(2);
  });

  it('reports no recovery when no success follows the last failure', () => {
    expect(recoveryOf([ok(10), fail(100), fail(200)], { from: 0, sustainMs: 100 })).toEqual({
      failures: 2,
      firstFailureAt: 100,
      recovered: false,
    });
  });

  it('does not depend on the order of the outcomes', () => {
    const outcomes = [ok(400), fail(100), ok(200), fail(250)];

    expect(recoveryOf(outcomes, { from: 0, sustainMs: 100 }).rtoMs).toBe(300);
  });
});

describe('detectionOf', () => {
  const changes = [
    { region: 'a', at: 50, healthy: false },
    { region: 'a', at: 80, healthy: true },
    { region: 'b', at: 120, healthy: false },
    { region: 'a', at: 130, healthy: false },
    { region: 'a', at: 300, healthy: true },
  ];

  it('measures from the fault to the first unhealthy change after it, and notes the return', () => {
    expect(detectionOf(changes, 'a', 100)).toEqual({
      unhealthyAt: 130,
      detectionMs: 30,
      healthyAgainAt: 300,
    });
  });

  it('finds nothing when the region never turned unhealthy after the fault', () => {
    expect(detectionOf(changes, 'b', 200)).toEqual({});
  });
});

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);

    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe('regionOfHealthCheck', () => {
  const check = (config: Record<string, unknown>, extra: Partial<HealthCheck> = {}): HealthCheck =>
    ({
      Id: 'hc-1',
      CallerReference: 'cfn-generated',
      HealthCheckVersion: 1,
      HealthCheckConfig: { Type: 'HTTPS', ResourcePath: '/v1/health', ...config },
      ...extra,
    }) as HealthCheck;

  it('reads the region and API from an execute-api host name (AWS)', () => {
    const found = regionOfHealthCheck(
      check({ FullyQualifiedDomainName: 'abc123.execute-api.eu-west-1.amazonaws.com', Port: 443 }),
      ['us-east-1', 'eu-west-1'],
    );

    expect(found).toEqual({
      region: 'eu-west-1',
      id: 'hc-1',
      apiBaseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1',
    });
  });

  it('reads the region from CallerReference when the check targets an address (the local edge)', () => {
    const found = regionOfHealthCheck(
      check({ Type: 'HTTP', IPAddress: '127.0.0.1', Port: 4100 }, { CallerReference: 'us-east-1' }),
      ['us-east-1', 'eu-west-1'],
    );

    expect(found?.apiBaseUrl).toBe('http://127.0.0.1:4100/v1');
  });

  it('ignores checks of other regions, other paths and other systems', () => {
    const regions = ['us-east-1'];

    expect(
      regionOfHealthCheck(
        check({ FullyQualifiedDomainName: 'x.execute-api.ap-south-1.amazonaws.com' }),
        regions,
      ),
    ).toBeUndefined();
    expect(
      regionOfHealthCheck(
        check({ FullyQualifiedDomainName: 'x.execute-api.us-east-1.amazonaws.com', ResourcePath: '/ping' }),
        regions,
      ),
    ).toBeUndefined();
    expect(regionOfHealthCheck(check({ FullyQualifiedDomainName: 'example.com' }), regions)).toBeUndefined();
  });
});
