import type { Clock } from '../../shared/clock';
import { createEvent, type EventPublisher } from '../../shared/events';
import { fromMinorUnits } from '../../shared/money';
import type { StepInput } from '../../shared/saga';
import { PaymentOwnershipError } from './errors';
import { chargeKey, type PaymentRecord, type PaymentStatus } from './payment';
import type { PaymentProvider, PaymentRepository } from './ports';
import { releaseCharge } from './release-charge';

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

/** Statuses from which giving the charge back moves the record (VOIDED: a late charge found after the void). */
const GIVE_BACK_FROM: readonly PaymentStatus[] = ['AUTHORIZING', 'AUTHORIZED', 'CAPTURED', 'VOIDED'];

/** How many times compensation re-reads a payment that changed under it before letting the saga retry. */
const MAX_ROUNDS = 3;

/**
 * The saga's payment compensation: refunds a captured charge, voids an authorized or still-pending one
 * (so a late authorization cannot hold money for a failed order), and — when there is no charge yet —
 * closes the payment as VOIDED (creating the record if the authorization step never wrote it), so a
 * stalled or late authorization step stands down instead of charging. Idempotent; never throws for
 * "nothing to refund".
 */
export class RefundPayment {
  constructor(private readonly deps: RefundPaymentDeps) {}

  async execute(input: StepInput): Promise<RefundPaymentResult> {
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const result = await this.attempt(input);
      if (result) return result;
    }
    throw new Error(
      `payment of order ${input.order.orderId} changed under compensation ${MAX_ROUNDS} times; retry`,
    );
  }

  /** One pass over the payment as it stands; undefined when it changed under us and must be re-read. */
  private async attempt(input: StepInput): Promise<RefundPaymentResult | undefined> {
    const { order } = input;
    const { repository, provider, region } = this.deps;
    const record = await repository.get(order.orderId);
    if (!record) {
      // The authorization step never wrote here. Only the order's home region may write its payment.
      if (order.homeRegion !== region) return { outcome: 'NOTHING_TO_REFUND' };
      return this.closeUncharged(input);
    }
    if (record.ownerRegion !== region) {
      throw new PaymentOwnershipError(order.orderId, record.ownerRegion, region);
    }
    switch (record.status) {
      case 'DECLINED':
        return { outcome: 'NOTHING_TO_REFUND' };
      case 'REFUNDED': {
        if (!record.chargeId) return { outcome: 'NOTHING_TO_REFUND' };
        const refundedMinor = record.refundedMinor ?? record.amountMinor;
        // Re-published under its deterministic id, in case a previous attempt stopped before publishing.
        await this.publishRefunded(record, record.chargeId, refundedMinor);
        return { outcome: 'REFUNDED', chargeId: record.chargeId, refundedMinor };
      }
      case 'VOIDED':
      case 'AUTHORIZING': {
        // The step may have stopped between creating the charge and recording its id — or, for a payment
        // voided before it had a charge, a stalled step may have created one since: ask the provider.
        const chargeId =
          record.chargeId ?? (await provider.findChargeByIdempotencyKey(chargeKey(order.orderId)))?.chargeId;
        if (chargeId) return this.giveBack(record, chargeId);
        if (record.status === 'VOIDED') return { outcome: 'NOTHING_TO_REFUND' };
        return this.closeUncharged(input);
      }
      case 'AUTHORIZED':
      case 'CAPTURED':
        if (!record.chargeId)
          throw new Error(`payment of order ${order.orderId} is ${record.status} without a charge`);
        return this.giveBack(record, record.chargeId);
    }
  }

  /**
   * No charge exists: close the payment as VOIDED (conditionally: absent, or AUTHORIZING without a charge
   * id), so the authorization step — stalled or late — finds it closed and does not charge.
   */
  private async closeUncharged(input: StepInput): Promise<RefundPaymentResult | undefined> {
    const { order } = input;
    const closed = await this.deps.repository.voidUncharged({
      orderId: order.orderId,
      amountMinor: order.totalMinor,
      currency: order.currency,
      correlationId: order.correlationId,
    });
    // Lost a race (the step recorded a charge, a decision landed, the record appeared): read it again.
    return closed ? { outcome: 'NOTHING_TO_REFUND' } : undefined;
  }

  private async giveBack(record: PaymentRecord, chargeId: string): Promise<RefundPaymentResult> {
    const { orderId } = record;
    const charge = await releaseCharge(this.deps.provider, orderId, chargeId);
    switch (charge.status) {
      case 'refunded': {
        const refundedMinor = charge.refundedMinor ?? charge.amountMinor;
        await this.deps.repository.transition(orderId, GIVE_BACK_FROM, 'REFUNDED', {
          chargeId,
          refundedMinor,
        });
        await this.publishRefunded(record, chargeId, refundedMinor);
        return { outcome: 'REFUNDED', chargeId, refundedMinor };
      }
      case 'voided':
        if (record.status !== 'VOIDED' || record.chargeId !== chargeId) {
          await this.deps.repository.transition(orderId, GIVE_BACK_FROM, 'VOIDED', { chargeId });
        }
        return { outcome: 'VOIDED', chargeId };
      default:
        // Declined: it holds no money. (Pending, authorized and captured charges are never returned.)
        return { outcome: 'NOTHING_TO_REFUND', chargeId };
    }
  }

  private async publishRefunded(
    record: PaymentRecord,
    chargeId: string,
    refundedMinor: number,
  ): Promise<void> {
    const { orderId } = record;
    await this.deps.publisher.publish([
      createEvent({
        type: 'PaymentRefunded',
        id: `${orderId}:PaymentRefunded`,
        source: 'meridian.payments',
        region: this.deps.region,
        correlationId: record.correlationId,
        time: new Date(this.deps.clock.now()),
        data: { orderId, chargeId, amount: fromMinorUnits(refundedMinor), currency: record.currency },
      }),
    ]);
  }
}
