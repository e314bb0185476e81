import { MeridianClient, type MeridianClientOptions } from '../../../lib/client';
import { startEdge, type Edge } from '../../../local/edge';
import { FakeRegion, ManualClock, recordingSleep } from './fake-meridian';

/** The client against the real local edge (not a stand-in): its routing headers and its 502s. */
describe('MeridianClient behind the local edge', () => {
  let a: FakeRegion;
  let b: FakeRegion;
  let edge: Edge;

  beforeAll(async () => {
    a = await new FakeRegion('eu-west-1').start();
    b = await new FakeRegion('us-east-1').start();
    edge = await startEdge({
      port: 0,
      regions: [
        { region: a.name, apiBaseUrl: a.url },
        { region: b.name, apiBaseUrl: b.url },
      ],
      // Checks far apart: the edge keeps routing to a dead region, as DNS does until its TTL runs out.
      healthCheck: { intervalSeconds: 30, failureThreshold: 10 },
    });
  });

  afterAll(async () => {
    await edge.close();
    await Promise.all([a.stop(), b.stop()]);
  });

  const client = (clock: ManualClock, extra: Partial<MeridianClientOptions> = {}) =>
    new MeridianClient({
      edgeUrl: edge.endpoint,
      regions: [
        { region: a.name, url: a.url },
        { region: b.name, url: b.url },
      ],
      location: 'eu-west-1',
      now: clock.now,
      sleep: recordingSleep().sleep,
      ...extra,
    });

  it('is routed by its location and fails over when the edge answers 502 for a dead region', async () => {
    const clock = new ManualClock();
    const c = client(clock);

    const before = await c.createOrder({ customerId: 'CUST-1' });
    expect(before.attempts.map((r) => [r.target, r.region, r.status])).toEqual([['edge', 'eu-west-1', 201]]);

    a.down = true;
    const during = await c.createOrder({ customerId: 'CUST-1' });

    expect(during.attempts.map((r) => [r.target, r.region, r.status])).toEqual([
      ['edge', 'eu-west-1', 502],
      ['us-east-1', 'us-east-1', 201],
    ]);
    expect(b.on('/orders').at(-1)?.headers['idempotency-key']).toBe(during.idempotencyKey);
    expect(Object.keys(c.avoided())).toEqual(['eu-west-1']);

    a.down = false;
    clock.advance(30_000);
    const after = await c.getOrder('ORD-1');
    expect(after.attempts.map((r) => [r.target, r.region, r.status])).toEqual([['edge', 'eu-west-1', 200]]);
  });
});
