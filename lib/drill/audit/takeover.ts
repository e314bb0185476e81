import { NO_REASON, increment, toRecord } from './counts';
import { holdsMoney } from './money';
import type { MergedTables, OrderRecord, TakeoverRecord } from './records';
import { compare, sorted } from './snapshot-index';
import type { TakeoverAudit, TakeoverFate, TakenOverFates, TakenOverOrder } from './types';

/** The status of a marker whose order item is in no snapshot (it cannot be judged). */
const MISSING = 'MISSING';

/** What {@link auditTakeovers} finds: the fates of the taken-over orders, and the details. */
export interface TakeoverFindings {
  readonly fates: TakenOverFates;
  readonly takeover: TakeoverAudit;
}

/**
 * Judges every taken-over drill order (docs/decisions/007). Once settled, an order that did not end
 * FULFILLED must hold no money (no charge authorized, or captured and not refunded) and no stock (no hold
 * of it in any allocation). One that ended FULFILLED ("taken over, then fulfilled": the home region finished
 * it before it saw the marker) is a reported false failure; the stock ledger counts it as consumed in its
 * home region, so any hold of it elsewhere is a second reservation and is held stock. Orders not settled
 * yet are not judged here: they are in flight.
 */
export function auditTakeovers(merged: MergedTables): TakeoverFindings {
  const orders = [...merged.takeovers.values()]
    .map((marker) => judge(marker, merged))
    .sort((a, b) => compare(a.orderId, b.orderId));

  const failedByReason = new Map<string, number>();
  const count = (fate: TakeoverFate) => orders.filter((o) => o.fate === fate).length;
  for (const o of orders) if (o.fate === 'failed') increment(failedByReason, o.failureReason || NO_REASON);
  const moneyHeld = orders.filter((o) => o.chargesHoldingMoney.length > 0).map((o) => o.orderId);
  const stockHeld = orders.filter((o) => o.unitsHeld > 0);

  return {
    fates: {
      total: orders.length,
      failed: {
        total: count('failed'),
        byReason: toRecord(failedByReason),
      },
      cancelled: count('cancelled'),
      fulfilledAfterTakeover: count('fulfilled-after-takeover'),
      inFlight: count('in-flight'),
    },
    takeover: {
      orders,
      falseFailures: orders.filter((o) => o.fate === 'fulfilled-after-takeover').map((o) => o.orderId),
      moneyHeld: { count: moneyHeld.length, orderIds: moneyHeld },
      stockHeld: {
        count: stockHeld.length,
        units: stockHeld.reduce((sum, o) => sum + o.unitsHeld, 0),
        orderIds: stockHeld.map((o) => o.orderId),
      },
      watches: [...merged.watches].sort(
        (a, b) => compare(a.observer, b.observer) || compare(a.homeRegion, b.homeRegion),
      ),
    },
  };
}

function fateOf(order: OrderRecord | undefined): TakeoverFate {
  switch (order?.status) {
    case 'FAILED':
      return 'failed';
    case 'CANCELLED':
      return 'cancelled';
    case 'FULFILLED':
      return 'fulfilled-after-takeover';
    default:
      return 'in-flight';
  }
}

function judge(marker: TakeoverRecord, merged: MergedTables): TakenOverOrder {
  const order = merged.drillOrders.get(marker.orderId);
  const fate = fateOf(order);
  const settled = fate !== 'in-flight';
  const fulfilled = fate === 'fulfilled-after-takeover';
  // The home region of the order item is the one whose stock it may hold; the marker names the same.
  const homeRegion = order?.homeRegion ?? marker.homeRegion;

  const chargesHoldingMoney =
    settled && !fulfilled
      ? sorted((merged.chargesByOrder.get(marker.orderId) ?? []).filter(holdsMoney).map((c) => c.chargeId))
      : [];
  let unitsHeld = 0;
  if (settled) {
    for (const allocation of merged.allocations.values()) {
      if (fulfilled && allocation.region === homeRegion) continue;
      for (const hold of allocation.holds) if (hold.orderId === marker.orderId) unitsHeld += hold.quantity;
    }
  }

  return {
    orderId: marker.orderId,
    homeRegion: marker.homeRegion,
    takenOverBy: marker.takenOverBy,
    takenOverAt: marker.takenOverAt,
    ...(marker.homeUnhealthySince !== undefined && { homeUnhealthySince: marker.homeUnhealthySince }),
    statusAtTakeover: marker.statusAtTakeover,
    finalStatus: order?.status ?? MISSING,
    ...(order?.failureReason !== undefined && { failureReason: order.failureReason }),
    fate,
    chargesHoldingMoney,
    unitsHeld,
  };
}
