import { allocationKey, type AllocationRecord, type OrderRecord } from './records';
import { compare, sorted } from './snapshot-index';
import type { AuditReport, StockRow } from './types';

/** The stock ledger's inputs, already merged across snapshots. */
export interface LedgerInput {
  readonly skus: ReadonlySet<string>;
  readonly initialStock: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly allocations: ReadonlyMap<string, AllocationRecord>;
  readonly drillOrders: ReadonlyMap<string, OrderRecord>;
}

/**
 * Balances every SKU/region of the drill: initial = available + held + committed + consumed, where
 * a FULFILLED order counts as consumed in its home region only — its hold may linger until the
 * OrderFulfilled settlement removes it, and must not be counted twice.
 */
export function auditStock(input: LedgerInput): AuditReport['stock'] {
  const rows = new Map<string, StockRow>();
  const row = (sku: string, region: string): StockRow => {
    const key = allocationKey(sku, region);
    let r = rows.get(key);
    if (!r) {
      r = {
        sku,
        region,
        initial: 0,
        available: 0,
        held: 0,
        committed: 0,
        consumed: 0,
        oversold: 0,
        unaccounted: 0,
        allocationFound: false,
      };
      rows.set(key, r);
    }
    return r;
  };

  for (const [sku, byRegion] of Object.entries(input.initialStock)) {
    for (const [region, units] of Object.entries(byRegion)) row(sku, region).initial += units;
  }

  const terminalHoldOrders = new Set<string>();
  let terminalHoldUnits = 0;
  for (const allocation of input.allocations.values()) {
    const r = row(allocation.sku, allocation.region);
    r.allocationFound = true;
    r.available = allocation.available;
    for (const hold of allocation.holds) {
      const status = input.drillOrders.get(hold.orderId)?.status;
      if (status === 'FULFILLED') continue;
      if (hold.state === 'COMMITTED') r.committed += hold.quantity;
      else r.held += hold.quantity;
      if (status === 'FAILED' || status === 'CANCELLED') {
        terminalHoldOrders.add(hold.orderId);
        terminalHoldUnits += hold.quantity;
      }
    }
  }

  for (const order of input.drillOrders.values()) {
    if (order.status !== 'FULFILLED') continue;
    for (const [sku, quantity] of order.quantityBySku) {
      if (input.skus.has(sku)) row(sku, order.homeRegion).consumed += quantity;
    }
  }

  let oversoldUnits = 0;
  let unaccountedUnits = 0;
  for (const r of rows.values()) {
    const promised = r.held + r.committed + r.consumed;
    // A negative `available` is the overdraw itself: when the ledger balances, promised − initial equals
    // −available, so the two are the same units and are counted once (the larger), not added.
    r.oversold = Math.max(0, promised - r.initial, -r.available);
    r.unaccounted = Math.max(0, r.initial - (r.available + promised));
    oversoldUnits += r.oversold;
    unaccountedUnits += r.unaccounted;
  }

  const bySku = [...rows.values()].sort((a, b) => compare(a.sku, b.sku) || compare(a.region, b.region));
  return {
    oversoldUnits,
    unaccountedUnits,
    bySku,
    missingAllocations: bySku.filter((r) => !r.allocationFound).map((r) => `${r.sku}/${r.region}`),
    terminalHolds: { units: terminalHoldUnits, orderIds: sorted(terminalHoldOrders) },
  };
}
