import { ReservationExpiredError } from '../../../services/inventory/domain/errors';
import { SweepExpiredHolds } from '../../../services/inventory/domain/expiry';
import { CommitStock, EXPIRED_REASON, ReserveStock } from '../../../services/inventory/domain/reservations';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { freshSku, inventoryDeps, order, putAllocation, units } from './support';

const REGION = 'eu-west-1';
const client = testDocumentClient();

/** Each test sweeps a table of its own, so other tests' holds never count. */
async function setup(pageSize?: number) {
  const table = (await createTables(['inventory'])).inventory;
  const deps = inventoryDeps(client, table, REGION);
  return {
    table,
    deps,
    reserve: new ReserveStock(deps, { reservationTtlSeconds: 60 }),
    commit: new CommitStock(deps),
    sweep: new SweepExpiredHolds(deps, pageSize),
    stock: (sku: string, available: number) =>
      deps.store.setAvailable(sku, available, undefined, deps.clock.now()),
    units: async (sku: string) => units(await deps.store.getAllocation(sku)),
  };
}

describe('expiry sweeper', () => {
  it('releases only HELD holds past their expiry, never COMMITTED or unexpired ones', async () => {
    // Arrange: an expired HELD hold, an expired COMMITTED hold, and a fresh HELD hold.
    const { deps, reserve, commit, sweep, stock, units: unitsOf } = await setup();
    const sku = freshSku();
    await stock(sku, 10);
    const expiring = order([[sku, 1]]);
    const committed = order([[sku, 2]]);
    const fresh = order([[sku, 3]]);
    await reserve.execute(expiring);
    await reserve.execute(committed);
    await commit.execute(committed);
    deps.clock.advance(61_000);
    await reserve.execute(fresh);

    // Act
    const result = await sweep.execute('sweep-1');

    // Assert
    expect(result).toEqual({
      allocationsScanned: 1,
      holdsExpired: 1,
      holdsReleased: 1,
      unitsReleased: 1,
      holdsSkipped: 0,
      reservationsDeleted: 1,
      reservationsTrimmed: 0,
    });
    const after = await deps.store.getAllocation(sku);
    expect(Object.keys(after?.holds ?? {}).sort()).toEqual([committed.orderId, fresh.orderId].sort());
    expect(await unitsOf(sku)).toEqual({ available: 5, held: 3, committed: 2, total: 10 });
    expect(deps.publisher.ofType('StockReleased')).toEqual([
      expect.objectContaining({
        correlationId: expiring.correlationId,
        data: { orderId: expiring.orderId, lines: [{ sku, quantity: 1 }], reason: EXPIRED_REASON },
      }),
    ]);
  });

  it('does not release a hold whose expiry is exactly now', async () => {
    const { deps, reserve, sweep, stock, units: unitsOf } = await setup();
    const sku = freshSku();
    await stock(sku, 3);
    await reserve.execute(order([[sku, 1]]));
    deps.clock.advance(60_000);

    const result = await sweep.execute('sweep-edge');

    expect(result.holdsReleased).toBe(0);
    expect(await unitsOf(sku)).toEqual({ available: 2, held: 1, committed: 0, total: 3 });
  });

  it('walks every page of the region and reports every released line once', async () => {
    const { deps, reserve, sweep, stock } = await setup(2);
    const skus = [freshSku(), freshSku(), freshSku(), freshSku(), freshSku()];
    for (const sku of skus) await stock(sku, 4);
    const multi = order(skus.map((s) => [s, 1] as const));
    await reserve.execute(multi);
    await reserve.execute(order([[skus[0]!, 2]]));
    deps.clock.advance(120_000);

    const result = await sweep.execute('sweep-pages');

    expect(result).toMatchObject({ allocationsScanned: 5, holdsReleased: 6, unitsReleased: 7 });
    for (const sku of skus) expect((await deps.store.getAllocation(sku))?.available).toBe(4);
    // Events go out page by page: every released line is reported exactly once, under distinct ids.
    const released = deps.publisher.ofType('StockReleased');
    expect(new Set(released.map((e) => e.id)).size).toBe(released.length);
    const reported = released.flatMap((e) =>
      e.data.lines.map((l) => `${e.data.orderId}/${l.sku}/${l.quantity}`),
    );
    expect(reported).toHaveLength(6);
    expect(new Set(reported).size).toBe(6);
    const multiLines = released
      .filter((e) => e.data.orderId === multi.orderId)
      .flatMap((e) => e.data.lines.map((l) => l.sku))
      .sort();
    expect(multiLines).toEqual([...skus].sort());
  });

  it('skips allocations another region owns even when they are indexed under this region', async () => {
    const { table, deps, sweep } = await setup();
    const sku = freshSku();
    await putAllocation(client, table, {
      sku,
      region: REGION,
      ownerRegion: 'us-east-1',
      available: 0,
      holds: { ord_foreign: { quantity: 2, expiresAt: 1, state: 'HELD' } },
    });

    const result = await sweep.execute('sweep-foreign');

    expect(result).toMatchObject({ allocationsScanned: 1, holdsExpired: 0, holdsReleased: 0 });
    expect((await deps.store.getAllocation(sku))?.holds.ord_foreign).toBeDefined();
  });

  it('racing commits never double count: each hold is either committed or released, and units are conserved', async () => {
    // Arrange: 30 orders hold one SKU, all past expiry.
    const { deps, reserve, commit, sweep, stock, units: unitsOf } = await setup();
    const sku = freshSku();
    await stock(sku, 100);
    const orders = Array.from({ length: 30 }, (_, i) => order([[sku, (i % 3) + 1]]));
    for (const o of orders) await reserve.execute(o);
    deps.clock.advance(61_000);

    // Act: commit every order while the sweeper runs.
    const [sweepResult, ...commits] = await Promise.all([
      sweep.execute('sweep-race'),
      ...orders.map((o) =>
        commit.execute(o).then(
          () => 'committed' as const,
          (e: unknown) => {
            if (e instanceof ReservationExpiredError) return 'expired' as const;
            throw e;
          },
        ),
      ),
    ]);

    // Assert
    const committed = orders.filter((_, i) => commits[i] === 'committed');
    const expired = orders.filter((_, i) => commits[i] === 'expired');
    expect(committed.length + expired.length).toBe(30);
    expect(sweepResult.holdsReleased).toBe(expired.length);
    const qty = (os: typeof orders) => os.reduce((sum, o) => sum + o.lines[0]!.quantity, 0);
    expect(sweepResult.unitsReleased).toBe(qty(expired));
    expect(await unitsOf(sku)).toEqual({
      available: 100 - qty(committed),
      held: 0,
      committed: qty(committed),
      total: 100,
    });
    const after = await deps.store.getAllocation(sku);
    for (const o of committed) expect(after?.holds[o.orderId]?.state).toBe('COMMITTED');
    for (const o of expired) expect(after?.holds[o.orderId]).toBeUndefined();
  });
  it('deletes the order’s reservation record when the sweep releases its last hold here', async () => {
    const { deps, reserve, sweep, stock } = await setup();
    const [a, b] = [freshSku(), freshSku()];
    await stock(a, 5);
    await stock(b, 5);
    const expiring = order([
      [a, 1],
      [b, 2],
    ]);
    await reserve.execute(expiring);
    expect(await deps.store.getReservationRecord(expiring.orderId)).toBeDefined();
    deps.clock.advance(61_000);

    const result = await sweep.execute('sweep-records');

    expect(result).toMatchObject({ holdsReleased: 2, reservationsDeleted: 1, reservationsTrimmed: 0 });
    expect(await deps.store.getReservationRecord(expiring.orderId)).toBeUndefined();
  });

  it('trims the reservation record to the SKUs the order still holds when only some holds expire', async () => {
    // Arrange: a hold that expires and a COMMITTED hold of the same order (committed ones never expire).
    const { deps, reserve, sweep, stock } = await setup();
    const [kept, swept] = [freshSku(), freshSku()].sort();
    await stock(kept!, 5);
    await stock(swept!, 5);
    const o = order([
      [kept!, 1],
      [swept!, 2],
    ]);
    await reserve.execute(o);
    await deps.store.commitHold(kept!, o.orderId, deps.clock.now());
    deps.clock.advance(61_000);

    // Act
    const result = await sweep.execute('sweep-trim');

    // Assert
    expect(result).toMatchObject({ holdsReleased: 1, reservationsDeleted: 0, reservationsTrimmed: 1 });
    expect(await deps.store.getReservationRecord(o.orderId)).toMatchObject({
      orderId: o.orderId,
      lines: [{ sku: kept, quantity: 1 }],
      correlationId: o.correlationId,
    });
  });

  it('publishes StockReleased under each order’s own correlation id, not the sweep’s', async () => {
    const { deps, reserve, sweep, stock } = await setup();
    const sku = freshSku();
    await stock(sku, 5);
    const first = order([[sku, 1]]);
    const second = order([[sku, 2]]);
    await reserve.execute(first);
    await reserve.execute(second);
    deps.clock.advance(61_000);

    await sweep.execute('sweep:schedule-event');

    const byOrder = Object.fromEntries(
      deps.publisher.ofType('StockReleased').map((e) => [e.data.orderId, e.correlationId]),
    );
    expect(byOrder).toEqual({
      [first.orderId]: first.correlationId,
      [second.orderId]: second.correlationId,
    });
  });

  it('falls back to the sweep’s correlation id for a reservation recorded without one', async () => {
    // Arrange: an expired hold whose record predates stored correlation ids.
    const { table, deps, sweep } = await setup();
    const sku = freshSku();
    await putAllocation(client, table, {
      sku,
      region: REGION,
      ownerRegion: REGION,
      available: 0,
      holds: { ord_legacy: { quantity: 2, expiresAt: 1, state: 'HELD' } },
    });
    await deps.store.putReservationRecord(
      { orderId: 'ord_legacy', region: REGION, lines: [{ sku, quantity: 2 }] },
      0,
    );

    const result = await sweep.execute('sweep:legacy');

    expect(result).toMatchObject({ holdsReleased: 1, reservationsDeleted: 1 });
    expect(deps.publisher.ofType('StockReleased').map((e) => e.correlationId)).toEqual(['sweep:legacy']);
    expect(await deps.store.getReservationRecord('ord_legacy')).toBeUndefined();
  });

  it('never trims a reservation record re-written since it was read (a retried reserve)', async () => {
    const { deps, reserve, stock } = await setup();
    const sku = freshSku();
    await stock(sku, 5);
    const o = order([[sku, 1]]);
    await reserve.execute(o);
    const stale = await deps.store.getReservationRecord(o.orderId);
    deps.clock.advance(1_000);
    await reserve.execute(o); // the saga retries the step: the record is written again

    const outcome = await deps.store.replaceReservationLines(stale!, [], deps.clock.now());

    expect(outcome).toBe('condition_failed');
    expect(await deps.store.getReservationRecord(o.orderId)).toMatchObject({ lines: [{ sku, quantity: 1 }] });
  });
});
