import type { Clock } from '../../shared/clock';
import { createEvent, type EventPublisher } from '../../shared/events';
import { fromMinorUnits } from '../../shared/money';
import type { StepInput } from '../../shared/saga';
import { PaymentNotCapturableError, PaymentNotFoundError, PaymentOwnershipError } from './errors';
import { captureKey } from './payment';
import type { PaymentProvider, PaymentRepository } from './ports';

export interface CapturePaymentDeps {
  readonly repository: PaymentRepository;
  readonly provider: PaymentProvider;
  readonly publisher: EventPublisher;
  readonly region: string;
  readonly clock: Clock;
}

/** What the saga receives from the capture step. */
export interface CapturePaymentResult {
  readonly chargeId: string;
  readonly capturedMinor: number;
}

/**
 * Captures an authorized payment (AUTHORIZED → CAPTURED) and publishes PaymentCaptured. Idempotent:
 * the provider key is `<orderId>:capture` and a captured payment is answered as it is.
 */
export class CapturePayment {
  constructor(private readonly deps: CapturePaymentDeps) {}

  async execute(input: StepInput): Promise<CapturePaymentResult> {
    const { orderId } = input.order;
    const record = await this.deps.repository.get(orderId);
    if (!record) throw new PaymentNotFoundError(orderId);
    if (record.ownerRegion !== this.deps.region) {
      throw new PaymentOwnershipError(orderId, record.ownerRegion, this.deps.region);
    }
    if (!record.chargeId || (record.status !== 'AUTHORIZED' && record.status !== 'CAPTURED')) {
      throw new PaymentNotCapturableError(orderId, record.status);
    }
    const charge = await this.deps.provider.capture(record.chargeId, captureKey(orderId));
    const capturedMinor = charge.capturedMinor ?? charge.amountMinor;
    const updated = await this.deps.repository.transition(orderId, ['AUTHORIZED'], 'CAPTURED', {
      capturedMinor,
    });
    if (!updated) {
      const current = await this.deps.repository.get(orderId);
      if (current?.status !== 'CAPTURED')
        throw new PaymentNotCapturableError(orderId, current?.status ?? 'missing');
    }
    await this.deps.publisher.publish([
      createEvent({
        type: 'PaymentCaptured',
        id: `${orderId}:PaymentCaptured`,
        source: 'meridian.payments',
        region: this.deps.region,
        correlationId: input.order.correlationId,
        time: new Date(this.deps.clock.now()),
        data: {
          orderId,
          chargeId: record.chargeId,
          amount: fromMinorUnits(capturedMinor),
          currency: charge.currency,
        },
      }),
    ]);
    return { chargeId: record.chargeId, capturedMinor };
  }
}
