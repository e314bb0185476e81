import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoOrderRepository } from '../../../services/orders/adapters/dynamo-order-repository';
import { DynamoPeerOrders } from '../../../services/orders/adapters/dynamo-peer-orders';
import { DynamoTakeoverStore } from '../../../services/orders/adapters/dynamo-takeover-store';
import type { Takeover } from '../../../services/orders/domain/order';
import type {
  PeerOrders,
  PeerReplica,
  RegionHealth,
  TakeoverStore,
} from '../../../services/orders/domain/ports';
import { SetOrderStatus } from '../../../services/orders/domain/set-order-status';
import { TakeoverStranded, type PeerOutcome } from '../../../services/orders/domain/takeover-stranded';
import { ManualClock } from '../../../services/shared/clock';
import { SAGA_ERRORS, TAKEOVER_REASON, type OrderStatus } from '../../../services/shared/saga';
import { createTables, testDocumentClient } from '../../support/dynamo';
import {
  HOME,
  OTHER,
  apiEvent,
  bodyOf,
  buildApp,
  errorOf,
  placeOrder,
  type TestApp,
  type TestTables,
} from './support/app';
import { RecordingPublisher } from './support/fakes';

/** Route 53's view, set by the test. */
class FakeHealth implements RegionHealth {
  readonly state = new Map<string, boolean | undefined>();
  async check(regions: readonly string[]): Promise<ReadonlyMap<string, boolean | undefined>> {
    return new Map(regions.map((r) => [r, this.state.get(r)]));
  }
}

const START = Date.UTC(2026, 0, 1);
const GRACE_MS = 25 * 60_000;
const MINUTE = 60_000;

describe('takeover of stranded orders (docs/decisions/007)', () => {
  const client = testDocumentClient();
  let tables: TestTables;
  /** The home region's orders service (us-east-1), which places and moves the orders. */
  let home: TestApp;
  /** The survivor's orders service (eu-west-1), reading the same replica. */
  let survivor: TestApp;
  let health: FakeHealth;
  let clock: ManualClock;
  let publisher: RecordingPublisher;
  let takeovers: TakeoverStore;

  beforeEach(async () => {
    const t = await createTables(['orders', 'processed-events']);
    tables = { orders: t.orders, processed: t['processed-events'] };
    home = buildApp(client, tables, { region: HOME, clock: new ManualClock(START) });
    survivor = buildApp(client, tables, { region: OTHER, clock: new ManualClock(START) });
    health = new FakeHealth();
    health.state.set(HOME, true).set(OTHER, true);
    clock = new ManualClock(START);
    publisher = new RecordingPublisher();
    takeovers = new DynamoTakeoverStore(client, tables.orders);
  });

  const sweeper = (opts: { region?: string; regions?: string[]; batchSize?: number } = {}) =>
    new TakeoverStranded({
      orders: new DynamoOrderRepository(client, tables.orders),
      takeovers,
      health,
      publisher,
      clock,
      region: opts.region ?? OTHER,
      regions: opts.regions ?? [HOME, OTHER],
      graceMs: GRACE_MS,
      ...(opts.batchSize !== undefined && { batchSize: opts.batchSize }),
    });

  /** Places an order at home and walks it to `status`. */
  async function homeOrder(status: OrderStatus): Promise<string> {
    const orderId = await placeOrder(home);
    const path: OrderStatus[] = ['RESERVED', 'PAID', 'SHIPPED', 'FULFILLED'];
    if (status === 'CANCELLING') {
      const res = await home.api(apiEvent('POST', `/orders/${orderId}/cancel`));
      if (res.statusCode !== 202) throw new Error(`cancel failed: ${res.body}`);
      return orderId;
    }
    for (const s of path.slice(0, path.indexOf(status) + 1)) await home.setStatus({ orderId, status: s });
    return orderId;
  }

  /** Home down since START, then `minutes` later one sweeper run. */
  async function runAfter(minutes: number, s = sweeper()): Promise<PeerOutcome[]> {
    health.state.set(HOME, false);
    clock.set(START + minutes * MINUTE);
    return s.execute();
  }

  const marker = async (orderId: string) =>
    (
      await client.send(
        new GetCommand({ TableName: tables.orders, Key: { pk: `ORDER#${orderId}`, sk: 'TAKEOVER' } }),
      )
    ).Item;

  it('only watches a home region that has been unavailable for less than the grace period', async () => {
    const orderId = await homeOrder('PAID');

    const first = await runAfter(0);
    const later = await runAfter(24);

    expect(first).toEqual([
      { region: HOME, state: 'watching', unhealthySince: new Date(START).toISOString() },
    ]);
    // The watch keeps the first observation: the grace period runs from there.
    expect(later).toEqual(first);
    expect(await marker(orderId)).toBeUndefined();
    expect(publisher.published).toHaveLength(0);
  });

  it('takes over every cancellable order left untouched for the grace period, and only those', async () => {
    const pending = await homeOrder('PENDING');
    const reserved = await homeOrder('RESERVED');
    const paid = await homeOrder('PAID');
    const shipped = await homeOrder('SHIPPED');
    const fulfilled = await homeOrder('FULFILLED');
    const cancelling = await homeOrder('CANCELLING');
    const mine = await placeOrder(survivor);
    await runAfter(0);

    const [outcome] = await runAfter(26);

    expect(outcome).toMatchObject({ region: HOME, state: 'taking-over' });
    const taken = outcome?.state === 'taking-over' ? [...outcome.takenOver].sort() : [];
    expect(taken).toEqual([pending, reserved, paid].sort());
    for (const id of [shipped, fulfilled, cancelling, mine]) expect(await marker(id)).toBeUndefined();
    expect(await marker(paid)).toMatchObject({
      entity: 'Takeover',
      orderId: paid,
      homeRegion: HOME,
      ownerRegion: OTHER,
      takenOverBy: OTHER,
      statusAtTakeover: 'PAID',
      reason: TAKEOVER_REASON,
      homeUnhealthySince: new Date(START).toISOString(),
      takenOverAt: new Date(START + 26 * MINUTE).toISOString(),
    });
    expect(publisher.published.map((e) => [e.type, e.id, e.region]).sort()).toEqual(
      [pending, reserved, paid].map((id) => ['OrderTakenOver', `${id}:OrderTakenOver`, OTHER]).sort(),
    );
  });

  it('leaves an order updated during the grace period alone', async () => {
    const orderId = await homeOrder('RESERVED');
    await runAfter(0);
    home.clock.set(START + 10 * MINUTE);
    await home.setStatus({ orderId, status: 'PAID' });

    const [outcome] = await runAfter(26);

    expect(outcome).toMatchObject({ state: 'taking-over', takenOver: [] });
    expect(await marker(orderId)).toBeUndefined();
  });

  it('publishes each takeover once across runs', async () => {
    const a = await homeOrder('PAID');
    const b = await homeOrder('PAID');
    await runAfter(0);
    await runAfter(26);

    const [again] = await runAfter(27);

    expect(again).toMatchObject({ state: 'taking-over', takenOver: [], skipped: 0 });
    expect(publisher.published.map((e) => e.id).sort()).toEqual(
      [`${a}:OrderTakenOver`, `${b}:OrderTakenOver`].sort(),
    );
  });

  it('publishes a marker written by a run that crashed before publishing', async () => {
    const orderId = await homeOrder('PAID');
    await runAfter(0);
    publisher.failNext(1);
    await expect(runAfter(26)).rejects.toThrow();
    expect(await marker(orderId)).toBeDefined();
    expect(publisher.published).toHaveLength(0);

    const [outcome] = await runAfter(27);

    expect(outcome).toMatchObject({ state: 'taking-over', takenOver: [orderId] });
    expect(publisher.published.map((e) => e.id)).toEqual([`${orderId}:OrderTakenOver`]);
    expect((await marker(orderId))?.publishedAt).toBe(new Date(START + 27 * MINUTE).toISOString());
  });

  it('pages past orders already taken over, a batch per run', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await homeOrder('PAID'));
    await runAfter(0);
    const s = sweeper({ batchSize: 2 });

    const runs = [];
    for (let minute = 26; minute <= 29; minute++) {
      const [outcome] = await runAfter(minute, s);
      runs.push(outcome?.state === 'taking-over' ? outcome.takenOver.length : -1);
    }

    expect(runs).toEqual([2, 2, 1, 0]);
    expect(new Set(publisher.published.map((e) => e.id)).size).toBe(5);
  });

  it('leaves the takeover to the first healthy region of the environment', async () => {
    const orderId = await homeOrder('PAID');
    health.state.set('ap-southeast-1', true);
    const late = sweeper({ region: 'ap-southeast-1', regions: [HOME, OTHER, 'ap-southeast-1'] });
    await runAfter(0, late);

    const [deferred] = await runAfter(26, late);
    health.state.set(OTHER, undefined);
    const [acting] = await runAfter(27, late);

    expect(deferred).toMatchObject({ state: 'deferred', actor: OTHER });
    expect(acting).toMatchObject({ state: 'taking-over', takenOver: [orderId] });
    expect(await marker(orderId)).toMatchObject({ takenOverBy: 'ap-southeast-1' });
  });

  it('decides nothing while the home region health is unknown, and forgets the watch once it is healthy', async () => {
    const orderId = await homeOrder('PAID');
    await runAfter(0);
    health.state.set(HOME, undefined);
    clock.set(START + 30 * MINUTE);
    const unknown = await sweeper().execute();
    health.state.set(HOME, true);
    const healthy = await sweeper().execute();
    health.state.set(HOME, false);
    clock.set(START + 40 * MINUTE);
    const again = await sweeper().execute();

    expect(unknown).toEqual([{ region: HOME, state: 'unknown' }]);
    expect(healthy).toEqual([{ region: HOME, state: 'healthy' }]);
    // A new outage starts a new grace period.
    expect(again).toEqual([
      { region: HOME, state: 'watching', unhealthySince: new Date(START + 40 * MINUTE).toISOString() },
    ]);
    expect(await marker(orderId)).toBeUndefined();
  });

  it('does nothing in a single-region environment', async () => {
    await expect(sweeper({ region: HOME, regions: [HOME] }).execute()).resolves.toEqual([]);
  });

  describe('the home region, when it returns', () => {
    async function takenOver(status: OrderStatus): Promise<string> {
      const orderId = await homeOrder(status);
      await runAfter(0);
      await runAfter(26);
      if (!(await marker(orderId))) throw new Error('expected a marker');
      return orderId;
    }

    it.each<[OrderStatus, OrderStatus]>([
      ['PENDING', 'RESERVED'],
      ['RESERVED', 'PAID'],
      ['PAID', 'SHIPPED'],
    ])('refuses to move a %s order it lost to %s, so its saga compensates', async (status, next) => {
      const orderId = await takenOver(status);

      await expect(home.setStatus({ orderId, status: next })).rejects.toMatchObject({
        name: SAGA_ERRORS.orderTakenOver,
      });
      expect((await home.repository.get(orderId))?.status).toBe(status);
    });

    it('records FAILED with the takeover reason when its saga stands down', async () => {
      const orderId = await takenOver('PAID');

      await home.setStatus({ orderId, status: 'FAILED', reason: SAGA_ERRORS.orderTakenOver });

      const order = await home.repository.get(orderId);
      expect([order?.status, order?.failureReason]).toEqual(['FAILED', TAKEOVER_REASON]);
      expect(order?.statusHistory.at(-1)).toMatchObject({ status: 'FAILED', reason: TAKEOVER_REASON });
    });
  });

  describe('the home region, before its replica has the marker', () => {
    /** A peer's replica that holds markers this region has not received yet. */
    class PeerReplicas implements PeerOrders {
      readonly markers = new Map<string, Takeover>();
      asked = 0;
      unreachable: string[] = [];
      async read(orderId: string): Promise<PeerReplica[]> {
        this.asked++;
        const takeover = this.markers.get(orderId);
        return [
          { region: OTHER, reachable: true, ownerRegion: HOME, ...(takeover ? { takeover } : {}) },
          ...this.unreachable.map((region) => ({ region, reachable: false as const })),
        ];
      }
    }

    const stepWith = (peer: PeerReplicas, at: number) =>
      new SetOrderStatus({
        orders: new DynamoOrderRepository(client, tables.orders),
        publisher,
        clock: new ManualClock(at),
        region: HOME,
        peers: { replicas: peer, staleAfterMs: GRACE_MS / 2 },
      });

    const markerFor = (orderId: string): Takeover => ({
      orderId,
      customerId: 'CUST-1',
      homeRegion: HOME,
      takenOverBy: OTHER,
      takenOverAt: new Date(START + 26 * MINUTE).toISOString(),
      statusAtTakeover: 'PAID',
      reason: TAKEOVER_REASON,
      homeUnhealthySince: new Date(START).toISOString(),
    });

    it("asks the peers about an order untouched for half the grace period, and stands down on a peer's marker", async () => {
      const orderId = await homeOrder('PAID');
      const peer = new PeerReplicas();
      peer.markers.set(orderId, markerFor(orderId));

      await expect(
        stepWith(peer, START + 27 * MINUTE).execute({ orderId, status: 'SHIPPED' }),
      ).rejects.toMatchObject({ name: SAGA_ERRORS.orderTakenOver });
      expect(peer.asked).toBe(1);
      expect((await home.repository.get(orderId))?.status).toBe('PAID');
    });

    it('does not ask about an order updated recently: the normal path costs no cross-region read', async () => {
      const orderId = await homeOrder('RESERVED');
      const peer = new PeerReplicas();

      await stepWith(peer, START + 5 * MINUTE).execute({ orderId, status: 'PAID' });

      expect(peer.asked).toBe(0);
      expect((await home.repository.get(orderId))?.status).toBe('PAID');
    });

    it('moves a stale order on when no peer took it over, even if a peer cannot be asked', async () => {
      const orderId = await homeOrder('PAID');
      const peer = new PeerReplicas();
      peer.unreachable = ['ap-southeast-1'];

      await stepWith(peer, START + 60 * MINUTE).execute({ orderId, status: 'SHIPPED' });

      expect(peer.asked).toBe(1);
      expect((await home.repository.get(orderId))?.status).toBe('SHIPPED');
    });

    it("reads a peer's replica through DynamoDB (owner and marker), strongly consistent there, and names a peer it cannot reach", async () => {
      const orderId = await homeOrder('PAID');
      await takeovers.create(markerFor(orderId));
      const unreachable = new DynamoDBClient({
        region: 'ap-southeast-1',
        endpoint: 'http://127.0.0.1:9',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        maxAttempts: 1,
      });
      const peers = new DynamoPeerOrders(
        new Map([
          [OTHER, client],
          ['ap-southeast-1', DynamoDBDocumentClient.from(unreachable)],
        ]),
        tables.orders,
      );
      try {
        const found = await peers.read(orderId);
        const none = await peers.read('ord_00000000000000000000000000');

        expect(found).toEqual([
          { region: OTHER, reachable: true, ownerRegion: HOME, takeover: markerFor(orderId) },
          { region: 'ap-southeast-1', reachable: false },
        ]);
        expect(none).toEqual([
          { region: OTHER, reachable: true },
          { region: 'ap-southeast-1', reachable: false },
        ]);
      } finally {
        unreachable.destroy();
      }
    });
  });

  describe('the API', () => {
    it('shows a taken-over order as FAILED with the reason and who decided, in every region', async () => {
      const orderId = await homeOrder('PAID');
      await runAfter(0);
      await runAfter(26);

      for (const app of [home, survivor]) {
        const res = await app.api(apiEvent('GET', `/orders/${orderId}`));
        expect(res.statusCode).toBe(200);
        expect(bodyOf(res)).toMatchObject({
          orderId,
          status: 'FAILED',
          failureReason: TAKEOVER_REASON,
          takeover: { by: OTHER, at: new Date(START + 26 * MINUTE).toISOString(), statusAtTakeover: 'PAID' },
        });
        expect(bodyOf<{ statusHistory: { status: string }[] }>(res).statusHistory.at(-1)?.status).toBe(
          'FAILED',
        );
      }
      const list = await survivor.api(apiEvent('GET', '/orders', { query: { customerId: 'CUST-1' } }));
      const listed = bodyOf<{ items: { orderId: string; status: string }[] }>(list).items;
      expect(listed.find((o) => o.orderId === orderId)?.status).toBe('FAILED');
    });

    it('shows the status the home region recorded once it is terminal, with the takeover noted', async () => {
      const orderId = await homeOrder('SHIPPED');
      // Taken over from a stale PAID view: the home region had shipped in its last unreplicated moment.
      await takeovers.create({
        orderId,
        customerId: 'CUST-1',
        homeRegion: HOME,
        takenOverBy: OTHER,
        takenOverAt: new Date(START + 26 * MINUTE).toISOString(),
        statusAtTakeover: 'PAID',
        reason: TAKEOVER_REASON,
        homeUnhealthySince: new Date(START).toISOString(),
      });
      // Past the point of no return: SHIPPED → FULFILLED is recorded whatever the marker says.
      await expect(home.setStatus({ orderId, status: 'FULFILLED' })).resolves.toMatchObject({
        status: 'FULFILLED',
      });

      const res = await survivor.api(apiEvent('GET', `/orders/${orderId}`));

      expect(bodyOf(res)).toMatchObject({ status: 'FULFILLED', takeover: { by: OTHER } });
      expect(bodyOf(res)).not.toHaveProperty('failureReason');
    });

    it('refuses to cancel a taken-over order', async () => {
      const orderId = await homeOrder('RESERVED');
      await runAfter(0);
      await runAfter(26);

      const res = await survivor.api(apiEvent('POST', `/orders/${orderId}/cancel`));

      expect(res.statusCode).toBe(409);
      expect(errorOf(res).code).toBe('ORDER_NOT_CANCELLABLE');
    });
  });

  it('keeps an order in the index of active orders only until it is terminal', async () => {
    const orderId = await homeOrder('PAID');
    const key = { pk: `ORDER#${orderId}`, sk: 'ORDER' };
    const active = (await client.send(new GetCommand({ TableName: tables.orders, Key: key }))).Item;

    await home.setStatus({ orderId, status: 'FAILED', reason: 'PaymentDeclinedError' });
    const done = (await client.send(new GetCommand({ TableName: tables.orders, Key: key }))).Item;

    expect(active).toMatchObject({
      gsi2pk: `ACTIVE#${HOME}`,
      gsi2sk: `${active?.updatedAt as string}#${orderId}`,
    });
    expect(done).not.toHaveProperty('gsi2pk');
    expect(done).not.toHaveProperty('gsi2sk');
  });
});
