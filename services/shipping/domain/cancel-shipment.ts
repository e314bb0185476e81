import type { Clock } from '../../shared/clock';
import type { SagaOrder } from '../../shared/saga';
import { NotOwnerRegionError } from './errors';
import type { ShipmentRepository } from './ports';
import { isCancellationMarker, planCancellationMarker } from './shipment';

export interface CancelShipmentDeps {
  readonly region: string;
  readonly shipments: ShipmentRepository;
  readonly clock: Clock;
}

export interface CancelShipmentResult {
  readonly orderId: string;
  /**
   * `cancelled`: a CREATED shipment became CANCELLED. `no-shipment`: there was none; a CANCELLED marker
   * now fences any later delivery of the shipping message. `already-cancelled`: a repeat.
   */
  readonly outcome: 'cancelled' | 'already-cancelled' | 'no-shipment';
  readonly shipmentId?: string;
}

/**
 * Every round either finishes or lost a conditional write to a concurrent transition; an item moves at
 * most twice (absent → CREATED or marker, CREATED → CANCELLED), so a third round always finishes.
 */
const MAX_ROUNDS = 3;

/**
 * Compensation of the "create shipment" step. A CREATED shipment becomes CANCELLED; when there is no
 * shipment, a CANCELLED marker is written in its place, so a delivery that comes later (an SQS
 * redelivery, a DLQ re-drive) finds it and does not ship a parcel for a failed order. Both writes are
 * conditional and owned by the order's home region; a repeat reports `already-cancelled`.
 */
export async function cancelShipment(
  deps: CancelShipmentDeps,
  order: SagaOrder,
  reason?: string,
): Promise<CancelShipmentResult> {
  const { orderId } = order;
  if (order.homeRegion !== deps.region) {
    throw new NotOwnerRegionError(`shipment of order ${orderId}`, order.homeRegion, deps.region);
  }
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const at = new Date(deps.clock.now());
    const existing = await deps.shipments.get(orderId);
    if (!existing) {
      if (await deps.shipments.putCancellationMarker(planCancellationMarker(order, at, reason))) {
        return { orderId, outcome: 'no-shipment' };
      }
      continue; // a consumer created the shipment (or another compensation the marker) meanwhile
    }
    if (existing.ownerRegion !== deps.region) {
      throw new NotOwnerRegionError(`shipment of order ${orderId}`, existing.ownerRegion, deps.region);
    }
    const shipmentId = isCancellationMarker(existing) ? undefined : existing.shipmentId;
    if (existing.status === 'CANCELLED') {
      return { orderId, outcome: 'already-cancelled', ...(shipmentId ? { shipmentId } : {}) };
    }
    if (await deps.shipments.markCancelled(orderId, deps.region, at.toISOString())) {
      return { orderId, outcome: 'cancelled', ...(shipmentId ? { shipmentId } : {}) };
    }
    // Lost the condition: a concurrent compensation cancelled it first; the next round reports it.
  }
  throw new Error(`shipment of order ${orderId} kept changing while it was being cancelled`);
}
