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
  /** Never set on a shipment: it tells a shipment from a `CancellationMarker`. */
  readonly marker?: undefined;
}

/**
 * What compensation writes under the shipment's key when the order has no shipment yet: a CANCELLED
 * item with no parcel. Its key fences any later delivery of the shipping message (a redelivery, or a
 * DLQ re-drive after the saga gave up), whose conditional create then finds it and refuses to ship.
 */
export interface CancellationMarker {
  readonly marker: true;
  readonly orderId: string;
  readonly status: 'CANCELLED';
  readonly reason?: string;
  readonly correlationId: string;
  readonly ownerRegion: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly cancelledAt: string;
}

/** The item stored under `SHIPMENT#<orderId>`: a shipment, or the marker of a cancellation that came first. */
export type ShipmentRecord = Shipment | CancellationMarker;

/** True for a cancellation marker (no parcel was ever created). */
export function isCancellationMarker(record: ShipmentRecord): record is CancellationMarker {
  return record.marker === true;
}

/** Largest reason kept on a marker (the saga passes an error cause, which may be long). */
const MAX_REASON = 500;

/** The marker compensation writes for an order without a shipment; owned by the order's home region. */
export function planCancellationMarker(order: SagaOrder, now: Date, reason?: string): CancellationMarker {
  const at = now.toISOString();
  return {
    marker: true,
    orderId: order.orderId,
    status: 'CANCELLED',
    ...(reason ? { reason: reason.slice(0, MAX_REASON) } : {}),
    correlationId: order.correlationId,
    ownerRegion: order.homeRegion,
    createdAt: at,
    updatedAt: at,
    cancelledAt: at,
  };
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
