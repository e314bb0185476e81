import type { Clock } from '../../shared/clock';
import type { EventPublisher } from '../../shared/events';
import type { Allocation, Hold, ReservationRecord, SkuQuantity } from './model';

/** Outcome of one conditional write: applied, or its condition did not hold (re-read and decide). */
export type WriteOutcome = 'applied' | 'condition_failed';

/** One page of a region's allocations. */
export interface AllocationPage {
  readonly items: readonly Allocation[];
  /** Opaque; pass back to read the next page. Absent on the last page. */
  readonly cursor?: string;
}

/**
 * Port: the stock allocations of one region, as seen from that region. Every write is ONE conditional
 * update of ONE allocation item, conditioned on `ownerRegion` being this region, so it is atomic and a
 * region can never write another region's allocation.
 */
export interface AllocationStore {
  /** The region this store writes as (and whose allocations it writes). */
  readonly region: string;

  /** This region's allocation of `sku` (strongly consistent), or undefined. */
  getAllocation(sku: string): Promise<Allocation | undefined>;
  /** Every region's allocation of `sku`, from the local replica. */
  listSkuAllocations(sku: string): Promise<Allocation[]>;
  /** This region's allocations, one page at a time (eventually consistent). */
  listRegionAllocations(cursor?: string, pageSize?: number): Promise<AllocationPage>;

  /** Takes `hold.quantity` units out of `available` into a new hold, if enough are free and the order has none. */
  placeHold(sku: string, orderId: string, hold: Hold, maxHolds: number, now: number): Promise<WriteOutcome>;
  /** Turns the order's hold from HELD into COMMITTED, if it is still HELD. */
  commitHold(sku: string, orderId: string, now: number): Promise<WriteOutcome>;
  /** Removes the order's hold and returns its units to `available`, if the hold is still exactly `expected`. */
  releaseHold(sku: string, orderId: string, expected: Hold, now: number): Promise<WriteOutcome>;
  /** Removes a hold without returning its units (they have shipped), if it is still exactly `expected`. */
  settleHold(sku: string, orderId: string, expected: Hold, now: number): Promise<WriteOutcome>;
  /**
   * Sets the free units of this region's allocation, creating it (with no holds) when missing.
   * `expectedVersion` 0 means "must not exist yet". Returns the allocation as written.
   */
  setAvailable(
    sku: string,
    available: number,
    expectedVersion: number | undefined,
    now: number,
  ): Promise<{ outcome: 'applied'; allocation: Allocation } | { outcome: 'condition_failed' }>;

  /** Records which SKUs an order holds in this region (idempotent). */
  putReservationRecord(record: ReservationRecord, now: number): Promise<void>;
  /** The order's reservation record in this region, if any. */
  getReservationRecord(orderId: string): Promise<ReservationRecord | undefined>;
  /** Forgets the order's reservation record in this region (idempotent). */
  deleteReservationRecord(orderId: string): Promise<void>;
  /**
   * Replaces the lines of `record` (as read, with its `revision`) by `lines`, deleting the record when
   * `lines` is empty. Conditioned on the record being unchanged since that read, so a reservation
   * re-written meanwhile (a retried reserve step) is never trimmed by a stale view.
   */
  replaceReservationLines(
    record: ReservationRecord,
    lines: readonly SkuQuantity[],
    now: number,
  ): Promise<WriteOutcome>;
}

/** What every inventory use case is built from. */
export interface InventoryDeps {
  readonly store: AllocationStore;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
}
