import { createEvent } from '../../shared/events';
import { deterministicId } from '../../shared/ids';
import type { SagaOrder } from '../../shared/saga';
import {
  AllocationFullError,
  AllocationNotOwnedError,
  OutOfStockError,
  ReservationExpiredError,
  StockContentionError,
} from './errors';
import { aggregateLines, type Allocation, type Hold, type SkuQuantity } from './model';
import type { AllocationStore, InventoryDeps } from './ports';

/** Source of every inventory event. */
export const INVENTORY_SOURCE = 'meridian.inventory';

/** Tunables of the reservation use cases. */
export interface ReservationOptions {
  /** How long a HELD hold lasts before the sweeper may release it. @default 900 */
  readonly reservationTtlSeconds?: number;
  /**
   * Most holds one allocation item may carry. An item is at most 400 KB and a hold costs about
   * 80 bytes (docs/inventory.md), so 4,000 leaves room for long order ids. @default 4000
   */
  readonly maxHoldsPerAllocation?: number;
  /** Conditional-write attempts per SKU before giving up on a contended allocation. @default 8 */
  readonly maxAttempts?: number;
}

const DEFAULTS = { reservationTtlSeconds: 900, maxHoldsPerAllocation: 4000, maxAttempts: 8 } as const;

/** Why a release happened when the sweeper, not the saga, released it. */
export const EXPIRED_REASON = 'RESERVATION_EXPIRED';

/** The StockReleased event for `lines` of an order; its id is derived from its content, so a re-run dedupes. */
export function stockReleasedEvent(
  region: string,
  correlationId: string,
  orderId: string,
  lines: readonly SkuQuantity[],
  reason: string,
  now: number,
) {
  const digest = deterministicId('', reason, ...lines.map((l) => `${l.sku}=${l.quantity}`));
  return createEvent({
    id: `${orderId}:StockReleased:${digest}`,
    type: 'StockReleased',
    source: INVENTORY_SOURCE,
    region,
    correlationId,
    time: new Date(now),
    data: { orderId, lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity })), reason },
  });
}

function assertOwned(store: AllocationStore, allocation: Allocation): void {
  if (allocation.ownerRegion !== store.region) {
    throw new AllocationNotOwnedError(allocation.sku, store.region, allocation.ownerRegion);
  }
}

/** Result of a reservation: the earliest time any of the order's holds may expire. */
export interface ReserveResult {
  readonly reservedUntil: string;
  readonly lines: readonly SkuQuantity[];
}

type HoldOutcome =
  | { readonly kind: 'held'; readonly expiresAt: number }
  | { readonly kind: 'short'; readonly available: number };

/**
 * Saga step "reserve stock": one hold per SKU on this region's allocation, each a single conditional
 * update (`available >= q` and no hold for the order yet), so it never oversells and a retry finds its
 * holds already in place. If any SKU is short, the holds already taken are given back before failing.
 */
export class ReserveStock {
  private readonly ttlMs: number;
  private readonly maxHolds: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly deps: InventoryDeps,
    options: ReservationOptions = {},
  ) {
    this.ttlMs = (options.reservationTtlSeconds ?? DEFAULTS.reservationTtlSeconds) * 1000;
    this.maxHolds = options.maxHoldsPerAllocation ?? DEFAULTS.maxHoldsPerAllocation;
    this.maxAttempts = options.maxAttempts ?? DEFAULTS.maxAttempts;
  }

  async execute(order: SagaOrder): Promise<ReserveResult> {
    const { store, publisher, clock } = this.deps;
    const lines = aggregateLines(order);
    const now = clock.now();
    // The record first: every hold is then findable by order id when OrderFulfilled arrives.
    await store.putReservationRecord(
      { orderId: order.orderId, region: store.region, lines, correlationId: order.correlationId },
      now,
    );

    const expiries: number[] = [];
    for (const line of lines) {
      let outcome: HoldOutcome;
      try {
        outcome = await this.hold(order.orderId, line, now);
      } catch (err) {
        // Not owning the allocation is final: give back what this order holds elsewhere.
        if (err instanceof AllocationNotOwnedError) await this.rollback(order);
        throw err;
      }
      if (outcome.kind === 'short') {
        await this.rollback(order);
        await publisher.publish([
          createEvent({
            id: `${order.orderId}:StockReservationFailed`,
            type: 'StockReservationFailed',
            source: INVENTORY_SOURCE,
            region: store.region,
            correlationId: order.correlationId,
            time: new Date(now),
            data: {
              orderId: order.orderId,
              sku: line.sku,
              requested: line.quantity,
              available: outcome.available,
            },
          }),
        ]);
        throw new OutOfStockError(line.sku, line.quantity, outcome.available);
      }
      expiries.push(outcome.expiresAt);
    }

    const reservedUntil = new Date(Math.min(...expiries)).toISOString();
    await publisher.publish([
      createEvent({
        id: `${order.orderId}:StockReserved`,
        type: 'StockReserved',
        source: INVENTORY_SOURCE,
        region: store.region,
        correlationId: order.correlationId,
        time: new Date(now),
        data: { orderId: order.orderId, lines: lines.map((l) => ({ ...l })), expiresAt: reservedUntil },
      }),
    ]);
    return { reservedUntil, lines };
  }

  private async hold(orderId: string, line: SkuQuantity, now: number): Promise<HoldOutcome> {
    const { store } = this.deps;
    const hold: Hold = { quantity: line.quantity, expiresAt: now + this.ttlMs, state: 'HELD' };
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if ((await store.placeHold(line.sku, orderId, hold, this.maxHolds, now)) === 'applied') {
        return { kind: 'held', expiresAt: hold.expiresAt };
      }
      // The condition failed: find out which part, on a strongly consistent read.
      const current = await store.getAllocation(line.sku);
      if (!current) return { kind: 'short', available: 0 };
      assertOwned(store, current);
      const existing = current.holds[orderId];
      if (existing) return { kind: 'held', expiresAt: existing.expiresAt };
      if (current.available < line.quantity) return { kind: 'short', available: current.available };
      const holds = Object.keys(current.holds).length;
      if (holds >= this.maxHolds) throw new AllocationFullError(line.sku, holds);
      // Nothing blocks it any more (units were released in between): try again.
    }
    throw new StockContentionError(line.sku, this.maxAttempts);
  }

  private async rollback(order: SagaOrder): Promise<void> {
    // Silent: StockReserved was never published, so there is nothing for consumers to undo.
    await new ReleaseStock(this.deps, { maxAttempts: this.maxAttempts }).execute(order, 'OUT_OF_STOCK', {
      publish: false,
    });
  }
}

/**
 * Saga step "commit stock", after payment capture: HELD → COMMITTED, so expiry no longer applies.
 * A hold already COMMITTED is success; a missing hold means it expired and was swept, and the saga
 * must compensate (ReservationExpiredError).
 */
export class CommitStock {
  private readonly maxAttempts: number;

  constructor(
    private readonly deps: InventoryDeps,
    options: Pick<ReservationOptions, 'maxAttempts'> = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? DEFAULTS.maxAttempts;
  }

  async execute(order: SagaOrder): Promise<{ readonly lines: readonly SkuQuantity[] }> {
    const lines = aggregateLines(order);
    const now = this.deps.clock.now();
    for (const line of lines) await this.commit(order.orderId, line.sku, now);
    return { lines };
  }

  private async commit(orderId: string, sku: string, now: number): Promise<void> {
    const { store } = this.deps;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if ((await store.commitHold(sku, orderId, now)) === 'applied') return;
      const current = await store.getAllocation(sku);
      if (!current) throw new ReservationExpiredError(orderId, sku);
      assertOwned(store, current);
      const hold = current.holds[orderId];
      if (!hold) throw new ReservationExpiredError(orderId, sku);
      if (hold.state === 'COMMITTED') return;
    }
    throw new StockContentionError(sku, this.maxAttempts);
  }
}

/** Result of a release: what was actually given back. */
export interface ReleaseResult {
  readonly released: readonly SkuQuantity[];
}

/**
 * Saga compensation "release stock": every hold the order has (HELD or COMMITTED) goes back to
 * `available`, each by one update conditioned on the hold being exactly the one read. No hold → no-op,
 * so it is idempotent; StockReleased is published only when something was released.
 */
export class ReleaseStock {
  private readonly maxAttempts: number;

  constructor(
    private readonly deps: InventoryDeps,
    options: Pick<ReservationOptions, 'maxAttempts'> = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? DEFAULTS.maxAttempts;
  }

  async execute(
    order: SagaOrder,
    reason: string,
    options: { readonly publish?: boolean } = {},
  ): Promise<ReleaseResult> {
    const { store, publisher, clock } = this.deps;
    const now = clock.now();
    const released: SkuQuantity[] = [];
    for (const line of aggregateLines(order)) {
      const quantity = await this.release(order.orderId, line.sku, now);
      if (quantity > 0) released.push({ sku: line.sku, quantity });
    }
    // Every hold of the order is gone now, so the record that finds them is no longer needed.
    await store.deleteReservationRecord(order.orderId);
    if (released.length > 0 && options.publish !== false) {
      await publisher.publish([
        stockReleasedEvent(store.region, order.correlationId, order.orderId, released, reason, now),
      ]);
    }
    return { released };
  }

  /** Releases the order's hold on `sku`; returns the units released (0 when there was none). */
  private async release(orderId: string, sku: string, now: number): Promise<number> {
    const { store } = this.deps;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const current = await store.getAllocation(sku);
      const hold = current?.holds[orderId];
      if (!current || !hold) return 0;
      assertOwned(store, current);
      if ((await store.releaseHold(sku, orderId, hold, now)) === 'applied') return hold.quantity;
      // The hold changed (committed, swept or released concurrently): look again.
    }
    throw new StockContentionError(sku, this.maxAttempts);
  }
}
