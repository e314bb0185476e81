import type { Context, SQSBatchResponse } from 'aws-lambda';
import { lambdaContext } from '../../../../services/shared/lambda';
import {
  sagaInputSchema,
  type OrderStatus,
  type SagaOrder,
  type SetStatusInput,
  type StepInput,
} from '../../../../services/shared/saga';
import type { NotifyInput } from '../../../../services/notifications/domain/notify-customer';
import type { Platform } from './platform';
import type { TaskOutcome } from './fakes';

/** Time a state takes, so status-history entries and event times are strictly ordered. */
const STATE_DURATION_MS = 1_000;

/**
 * Plays the order saga's state machine (to be defined in CDK) for one execution. Each method is one
 * state: it builds exactly the input that state passes — `{ order }`, `{ order, taskToken }`,
 * `{ order, reason }`, `{ orderId, correlationId, status, reason? }`, `{ order, template, reason? }` —
 * and invokes the real step handler. A thrown error is what the state's Catch matches on (its `name`
 * is the Lambda errorType), so tests assert on it directly.
 */
export class SagaExecution {
  /** The order as the execution's input carries it. */
  readonly order: SagaOrder;

  /** Starts from the input the orders service gave StartExecution; it must satisfy the saga's schema. */
  constructor(
    private readonly platform: Platform,
    input: unknown,
  ) {
    this.order = sagaInputSchema.parse(input).order;
  }

  /** Moves the clock by one state's duration and gives the state's Lambda its context. */
  private enterState(name: string): Context {
    this.platform.clock.advance(STATE_DURATION_MS);
    return lambdaContext(name);
  }

  private step(reason?: string): StepInput {
    return { order: this.order, ...(reason !== undefined ? { reason } : {}) };
  }

  /** Task: reserve stock. */
  reserveStock() {
    return this.platform.inventory.reserveStock(this.step(), this.enterState('reserve-stock'));
  }

  /** Task: set the order's status (forward path and compensation alike). */
  setStatus(status: OrderStatus, reason?: string) {
    const input: SetStatusInput = {
      orderId: this.order.orderId,
      correlationId: this.order.correlationId,
      status,
      ...(reason !== undefined ? { reason } : {}),
    };
    this.enterState('set-order-status');
    return this.platform.orders.setOrderStatus(input);
  }

  /**
   * Task `.waitForTaskToken`: authorize payment. Returns the attempt's token, what the Lambda returned,
   * and how the token's task ended when the Lambda returned (the webhook may already have completed it).
   */
  async authorizePayment(): Promise<{
    taskToken: string;
    result: Awaited<ReturnType<Platform['payments']['authorizePayment']>>;
    outcome: TaskOutcome | undefined;
  }> {
    const taskToken = this.platform.tokens.issue('AuthorizePayment');
    const result = await this.platform.payments.authorizePayment(
      { ...this.step(), taskToken },
      this.enterState('authorize-payment'),
    );
    return { taskToken, result, outcome: this.platform.tokens.outcomeOf(taskToken) };
  }

  /** Task: capture payment. */
  capturePayment() {
    return this.platform.payments.capturePayment(this.step(), this.enterState('capture-payment'));
  }

  /** Task: commit stock. */
  commitStock() {
    return this.platform.inventory.commitStock(this.step(), this.enterState('commit-stock'));
  }

  /**
   * Task `sqs:sendMessage.waitForTaskToken`: create shipment. The state puts `{ order, taskToken }` on
   * the shipping queue and waits for the token.
   */
  async createShipment(): Promise<{ taskToken: string; messageId: string }> {
    const taskToken = this.platform.tokens.issue('CreateShipment');
    this.enterState('create-shipment');
    const { messageId } = await this.platform.shippingQueue.send({
      body: JSON.stringify({ order: this.order, taskToken }),
      orderId: this.order.orderId,
    });
    return { taskToken, messageId };
  }

  /** The queue delivers a shipping message to the consumer (again, for a redelivery). */
  deliverShippingMessage(messageId: string): Promise<SQSBatchResponse> {
    return this.platform.shipping.consumer(
      this.platform.shippingQueue.receive(messageId),
      this.enterState('shipping-consumer'),
    );
  }

  /** Task: notify the customer of the outcome. */
  notify(template: NotifyInput['template'], reason?: string) {
    const input: NotifyInput = {
      order: this.order,
      template,
      ...(reason !== undefined ? { reason } : {}),
    };
    this.enterState('notify');
    return this.platform.notifications.notify(input);
  }

  /** Compensation: cancel shipment. */
  cancelShipment(reason: string) {
    this.enterState('cancel-shipment');
    return this.platform.shipping.cancelShipment(this.step(reason));
  }

  /** Compensation: refund (or void) payment. */
  refundPayment(reason: string) {
    return this.platform.payments.refundPayment(this.step(reason), this.enterState('refund-payment'));
  }

  /** Compensation: release stock. */
  releaseStock(reason: string) {
    return this.platform.inventory.releaseStock(this.step(reason), this.enterState('release-stock'));
  }
}

/** The reason a Catch hands to compensation: the error name and its cause, as the state machine records them. */
export function failureReason(failure: { readonly error: string; readonly cause: string }): string {
  return `${failure.error}: ${failure.cause}`;
}
