import { deterministicId, sha256Hex } from '../../shared/ids';
import type { SagaOrder } from '../../shared/saga';

/** Carriers the simulated fulfilment centre hands parcels to. */
export const CARRIERS = ['UPS', 'DHL', 'FEDEX'] as const;
export type Carrier = (typeof CARRIERS)[number];

export type ShipmentStatus = 'CREATED' | 'CANCELLED';

export interface ShipmentLine {
  readonly productId: string;
  readonly quantity: number;
}

/** A shipment: one per order, written only by the order's home region. */
export interface Shipment {
  readonly orderId: string;
  readonly shipmentId: string;
  readonly carrier: Carrier;
  readonly trackingNumber: string;
  readonly status: ShipmentStatus;
  readonly lines: readonly ShipmentLine[];
  readonly correlationId: string;
  readonly ownerRegion: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly cancelledAt?: string;
}

/**
 * The shipment an order gets. Id, carrier and tracking number derive from the order id only, so a
 * retry, a redelivery or a re-drive computes the very same shipment (no duplicate parcels).
 */
export function planShipment(order: SagaOrder, now: Date): Shipment {
  const digest = sha256Hex(`shipment\u0000${order.orderId}`);
  const carrier = CARRIERS[parseInt(digest.slice(0, 8), 16) % CARRIERS.length] as Carrier;
  // 12 decimal digits from 48 bits of the digest: stable and plausible as a tracking number.
  const digits = (parseInt(digest.slice(8, 20), 16) % 1e12).toString().padStart(12, '0');
  const at = now.toISOString();
  return {
    orderId: order.orderId,
    shipmentId: deterministicId('shp_', order.orderId),
    carrier,
    trackingNumber: `${carrier}${digits}`,
    status: 'CREATED',
    lines: order.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
    correlationId: order.correlationId,
    ownerRegion: order.homeRegion,
    createdAt: at,
    updatedAt: at,
  };
}
