import { createEvent } from '../../shared/events';
import {
  AllocationNotOwnedError,
  SkuNotFoundError,
  StockContentionError,
  VersionConflictError,
} from './errors';
import { skuViewOf, type SkuView } from './model';
import type { InventoryDeps } from './ports';
import { INVENTORY_SOURCE } from './reservations';

/** An admin's request to set this region's free units of a SKU. */
export interface SetStockLevelCommand {
  readonly sku: string;
  readonly available: number;
  /** Optimistic concurrency: the allocation's current version (0 = it must not exist yet). */
  readonly expectedVersion?: number;
  readonly correlationId: string;
}

/**
 * Sets this region's free units of a SKU (creating the allocation when missing, keeping its holds)
 * and publishes StockLevelChanged. Only this region's allocation is ever written.
 */
export class SetStockLevel {
  constructor(private readonly deps: InventoryDeps) {}

  async execute(cmd: SetStockLevelCommand): Promise<SkuView> {
    const { store, publisher, clock } = this.deps;
    const now = clock.now();
    const result = await store.setAvailable(cmd.sku, cmd.available, cmd.expectedVersion, now);
    if (result.outcome === 'condition_failed') {
      const current = await store.getAllocation(cmd.sku);
      if (current && current.ownerRegion !== store.region) {
        throw new AllocationNotOwnedError(cmd.sku, store.region, current.ownerRegion);
      }
      if (cmd.expectedVersion !== undefined) {
        throw new VersionConflictError(cmd.sku, cmd.expectedVersion, current?.version ?? 0);
      }
      // Without an expected version only ownership is checked, and it holds now: the owner changed
      // back and forth under us, which a retry of the request settles.
      throw new StockContentionError(cmd.sku, 1);
    }
    const { allocation } = result;
    await publisher.publish([
      createEvent({
        // One event per allocation version: a retried publish of the same change dedupes.
        id: `${cmd.sku}:${store.region}:v${allocation.version}:StockLevelChanged`,
        type: 'StockLevelChanged',
        source: INVENTORY_SOURCE,
        region: store.region,
        correlationId: cmd.correlationId,
        time: new Date(now),
        data: { sku: cmd.sku, available: allocation.available },
      }),
    ]);
    return skuViewOf(cmd.sku, await store.listSkuAllocations(cmd.sku));
  }
}

/** Reads every region's allocation of a SKU from the local replica. */
export class GetStock {
  constructor(private readonly deps: Pick<InventoryDeps, 'store'>) {}

  async execute(sku: string): Promise<SkuView> {
    const allocations = await this.deps.store.listSkuAllocations(sku);
    if (allocations.length === 0) throw new SkuNotFoundError(sku);
    return skuViewOf(sku, allocations);
  }
}
