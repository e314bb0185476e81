import type { Clock } from '../../shared/clock';
import { ValidationError, type FieldError } from '../../shared/errors';
import type { EventPublisher } from '../../shared/events';
import { canonicalJson, deterministicId, sha256Hex } from '../../shared/ids';
import { toMinorUnits } from '../../shared/money';
import { sagaInputSchema, type SagaInput } from '../../shared/saga';
import { IdempotencyKeyReusedError } from './errors';
import { toSagaInput, type Order, type OrderRequest } from './order';
import { orderPlaced } from './order-events';
import type { IdempotencyStore, OrderRepository, SagaStarter } from './ports';

export interface PlaceOrderDeps {
  readonly idempotency: IdempotencyStore;
  readonly orders: OrderRepository;
  readonly publisher: EventPublisher;
  readonly saga: SagaStarter;
  readonly clock: Clock;
  /** This region: the new order's home and owner. */
  readonly region: string;
  /** How long an Idempotency-Key binds its request. */
  readonly idempotencyTtlSeconds: number;
}

export interface PlaceOrderCommand {
  readonly idempotencyKey: string;
  readonly request: OrderRequest;
  readonly correlationId: string;
}

export interface PlaceOrderResult {
  readonly order: Order;
  /** True only for the request that created the order item; replays and concurrent twins get false. */
  readonly created: boolean;
}

/**
 * Places an order exactly once per (Idempotency-Key, body), without transactions:
 *
 *  1. The order id is derived from key + body fingerprint, so every region and every concurrent twin
 *     computes the same id before touching storage.
 *  2. A conditional put claims the key. A loser reads the record: another body → 422; same body → go on.
 *  3. A conditional put creates the order item; a loser reads the existing one. Exactly one item exists.
 *  4. OrderPlaced is published and the saga started (execution name = order id) on EVERY request while
 *     the order is still PENDING/CANCELLING; both are idempotent (event id / execution name).
 *
 * Crash windows, each closed by the client's retry with the same key and body:
 *  - after 2, before 3: the record exists without an order; the retry loses the claim, matches the
 *    fingerprint and creates the order (201).
 *  - after 3, before 4 (or 4 failed): the order exists but nothing downstream knows; the retry replays and
 *    re-runs 4, whose duplicates are dropped by event id / execution name.
 * Payment token and e-mail are never stored: the retry carries them again (its fingerprint proves it).
 *
 * Across regions: a retry landing in another region before replication derives the same order id; if
 * both regions create the item, Global Tables keep one (last writer wins) and the losing region's saga
 * is stopped at its first status write by the ownership condition (OrderHomedElsewhereError).
 */
export class PlaceOrder {
  constructor(private readonly deps: PlaceOrderDeps) {}

  async execute(cmd: PlaceOrderCommand): Promise<PlaceOrderResult> {
    const { deps } = this;
    const fingerprint = sha256Hex(canonicalJson(cmd.request));
    const now = deps.clock.now();
    const createdAt = new Date(now).toISOString();
    const candidateId = deterministicId('ord_', cmd.idempotencyKey, fingerprint);
    const draft = newOrder(candidateId, cmd, deps.region, createdAt);
    // Before anything is written: an order the saga would refuse must never be acknowledged.
    assertStartable(toSagaInput(draft, cmd.request));

    const claim = await deps.idempotency.claim(
      {
        key: cmd.idempotencyKey,
        fingerprint,
        orderId: candidateId,
        ownerRegion: deps.region,
        createdAt,
        expiresAt: Math.floor(now / 1000) + deps.idempotencyTtlSeconds,
      },
      Math.floor(now / 1000),
    );
    if (!claim.claimed && claim.existing.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError();
    const orderId = claim.claimed ? candidateId : claim.existing.orderId;

    const { created, order } = await deps.orders.create({ ...draft, orderId });

    // Past PENDING/CANCELLING the saga has moved the order, so it was started (and OrderPlaced published).
    if (order.status === 'PENDING' || order.status === 'CANCELLING') {
      await deps.publisher.publish([orderPlaced(order, deps.region, new Date(now))]);
      await deps.saga.start(toSagaInput(order, cmd.request));
    }
    return { order, created };
  }
}

function newOrder(orderId: string, cmd: PlaceOrderCommand, region: string, createdAt: string): Order {
  const lines = cmd.request.lines.map((l) => {
    const unitPriceMinor = toMinorUnits(l.unitPrice);
    return {
      productId: l.productId,
      quantity: l.quantity,
      unitPriceMinor,
      lineTotalMinor: unitPriceMinor * l.quantity,
    };
  });
  return {
    orderId,
    customerId: cmd.request.customerId,
    status: 'PENDING',
    currency: cmd.request.currency,
    lines,
    totalMinor: lines.reduce((sum, l) => sum + l.lineTotalMinor, 0),
    homeRegion: region,
    ownerRegion: region,
    createdAt,
    updatedAt: createdAt,
    statusHistory: [{ status: 'PENDING', at: createdAt }],
    correlationId: cmd.correlationId,
    idempotencyKey: cmd.idempotencyKey,
  };
}

/**
 * Refuses a request whose order the saga contract (`sagaInputSchema`) would reject, naming the body
 * fields at fault. The API schema already rules these out; this keeps the invariant in the domain.
 */
function assertStartable(input: SagaInput): void {
  const result = sagaInputSchema.safeParse(input);
  if (result.success) return;
  const fields: FieldError[] = result.error.issues.map((issue) => ({
    path: bodyPath(issue.path),
    message: `not accepted by the order saga: ${issue.message}`,
  }));
  throw new ValidationError('request body is invalid', fields.slice(0, 50));
}

/** The request body path behind a saga input path (`order.lines.0.unitPriceMinor` → `lines.0.unitPrice`). */
function bodyPath(path: readonly PropertyKey[]): string {
  const [, field, index, lineField] = path.map(String);
  if (field === 'lines' && index !== undefined) {
    const name = lineField === 'unitPriceMinor' ? 'unitPrice' : lineField;
    return name ? `lines.${index}.${name}` : `lines.${index}`;
  }
  if (field === 'totalMinor') return 'lines';
  return field ?? '(root)';
}
