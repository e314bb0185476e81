import type { SQSEvent } from 'aws-lambda';
import type { EventEnvelope, EventPublisher, EventType } from '../../../../services/shared/events';
import type { SagaInput } from '../../../../services/shared/saga';
import type { SagaStarter } from '../../../../services/orders/domain/ports';
import type {
  AuthorizationOutput,
  CallbackResult,
  TaskCallbacks as PaymentTaskCallbacks,
} from '../../../../services/payments/domain/ports';
import type { WebhookDispatcher } from '../../../../services/payments/provider/domain/ports';
import type { WebhookEvent } from '../../../../services/payments/provider/domain/types';
import type {
  ShippingQueue,
  TaskCallbackOutcome,
  TaskCallbacks as ShippingTaskCallbacks,
} from '../../../../services/shipping/domain/ports';
import { sqsRecord } from './aws-events';

/**
 * One in-memory event bus shared by every service: it records each envelope as published, in order,
 * so a test can check what the services told each other (and hand envelopes on to consumers).
 */
export class EventBus implements EventPublisher {
  readonly published: EventEnvelope[] = [];

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    this.published.push(...events);
  }

  /** Envelopes of one type, in publication order. */
  ofType<T extends EventType>(type: T): EventEnvelope<T>[] {
    return this.published.filter((e): e is EventEnvelope<T> => e.type === type);
  }

  /** Envelopes about one order (every order event carries `data.orderId`). */
  aboutOrder(orderId: string): EventEnvelope[] {
    return this.published.filter((e) => (e.data as { orderId?: unknown }).orderId === orderId);
  }

  /** The envelope of a type, failing loudly when there is not exactly one distinct id. */
  single<T extends EventType>(type: T): EventEnvelope<T> {
    const distinct = new Set(this.ofType(type).map((e) => e.id));
    if (distinct.size !== 1) {
      throw new Error(
        `expected one distinct ${type} event, found ${distinct.size}: ${[...distinct].join(', ')}`,
      );
    }
    return this.ofType(type)[0] as EventEnvelope<T>;
  }
}

/** The orders service's saga starter with Step Functions' semantics: one execution per name (order id). */
export class RecordingSagaStarter implements SagaStarter {
  /** Every StartExecution input, including repeats. */
  readonly calls: SagaInput[] = [];
  readonly executions = new Map<string, SagaInput>();

  async start(input: SagaInput): Promise<'started' | 'already-started'> {
    this.calls.push(input);
    if (this.executions.has(input.order.orderId)) return 'already-started';
    this.executions.set(input.order.orderId, input);
    return 'started';
  }
}

/** How a `.waitForTaskToken` task ended. */
export type TaskOutcome =
  | { readonly kind: 'success'; readonly output: Readonly<Record<string, unknown>> }
  | { readonly kind: 'failure'; readonly error: string; readonly cause: string };

/**
 * Step Functions' task tokens: the state machine issues one per task attempt, and a token can be
 * completed once. A second completion, or one for a token never issued, is refused (`TaskTimedOut` /
 * `InvalidToken` in AWS), which each service's callback port reports in its own terms.
 */
export class FakeTaskTokens {
  private sequence = 0;
  private readonly issued = new Set<string>();
  private readonly outcomes = new Map<string, TaskOutcome>();
  /** Completions Step Functions refused, in arrival order. */
  readonly refused: { readonly token: string; readonly outcome: TaskOutcome }[] = [];

  /** A fresh token for one attempt of `state`. */
  issue(state: string): string {
    this.sequence += 1;
    const token = `${state}:task-token:${this.sequence}`;
    this.issued.add(token);
    return token;
  }

  /** How the token's task ended, if it has. */
  outcomeOf(token: string): TaskOutcome | undefined {
    return this.outcomes.get(token);
  }

  /** The payments service's TaskCallbacks port. */
  readonly payments: PaymentTaskCallbacks = {
    succeed: async (token: string, output: AuthorizationOutput): Promise<CallbackResult> =>
      this.complete(token, { kind: 'success', output: { ...output } }) ? 'delivered' : 'gone',
    fail: async (token: string, error: string, cause: string): Promise<CallbackResult> =>
      this.complete(token, { kind: 'failure', error, cause }) ? 'delivered' : 'gone',
  };

  /** The shipping service's TaskCallbacks port. */
  readonly shipping: ShippingTaskCallbacks = {
    succeed: async (token: string, output: Record<string, unknown>): Promise<TaskCallbackOutcome> =>
      this.complete(token, { kind: 'success', output: { ...output } })
        ? { outcome: 'sent' }
        : { outcome: 'stale', reason: 'TaskTimedOut: task already completed' },
    fail: async (token: string, error: string, cause: string): Promise<TaskCallbackOutcome> =>
      this.complete(token, { kind: 'failure', error, cause })
        ? { outcome: 'sent' }
        : { outcome: 'stale', reason: 'TaskTimedOut: task already completed' },
  };

  private complete(token: string, outcome: TaskOutcome): boolean {
    if (!this.issued.has(token) || this.outcomes.has(token)) {
      this.refused.push({ token, outcome });
      return false;
    }
    this.outcomes.set(token, outcome);
    return true;
  }
}

/**
 * The shipping queue: the saga's SQS `sendMessage.waitForTaskToken` state (and a re-drive) put bodies
 * on it; `receive` hands a message to the consumer as an SQS event, counting receives like SQS does.
 */
export class FakeShippingQueue implements ShippingQueue {
  private sequence = 0;
  readonly messages = new Map<string, { readonly body: string; receiveCount: number }>();

  async send(message: { body: string; orderId: string }): Promise<{ messageId: string }> {
    this.sequence += 1;
    const messageId = `msg-${this.sequence}`;
    this.messages.set(messageId, { body: message.body, receiveCount: 0 });
    return { messageId };
  }

  /** Delivers the message (again) as the event source mapping would. */
  receive(messageId: string): SQSEvent {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`no message ${messageId} on the shipping queue`);
    message.receiveCount += 1;
    return { Records: [sqsRecord(messageId, message.body, message.receiveCount)] };
  }
}

/** Keeps every webhook the provider sends, then hands it to the real dispatcher (HTTP). */
export class RecordingDispatcher implements WebhookDispatcher {
  readonly sent: WebhookEvent[] = [];

  constructor(private readonly next: WebhookDispatcher) {}

  async dispatch(event: WebhookEvent): Promise<void> {
    this.sent.push(event);
    await this.next.dispatch(event);
  }
}
