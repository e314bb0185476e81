import { randomUUID } from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { FailedOrder, FailedOrderRepository, FailedOrderStatus, ShippingQueue } from './ports';

export interface RedriveDeps {
  readonly failedOrders: FailedOrderRepository;
  readonly queue: ShippingQueue;
  readonly clock: Clock;
  /** Claim ids; injected so tests can tell re-drives apart. @default random UUIDs */
  readonly newClaimId?: () => string;
  /** How long a claim keeps other re-drives away (covers one send). @default 60000 */
  readonly leaseMs?: number;
}

export interface RedriveResult {
  readonly redriven: number;
  readonly orderIds: string[];
  /** Records whose send failed; they stay OPEN for the next re-drive. */
  readonly failed: { orderId: string; error: string }[];
  /** Every record this run claimed, with its order's correlation id: what per-record logs report. */
  readonly records: RedrivenRecord[];
}

/** One claimed record: sent (with the new message id) or not (with the error). */
export interface RedrivenRecord {
  readonly orderId: string;
  readonly correlationId?: string;
  readonly messageId?: string;
  readonly error?: string;
}

/** Largest number of records one re-drive handles. */
export const MAX_REDRIVE_LIMIT = 1000;

/** Lists this region's failed orders, oldest first. */
export function listFailedOrders(
  deps: Pick<RedriveDeps, 'failedOrders'>,
  opts: { status?: FailedOrderStatus; limit?: number } = {},
): Promise<FailedOrder[]> {
  return deps.failedOrders.list({ status: opts.status, limit: clampLimit(opts.limit) });
}

/**
 * Sends the bodies of this region's OPEN failed orders back to the shipping queue and marks them
 * REDRIVEN. Each record is claimed first (conditional on OPEN and unclaimed), so concurrent re-drives
 * send it once; a crash after the send and before the mark leaves it OPEN, and the next re-drive
 * (after the claim's lease) sends it again: at most one duplicate, absorbed by the idempotent consumer.
 */
export async function redriveFailedOrders(
  deps: RedriveDeps,
  opts: { limit?: number } = {},
): Promise<RedriveResult> {
  const open = await deps.failedOrders.list({ status: 'OPEN', limit: clampLimit(opts.limit) });
  const newClaimId = deps.newClaimId ?? randomUUID;
  const leaseMs = deps.leaseMs ?? 60_000;
  const result: RedriveResult = { redriven: 0, orderIds: [], failed: [], records: [] };

  for (const record of open) {
    const claimId = newClaimId();
    const claim = await deps.failedOrders.claimForRedrive(record.orderId, claimId, deps.clock.now(), leaseMs);
    if (!claim) continue; // another re-drive has it, or it is no longer OPEN
    const ids = {
      orderId: claim.orderId,
      ...(claim.correlationId ? { correlationId: claim.correlationId } : {}),
    };
    let sent;
    try {
      sent = await deps.queue.send({ body: claim.body, orderId: claim.orderId });
    } catch (err) {
      await deps.failedOrders.releaseClaim(claim.orderId, claimId, new Date(deps.clock.now()).toISOString());
      const error = (err as Error).message;
      result.failed.push({ orderId: claim.orderId, error });
      result.records.push({ ...ids, error });
      continue;
    }
    // Sent either way: a lost claim (a new DLQ delivery re-opened it) only means one more send later.
    await deps.failedOrders.markRedriven(claim.orderId, claimId, new Date(deps.clock.now()).toISOString());
    result.orderIds.push(claim.orderId);
    result.records.push({ ...ids, messageId: sent.messageId });
  }
  return { ...result, redriven: result.orderIds.length };
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return 100;
  return Math.max(1, Math.min(MAX_REDRIVE_LIMIT, Math.floor(limit)));
}
