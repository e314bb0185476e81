import type { ChargeChange, ChargeStatus, IdempotencyKeyRecord, LedgerCharge, WebhookEvent } from './types';

/** Port: the provider's durable ledger of charges and idempotency keys. */
export interface LedgerStore {
  /** Binds `record.key` unless it is already bound; returns the binding in force (the first one, ever). */
  claimKey(record: IdempotencyKeyRecord): Promise<IdempotencyKeyRecord>;
  /** The binding of a key, if any. */
  getKey(key: string): Promise<IdempotencyKeyRecord | undefined>;
  /** Stores `charge` unless a charge with its id exists; returns the stored charge. */
  insertCharge(charge: LedgerCharge): Promise<LedgerCharge>;
  /** The charge with this id, read consistently. */
  getCharge(chargeId: string): Promise<LedgerCharge | undefined>;
  /**
   * Applies `change` only if the charge's status is one of `from`; returns the updated charge, or
   * undefined when the condition did not hold (another writer got there first) or there is no charge.
   * @throws ChargeOwnershipError when the charge item belongs to another region (single writer per item).
   */
  updateCharge(
    chargeId: string,
    from: readonly ChargeStatus[],
    change: ChargeChange,
  ): Promise<LedgerCharge | undefined>;
}

/** Port: sends a webhook to the merchant. Rejects when delivery finally fails. */
export interface WebhookDispatcher {
  dispatch(event: WebhookEvent): Promise<void>;
}

/**
 * Port: decides when a webhook job runs. `schedule` resolves once the job is either done (immediate)
 * or handed over to run later (delayed). Jobs never reject: the provider catches their errors.
 */
export interface DeliveryScheduler {
  schedule(job: () => Promise<void>): Promise<void>;
}

/**
 * Port: randomness. `uniform` is a deterministic draw per key, so a retry — or the same request taken by
 * another region's copy of the provider — never flips an outcome. (Ids are derived from keys, not drawn.)
 */
export interface Randomness {
  /** A number in [0, 1) that depends only on the seed and `key`. */
  uniform(key: string): number;
}

/** Port: where the provider reports problems nobody is waiting for (failed deliveries). */
export interface ProviderDiagnostics {
  deliveryFailed(chargeId: string, error: unknown): void;
}
