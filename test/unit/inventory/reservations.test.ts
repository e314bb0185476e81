import { SAGA_ERRORS } from '../../../services/shared/saga';
import {
  AllocationFullError,
  OutOfStockError,
  ReservationExpiredError,
} from '../../../services/inventory/domain/errors';
import { SweepExpiredHolds } from '../../../services/inventory/domain/expiry';
import { CommitStock, ReleaseStock, ReserveStock } from '../../../services/inventory/domain/reservations';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { freshSku, inventoryDeps, order, units } from './support';

const REGION = 'eu-west-1';
const client = testDocumentClient();
let table: string;

beforeAll(async () => {
  table = (await createTables(['inventory'])).inventory;
});

function setup(options: { reservationTtlSeconds?: number; maxHoldsPerAllocation?: number } = {}) {
  const deps = inventoryDeps(client, table, REGION);
  return {
    deps,
    reserve: new ReserveStock(deps, options),
    commit: new CommitStock(deps),
    release: new ReleaseStock(deps),
    sweep: new SweepExpiredHolds(deps),
    stock: async (sku: string, available: number) => {
      await deps.store.setAvailable(sku, available, undefined, deps.clock.now());
    },
    units: async (sku: string) => units(await deps.store.getAllocation(sku)),
  };
}

describe('reserve stock', () => {
  it('lets exactly as many concurrent single-unit orders succeed as there are units, never going negative', async () => {
    // Arrange
    const { reserve, stock, deps } = setup();
    const sku = freshSku();
    await stock(sku, 37);
    const samples: number[] = [];
    let racing = true;
    const sampler = (async () => {
      while (racing) {
        const a = await deps.store.getAllocation(sku);
        samples.push(a?.available ?? Number.NaN);
      }
    })();

    // Act
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => reserve.execute(order([[sku, 1]]))),
    );
    racing = false;
    await sampler;

    // Assert
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(37);
    expect(failed).toHaveLength(63);
    for (const f of failed) {
      expect(f.reason).toBeInstanceOf(OutOfStockError);
      expect((f.reason as Error).name).toBe(SAGA_ERRORS.outOfStock);
    }
    const after = await deps.store.getAllocation(sku);
    expect(after?.available).toBe(0);
    expect(Object.keys(after?.holds ?? {})).toHaveLength(37);
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((s) => Number.isInteger(s) && s >= 0)).toBe(true);
    expect(deps.publisher.ofType('StockReserved')).toHaveLength(37);
    expect(deps.publisher.ofType('StockReservationFailed')).toHaveLength(63);
  });

  it('holds every SKU of the order for the configured time and publishes StockReserved', async () => {
    const { reserve, stock, deps, units: unitsOf } = setup({ reservationTtlSeconds: 60 });
    const [a, b] = [freshSku(), freshSku()];
    await stock(a, 10);
    await stock(b, 10);
    const o = order([
      [b, 2],
      [a, 1],
      [b, 3],
    ]);

    const result = await reserve.execute(o);

    expect(result.reservedUntil).toBe(new Date(deps.clock.now() + 60_000).toISOString());
    expect(await unitsOf(a)).toEqual({ available: 9, held: 1, committed: 0, total: 10 });
    expect(await unitsOf(b)).toEqual({ available: 5, held: 5, committed: 0, total: 10 });
    const [event] = deps.publisher.ofType('StockReserved');
    expect(event).toMatchObject({
      id: `${o.orderId}:StockReserved`,
      source: 'meridian.inventory',
      region: REGION,
      correlationId: o.correlationId,
      data: {
        orderId: o.orderId,
        lines: [
          { sku: a, quantity: 1 },
          { sku: b, quantity: 5 },
        ],
        expiresAt: result.reservedUntil,
      },
    });
  });

  it('gives back the first SKU when the second is short, leaving stock unchanged', async () => {
    const { reserve, stock, deps, units: unitsOf } = setup();
    const [plenty, short] = [freshSku(), freshSku()].sort();
    await stock(plenty!, 10);
    await stock(short!, 2);
    const o = order([
      [plenty!, 4],
      [short!, 3],
    ]);

    const error = await reserve.execute(o).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OutOfStockError);
    expect(error).toMatchObject({ sku: short, requested: 3, available: 2 });
    expect((error as Error).message).toContain(short!);
    expect(await unitsOf(plenty!)).toEqual({ available: 10, held: 0, committed: 0, total: 10 });
    expect(await unitsOf(short!)).toEqual({ available: 2, held: 0, committed: 0, total: 2 });
    expect(deps.publisher.ofType('StockReservationFailed')).toEqual([
      expect.objectContaining({
        id: `${o.orderId}:StockReservationFailed`,
        data: { orderId: o.orderId, sku: short, requested: 3, available: 2 },
      }),
    ]);
    expect(deps.publisher.ofType('StockReserved')).toHaveLength(0);
    expect(deps.publisher.ofType('StockReleased')).toHaveLength(0);
    expect(await deps.store.getReservationRecord(o.orderId)).toBeUndefined();
  });

  it('treats a SKU with no allocation as zero available', async () => {
    const { reserve } = setup();
    const sku = freshSku();

    await expect(reserve.execute(order([[sku, 1]]))).rejects.toMatchObject({
      name: 'OutOfStockError',
      sku,
      requested: 1,
      available: 0,
    });
  });

  it('holds once when the same order is reserved twice', async () => {
    const { reserve, stock, deps, units: unitsOf } = setup();
    const sku = freshSku();
    await stock(sku, 5);
    const o = order([[sku, 2]]);

    const first = await reserve.execute(o);
    deps.clock.advance(30_000);
    const second = await reserve.execute(o);

    expect(second.reservedUntil).toBe(first.reservedUntil);
    expect(await unitsOf(sku)).toEqual({ available: 3, held: 2, committed: 0, total: 5 });
    const events = deps.publisher.ofType('StockReserved');
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
  });

  it('refuses a new hold once the allocation carries the maximum number of holds', async () => {
    const { reserve, stock, units: unitsOf } = setup({ maxHoldsPerAllocation: 2 });
    const sku = freshSku();
    await stock(sku, 10);
    await reserve.execute(order([[sku, 1]]));
    await reserve.execute(order([[sku, 1]]));

    await expect(reserve.execute(order([[sku, 1]]))).rejects.toBeInstanceOf(AllocationFullError);
    expect(await unitsOf(sku)).toEqual({ available: 8, held: 2, committed: 0, total: 10 });
  });
});

describe('release stock', () => {
  it('restores the units once when released twice', async () => {
    const { reserve, release, stock, deps, units: unitsOf } = setup();
    const sku = freshSku();
    await stock(sku, 5);
    const o = order([[sku, 2]]);
    await reserve.execute(o);

    const first = await release.execute(o, 'PAYMENT_DECLINED');
    const second = await release.execute(o, 'PAYMENT_DECLINED');

    expect(first.released).toEqual([{ sku, quantity: 2 }]);
    expect(second.released).toEqual([]);
    expect(await unitsOf(sku)).toEqual({ available: 5, held: 0, committed: 0, total: 5 });
    expect(deps.publisher.ofType('StockReleased')).toEqual([
      expect.objectContaining({
        correlationId: o.correlationId,
        data: { orderId: o.orderId, lines: [{ sku, quantity: 2 }], reason: 'PAYMENT_DECLINED' },
      }),
    ]);
  });

  it('does nothing for an order that reserved nothing', async () => {
    const { release, stock, deps, units: unitsOf } = setup();
    const sku = freshSku();
    await stock(sku, 5);

    const result = await release.execute(order([[sku, 2]]), 'CANCELLED');

    expect(result.released).toEqual([]);
    expect(await unitsOf(sku)).toEqual({ available: 5, held: 0, committed: 0, total: 5 });
    expect(deps.publisher.ofType('StockReleased')).toHaveLength(0);
  });

  it('restores committed units when the order is compensated after commit', async () => {
    const { reserve, commit, release, stock, units: unitsOf } = setup();
    const sku = freshSku();
    await stock(sku, 5);
    const o = order([[sku, 3]]);
    await reserve.execute(o);
    await commit.execute(o);
    expect(await unitsOf(sku)).toEqual({ available: 2, held: 0, committed: 3, total: 5 });

    await release.execute(o, 'SHIPMENT_FAILED');

    expect(await unitsOf(sku)).toEqual({ available: 5, held: 0, committed: 0, total: 5 });
  });
});

describe('commit stock', () => {
  it('turns holds into committed holds that the sweeper no longer expires', async () => {
    const { reserve, commit, sweep, stock, deps, units: unitsOf } = setup();
    const sku = freshSku();
    await stock(sku, 5);
    const o = order([[sku, 2]]);
    await reserve.execute(o);

    await commit.execute(o);
    await commit.execute(o);
    deps.clock.advance(3_600_000);
    await sweep.execute('sweep-test');

    expect(await unitsOf(sku)).toEqual({ available: 3, held: 0, committed: 2, total: 5 });
  });

  it('fails with ReservationExpiredError once the sweeper released the hold', async () => {
    const { reserve, commit, sweep, stock, deps, units: unitsOf } = setup({ reservationTtlSeconds: 60 });
    const sku = freshSku();
    await stock(sku, 5);
    const o = order([[sku, 2]]);
    await reserve.execute(o);
    deps.clock.advance(61_000);
    await sweep.execute('sweep-test');

    const error = await commit.execute(o).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ReservationExpiredError);
    expect((error as Error).name).toBe('ReservationExpiredError');
    expect(await unitsOf(sku)).toEqual({ available: 5, held: 0, committed: 0, total: 5 });
  });

  it('commits a hold past its expiry that has not been swept yet', async () => {
    const { reserve, commit, stock, deps, units: unitsOf } = setup({ reservationTtlSeconds: 60 });
    const sku = freshSku();
    await stock(sku, 5);
    const o = order([[sku, 2]]);
    await reserve.execute(o);
    deps.clock.advance(120_000);

    await commit.execute(o);

    expect(await unitsOf(sku)).toEqual({ available: 3, held: 0, committed: 2, total: 5 });
  });
});
