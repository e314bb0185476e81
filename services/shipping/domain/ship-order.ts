import { z } from 'zod';
import type { Clock } from '../../shared/clock';
import { createEvent, type EventPublisher } from '../../shared/events';
import { toFieldErrors } from '../../shared/http';
import { stepInputSchema, type SagaOrder } from '../../shared/saga';
import { InjectedShippingFailureError, MalformedShippingMessageError, NotOwnerRegionError } from './errors';
import type { FailureInjector, InjectionDecision } from './failure-injection';
import type { ShipmentRepository, TaskCallbackOutcome, TaskCallbacks } from './ports';
import { planShipment, type Shipment } from './shipment';

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

export interface ShipOrderDeps {
  readonly region: string;
  readonly shipments: ShipmentRepository;
  readonly publisher: EventPublisher;
  readonly callbacks: TaskCallbacks;
  readonly injector: FailureInjector;
  readonly clock: Clock;
}

export interface ShipOrderResult {
  readonly shipment: Shipment;
  /** False when an earlier attempt (or another consumer) had already created it. */
  readonly created: boolean;
  readonly callback: TaskCallbackOutcome;
  readonly injection: InjectionDecision;
}

/** The output the saga's "create shipment" state receives. */
export function taskOutput(s: Shipment): { shipmentId: string; carrier: string; trackingNumber: string } {
  return { shipmentId: s.shipmentId, carrier: s.carrier, trackingNumber: s.trackingNumber };
}

/**
 * Ships one order: failure injection, an idempotent shipment write, ShipmentCreated (deterministic id)
 * and the saga's task token completed. Every step is safe to repeat, so a failed attempt is simply retried.
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

  const { shipment, created } = await deps.shipments.createIfAbsent(
    planShipment(order, new Date(deps.clock.now())),
  );

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
  return { shipment, created, callback, injection };
}

/** The order's items are written by its home region only; a message for another region is misrouted. */
function assertHomeRegion(order: SagaOrder, region: string): void {
  if (order.homeRegion !== region) {
    throw new NotOwnerRegionError(`order ${order.orderId}`, order.homeRegion, region);
  }
}
