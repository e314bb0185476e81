import type { EventEnvelope, EventPublisher } from '../../../../services/shared/events';
import type {
  AuthorizationOutput,
  CallbackResult,
  TaskCallbacks,
} from '../../../../services/payments/domain/ports';
import type {
  DeliveryScheduler,
  LedgerStore,
  WebhookDispatcher,
} from '../../../../services/payments/provider/domain/ports';
import type {
  ChargeChange,
  ChargeStatus,
  IdempotencyKeyRecord,
  LedgerCharge,
  WebhookEvent,
} from '../../../../services/payments/provider/domain/types';

/** An in-memory ledger with the same conditional semantics as the DynamoDB one. */
export class MemoryLedgerStore implements LedgerStore {
  readonly keys = new Map<string, IdempotencyKeyRecord>();
  readonly charges = new Map<string, LedgerCharge>();

  async claimKey(record: IdempotencyKeyRecord): Promise<IdempotencyKeyRecord> {
    const existing = this.keys.get(record.key);
    if (existing) return existing;
    this.keys.set(record.key, record);
    return record;
  }
  async getKey(key: string): Promise<IdempotencyKeyRecord | undefined> {
    return this.keys.get(key);
  }
  async insertCharge(charge: LedgerCharge): Promise<LedgerCharge> {
    const existing = this.charges.get(charge.chargeId);
    if (existing) return existing;
    this.charges.set(charge.chargeId, charge);
    return charge;
  }
  async getCharge(chargeId: string): Promise<LedgerCharge | undefined> {
    return this.charges.get(chargeId);
  }
  async updateCharge(
    chargeId: string,
    from: readonly ChargeStatus[],
    change: ChargeChange,
  ): Promise<LedgerCharge | undefined> {
    const current = this.charges.get(chargeId);
    if (!current || !from.includes(current.status)) return undefined;
    const updated = { ...current, ...change };
    this.charges.set(chargeId, updated);
    return updated;
  }
}

/** Records every webhook the provider sends. */
export class RecordingDispatcher implements WebhookDispatcher {
  readonly sent: WebhookEvent[] = [];
  async dispatch(event: WebhookEvent): Promise<void> {
    this.sent.push(event);
  }
}

/** Holds scheduled jobs until the test lets them run: the delivery mechanism's turn, without sleeping. */
export class ManualScheduler implements DeliveryScheduler {
  private readonly jobs: (() => Promise<void>)[] = [];
  async schedule(job: () => Promise<void>): Promise<void> {
    this.jobs.push(job);
  }
  get pending(): number {
    return this.jobs.length;
  }
  async runAll(): Promise<void> {
    while (this.jobs.length > 0) await this.jobs.shift()?.();
  }
}

/** Records published events. */
export class RecordingPublisher implements EventPublisher {
  readonly events: EventEnvelope[] = [];
  async publish(events: readonly EventEnvelope[]): Promise<void> {
    this.events.push(...events);
  }
  types(): string[] {
    return this.events.map((e) => e.type);
  }
}

export type Callback =
  | { readonly kind: 'success'; readonly token: string; readonly output: AuthorizationOutput }
  | { readonly kind: 'failure'; readonly token: string; readonly error: string; readonly cause: string };

/**
 * Behaves like Step Functions' task tokens: a token can be completed once; completing it again, or
 * completing a timed-out one, answers `gone`.
 */
export class FakeTaskCallbacks implements TaskCallbacks {
  readonly delivered: Callback[] = [];
  readonly gone: Callback[] = [];
  private readonly finished = new Set<string>();

  /** Marks a token as timed out (the saga's task gave up waiting). */
  timeOut(token: string): void {
    this.finished.add(token);
  }

  async succeed(token: string, output: AuthorizationOutput): Promise<CallbackResult> {
    return this.complete({ kind: 'success', token, output });
  }
  async fail(token: string, error: string, cause: string): Promise<CallbackResult> {
    return this.complete({ kind: 'failure', token, error, cause });
  }
  private complete(callback: Callback): CallbackResult {
    if (this.finished.has(callback.token)) {
      this.gone.push(callback);
      return 'gone';
    }
    this.finished.add(callback.token);
    this.delivered.push(callback);
    return 'delivered';
  }
}
