import type { CancellationMarker, Shipment, ShipmentRecord } from './shipment';

/**
 * Port: shipments, one item per order (a shipment or a cancellation marker). Every state change is
 * conditional, and on an existing item conditional on `ownerRegion` being the writing region.
 */
export interface ShipmentRepository {
  /**
   * Stores `shipment` unless the order already has an item; returns the stored item either way (which
   * may be a CANCELLED shipment or a cancellation marker: callers must check before shipping).
   */
  createIfAbsent(shipment: Shipment): Promise<{ record: ShipmentRecord; created: boolean }>;
  get(orderId: string): Promise<ShipmentRecord | undefined>;
  /**
   * CREATED → CANCELLED, conditional on the status and on `region` owning the item; false when the
   * condition fails (absent, not CREATED, or owned by another region).
   */
  markCancelled(orderId: string, region: string, at: string): Promise<boolean>;
  /** Writes the marker unless the order already has an item; false when it has one. */
  putCancellationMarker(marker: CancellationMarker): Promise<boolean>;
}

export type FailedOrderStatus = 'OPEN' | 'REDRIVEN';

/** A message that landed on the shipping DLQ: what never shipped, kept so it can be re-driven. */
export interface FailedOrder {
  readonly orderId: string;
  readonly status: FailedOrderStatus;
  readonly reason: string;
  /** ApproximateReceiveCount of the latest DLQ delivery. */
  readonly receiveCount: number;
  /** DLQ deliveries recorded for this order (one per distinct message). */
  readonly attempts: number;
  /** The raw message body, re-sent as is by a re-drive. */
  readonly body: string;
  readonly correlationId?: string;
  readonly lastMessageId: string;
  readonly failedAt: string;
  readonly firstFailedAt: string;
  readonly redriveCount: number;
  readonly redrivenAt?: string;
  readonly ownerRegion: string;
  readonly updatedAt: string;
}

/** One DLQ delivery to record. */
export interface DeadLetter {
  readonly orderId: string;
  readonly messageId: string;
  readonly body: string;
  readonly reason: string;
  readonly receiveCount: number;
  readonly correlationId?: string;
  readonly failedAt: string;
}

/** A failed order claimed by one re-drive for a limited time (a lease), so concurrent re-drives send once. */
export interface RedriveClaim {
  readonly orderId: string;
  readonly claimId: string;
  readonly body: string;
  readonly correlationId?: string;
}

/** Port: failed-order records of this region. */
export interface FailedOrderRepository {
  /**
   * Records a DLQ delivery: creates an OPEN record, or updates (and re-opens) an existing one.
   * A repeated delivery of the same message changes nothing and reports `duplicate`.
   */
  recordDeadLetter(letter: DeadLetter): Promise<'created' | 'updated' | 'duplicate'>;
  /** This region's failed orders, oldest failure first. */
  list(opts: { status?: FailedOrderStatus; limit: number }): Promise<FailedOrder[]>;
  /** Claims an OPEN, unclaimed (or lease-expired) record; undefined when another re-drive holds it or it is not OPEN. */
  claimForRedrive(
    orderId: string,
    claimId: string,
    now: number,
    leaseMs: number,
  ): Promise<RedriveClaim | undefined>;
  /** OPEN → REDRIVEN for the holder of the claim; false if the claim was lost meanwhile. */
  markRedriven(orderId: string, claimId: string, at: string): Promise<boolean>;
  /** Gives a claim back (the send failed), so the next re-drive may try again at once. */
  releaseClaim(orderId: string, claimId: string, at: string): Promise<void>;
}

/** Port: the run-time failure-injection override of this region (absent → the deployed default). */
export interface FailureInjectionStore {
  get(): Promise<number | undefined>;
  /** Sets the override, or removes it with `null`. */
  set(rate: number | null, at: string): Promise<void>;
}

/** Outcome of completing a waiting saga task. */
export type TaskCallbackOutcome =
  { readonly outcome: 'sent' } | { readonly outcome: 'stale'; readonly reason: string };

/**
 * Port: completes a saga state waiting with `.waitForTaskToken`. A token that timed out, is invalid or
 * no longer exists is reported `stale`, not thrown.
 */
export interface TaskCallbacks {
  /** Completes the task with an output (SendTaskSuccess). */
  succeed(taskToken: string, output: Record<string, unknown>): Promise<TaskCallbackOutcome>;
  /** Fails the task with an error name the saga's Catch routes on (SendTaskFailure). */
  fail(taskToken: string, error: string, cause: string): Promise<TaskCallbackOutcome>;
}

/** Port: the shipping queue (re-drives send bodies back to it). */
export interface ShippingQueue {
  send(message: { body: string; orderId: string }): Promise<{ messageId: string }>;
}

/** A source of uniform numbers in [0, 1). */
export type RandomSource = () => number;
