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
}

/**
 * Releases expired HELD holds of this region's allocations. Each release is conditioned on the exact
 * hold (quantity, expiresAt, state HELD), so it can never race a commit into counting units twice:
 * whichever write lands first wins and the other's condition fails. COMMITTED holds never expire.
 * Expiry does not use DynamoDB TTL, whose deletes would not give units back.
 */
export class SweepExpiredHolds {
  constructor(
    private readonly deps: InventoryDeps,
    private readonly pageSize = 100,
  ) {}

  async execute(correlationId: string): Promise<SweepResult> {
    const { store, publisher, clock } = this.deps;
    const now = clock.now();
    let allocationsScanned = 0;
    let holdsExpired = 0;
    let holdsReleased = 0;
    let unitsReleased = 0;
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
      // Published page by page, so a failure late in a long sweep loses no earlier page's events.
      if (releasedByOrder.size > 0) {
        await publisher.publish(
          [...releasedByOrder.entries()].map(([orderId, lines]) =>
            stockReleasedEvent(store.region, correlationId, orderId, lines, EXPIRED_REASON, now),
          ),
        );
      }
    } while (cursor);
    return {
      allocationsScanned,
      holdsExpired,
      holdsReleased,
      unitsReleased,
      holdsSkipped: holdsExpired - holdsReleased,
    };
  }
}
