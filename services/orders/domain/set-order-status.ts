import type { Clock } from '../../shared/clock';
import type { EventPublisher } from '../../shared/events';
import type { OrderStatus, SetStatusInput } from '../../shared/saga';
import {
  InvalidStatusTransitionError,
  OrderCancelledError,
  OrderHomedElsewhereError,
  OrderNotFoundError,
  OrderOwnershipUnsettledError,
  OrderTakenOverError,
  OrderUpdateConflictError,
} from './errors';
import { decideStatus, failureReasonOf, isForwardStatus, type Order, type Takeover } from './order';
import { statusChanged } from './order-events';
import type { OrderRepository, PeerOrders, PeerReplica } from './ports';

export interface SetOrderStatusDeps {
  readonly orders: OrderRepository;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly region: string;
  /**
   * The peer regions' replicas. Without them, only the local replica is consulted: no ownership check
   * before RESERVED and no look for takeovers this region has not received yet.
   */
  readonly peers?: PeerCheck;
}

/** How the step consults the peer regions' replicas. */
export interface PeerCheck {
  readonly replicas: PeerOrders;
  /**
   * After how long without an update an order may have been taken over (half the grace period: room for
   * clock skew); only such an order is looked up in the peers on its later moves.
   */
  readonly staleAfterMs: number;
  /**
   * How long the first move out of PENDING waits for every reachable peer replica to hold the order as this
   * region's. A peer that still lacks it after this (replication stalled) no longer holds the order up;
   * a peer that holds it as its own makes the step fail as OrderOwnershipUnsettledError, which the saga
   * retries. @default 4000
   */
  readonly settleTimeoutMs?: number;
  /** Pause between two reads of the peers while waiting. @default 100 */
  readonly pollMs?: number;
  /** Waits `ms` (tests move a manual clock instead). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told when the order moved out of PENDING although these peers had not received it (replication stalled). */
  readonly onUnconfirmed?: (orderId: string, peers: readonly string[]) => void;
}

/** Reason recorded when the saga fails an order without saying why. */
const UNSPECIFIED_FAILURE = 'unspecified failure';

/**
 * The saga's set-status step. Applies the lifecycle rules of `decideStatus` with a write conditioned on
 * the status it read and on ownership (single writer), re-reading once after a lost race. A retry of a
 * step that already succeeded is a no-op that re-publishes the same (deterministic-id) events, so a
 * crash between the write and the publish loses nothing.
 */
export class SetOrderStatus {
  constructor(private readonly deps: SetOrderStatusDeps) {}

  async execute(input: SetStatusInput): Promise<{ orderId: string; status: OrderStatus }> {
    const { deps } = this;
    for (let attempt = 0; attempt < 2; attempt++) {
      // The marker comes with the order in one read (same partition), so the check costs nothing extra.
      const { order, takeover } = await deps.orders.getWithTakeover(input.orderId);
      if (!order) throw new OrderNotFoundError(input.orderId);
      if (order.ownerRegion !== deps.region) {
        throw new OrderHomedElsewhereError(order.orderId, order.ownerRegion, deps.region);
      }
      const correlationId = input.correlationId ?? order.correlationId;
      const at = new Date(deps.clock.now());
      const decision = decideStatus(order.status, input.status);

      switch (decision.action) {
        case 'noop': {
          const previous = order.statusHistory.at(-2)?.status;
          if (previous) {
            await deps.publisher.publish(
              statusChanged(order, previous, deps.region, correlationId, at, lastReason(order)),
            );
          }
          return { orderId: order.orderId, status: order.status };
        }
        case 'refuse-cancelled':
          throw new OrderCancelledError(order.orderId, input.status);
        case 'invalid':
          throw new InvalidStatusTransitionError(order.orderId, order.status, input.status);
        case 'move': {
          // The saga's first write of the order, whatever it is (RESERVED, or FAILED when the reservation
          // failed), waits until no peer holds the order as its own (docs/decisions/003).
          const peerTakeover =
            order.status === 'PENDING' ? await this.settleOwnership(order.orderId) : undefined;
          // A surviving region took the order over while this region was unavailable: moving it forward
          // would fulfil an order the customer was told had failed. FULFILLED is past the point of no
          // return (the goods left), so only RESERVED, PAID and SHIPPED are refused (docs/decisions/007).
          if (isForwardStatus(decision.to) && decision.to !== 'FULFILLED') {
            const decided =
              takeover ??
              (order.status === 'PENDING' ? peerTakeover : await this.remoteTakeover(order, at.getTime()));
            if (decided) throw new OrderTakenOverError(order.orderId, decided.takenOverBy, decision.to);
          }
          const reason = reasonFor(decision.to, order, failureReasonOf(input.reason));
          const updated = await deps.orders.changeStatus({
            orderId: order.orderId,
            from: order.status,
            to: decision.to,
            ownerRegion: deps.region,
            entry: { status: decision.to, at: at.toISOString(), ...(reason !== undefined ? { reason } : {}) },
            updatedAt: at.toISOString(),
            ...(decision.to === 'FAILED' ? { failureReason: reason ?? UNSPECIFIED_FAILURE } : {}),
          });
          if (!updated) continue;
          await deps.publisher.publish(
            statusChanged(updated, order.status, deps.region, correlationId, at, reason),
          );
          return { orderId: updated.orderId, status: updated.status };
        }
      }
    }
    throw new OrderUpdateConflictError(input.orderId);
  }

  /**
   * Only an order left untouched long enough can have been taken over, and only then is a peer asked:
   * after an outage this region's saga resumes before its replica has caught up with the markers its
   * peers wrote meanwhile. A peer that cannot be asked does not block the order: if it decided, its
   * marker arrives later and the order reads as taken over, then fulfilled (a reported false failure).
   */
  private async remoteTakeover(order: Order, now: number): Promise<Takeover | undefined> {
    const check = this.deps.peers;
    if (!check || now - Date.parse(order.updatedAt) < check.staleAfterMs) return undefined;
    return takeoverIn(await check.replicas.read(order.orderId));
  }

  /**
   * The ownership gate before the saga's first write of the order (docs/decisions/003). One Idempotency-Key
   * sent to two regions before either's order replicated makes both create the order as their own; last
   * writer wins then keeps one of them, but each region's saga would otherwise go on to charge, and a region
   * back from an outage would overwrite the peer's newer copy with its first write. So before the first move
   * out of PENDING (RESERVED, after which the payment comes, or FAILED) every reachable peer replica must
   * hold the order as this region's: a peer
   * that holds it as its own is a rival (wait until replication settles it: this replica turns to the
   * rival, and this saga stands down having charged nothing, or the peer's turns to us); a peer that lacks
   * it could still create its own (wait for replication, up to the settle timeout). A peer that cannot be
   * asked does not block the order. Returns a takeover marker found on the way, if any.
   */
  private async settleOwnership(orderId: string): Promise<Takeover | undefined> {
    const { deps } = this;
    const check = deps.peers;
    if (!check) return undefined;
    const deadline = deps.clock.now() + (check.settleTimeoutMs ?? 4_000);
    const sleep = check.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (;;) {
      const replicas = await check.replicas.read(orderId);
      const takeover = takeoverIn(replicas);
      if (takeover) return takeover;
      const rivals = replicas.filter(
        (p) => p.reachable && p.ownerRegion !== undefined && p.ownerRegion !== deps.region,
      );
      const lacking = replicas.filter((p) => p.reachable && p.ownerRegion === undefined);
      if (rivals.length === 0 && lacking.length === 0) return undefined;
      if (deps.clock.now() >= deadline) {
        if (rivals.length > 0) {
          throw new OrderOwnershipUnsettledError(
            orderId,
            rivals.map((p) => p.region),
          );
        }
        check.onUnconfirmed?.(
          orderId,
          lacking.map((p) => p.region),
        );
        return undefined;
      }
      await sleep(check.pollMs ?? 100);
      if (rivals.length === 0) continue;
      // Replication may have settled the rivalry against this region meanwhile.
      const { order } = await deps.orders.getWithTakeover(orderId);
      if (!order) throw new OrderNotFoundError(orderId);
      if (order.ownerRegion !== deps.region) {
        throw new OrderHomedElsewhereError(orderId, order.ownerRegion, deps.region);
      }
    }
  }
}

function takeoverIn(replicas: readonly PeerReplica[]): Takeover | undefined {
  for (const p of replicas) if (p.reachable && p.takeover) return p.takeover;
  return undefined;
}

/** A cancellation keeps the customer's reason; a failure must have one. */
function reasonFor(to: OrderStatus, order: Order, given: string | undefined): string | undefined {
  if (to === 'CANCELLED') return order.cancellationReason ?? given;
  if (to === 'FAILED') return given ?? UNSPECIFIED_FAILURE;
  return given;
}

function lastReason(order: Order): string | undefined {
  return order.statusHistory.at(-1)?.reason;
}
