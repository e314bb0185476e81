import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetHealthCheckCommand, Route53Client, UpdateHealthCheckCommand } from '@aws-sdk/client-route-53';
import { healthCheckIdFor, startEdge, type Edge } from '../../../local/edge';
import { Route53RegionHealth } from '../../../services/orders/adapters/route53-region-health';

/** A loopback region whose `/v1/health` answers `status`. */
async function region(): Promise<{ server: Server; baseUrl: string; status: { code: number } }> {
  const status = { code: 200 };
  const server = createServer((_req, res) => {
    res.writeHead(status.code, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, status };
}

describe('Route53RegionHealth: each region as Route 53 routing sees it, found by tags', () => {
  const clock = { t: 1_700_000_000_000, now: () => clock.t };
  let east: Awaited<ReturnType<typeof region>>;
  let eu: Awaited<ReturnType<typeof region>>;
  let edge: Edge;
  let client: Route53Client;

  beforeEach(async () => {
    east = await region();
    eu = await region();
    edge = await startEdge({
      port: 0,
      regions: [
        { region: 'us-east-1', apiBaseUrl: east.baseUrl },
        { region: 'eu-west-1', apiBaseUrl: eu.baseUrl },
      ],
      ttlSeconds: 0,
      clock,
    });
    client = new Route53Client({
      region: 'us-east-1',
      endpoint: edge.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    client.destroy();
    await edge.close();
    for (const r of [east, eu]) {
      r.server.closeAllConnections();
      await new Promise<void>((resolve) => r.server.close(() => resolve()));
    }
  });

  /** Runs the edge's checker until thresholds are crossed. */
  async function observe(times = 3): Promise<void> {
    for (let i = 0; i < times; i++) {
      clock.t += 10_000;
      await edge.checkNow();
    }
  }

  it('reports a failing region unhealthy and the others healthy', async () => {
    eu.status.code = 503;
    await observe();
    const health = new Route53RegionHealth(client, { environment: 'meridian-local' });

    const seen = await health.check(['us-east-1', 'eu-west-1']);

    expect([...seen]).toEqual([
      ['us-east-1', true],
      ['eu-west-1', false],
    ]);
  });

  it('follows an inverted check, as routing does', async () => {
    await observe();
    const id = healthCheckIdFor('us-east-1');
    const { HealthCheck } = await client.send(new GetHealthCheckCommand({ HealthCheckId: id }));
    await client.send(
      new UpdateHealthCheckCommand({
        HealthCheckId: id,
        HealthCheckVersion: HealthCheck?.HealthCheckVersion,
        Inverted: true,
      }),
    );
    await observe(1);

    const seen = await new Route53RegionHealth(client, { environment: 'meridian-local' }).check([
      'us-east-1',
    ]);

    expect(seen.get('us-east-1')).toBe(false);
  });

  it('knows nothing of a region without a check tagged for this environment, and says why', async () => {
    await observe();
    const unknown: string[] = [];
    const health = new Route53RegionHealth(client, {
      environment: 'meridian-prod',
      onUnknown: (r, reason) => unknown.push(`${r}: ${reason}`),
    });

    const seen = await health.check(['us-east-1', 'ap-southeast-1']);

    expect([...seen]).toEqual([
      ['us-east-1', undefined],
      ['ap-southeast-1', undefined],
    ]);
    expect(unknown).toEqual([
      'us-east-1: no health check tagged meridian-prod/us-east-1',
      'ap-southeast-1: no health check tagged meridian-prod/ap-southeast-1',
    ]);
  });

  it('answers unknown for every region when Route 53 cannot be reached', async () => {
    const down = new Route53Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const reasons: string[] = [];
    try {
      const seen = await new Route53RegionHealth(down, {
        environment: 'meridian-local',
        onUnknown: (_r, reason) => reasons.push(reason),
      }).check(['us-east-1', 'eu-west-1']);

      expect([...seen.values()]).toEqual([undefined, undefined]);
      expect(reasons).toHaveLength(2);
      expect(reasons[0]).toMatch(/^Route 53 health checks could not be listed: /);
    } finally {
      down.destroy();
    }
  });

  it('reuses the discovered check ids until they are stale', async () => {
    await observe();
    let now = 0;
    const calls: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize' },
    );
    const health = new Route53RegionHealth(client, {
      environment: 'meridian-local',
      discoveryTtlMs: 60_000,
      now: () => now,
    });

    await health.check(['us-east-1']);
    const first = calls.splice(0);
    await health.check(['us-east-1']);
    const cached = calls.splice(0);
    now = 60_001;
    await health.check(['us-east-1']);
    const stale = calls.splice(0);

    expect(first).toEqual(expect.arrayContaining(['ListHealthChecksCommand', 'ListTagsForResourcesCommand']));
    expect(cached.sort()).toEqual(['GetHealthCheckCommand', 'GetHealthCheckStatusCommand']);
    expect(stale).toContain('ListHealthChecksCommand');
  });
});
