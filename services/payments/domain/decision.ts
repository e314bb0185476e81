import type { Clock } from '../../shared/clock';
import { createEvent, type EventPublisher } from '../../shared/events';
import { fromMinorUnits } from '../../shared/money';
import type { PaymentRecord } from './payment';
import type { PaymentRepository } from './ports';

/** The provider's verdict on an order's charge. */
export type Decision =
  | { readonly kind: 'authorized'; readonly chargeId: string }
  | { readonly kind: 'declined'; readonly chargeId: string; readonly declineCode: string };

export interface DecisionDeps {
  readonly repository: PaymentRepository;
  readonly publisher: EventPublisher;
  readonly region: string;
  readonly clock: Clock;
}

/** `applied`: the record now holds the decision (now or before); `stale`: it moved on, e.g. compensated. */
export type DecisionResult =
  | { readonly applied: true; readonly record: PaymentRecord }
  | { readonly applied: false; readonly status?: string };

/**
 * Records the provider's decision on the payment (AUTHORIZING → AUTHORIZED | DECLINED, conditionally) and
 * publishes PaymentAuthorized / PaymentDeclined. Whoever learns the decision first — webhook or retried
 * step — applies it; the other finds it applied and re-publishes under the same deterministic event id.
 */
export async function recordDecision(
  deps: DecisionDeps,
  orderId: string,
  decision: Decision,
): Promise<DecisionResult> {
  const target = decision.kind === 'authorized' ? 'AUTHORIZED' : 'DECLINED';
  let record = await deps.repository.transition(orderId, ['AUTHORIZING'], target, {
    chargeId: decision.chargeId,
    ...(decision.kind === 'declined' && { declineCode: decision.declineCode }),
  });
  if (!record) {
    const current = await deps.repository.get(orderId);
    if (!current || current.status !== target || current.chargeId !== decision.chargeId) {
      return { applied: false, ...(current && { status: current.status }) };
    }
    record = current;
  }
  const common = {
    source: 'meridian.payments' as const,
    region: deps.region,
    correlationId: record.correlationId,
    time: new Date(deps.clock.now()),
  };
  const event =
    decision.kind === 'authorized'
      ? createEvent({
          ...common,
          type: 'PaymentAuthorized',
          id: `${orderId}:PaymentAuthorized`,
          data: {
            orderId,
            chargeId: decision.chargeId,
            amount: fromMinorUnits(record.amountMinor),
            currency: record.currency,
          },
        })
      : createEvent({
          ...common,
          type: 'PaymentDeclined',
          id: `${orderId}:PaymentDeclined`,
          data: { orderId, chargeId: decision.chargeId, reason: decision.declineCode },
        });
  await deps.publisher.publish([event]);
  return { applied: true, record };
}
