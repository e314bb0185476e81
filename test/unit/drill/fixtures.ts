/** Drill audit fixtures: items as the services write them (see the adapter named on each), unmarshalled. */
import type { AcknowledgedOrder, AuditInput, Item, RegionSnapshot, TableId } from '../../../lib/drill/audit';

export const T0 = Date.parse('2030-01-01T00:00:00.000Z');
export const iso = (ms: number) => new Date(ms).toISOString();
export const CUSTOMER = 'cust_drill';
export const UNIT_PRICE = 1250;

export interface OrderSpec {
  readonly status?: string;
  readonly homeRegion?: string;
  readonly customerId?: string;
  readonly lines?: readonly (readonly [sku: string, quantity: number])[];
  readonly key?: string;
  readonly updatedAt?: number;
  readonly failureReason?: string;
  readonly totalMinor?: number;
}

/** An order item as DynamoOrderRepository.create / changeStatus leave it. */
export function orderItem(orderId: string, spec: OrderSpec = {}): Item {
  const homeRegion = spec.homeRegion ?? 'r1';
  const customerId = spec.customerId ?? CUSTOMER;
  const lines = (spec.lines ?? [['sku-a', 1]]).map(([productId, quantity]) => ({
    productId,
    quantity,
    unitPriceMinor: UNIT_PRICE,
    lineTotalMinor: UNIT_PRICE * quantity,
  }));
  const createdAt = iso(T0);
  return {
    pk: `ORDER#${orderId}`,
    sk: 'ORDER',
    gsi1pk: `CUSTOMER#${customerId}`,
    gsi1sk: `${createdAt}#${orderId}`,
    entity: 'Order',
    orderId,
    customerId,
    status: spec.status ?? 'PENDING',
    currency: 'EUR',
    lines,
    totalMinor: spec.totalMinor ?? lines.reduce((sum, l) => sum + l.lineTotalMinor, 0),
    homeRegion,
    ownerRegion: homeRegion,
    createdAt,
    updatedAt: iso(spec.updatedAt ?? T0 + 1000),
    statusHistory: [{ status: 'PENDING', at: createdAt }],
    correlationId: `corr-${orderId}`,
    idempotencyKey: spec.key ?? `key-${orderId}`,
    ...(spec.failureReason !== undefined ? { failureReason: spec.failureReason } : {}),
  };
}

/** An Idempotency-Key record (DynamoIdempotencyStore.claim). */
export function idempotencyItem(key: string, orderId: string, region: string): Item {
  return {
    pk: `IDEMPOTENCY#${key}`,
    sk: 'IDEMPOTENCY',
    entity: 'IdempotencyRecord',
    key,
    fingerprint: 'f'.repeat(64),
    orderId,
    ownerRegion: region,
    createdAt: iso(T0),
    updatedAt: iso(T0),
    expiresAt: Math.floor(T0 / 1000) + 86_400,
  };
}

export type HoldSpec = readonly [quantity: number, state: 'HELD' | 'COMMITTED'];

/** An allocation item (DynamoAllocationStore.setAvailable / placeHold / commitHold). */
export function allocationItem(
  sku: string,
  region: string,
  available: number,
  holds: Readonly<Record<string, HoldSpec>> = {},
  updatedAt = T0 + 1000,
): Item {
  return {
    pk: `SKU#${sku}`,
    sk: `ALLOCATION#${region}`,
    gsi1pk: `ALLOCATIONS#${region}`,
    gsi1sk: sku,
    sku,
    region,
    ownerRegion: region,
    available,
    holds: Object.fromEntries(
      Object.entries(holds).map(([orderId, [quantity, state]]) => [
        orderId,
        { quantity, expiresAt: T0 + 900_000, state },
      ]),
    ),
    version: 3,
    updatedAt: iso(updatedAt),
  };
}

/** A reservation record (DynamoAllocationStore.putReservationRecord). */
export function reservationItem(
  orderId: string,
  region: string,
  lines: readonly (readonly [string, number])[],
): Item {
  return {
    pk: `ORDER#${orderId}`,
    sk: `RESERVATION#${region}`,
    orderId,
    region,
    ownerRegion: region,
    lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
    correlationId: `corr-${orderId}`,
    updatedAt: iso(T0),
  };
}

export interface ChargeSpec {
  readonly status: 'pending' | 'authorized' | 'declined' | 'captured' | 'refunded' | 'voided';
  readonly amountMinor?: number;
  readonly capturedMinor?: number;
  readonly refundedMinor?: number;
  readonly region?: string;
  readonly updatedAt?: number;
}

/** A provider charge (DynamoLedgerStore.insertCharge / updateCharge); captured and refunded in full by default. */
export function chargeItem(chargeId: string, orderId: string, spec: ChargeSpec): Item {
  const amountMinor = spec.amountMinor ?? UNIT_PRICE;
  const captured = spec.status === 'captured' || spec.status === 'refunded';
  return {
    pk: `CHARGE#${chargeId}`,
    sk: 'CHARGE',
    chargeId,
    idempotencyKey: orderId,
    amountMinor,
    currency: 'EUR',
    token: 'tok_visa',
    metadata: { orderId },
    status: spec.status,
    plannedOutcome: { kind: 'approve' },
    createdAt: T0,
    ...(captured ? { capturedMinor: spec.capturedMinor ?? amountMinor, capturedAt: T0 + 500 } : {}),
    ...(spec.status === 'refunded'
      ? { refundedMinor: spec.refundedMinor ?? amountMinor, refundedAt: T0 + 800 }
      : {}),
    ownerRegion: spec.region ?? 'r1',
    updatedAt: iso(spec.updatedAt ?? T0 + 1000),
  };
}

/** The merchant's payment record (payments domain), which the audit does not judge by. */
export function paymentItem(orderId: string, status: string, region = 'r1'): Item {
  return {
    pk: `PAYMENT#${orderId}`,
    sk: 'PAYMENT',
    orderId,
    status,
    amountMinor: UNIT_PRICE,
    currency: 'EUR',
    ownerRegion: region,
    correlationId: `corr-${orderId}`,
    createdAt: iso(T0),
    updatedAt: iso(T0 + 1000),
  };
}

export function snapshot(region: string, tables: Partial<Record<TableId, Item[]>>): RegionSnapshot {
  return { region, takenAt: T0 + 60_000, tables };
}

export function ack(
  orderId: string,
  ackAt: number,
  sku = 'sku-a',
  quantity = 1,
  key = `key-${orderId}`,
): AcknowledgedOrder {
  return { orderId, idempotencyKey: key, region: 'r1', ackAt, quantityBySku: { [sku]: quantity } };
}

export function input(overrides: Partial<AuditInput> = {}): AuditInput {
  return {
    acknowledged: [],
    snapshots: [],
    customerIds: [CUSTOMER],
    skus: ['sku-a'],
    initialStock: { 'sku-a': { r1: 10, r2: 10 } },
    ...overrides,
  };
}

/** The same tables in both regions: what a converged, healthy two-region drill leaves. */
export function both(tables: Partial<Record<TableId, Item[]>>): RegionSnapshot[] {
  return [snapshot('r1', tables), snapshot('r2', tables)];
}

/**
 * A healthy drill: o1 fulfilled in r1 (2 units, hold settled), o2 failed in r2 (out of stock, nothing
 * held), o3 paid in r1 (1 unit committed), o4 fulfilled in r2 (3 units; not acknowledged: its request timed out).
 */
export function healthyTables(): Partial<Record<TableId, Item[]>> {
  return {
    orders: [
      orderItem('o1', { status: 'FULFILLED', lines: [['sku-a', 2]] }),
      orderItem('o2', { status: 'FAILED', homeRegion: 'r2', failureReason: 'OutOfStockError' }),
      orderItem('o3', { status: 'PAID' }),
      orderItem('o4', { status: 'FULFILLED', homeRegion: 'r2', lines: [['sku-a', 3]] }),
      idempotencyItem('key-o1', 'o1', 'r1'),
      idempotencyItem('key-o2', 'o2', 'r2'),
      idempotencyItem('key-o3', 'o3', 'r1'),
    ],
    inventory: [
      allocationItem('sku-a', 'r1', 7, { o3: [1, 'COMMITTED'] }),
      allocationItem('sku-a', 'r2', 7),
      reservationItem('o3', 'r1', [['sku-a', 1]]),
    ],
    payments: [
      chargeItem('ch1', 'o1', { status: 'captured', amountMinor: 2 * UNIT_PRICE }),
      chargeItem('ch3', 'o3', { status: 'captured' }),
      chargeItem('ch4', 'o4', { status: 'captured', amountMinor: 3 * UNIT_PRICE, region: 'r2' }),
      paymentItem('o1', 'CAPTURED'),
      paymentItem('o3', 'CAPTURED'),
    ],
  };
}

export const healthyAcks = [ack('o1', T0 + 100, 'sku-a', 2), ack('o2', T0 + 200), ack('o3', T0 + 300)];

/** The healthy drill with its tables changed by `edit`. */
export function healthyWith(
  edit: (tables: Partial<Record<TableId, Item[]>>) => void,
  overrides: Partial<AuditInput> = {},
) {
  const tables = healthyTables();
  edit(tables);
  return input({ acknowledged: healthyAcks, snapshots: both(tables), ...overrides });
}

export const replaceItem = (items: Item[] | undefined, pk: string, next: Item | undefined): Item[] => {
  const kept = (items ?? []).filter((i) => !(i.pk === pk && (next === undefined || i.sk === next.sk)));
  return next ? [...kept, next] : kept;
};

interface TakeoverSpec {
  readonly homeRegion?: string;
  readonly survivor?: string;
  readonly statusAtTakeover?: string;
  readonly customerId?: string;
  readonly takenOverAt?: number;
}

/** A takeover marker (DynamoTakeoverStore.create, then markPublished): written once by the survivor. */
export function takeoverItem(orderId: string, spec: TakeoverSpec = {}): Item {
  const survivor = spec.survivor ?? 'r2';
  const at = iso(spec.takenOverAt ?? T0 + 30_000);
  return {
    pk: `ORDER#${orderId}`,
    sk: 'TAKEOVER',
    entity: 'Takeover',
    orderId,
    customerId: spec.customerId ?? CUSTOMER,
    homeRegion: spec.homeRegion ?? 'r1',
    takenOverBy: survivor,
    takenOverAt: at,
    statusAtTakeover: spec.statusAtTakeover ?? 'PAID',
    reason: 'HomeRegionUnavailable',
    homeUnhealthySince: iso(T0 + 2_000),
    publishedAt: at,
    ownerRegion: survivor,
    updatedAt: at,
  };
}

/** A takeover watch (DynamoTakeoverStore.startWatch): `observer` sees `home` unhealthy. */
export function watchItem(observer: string, home: string, since = T0 + 2_000): Item {
  return {
    pk: `TAKEOVER_WATCH#${observer}`,
    sk: `REGION#${home}`,
    entity: 'TakeoverWatch',
    ownerRegion: observer,
    homeRegion: home,
    unhealthySince: iso(since),
    updatedAt: iso(since),
  };
}
