import type { OrderStatus, SagaInput } from '../../shared/saga';
import type { Order, StatusHistoryEntry, Takeover } from './order';

/** The record that binds an Idempotency-Key to one request fingerprint and one order id. */
export interface IdempotencyRecord {
  readonly key: string;
  /** sha256 of the canonical JSON of the validated request body. */
  readonly fingerprint: string;
  readonly orderId: string;
  readonly ownerRegion: string;
  readonly createdAt: string;
  /** Epoch seconds after which the record is void (and removed by TTL). */
  readonly expiresAt: number;
}

/** Port: Idempotency-Key records. */
export interface IdempotencyStore {
  /**
   * Writes `record` unless a record for its key exists; returns the existing record otherwise.
   * `nowEpochSeconds` lets an expired record (TTL deletion lags) count as absent, but only when it is
   * owned by `record.ownerRegion`: another region's record is never overwritten (single writer).
   */
  claim(
    record: IdempotencyRecord,
    nowEpochSeconds: number,
  ): Promise<{ readonly claimed: true } | { readonly claimed: false; readonly existing: IdempotencyRecord }>;
}

/** A conditional status change: applied only if the order is still `from` and owned by `ownerRegion`. */
export interface StatusChange {
  readonly orderId: string;
  readonly from: OrderStatus;
  readonly to: OrderStatus;
  readonly ownerRegion: string;
  readonly entry: StatusHistoryEntry;
  readonly updatedAt: string;
  readonly failureReason?: string;
  readonly cancellationReason?: string;
}

/** A page of a customer's orders, newest first. */
export interface OrderPage {
  readonly items: readonly Order[];
  /** Opaque token for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

/** Port: order storage. */
export interface OrderRepository {
  /** Creates the order unless it exists; returns the stored order either way. */
  create(order: Order): Promise<{ readonly created: boolean; readonly order: Order }>;
  /** A strongly consistent read of this region's replica. */
  get(orderId: string): Promise<Order | undefined>;
  /** Orders of a customer, newest first. Throws InvalidCursorError for a cursor it did not issue. */
  listByCustomer(customerId: string, limit: number, cursor?: string): Promise<OrderPage>;
  /** Applies `change` if its condition holds; returns the updated order, or undefined if it did not hold. */
  changeStatus(change: StatusChange): Promise<Order | undefined>;
  /** The order and its takeover marker, if any, in one strongly consistent read of this region's replica. */
  getWithTakeover(orderId: string): Promise<{ readonly order?: Order; readonly takeover?: Takeover }>;
  /**
   * Orders of `homeRegion` that are not terminal and were last updated before `updatedBefore` (ISO),
   * oldest first, at most `limit` (an eventually consistent index read: re-read before acting).
   */
  listStale(homeRegion: string, updatedBefore: string, limit: number, cursor?: string): Promise<OrderPage>;
}

/** Port: takeover markers and the watches that time a peer region's unavailability (docs/decisions/007). */
export interface TakeoverStore {
  /** The marker of an order, if any. */
  get(orderId: string): Promise<Takeover | undefined>;
  /** Records that OrderTakenOver was published for the marker (written by `survivor`). */
  markPublished(orderId: string, survivor: string, at: string): Promise<void>;
  /** Writes the marker unless one exists; returns the stored marker either way. */
  create(takeover: Takeover): Promise<{ readonly created: boolean; readonly takeover: Takeover }>;
  /**
   * Starts watching `home` from `observer` (since `at`) unless a watch exists; returns since when the
   * observer has seen it unhealthy.
   */
  startWatch(observer: string, home: string, at: string): Promise<{ readonly unhealthySince: string }>;
  /** Ends the watch, if any (the home region is healthy again). */
  endWatch(observer: string, home: string): Promise<void>;
}

/**
 * What one peer region's own replica holds of an order, read there (strongly consistent): the region that
 * replica says owns the order (absent while the order has not replicated there) and any takeover marker.
 */
export type PeerReplica =
  | {
      readonly region: string;
      readonly reachable: true;
      readonly ownerRegion?: string;
      readonly takeover?: Takeover;
    }
  | { readonly region: string; readonly reachable: false };

/**
 * Port: an order as each peer region's own replica holds it, read there. Used to confirm that no peer
 * created the same order for itself (one Idempotency-Key sent to two regions, docs/decisions/003) and to
 * find takeover markers a region back from an outage has not received yet (docs/decisions/007).
 */
export interface PeerOrders {
  /** One answer per peer; a peer that cannot be asked is `reachable: false`. */
  read(orderId: string): Promise<readonly PeerReplica[]>;
}

/** Port: whether Route 53 routes to each region (its health check), as seen now. */
export interface RegionHealth {
  /** Per region: true healthy, false unhealthy, undefined unknown (no check found, or it could not be read). */
  check(regions: readonly string[]): Promise<ReadonlyMap<string, boolean | undefined>>;
}

/** Port: starts the order saga. Starting twice for one order must be harmless. */
export interface SagaStarter {
  start(input: SagaInput): Promise<'started' | 'already-started'>;
}

/** Port: one dependency checked by GET /health. */
export interface HealthProbe {
  /** The key under `checks` in the health response (`table`, `bus`, `stateMachine`). */
  readonly name: string;
  /** Resolves when the dependency answers; should stop work when `signal` aborts. */
  probe(signal: AbortSignal): Promise<void>;
}
