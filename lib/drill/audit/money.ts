import type { ChargeRecord, OrderRecord } from './records';
import { sorted } from './snapshot-index';
import type { ChargeFinding } from './types';

/** Captured minus refunded of one charge, in minor units (never negative). */
export function netCapturedMinor(charge: ChargeRecord): number {
  // A refunded charge was captured first; the provider refunds it in full unless refundedMinor says otherwise.
  const captured =
    charge.status === 'captured' || charge.status === 'refunded'
      ? (charge.capturedMinor ?? charge.amountMinor)
      : 0;
  const refunded = charge.refundedMinor ?? (charge.status === 'refunded' ? captured : 0);
  return Math.max(0, captured - refunded);
}

/** True while a charge keeps the customer's money: authorized, or captured and not fully refunded. */
export function holdsMoney(charge: ChargeRecord): boolean {
  return charge.status === 'authorized' || netCapturedMinor(charge) > 0;
}

/**
 * Drill orders charged twice: more than one charge holding money, or more captured (net of refunds)
 * than the order's total. Orders whose item is absent are judged against their largest charge.
 */
export function findDuplicateCharges(
  orderIds: Iterable<string>,
  orders: ReadonlyMap<string, OrderRecord>,
  chargesByOrder: ReadonlyMap<string, readonly ChargeRecord[]>,
): ChargeFinding[] {
  const findings: ChargeFinding[] = [];
  for (const orderId of sorted(new Set(orderIds))) {
    const charges = chargesByOrder.get(orderId) ?? [];
    if (charges.length === 0) continue;
    const totalMinor = orders.get(orderId)?.totalMinor ?? Math.max(...charges.map((c) => c.amountMinor));
    const chargesHoldingMoney = charges.filter(holdsMoney).length;
    const net = charges.reduce((sum, c) => sum + netCapturedMinor(c), 0);
    if (chargesHoldingMoney > 1 || net > totalMinor) {
      findings.push({ orderId, chargesHoldingMoney, netCapturedMinor: net, totalMinor });
    }
  }
  return findings;
}

/** FAILED or CANCELLED drill orders with a charge still holding money (never voided or refunded). */
export function findUnrefunded(
  orders: ReadonlyMap<string, OrderRecord>,
  chargesByOrder: ReadonlyMap<string, readonly ChargeRecord[]>,
): string[] {
  const ids: string[] = [];
  for (const order of orders.values()) {
    if (order.status !== 'FAILED' && order.status !== 'CANCELLED') continue;
    if ((chargesByOrder.get(order.orderId) ?? []).some(holdsMoney)) ids.push(order.orderId);
  }
  return sorted(ids);
}
