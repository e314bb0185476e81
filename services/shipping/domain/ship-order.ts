import { z } from 'zod';
import type { Clock } from '../../shared/clock';
import { createEvent, type EventPublisher } from '../../shared/events';
import { toFieldErrors } from '../../shared/http';
import { stepInputSchema, type SagaOrder } from '../../shared/saga';
import {
  InjectedShippingFailureError,
  MalformedShippingMessageError,
  NotOwnerRegionError,
  ShipmentCancelledError,
} from './errors';
import type { FailureInjector, InjectionDecision } from './failure-injection';
import type { ShipmentRepository, TaskCallbackOutcome, TaskCallbacks } from './ports';
import { isCancellationMarker, planShipment, type Shipment, type ShipmentRecord } from './shipment';

/** The body the saga's "create shipment" state sends to the shipping queue. */
export const shippingMessageSchema = stepInputSchema.extend({ taskToken: z.string().min(1) });
export type ShippingMessage = z.infer<typeof shippingMessageSchema>;

/** Parses a raw queue body; anything unusable is a `MalformedShippingMessageError` (a poison message). */
export function parseShippingMessage(body: string): ShippingMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedShippingMessageError('shipping message body is not valid JSON');
  }
  const result = shippingMessageSchema.safeParse(json);
  if (!result.success) {
    throw new MalformedShippingMessageError('shipping message is invalid', toFieldErrors(result.error));
  }
  return result.data;
}

/** Well-formed ids, as `correlationIdFrom` accepts them: safe to log and to key a record by. */
export const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The ids that can be read from a shipping message body, even a malformed one. */
export interface ReadableIds {
  readonly orderId?: string;
  readonly correlationId?: string;
}

/**
 * Reads the order and correlation ids of a body: from a valid message as they are, else from whatever
 * `order` object the JSON holds, when well-formed. Never throws (for logs, DLQ records and tracing).
 */
export function readableIds(body: string): ReadableIds {
  try {
    const { order } = parseShippingMessage(body);
    return { orderId: order.orderId, correlationId: order.correlationId };
  } catch {
    // Fall through to a partial read.
  }
  try {
    const json = JSON.parse(body) as { order?: { orderId?: unknown; correlationId?: unknown } } | null;
    const orderId = json?.order?.orderId;
    const correlationId = json?.order?.correlationId;
    return {
      orderId: typeof orderId === 'string' && WELL_FORMED_ID.test(orderId) ? orderId : undefined,
      correlationId:
        typeof correlationId === 'string' && WELL_FORMED_ID.test(correlationId) ? correlationId : undefined,
    };
  } catch {
    return {};
  }
}

export interface ShipOrderDeps {
  readonly region: string;
  readonly shipments: ShipmentRepository;
  readonly publisher: EventPublisher;
  readonly callbacks: TaskCallbacks;
  readonly injector: FailureInjector;
  readonly clock: Clock;
}

/** The order was shipped (now or by an earlier attempt) and the saga told so. */
export interface ShippedResult {
  readonly outcome: 'shipped';
  readonly shipment: Shipment;
  /** False when an earlier attempt (or another consumer) had already created it. */
  readonly created: boolean;
  readonly callback: TaskCallbackOutcome;
  readonly injection: InjectionDecision;
}

/** The order's shipment was cancelled (or fenced by a marker): nothing shipped, the saga told so. */
export interface RefusedCancelledResult {
  readonly outcome: 'cancelled';
  readonly record: ShipmentRecord;
  readonly callback: TaskCallbackOutcome;
  readonly injection: InjectionDecision;
}

export type ShipOrderResult = ShippedResult | RefusedCancelledResult;

/** The output the saga's "create shipment" state receives. */
export function taskOutput(s: Shipment): { shipmentId: string; carrier: string; trackingNumber: string } {
  return { shipmentId: s.shipmentId, carrier: s.carrier, trackingNumber: s.trackingNumber };
}

/**
 * Ships one order: failure injection, an idempotent shipment write, ShipmentCreated (deterministic id)
 * and the saga's task token completed. Every step is safe to repeat, so a failed attempt is simply retried.
 *
 * The conditional write finds a CANCELLED item when compensation got there first (a cancellation
 * marker, or a shipment cancelled after a previous delivery): then nothing is shipped or announced, and
 * the waiting task, if still live, fails with `ShipmentCancelledError`. That outcome is final, not an
 * error of this attempt: the message is done with, so it neither loops through retries nor reaches the DLQ.
 */
export async function shipOrder(deps: ShipOrderDeps, message: ShippingMessage): Promise<ShipOrderResult> {
  const { order, taskToken } = message;
  assertHomeRegion(order, deps.region);

  const injection = await deps.injector.decide();
  if (injection.fail) {
    throw new InjectedShippingFailureError(
      `injected shipping failure for ${order.orderId} (rate ${injection.rate}, ${injection.source})`,
    );
  }

  const { record, created } = await deps.shipments.createIfAbsent(
    planShipment(order, new Date(deps.clock.now())),
  );

  if (isCancellationMarker(record) || record.status === 'CANCELLED') {
    const refusal = new ShipmentCancelledError(order.orderId);
    const callback = await deps.callbacks.fail(taskToken, refusal.name, refusal.message);
    return { outcome: 'cancelled', record, callback, injection };
  }
  const shipment = record;

  await deps.publisher.publish([
    createEvent({
      id: `${order.orderId}:ShipmentCreated`,
      type: 'ShipmentCreated',
      source: 'meridian.shipping',
      region: deps.region,
      correlationId: order.correlationId,
      time: new Date(shipment.createdAt),
      data: {
        orderId: order.orderId,
        shipmentId: shipment.shipmentId,
        carrier: shipment.carrier,
        trackingNumber: shipment.trackingNumber,
      },
    }),
  ]);

  const callback = await deps.callbacks.succeed(taskToken, taskOutput(shipment));
  return { outcome: 'shipped', shipment, created, callback, injection };
}

/** The order's items are written by its home region only; a message for another region is misrouted. */
function assertHomeRegion(order: SagaOrder, region: string): void {
  if (order.homeRegion !== region) {
    throw new NotOwnerRegionError(`order ${order.orderId}`, order.homeRegion, region);
  }
}
