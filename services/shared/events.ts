import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { MeridianError } from './errors';

/** Every domain event, its current version and its payload. Add a type here before publishing it. */
export interface EventCatalog {
  OrderPlaced: {
    orderId: string;
    customerId: string;
    currency: string;
    total: number;
    lines: { productId: string; quantity: number; unitPrice: number }[];
  };
  OrderCancellationRequested: { orderId: string; reason: string };
  OrderStatusChanged: { orderId: string; from: string; to: string; reason?: string };
  OrderFulfilled: { orderId: string; customerId: string };
  OrderCancelled: { orderId: string; customerId: string; reason: string };
  OrderFailed: { orderId: string; customerId: string; reason: string };
  /** A surviving region failed a stranded order of an unavailable home region (docs/decisions/007). */
  OrderTakenOver: {
    orderId: string;
    customerId: string;
    homeRegion: string;
    takenOverBy: string;
    statusAtTakeover: string;
    reason: string;
  };
  StockReserved: { orderId: string; lines: { sku: string; quantity: number }[]; expiresAt: string };
  StockReservationFailed: { orderId: string; sku: string; requested: number; available: number };
  StockReleased: { orderId: string; lines: { sku: string; quantity: number }[]; reason: string };
  StockLevelChanged: { sku: string; available: number };
  PaymentAuthorized: { orderId: string; chargeId: string; amount: number; currency: string };
  PaymentDeclined: { orderId: string; chargeId?: string; reason: string };
  PaymentCaptured: { orderId: string; chargeId: string; amount: number; currency: string };
  PaymentRefunded: { orderId: string; chargeId: string; amount: number; currency: string };
  ShipmentCreated: { orderId: string; shipmentId: string; carrier: string; trackingNumber: string };
  ShipmentFailed: { orderId: string; reason: string };
}

export type EventType = keyof EventCatalog;

/** Schema version of each event type; bump on a breaking change and keep consumers reading both. */
export const EVENT_VERSIONS: Readonly<Record<EventType, number>> = {
  OrderPlaced: 1,
  OrderCancellationRequested: 1,
  OrderStatusChanged: 1,
  OrderFulfilled: 1,
  OrderCancelled: 1,
  OrderFailed: 1,
  OrderTakenOver: 1,
  StockReserved: 1,
  StockReservationFailed: 1,
  StockReleased: 1,
  StockLevelChanged: 1,
  PaymentAuthorized: 1,
  PaymentDeclined: 1,
  PaymentCaptured: 1,
  PaymentRefunded: 1,
  ShipmentCreated: 1,
  ShipmentFailed: 1,
};

/** The EventBridge `source` of each producing service. */
export type EventSource =
  | 'meridian.orders'
  | 'meridian.inventory'
  | 'meridian.payments'
  | 'meridian.shipping'
  | 'meridian.notifications';

/** The envelope every event travels in; it is the EventBridge `detail`. */
export interface EventEnvelope<T extends EventType = EventType> {
  readonly id: string;
  readonly type: T;
  readonly version: number;
  /** ISO-8601 time the event happened. */
  readonly time: string;
  readonly source: EventSource;
  /** The region that produced the event; forwarding rules match only their own region's events. */
  readonly region: string;
  readonly correlationId: string;
  readonly data: EventCatalog[T];
}

/** Zod schema for reading an envelope from the wire (consumers validate before acting). */
export const eventEnvelopeSchema = z.object({
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(100),
  version: z.number().int().min(1),
  time: z.string().datetime({ offset: true }),
  source: z.string().startsWith('meridian.'),
  region: z.string().min(1),
  correlationId: z.string().min(1).max(200),
  data: z.record(z.string(), z.unknown()),
});

export interface NewEvent<T extends EventType> {
  readonly type: T;
  readonly source: EventSource;
  readonly region: string;
  readonly correlationId: string;
  readonly data: EventCatalog[T];
  /** A deterministic id makes a re-published event (saga step retry) dedupe downstream. @default random UUID */
  readonly id?: string;
  readonly time?: Date;
}

/** Builds an envelope with the catalog's version. */
export function createEvent<T extends EventType>(e: NewEvent<T>): EventEnvelope<T> {
  return {
    id: e.id ?? randomUUID(),
    type: e.type,
    version: EVENT_VERSIONS[e.type],
    time: (e.time ?? new Date()).toISOString(),
    source: e.source,
    region: e.region,
    correlationId: e.correlationId,
    data: e.data,
  };
}

/** Reads an EventBridge event (or a bare envelope) into a validated envelope. */
export function parseEnvelope(input: unknown): EventEnvelope {
  const candidate =
    input && typeof input === 'object' && 'detail' in input ? (input as { detail: unknown }).detail : input;
  const parsed = eventEnvelopeSchema.parse(candidate);
  return parsed as unknown as EventEnvelope;
}

/** Port: publishes events. Implementations must be safe to retry (consumers dedupe by id). */
export interface EventPublisher {
  publish(events: readonly EventEnvelope[]): Promise<void>;
}

/**
 * Another attempt holds a live claim on this event. Retryable: the delivery should be retried later
 * (SQS record failure, Lambda retry), when the event is either done or its claim has expired.
 */
export class EventInFlightError extends MeridianError {
  override readonly name = 'EventInFlightError';
  readonly kind = 'conflict';
  readonly code = 'EVENT_IN_FLIGHT';
}

/** Port: remembers which events a consumer has processed. */
export interface ProcessedEventStore {
  /**
   * Claims `eventId` for `consumer`: true when this attempt must process it (new, or an earlier attempt's
   * claim expired), false when it was already processed (a duplicate). Throws `EventInFlightError` while
   * another attempt's claim is live.
   */
  markProcessed(consumer: string, eventId: string): Promise<boolean>;
  /** Records that processing finished, so the mark outlives any claim. */
  markCompleted(consumer: string, eventId: string): Promise<void>;
  /** Forgets a claim, so a failed processing attempt can be retried. */
  unmark(consumer: string, eventId: string): Promise<void>;
}

/**
 * Runs `handle` at most once per (consumer, event id): a redelivered or replayed event is skipped.
 * If `handle` throws, the claim is removed so the retry runs again; if the process dies mid-way, the
 * claim expires and a redelivery takes over — a crash never loses the event.
 */
export async function consumeOnce(
  store: ProcessedEventStore,
  consumer: string,
  event: Pick<EventEnvelope, 'id'>,
  handle: () => Promise<void>,
): Promise<'processed' | 'duplicate'> {
  if (!(await store.markProcessed(consumer, event.id))) return 'duplicate';
  try {
    await handle();
  } catch (err) {
    await store.unmark(consumer, event.id);
    throw err;
  }
  await store.markCompleted(consumer, event.id);
  return 'processed';
}
