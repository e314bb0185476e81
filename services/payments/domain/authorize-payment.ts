import { SAGA_ERRORS, type StepInput } from '../../shared/saga';
import { recordDecision, type DecisionDeps } from './decision';
import { MissingTaskTokenError, PaymentOwnershipError } from './errors';
import { chargeKey } from './payment';
import type { CallbackResult, PaymentProvider, ProviderCharge, TaskCallbacks } from './ports';

export interface AuthorizePaymentDeps extends DecisionDeps {
  readonly provider: PaymentProvider;
  readonly callbacks: TaskCallbacks;
}

/** How the step left the saga's task. */
export interface AuthorizePaymentResult {
  readonly orderId: string;
  readonly chargeId: string;
  /** The charge's status at the provider when the step finished. */
  readonly chargeStatus: ProviderCharge['status'];
  /** `webhook`: the saga waits for the provider's webhook; `step`: the step answered the task itself. */
  readonly completedBy: 'webhook' | 'step';
  readonly callback?: CallbackResult;
}

/**
 * The saga's payment step (`.waitForTaskToken`). It stores the task token BEFORE asking the provider
 * for a charge, so the webhook — however soon it comes — always finds the token to resume. The charge's
 * idempotency key is the order id: a retried step gets the same charge, never a second one, and if that
 * charge was already decided (its webhook consumed with the previous token) the step answers the new
 * token itself.
 */
export class AuthorizePayment {
  constructor(private readonly deps: AuthorizePaymentDeps) {}

  async execute(input: StepInput): Promise<AuthorizePaymentResult> {
    const { order, taskToken } = input;
    if (!taskToken) throw new MissingTaskTokenError();
    if (order.homeRegion !== this.deps.region) {
      throw new PaymentOwnershipError(order.orderId, order.homeRegion, this.deps.region);
    }
    await this.deps.repository.beginAuthorization({
      orderId: order.orderId,
      taskToken,
      amountMinor: order.totalMinor,
      currency: order.currency,
      correlationId: order.correlationId,
    });
    const charge = await this.deps.provider.createCharge({
      idempotencyKey: chargeKey(order.orderId),
      amountMinor: order.totalMinor,
      currency: order.currency,
      ...(order.paymentToken !== undefined && { token: order.paymentToken }),
      metadata: { orderId: order.orderId, correlationId: order.correlationId },
    });
    await this.deps.repository.attachCharge(order.orderId, charge.chargeId);

    const base = { orderId: order.orderId, chargeId: charge.chargeId, chargeStatus: charge.status };
    const { callbacks } = this.deps;
    switch (charge.status) {
      case 'pending':
        return { ...base, completedBy: 'webhook' };
      case 'authorized':
      case 'captured': {
        await recordDecision(this.deps, order.orderId, { kind: 'authorized', chargeId: charge.chargeId });
        const callback = await callbacks.succeed(taskToken, {
          chargeId: charge.chargeId,
          status: 'AUTHORIZED',
        });
        return { ...base, completedBy: 'step', callback };
      }
      case 'declined': {
        const declineCode = charge.declineCode ?? 'card_declined';
        await recordDecision(this.deps, order.orderId, {
          kind: 'declined',
          chargeId: charge.chargeId,
          declineCode,
        });
        const callback = await callbacks.fail(taskToken, SAGA_ERRORS.paymentDeclined, declineCode);
        return { ...base, completedBy: 'step', callback };
      }
      case 'refunded':
      case 'voided': {
        // The order's charge was already given back (compensation ran): it cannot pay for the order.
        const callback = await callbacks.fail(
          taskToken,
          SAGA_ERRORS.paymentDeclined,
          `charge_${charge.status}`,
        );
        return { ...base, completedBy: 'step', callback };
      }
    }
  }
}
