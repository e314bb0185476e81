import type { Clock } from '../../shared/clock';
import { NotOwnerRegionError } from './errors';
import type { ShipmentRepository } from './ports';

export interface CancelShipmentDeps {
  readonly region: string;
  readonly shipments: ShipmentRepository;
  readonly clock: Clock;
}

export interface CancelShipmentResult {
  readonly orderId: string;
  readonly outcome: 'cancelled' | 'already-cancelled' | 'no-shipment';
  readonly shipmentId?: string;
}

/**
 * Compensation when a cancellation raced the shipment: a CREATED shipment becomes CANCELLED
 * (conditionally); no shipment is a no-op; a second call reports `already-cancelled`.
 */
export async function cancelShipment(
  deps: CancelShipmentDeps,
  orderId: string,
): Promise<CancelShipmentResult> {
  const existing = await deps.shipments.get(orderId);
  if (!existing) return { orderId, outcome: 'no-shipment' };
  if (existing.ownerRegion !== deps.region) {
    throw new NotOwnerRegionError(`shipment of order ${orderId}`, existing.ownerRegion, deps.region);
  }
  if (existing.status === 'CANCELLED') {
    return { orderId, outcome: 'already-cancelled', shipmentId: existing.shipmentId };
  }
  const changed = await deps.shipments.markCancelled(orderId, new Date(deps.clock.now()).toISOString());
  // Lost the condition: a concurrent compensation cancelled it first.
  return { orderId, outcome: changed ? 'cancelled' : 'already-cancelled', shipmentId: existing.shipmentId };
}
