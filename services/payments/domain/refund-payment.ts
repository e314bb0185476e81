import type { Clock } from '../../shared/clock';
import { createEvent, type EventPublisher } from '../../shared/events';
import { fromMinorUnits } from '../../shared/money';
import type { StepInput } from '../../shared/saga';
import { PaymentOwnershipError } from './errors';
import { chargeKey, refundKey, type PaymentStatus } from './payment';
import type { PaymentProvider, PaymentRepository } from './ports';

export interface RefundPaymentDeps {
  readonly repository: PaymentRepository;
  readonly provider: PaymentProvider;
  readonly publisher: EventPublisher;
  readonly region: string;
  readonly clock: Clock;
}

/** What compensation did: money returned, a hold released, or nothing to give back. */
export interface RefundPaymentResult {
  readonly outcome: 'REFUNDED' | 'VOIDED' | 'NOTHING_TO_REFUND';
  readonly chargeId?: string;
  readonly refundedMinor?: number;
}

/** Statuses in which the order may hold money (or soon may: AUTHORIZING with a charge still pending). */
const REFUNDABLE: readonly PaymentStatus[] = ['AUTHORIZING', 'AUTHORIZED', 'CAPTURED'];

/**
 * The saga's payment compensation: refunds a captured charge, voids an authorized or still-pending one
 * (so a late authorization cannot hold money for a failed order), and does nothing when there is nothing
 * to give back. Idempotent; never throws for "nothing to refund".
 */
export class RefundPayment {
  constructor(private readonly deps: RefundPaymentDeps) {}

  async execute(input: StepInput): Promise<RefundPaymentResult> {
    const { orderId, correlationId } = input.order;
    const { repository, provider } = this.deps;
    const record = await repository.get(orderId);
    if (!record) return { outcome: 'NOTHING_TO_REFUND' };
    if (record.ownerRegion !== this.deps.region) {
      throw new PaymentOwnershipError(orderId, record.ownerRegion, this.deps.region);
    }
    if (record.status === 'REFUNDED' && record.chargeId) {
      const refundedMinor = record.refundedMinor ?? record.amountMinor;
      // Re-published under its deterministic id, in case a previous attempt stopped before publishing.
      await this.publishRefunded(orderId, correlationId, record.chargeId, refundedMinor, record.currency);
      return { outcome: 'REFUNDED', chargeId: record.chargeId, refundedMinor };
    }
    if (record.status === 'VOIDED')
      return { outcome: 'VOIDED', ...(record.chargeId && { chargeId: record.chargeId }) };
    if (!REFUNDABLE.includes(record.status)) return { outcome: 'NOTHING_TO_REFUND' };

    // The step may have stopped between creating the charge and recording its id: ask the provider.
    const chargeId =
      record.chargeId ?? (await provider.findChargeByIdempotencyKey(chargeKey(orderId)))?.chargeId;
    if (!chargeId) return { outcome: 'NOTHING_TO_REFUND' };
    const current = await provider.getCharge(chargeId);
    if (current.status === 'declined') return { outcome: 'NOTHING_TO_REFUND', chargeId };

    const charge = await provider.refund(chargeId, refundKey(orderId));
    if (charge.status === 'refunded') {
      const refundedMinor = charge.refundedMinor ?? charge.amountMinor;
      await repository.transition(orderId, REFUNDABLE, 'REFUNDED', { chargeId, refundedMinor });
      await this.publishRefunded(orderId, correlationId, chargeId, refundedMinor, charge.currency);
      return { outcome: 'REFUNDED', chargeId, refundedMinor };
    }
    await repository.transition(orderId, REFUNDABLE, 'VOIDED', { chargeId });
    return { outcome: 'VOIDED', chargeId };
  }

  private async publishRefunded(
    orderId: string,
    correlationId: string,
    chargeId: string,
    refundedMinor: number,
    currency: string,
  ): Promise<void> {
    await this.deps.publisher.publish([
      createEvent({
        type: 'PaymentRefunded',
        id: `${orderId}:PaymentRefunded`,
        source: 'meridian.payments',
        region: this.deps.region,
        correlationId,
        time: new Date(this.deps.clock.now()),
        data: { orderId, chargeId, amount: fromMinorUnits(refundedMinor), currency },
      }),
    ]);
  }
}
