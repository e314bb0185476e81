import { NO_REASON, increment, toRecord } from './counts';
import { validateAuditInput } from './input';
import { auditStock } from './ledger';
import { findDuplicateCharges, findUnrefunded } from './money';
import { mergeTables, type OrderRecord } from './records';
import { sorted } from './snapshot-index';
import { auditTakeovers } from './takeover';
import type { AcknowledgedOrder, AuditInput, AuditReport } from './types';

/** The terminal statuses; any other status is still in flight. */
const FULFILLED = 'FULFILLED';
const CANCELLED = 'CANCELLED';
const FAILED = 'FAILED';

/**
 * Judges a drill from the tables of the healthy regions and the drill's own records: the fate of every
 * order, lost and duplicate orders, duplicate and unrefunded charges, the stock ledger, and whether every
 * order a surviving region took over ended with no money and no stock held.
 * Pure: the same input gives the same report, with every list sorted.
 * @throws AuditInputError when the input or an item it needs is malformed, naming the field.
 */
export function auditDrill(input: AuditInput): AuditReport {
  validateAuditInput(input);
  const skus = new Set([...input.skus, ...Object.keys(input.initialStock)]);
  const merged = mergeTables(input.snapshots, new Set(input.customerIds), skus);
  const acks = firstAckPerOrder(input.acknowledged);

  const lost = [...acks.values()].filter((a) => !merged.orderIds.has(a.orderId));
  const duplicateOrders = findDuplicateOrders(input.acknowledged, merged.drillOrders);
  const chargeFindings = findDuplicateCharges(
    [...merged.drillOrders.keys(), ...acks.keys()],
    merged.drillOrders,
    merged.chargesByOrder,
  );
  const unrefunded = findUnrefunded(merged.drillOrders, merged.chargesByOrder);
  const stock = auditStock({
    skus,
    initialStock: input.initialStock,
    allocations: merged.allocations,
    drillOrders: merged.drillOrders,
  });
  const takeovers = auditTakeovers(merged);

  const violations: string[] = [];
  if (lost.length > 0) violations.push('lost-orders');
  if (duplicateOrders.count > 0) violations.push('duplicate-orders');
  if (chargeFindings.length > 0) violations.push('duplicate-charges');
  if (unrefunded.length > 0) violations.push('unrefunded-charges');
  if (stock.oversoldUnits > 0) violations.push('oversold');
  if (takeovers.takeover.moneyHeld.count > 0) violations.push('takeover-money-held');
  if (takeovers.takeover.stockHeld.count > 0) violations.push('takeover-stock-held');

  return {
    orders: {
      acknowledged: acks.size,
      ...fates(merged.drillOrders, new Set(merged.takeovers.keys())),
      takenOver: takeovers.fates,
    },
    lost: lostSummary(lost, input.faultAt),
    duplicateOrders,
    duplicateCharges: {
      count: chargeFindings.length,
      orderIds: chargeFindings.map((f) => f.orderId),
      details: chargeFindings,
    },
    unrefundedCharges: { count: unrefunded.length, orderIds: unrefunded },
    stock,
    takeover: takeovers.takeover,
    violations,
  };
}

/** One acknowledgement per order id (a retry may be acknowledged again): the earliest. */
function firstAckPerOrder(acknowledged: readonly AcknowledgedOrder[]): Map<string, AcknowledgedOrder> {
  const acks = new Map<string, AcknowledgedOrder>();
  for (const ack of acknowledged) {
    const seen = acks.get(ack.orderId);
    if (!seen || ack.ackAt < seen.ackAt) acks.set(ack.orderId, ack);
  }
  return acks;
}

/**
 * The fates of the drill's orders. A taken-over order's fate is "taken over" (counted apart), not its
 * status; while it is not terminal it is in flight like any other.
 */
function fates(
  orders: ReadonlyMap<string, OrderRecord>,
  takenOver: ReadonlySet<string>,
): Omit<AuditReport['orders'], 'acknowledged' | 'takenOver'> {
  let fulfilled = 0;
  let cancelled = 0;
  let failed = 0;
  // Maps, not objects, while counting: a reason or status is data and may be any string (`__proto__`).
  const failedByReason = new Map<string, number>();
  const inFlightByStatus = new Map<string, number>();
  const inFlightIds: string[] = [];
  for (const order of orders.values()) {
    const terminal = order.status === FULFILLED || order.status === CANCELLED || order.status === FAILED;
    if (terminal && takenOver.has(order.orderId)) continue;
    if (order.status === FULFILLED) fulfilled++;
    else if (order.status === CANCELLED) cancelled++;
    else if (order.status === FAILED) {
      failed++;
      increment(failedByReason, order.failureReason || NO_REASON);
    } else {
      increment(inFlightByStatus, order.status);
      inFlightIds.push(order.orderId);
    }
  }
  return {
    found: orders.size,
    fulfilled,
    cancelled,
    failed: { total: failed, byReason: toRecord(failedByReason) },
    inFlight: {
      total: inFlightIds.length,
      byStatus: toRecord(inFlightByStatus),
      orderIds: sorted(inFlightIds),
    },
  };
}

function lostSummary(lost: readonly AcknowledgedOrder[], faultAt: number | undefined): AuditReport['lost'] {
  if (lost.length === 0) return { count: 0, orderIds: [], rpoSeconds: 0, lostWindowSeconds: 0 };
  const times = lost.map((a) => a.ackAt);
  const first = Math.min(...times);
  const last = Math.max(...times);
  return {
    count: lost.length,
    orderIds: sorted(lost.map((a) => a.orderId)),
    // Writes acknowledged after the fault began are lost too, but they add nothing to how far back the loss reaches.
    rpoSeconds: faultAt === undefined ? 0 : Math.max(0, faultAt - first) / 1000,
    lostWindowSeconds: (last - first) / 1000,
  };
}

/** Idempotency keys that led to more than one order: in the tables (any region), or in the acknowledgements. */
function findDuplicateOrders(
  acknowledged: readonly AcknowledgedOrder[],
  orders: ReadonlyMap<string, OrderRecord>,
): AuditReport['duplicateOrders'] {
  const byKey = new Map<string, Set<string>>();
  const add = (key: string, orderId: string) => {
    const ids = byKey.get(key);
    if (ids) ids.add(orderId);
    else byKey.set(key, new Set([orderId]));
  };
  for (const order of orders.values()) if (order.idempotencyKey) add(order.idempotencyKey, order.orderId);
  for (const ack of acknowledged) add(ack.idempotencyKey, ack.orderId);
  const keys = sorted([...byKey].filter(([, ids]) => ids.size > 1).map(([key]) => key));
  return {
    count: keys.length,
    idempotencyKeys: keys,
    byKey: Object.fromEntries(keys.map((key) => [key, sorted(byKey.get(key) ?? [])])),
  };
}
