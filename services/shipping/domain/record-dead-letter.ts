import type { Clock } from '../../shared/clock';
import { MeridianError } from '../../shared/errors';
import { createEvent, type EventPublisher } from '../../shared/events';
import type { FailedOrderRepository } from './ports';
import { parseShippingMessage, readableIds } from './ship-order';

/** A message as the DLQ consumer receives it. */
export interface DeadLetterMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  /** A failure reason carried in the message attributes, when the sender put one there. */
  readonly reasonAttribute?: string;
}

export interface RecordDeadLetterDeps {
  readonly region: string;
  readonly failedOrders: FailedOrderRepository;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
}

export interface RecordDeadLetterResult {
  readonly orderId: string;
  /** The order's correlation id, when the body is readable enough to hold one. */
  readonly correlationId?: string;
  readonly outcome: 'created' | 'updated' | 'duplicate';
  readonly reason: string;
  readonly malformed: boolean;
}

/**
 * Records a dead-lettered shipping message as a failed order (re-drivable: it keeps the raw body) and
 * publishes ShipmentFailed for ops. It does not fail the saga: the saga keeps waiting until its task
 * timeout, so a re-drive within that window still fulfils the order.
 */
export async function recordDeadLetter(
  deps: RecordDeadLetterDeps,
  message: DeadLetterMessage,
): Promise<RecordDeadLetterResult> {
  const identity = identify(message);
  const reason =
    identity.malformedReason ??
    message.reasonAttribute ??
    `not processed after ${message.receiveCount} receive(s); moved to the dead-letter queue`;
  const failedAt = new Date(deps.clock.now()).toISOString();

  const outcome = await deps.failedOrders.recordDeadLetter({
    orderId: identity.orderId,
    messageId: message.messageId,
    body: message.body,
    reason,
    receiveCount: message.receiveCount,
    correlationId: identity.correlationId,
    failedAt,
  });

  // Published on duplicates too (same id), in case the first attempt stopped before publishing.
  await deps.publisher.publish([
    createEvent({
      id: `${identity.orderId}:ShipmentFailed:${message.messageId}`,
      type: 'ShipmentFailed',
      source: 'meridian.shipping',
      region: deps.region,
      correlationId: identity.correlationId ?? message.messageId,
      data: { orderId: identity.orderId, reason },
    }),
  ]);

  return {
    orderId: identity.orderId,
    ...(identity.correlationId ? { correlationId: identity.correlationId } : {}),
    outcome,
    reason,
    malformed: identity.malformedReason !== undefined,
  };
}

interface Identity {
  readonly orderId: string;
  readonly correlationId?: string;
  readonly malformedReason?: string;
}

/** Finds the order a body is about; a malformed body keeps its order and correlation ids when readable. */
function identify(message: DeadLetterMessage): Identity {
  try {
    const { order } = parseShippingMessage(message.body);
    return { orderId: order.orderId, correlationId: order.correlationId };
  } catch (err) {
    const detail =
      err instanceof MeridianError && err.fields?.length
        ? `${err.message}: ${err.fields.map((f) => `${f.path} ${f.message}`).join('; ')}`
        : (err as Error).message;
    const partial = readableIds(message.body);
    return {
      orderId: partial.orderId ?? `unknown-${message.messageId}`,
      correlationId: partial.correlationId,
      malformedReason: `malformed message: ${detail}`.slice(0, 1000),
    };
  }
}
