import type { SagaOrder, StepInput } from '../../shared/saga';
import { SAGA_ERRORS } from '../../shared/saga';
import { recordDecision, type DecisionDeps } from './decision';
import { MissingTaskTokenError, PaymentOwnershipError } from './errors';
import { chargeKey, isCompensated, type PaymentRecord } from './payment';
import type { CallbackResult, PaymentProvider, ProviderCharge, TaskCallbacks } from './ports';
import { releaseCharge } from './release-charge';

export interface AuthorizePaymentDeps extends DecisionDeps {
  readonly provider: PaymentProvider;
  readonly callbacks: TaskCallbacks;
}

/** How the step left the saga's task. */
export interface AuthorizePaymentResult {
  readonly orderId: string;
  /** The order's charge; absent when compensation had closed the payment before any charge existed. */
  readonly chargeId?: string;
  /** The charge's status at the provider when the step finished. */
  readonly chargeStatus?: ProviderCharge['status'];
  /** `webhook`: the saga waits for the provider's webhook; `step`: the step answered the task itself. */
  readonly completedBy: 'webhook' | 'step';
  readonly callback?: CallbackResult;
  /**
   * True when compensation had already closed the payment (VOIDED / REFUNDED): the step created no charge,
   * or gave back the one it had just created, and failed its task.
   */
  readonly compensated?: boolean;
}

/**
 * The saga's payment step (`.waitForTaskToken`). It stores the task token BEFORE asking the provider
 * for a charge, so the webhook — however soon it comes — always finds the token to resume. The charge's
 * idempotency key is the order id: a retried step gets the same charge, never a second one, and if that
 * charge was already decided (its webhook consumed with the previous token) the step answers the new
 * token itself.
 *
 * A step can stall and outlive its task: the saga times it out and compensates while the step still runs.
 * So the step asks for a charge only while the payment is AUTHORIZING (the token write is conditional on
 * the payment not being compensated), and if compensation closes the payment while the charge is being
 * created, the step gives that charge back itself — no charge holds money for a compensated order.
 */
export class AuthorizePayment {
  constructor(private readonly deps: AuthorizePaymentDeps) {}

  async execute(input: StepInput): Promise<AuthorizePaymentResult> {
    const { order, taskToken } = input;
    if (!taskToken) throw new MissingTaskTokenError();
    if (order.homeRegion !== this.deps.region) {
      throw new PaymentOwnershipError(order.orderId, order.homeRegion, this.deps.region);
    }
    const record = await this.deps.repository.beginAuthorization({
      orderId: order.orderId,
      taskToken,
      amountMinor: order.totalMinor,
      currency: order.currency,
      correlationId: order.correlationId,
    });
    if (isCompensated(record.status)) {
      // Compensation ran first (this step stalled, or is a late retry): charging now would hold money for
      // an order that has failed. No provider call.
      const callback = await this.deps.callbacks.fail(
        taskToken,
        SAGA_ERRORS.paymentDeclined,
        `payment_${record.status.toLowerCase()}`,
      );
      return {
        orderId: order.orderId,
        ...(record.chargeId && { chargeId: record.chargeId }),
        completedBy: 'step',
        callback,
        compensated: true,
      };
    }

    const charge =
      record.status === 'AUTHORIZING' ? await this.createCharge(order) : await this.existingCharge(record);
    const attached = await this.deps.repository.attachCharge(order.orderId, charge.chargeId);
    if (isCompensated(attached.status)) {
      // Compensation closed the payment while the charge was being created: give it back.
      return this.giveBack(order.orderId, taskToken, charge.chargeId);
    }

    const base = { orderId: order.orderId, chargeId: charge.chargeId, chargeStatus: charge.status };
    const { callbacks } = this.deps;
    switch (charge.status) {
      case 'pending':
        return { ...base, completedBy: 'webhook' };
      case 'authorized':
      case 'captured': {
        const decided = await recordDecision(this.deps, order.orderId, {
          kind: 'authorized',
          chargeId: charge.chargeId,
        });
        if (!decided.applied && isCompensated(decided.status)) {
          return this.giveBack(order.orderId, taskToken, charge.chargeId);
        }
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

  private createCharge(order: SagaOrder): Promise<ProviderCharge> {
    return this.deps.provider.createCharge({
      idempotencyKey: chargeKey(order.orderId),
      amountMinor: order.totalMinor,
      currency: order.currency,
      ...(order.paymentToken !== undefined && { token: order.paymentToken }),
      metadata: { orderId: order.orderId, correlationId: order.correlationId },
    });
  }

  /** A decided payment's charge, read (a retried step after the decision creates nothing). */
  private async existingCharge(record: PaymentRecord): Promise<ProviderCharge> {
    if (!record.chargeId) {
      throw new Error(`payment of order ${record.orderId} is ${record.status} without a charge id`);
    }
    return this.deps.provider.getCharge(record.chargeId);
  }

  private async giveBack(
    orderId: string,
    taskToken: string,
    chargeId: string,
  ): Promise<AuthorizePaymentResult> {
    const released = await releaseCharge(this.deps.provider, orderId, chargeId);
    const callback = await this.deps.callbacks.fail(
      taskToken,
      SAGA_ERRORS.paymentDeclined,
      `charge_${released.status}`,
    );
    return {
      orderId,
      chargeId,
      chargeStatus: released.status,
      completedBy: 'step',
      callback,
      compensated: true,
    };
  }
}
