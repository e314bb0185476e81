import type { Clock } from '../../shared/clock';
import type { EventPublisher } from '../../shared/events';
import type { OrderStatus, SetStatusInput } from '../../shared/saga';
import {
  InvalidStatusTransitionError,
  OrderCancelledError,
  OrderHomedElsewhereError,
  OrderNotFoundError,
  OrderTakenOverError,
  OrderUpdateConflictError,
} from './errors';
import { decideStatus, failureReasonOf, isForwardStatus, type Order, type Takeover } from './order';
import { statusChanged } from './order-events';
import type { OrderRepository, PeerTakeovers } from './ports';

export interface SetOrderStatusDeps {
  readonly orders: OrderRepository;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly region: string;
  /**
   * Where to look for a takeover this region's replica may not have received yet, and after how long
   * without an update an order may have been taken over (half the grace period: room for clock skew).
   * Without it, only the local replica is consulted.
   */
  readonly peerTakeovers?: { readonly peers: PeerTakeovers; readonly staleAfterMs: number };
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
          // A surviving region took the order over while this region was unavailable: moving it forward
          // would fulfil an order the customer was told had failed. FULFILLED is past the point of no
          // return (the goods left), so only RESERVED, PAID and SHIPPED are refused (docs/decisions/007).
          if (isForwardStatus(decision.to) && decision.to !== 'FULFILLED') {
            const decided = takeover ?? (await this.remoteTakeover(order, at.getTime()));
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
    const check = this.deps.peerTakeovers;
    if (!check || now - Date.parse(order.updatedAt) < check.staleAfterMs) return undefined;
    return (await check.peers.find(order.orderId)).takeover;
  }
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
