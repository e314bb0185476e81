import { AllocationNotOwnedError, StockContentionError } from './errors';
import type { SkuQuantity } from './model';
import type { InventoryDeps } from './ports';

/** Result of settling an order: every unit that left for good. */
export interface SettleResult {
  /** Every hold removed for good, COMMITTED or HELD. */
  readonly settled: readonly SkuQuantity[];
  /**
   * Of those, the holds that were still HELD (never committed). The order is fulfilled, so their units
   * shipped too; left in place, the sweeper would later hand them back to `available` and oversell.
   */
  readonly settledUncommitted: readonly SkuQuantity[];
}

/**
 * Settles a fulfilled order: its holds on this region's allocations — COMMITTED, and HELD ones whose
 * commit never landed — are removed without returning units to `available`: the units have shipped.
 * Each removal is conditioned on the exact hold read, so a concurrent release or sweep cannot make a
 * unit vanish twice. Once every hold is settled the order's reservation record goes too.
 */
export class SettleOrder {
  constructor(
    private readonly deps: InventoryDeps,
    private readonly maxAttempts = 8,
  ) {}

  async execute(orderId: string): Promise<SettleResult> {
    const { store, clock } = this.deps;
    const record = await store.getReservationRecord(orderId);
    if (!record) return { settled: [], settledUncommitted: [] };
    const now = clock.now();
    const settled: SkuQuantity[] = [];
    const settledUncommitted: SkuQuantity[] = [];
    for (const line of record.lines) {
      const outcome = await this.settle(orderId, line.sku, now);
      if (!outcome) continue;
      settled.push({ sku: line.sku, quantity: outcome.quantity });
      if (outcome.state === 'HELD') settledUncommitted.push({ sku: line.sku, quantity: outcome.quantity });
    }
    await store.deleteReservationRecord(orderId);
    return { settled, settledUncommitted };
  }

  /** Settles the order's hold on `sku`; undefined when it has none there. */
  private async settle(
    orderId: string,
    sku: string,
    now: number,
  ): Promise<{ quantity: number; state: 'HELD' | 'COMMITTED' } | undefined> {
    const { store } = this.deps;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const current = await store.getAllocation(sku);
      const hold = current?.holds[orderId];
      if (!current || !hold) return undefined;
      if (current.ownerRegion !== store.region) {
        throw new AllocationNotOwnedError(sku, store.region, current.ownerRegion);
      }
      if ((await store.settleHold(sku, orderId, hold, now)) === 'applied') {
        return { quantity: hold.quantity, state: hold.state };
      }
      // The hold changed under us (committed meanwhile, or swept): read it again.
    }
    throw new StockContentionError(sku, this.maxAttempts);
  }
}
