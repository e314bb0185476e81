import { AllocationNotOwnedError, StockContentionError } from './errors';
import type { SkuQuantity } from './model';
import type { InventoryDeps } from './ports';

/** Result of settling an order: units that left for good, and HELD holds left untouched. */
export interface SettleResult {
  readonly settled: readonly SkuQuantity[];
  /** SKUs whose hold was still HELD (never committed); left to the saga's compensation or the sweeper. */
  readonly stillHeld: readonly string[];
}

/**
 * Settles a fulfilled order: its COMMITTED holds on this region's allocations are removed without
 * returning units to `available` — the units have shipped. Each removal is conditioned on the exact
 * hold read, so a concurrent release cannot make a unit vanish twice.
 */
export class SettleOrder {
  constructor(
    private readonly deps: InventoryDeps,
    private readonly maxAttempts = 8,
  ) {}

  async execute(orderId: string): Promise<SettleResult> {
    const { store, clock } = this.deps;
    const record = await store.getReservationRecord(orderId);
    if (!record) return { settled: [], stillHeld: [] };
    const now = clock.now();
    const settled: SkuQuantity[] = [];
    const stillHeld: string[] = [];
    for (const line of record.lines) {
      const outcome = await this.settle(orderId, line.sku, now);
      if (outcome === 'held') stillHeld.push(line.sku);
      else if (outcome > 0) settled.push({ sku: line.sku, quantity: outcome });
    }
    if (stillHeld.length === 0) await store.deleteReservationRecord(orderId);
    return { settled, stillHeld };
  }

  private async settle(orderId: string, sku: string, now: number): Promise<number | 'held'> {
    const { store } = this.deps;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const current = await store.getAllocation(sku);
      const hold = current?.holds[orderId];
      if (!current || !hold) return 0;
      if (current.ownerRegion !== store.region) {
        throw new AllocationNotOwnedError(sku, store.region, current.ownerRegion);
      }
      if (hold.state === 'HELD') return 'held';
      if ((await store.settleHold(sku, orderId, hold, now)) === 'applied') return hold.quantity;
    }
    throw new StockContentionError(sku, this.maxAttempts);
  }
}
