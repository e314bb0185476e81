import type { ExpiredHold, SkuQuantity } from './model';
import type { InventoryDeps } from './ports';
import { EXPIRED_REASON, stockReleasedEvent } from './reservations';

/** What one sweep did. */
export interface SweepResult {
  readonly allocationsScanned: number;
  /** HELD holds found past their expiry. */
  readonly holdsExpired: number;
  /** Of those, the ones this sweep released. */
  readonly holdsReleased: number;
  readonly unitsReleased: number;
  /** Expired holds that changed before the release (committed or released concurrently): left alone. */
  readonly holdsSkipped: number;
  /** Reservation records deleted because the sweep released the order's last hold in this region. */
  readonly reservationsDeleted: number;
  /** Reservation records cut down to the lines the order still holds. */
  readonly reservationsTrimmed: number;
}

/**
 * Releases expired HELD holds of this region's allocations. Each release is conditioned on the exact
 * hold (quantity, expiresAt, state HELD), so it can never race a commit into counting units twice:
 * whichever write lands first wins and the other's condition fails. COMMITTED holds never expire.
 * Expiry does not use DynamoDB TTL, whose deletes would not give units back.
 *
 * After a release the order's reservation record is brought in line: trimmed to the SKUs the order
 * still holds here, deleted with its last hold. `StockReleased` carries the order's correlation id
 * (kept on that record); `fallbackCorrelationId` (the sweep's own) only stands in when there is none.
 */
export class SweepExpiredHolds {
  constructor(
    private readonly deps: InventoryDeps,
    private readonly pageSize = 100,
  ) {}

  async execute(fallbackCorrelationId: string): Promise<SweepResult> {
    const { store, publisher, clock } = this.deps;
    const now = clock.now();
    let allocationsScanned = 0;
    let holdsExpired = 0;
    let holdsReleased = 0;
    let unitsReleased = 0;
    let reservationsDeleted = 0;
    let reservationsTrimmed = 0;
    let cursor: string | undefined;
    do {
      const page = await store.listRegionAllocations(cursor, this.pageSize);
      cursor = page.cursor;
      allocationsScanned += page.items.length;
      const expired: ExpiredHold[] = page.items
        .filter((a) => a.ownerRegion === store.region)
        .flatMap((a) =>
          Object.entries(a.holds)
            .filter(([, hold]) => hold.state === 'HELD' && hold.expiresAt < now)
            .map(([orderId, hold]) => ({ sku: a.sku, orderId, hold })),
        );
      holdsExpired += expired.length;

      const releasedByOrder = new Map<string, SkuQuantity[]>();
      for (const { sku, orderId, hold } of expired) {
        if ((await store.releaseHold(sku, orderId, hold, now)) !== 'applied') continue;
        holdsReleased++;
        unitsReleased += hold.quantity;
        const lines = releasedByOrder.get(orderId) ?? [];
        lines.push({ sku, quantity: hold.quantity });
        releasedByOrder.set(orderId, lines);
      }

      const events: ReturnType<typeof stockReleasedEvent>[] = [];
      for (const [orderId, lines] of releasedByOrder) {
        const { correlationId, record } = await this.forgetReleased(orderId, lines, now);
        if (record === 'deleted') reservationsDeleted++;
        else if (record === 'trimmed') reservationsTrimmed++;
        events.push(
          stockReleasedEvent(
            store.region,
            correlationId ?? fallbackCorrelationId,
            orderId,
            lines,
            EXPIRED_REASON,
            now,
          ),
        );
      }
      // Published page by page, so a failure late in a long sweep loses no earlier page's events.
      if (events.length > 0) await publisher.publish(events);
    } while (cursor);
    return {
      allocationsScanned,
      holdsExpired,
      holdsReleased,
      unitsReleased,
      holdsSkipped: holdsExpired - holdsReleased,
      reservationsDeleted,
      reservationsTrimmed,
    };
  }

  /**
   * Drops the released SKUs from the order's reservation record, and every other SKU the order no
   * longer holds here; deletes the record when nothing is left. A record re-written since it was read
   * (a retried reserve) is left as it is: release or settlement removes it later.
   */
  private async forgetReleased(
    orderId: string,
    released: readonly SkuQuantity[],
    now: number,
  ): Promise<{ correlationId?: string; record: 'deleted' | 'trimmed' | 'kept' }> {
    const { store } = this.deps;
    const record = await store.getReservationRecord(orderId);
    if (!record) return { record: 'kept' };
    const correlationId = record.correlationId;
    const releasedSkus = new Set(released.map((l) => l.sku));
    const remaining: SkuQuantity[] = [];
    for (const line of record.lines) {
      if (releasedSkus.has(line.sku)) continue;
      const allocation = await store.getAllocation(line.sku);
      if (allocation?.holds[orderId]) remaining.push(line);
    }
    if (remaining.length === record.lines.length) return { correlationId, record: 'kept' };
    const outcome = await store.replaceReservationLines(record, remaining, now);
    if (outcome !== 'applied') return { correlationId, record: 'kept' };
    return { correlationId, record: remaining.length === 0 ? 'deleted' : 'trimmed' };
  }
}
