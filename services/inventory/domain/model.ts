import type { SagaOrder } from '../../shared/saga';

/** A hold is HELD while the order waits for payment, COMMITTED once payment is captured. */
export type HoldState = 'HELD' | 'COMMITTED';

/** Units set aside for one order on one allocation. */
export interface Hold {
  readonly quantity: number;
  /** Epoch milliseconds after which a HELD hold may be swept; ignored once COMMITTED. */
  readonly expiresAt: number;
  readonly state: HoldState;
}

/** One region's share of one SKU's stock, with the holds applied to it. Written only by `ownerRegion`. */
export interface Allocation {
  readonly sku: string;
  readonly region: string;
  readonly ownerRegion: string;
  /** Free units: neither held nor committed. Never negative. */
  readonly available: number;
  /** Holds keyed by order id. */
  readonly holds: Readonly<Record<string, Hold>>;
  readonly version: number;
  readonly updatedAt: string;
}

/** A quantity of one SKU. */
export interface SkuQuantity {
  readonly sku: string;
  readonly quantity: number;
}

/**
 * Which SKUs an order holds in a region. Written before the holds, so an `OrderFulfilled` event
 * (which carries no lines) can find them without reading every allocation of the region.
 */
export interface ReservationRecord {
  readonly orderId: string;
  readonly region: string;
  readonly lines: readonly SkuQuantity[];
  /**
   * The order's correlation id, so work done without the saga's input (the expiry sweeper) carries it.
   * Absent on records written before it was stored.
   */
  readonly correlationId?: string;
  /** Set by the store on read: identifies the stored version, so a later write can be conditioned on it. */
  readonly revision?: string;
}

/** A hold the sweeper found expired, identified exactly enough to release it conditionally. */
export interface ExpiredHold {
  readonly sku: string;
  readonly orderId: string;
  readonly hold: Hold;
}

/** Units of one allocation broken down by state. */
export interface AllocationView {
  readonly region: string;
  readonly available: number;
  /** Units in HELD holds. */
  readonly reserved: number;
  /** Units in COMMITTED holds (paid for, not yet shipped). */
  readonly committed: number;
  readonly version: number;
  readonly updatedAt: string;
}

/** Every region's allocation of one SKU, as the admin API returns it. */
export interface SkuView {
  readonly sku: string;
  readonly allocations: readonly AllocationView[];
  readonly totals: { readonly available: number; readonly reserved: number; readonly committed: number };
}

/**
 * The order's lines summed per SKU and sorted by SKU, so every step visits SKUs in the same order
 * and an order naming a SKU twice still gets one hold per SKU.
 */
export function aggregateLines(order: Pick<SagaOrder, 'lines'>): SkuQuantity[] {
  const totals = new Map<string, number>();
  for (const line of order.lines)
    totals.set(line.productId, (totals.get(line.productId) ?? 0) + line.quantity);
  return [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, quantity]) => ({ sku, quantity }));
}

/** True when two holds are the same hold (the identity a conditional write checks). */
export function sameHold(a: Hold, b: Hold): boolean {
  return a.quantity === b.quantity && a.expiresAt === b.expiresAt && a.state === b.state;
}

/** Units of an allocation by state. */
export function viewOf(allocation: Allocation): AllocationView {
  let reserved = 0;
  let committed = 0;
  for (const hold of Object.values(allocation.holds)) {
    if (hold.state === 'HELD') reserved += hold.quantity;
    else committed += hold.quantity;
  }
  return {
    region: allocation.region,
    available: allocation.available,
    reserved,
    committed,
    version: allocation.version,
    updatedAt: allocation.updatedAt,
  };
}

/** The admin view of a SKU from all of its allocations (sorted by region). */
export function skuViewOf(sku: string, allocations: readonly Allocation[]): SkuView {
  const views = allocations
    .map(viewOf)
    .sort((a, b) => (a.region < b.region ? -1 : a.region > b.region ? 1 : 0));
  const totals = { available: 0, reserved: 0, committed: 0 };
  for (const v of views) {
    totals.available += v.available;
    totals.reserved += v.reserved;
    totals.committed += v.committed;
  }
  return { sku, allocations: views, totals };
}
