import { AuditInputError } from './errors';
import { indexTable, latestCopy, showKey, timeOf, type ItemCopy } from './snapshot-index';
import type { Item, RegionSnapshot } from './types';

/** An order item as the audit reads it (the merged copy). */
export interface OrderRecord {
  readonly orderId: string;
  readonly customerId: string;
  readonly status: string;
  readonly homeRegion: string;
  readonly idempotencyKey?: string;
  readonly totalMinor?: number;
  readonly failureReason?: string;
  /** Units per SKU, lines naming a SKU twice summed. */
  readonly quantityBySku: ReadonlyMap<string, number>;
}

/** A provider charge as the audit reads it. */
export interface ChargeRecord {
  readonly chargeId: string;
  readonly orderId: string;
  readonly status: string;
  readonly amountMinor: number;
  readonly capturedMinor?: number;
  readonly refundedMinor?: number;
}

/** One hold on an allocation. */
export interface HoldRecord {
  readonly orderId: string;
  readonly quantity: number;
  readonly state: 'HELD' | 'COMMITTED';
}

/** One region's allocation of one SKU. */
export interface AllocationRecord {
  readonly sku: string;
  readonly region: string;
  readonly available: number;
  readonly holds: readonly HoldRecord[];
}

/** A takeover marker (pk ORDER#<id>, sk TAKEOVER): a surviving region failed a stranded order (docs/decisions/007). */
export interface TakeoverRecord {
  readonly orderId: string;
  readonly customerId?: string;
  readonly homeRegion: string;
  readonly takenOverBy: string;
  /** Epoch ms. */
  readonly takenOverAt: number;
  readonly homeUnhealthySince?: number;
  readonly statusAtTakeover: string;
}

/** A takeover watch (pk TAKEOVER_WATCH#<observer>, sk REGION#<home>). */
export interface WatchRecord {
  readonly observer: string;
  readonly homeRegion: string;
  readonly unhealthySince?: number;
}

/** Every item the audit needs, merged across the snapshots. */
export interface MergedTables {
  /** Every order item found (any customer), by order id. */
  readonly orderIds: ReadonlySet<string>;
  /** Orders of the drill's customers, by order id. */
  readonly drillOrders: ReadonlyMap<string, OrderRecord>;
  /** Every provider charge, grouped by the order id of its metadata. */
  readonly chargesByOrder: ReadonlyMap<string, readonly ChargeRecord[]>;
  /** Allocations of the drill's SKUs, by `sku \0 region`. */
  readonly allocations: ReadonlyMap<string, AllocationRecord>;
  /** Takeover markers of the drill's orders (or customers), by order id. Markers are not orders. */
  readonly takeovers: ReadonlyMap<string, TakeoverRecord>;
  /** Every takeover watch in the tables (they belong to the environment, not to one drill). */
  readonly watches: readonly WatchRecord[];
}

/** Key of an allocation in `MergedTables.allocations`. */
export const allocationKey = (sku: string, region: string): string => `${sku}\u0000${region}`;

const ORDER = { prefix: 'ORDER#', sk: 'ORDER' } as const;
const TAKEOVER = { prefix: 'ORDER#', sk: 'TAKEOVER' } as const;
const WATCH = { prefix: 'TAKEOVER_WATCH#', skPrefix: 'REGION#' } as const;
const CHARGE = { prefix: 'CHARGE#', sk: 'CHARGE' } as const;
const ALLOCATION = { prefix: 'SKU#', skPrefix: 'ALLOCATION#' } as const;

/** Reads the orders, charges and allocations the audit judges, one merged copy per item. */
export function mergeTables(
  snapshots: readonly RegionSnapshot[],
  customerIds: ReadonlySet<string>,
  skus: ReadonlySet<string>,
): MergedTables {
  const orderIds = new Set<string>();
  const drillOrders = new Map<string, OrderRecord>();
  // Markers and watches share the orders table with the orders; they are read apart and never count as orders.
  const markers: { readonly item: Item; readonly where: string }[] = [];
  const watches: WatchRecord[] = [];
  for (const [key, copies] of indexTable(snapshots, 'orders')) {
    const first = copies[0]?.item;
    if (!first) continue;
    const pk = String(first.pk);
    if (first.sk === TAKEOVER.sk && pk.startsWith(TAKEOVER.prefix)) {
      // Written once by the survivor (then marked published): its latest copy, the survivor's on a tie.
      markers.push({
        item: latestCopy(copies, (i) => i.ownerRegion).item,
        where: `orders item ${showKey(key)}`,
      });
      continue;
    }
    if (pk.startsWith(WATCH.prefix) && String(first.sk).startsWith(WATCH.skPrefix)) {
      const item = latestCopy(copies, (i) => i.ownerRegion).item;
      watches.push(readWatch(item, pk, String(first.sk)));
      continue;
    }
    if (first.sk !== ORDER.sk || !pk.startsWith(ORDER.prefix)) continue;
    orderIds.add(pk.slice(ORDER.prefix.length));
    const { item } = latestCopy(copies, (i) => i.homeRegion);
    const customerId = item.customerId;
    if (typeof customerId !== 'string' || !customerIds.has(customerId)) continue;
    const order = readOrder(item, `orders item ${showKey(key)}`);
    drillOrders.set(order.orderId, order);
  }

  const chargesByOrder = new Map<string, ChargeRecord[]>();
  for (const [key, copies] of indexTable(snapshots, 'payments')) {
    const first = copies[0]?.item;
    if (!first || first.sk !== CHARGE.sk || !String(first.pk).startsWith(CHARGE.prefix)) continue;
    // A charge is written by the order's home region, which is its ownerRegion.
    const charge = readCharge(latestCopy(copies, (i) => i.ownerRegion).item, `payments item ${showKey(key)}`);
    const list = chargesByOrder.get(charge.orderId);
    if (list) list.push(charge);
    else chargesByOrder.set(charge.orderId, [charge]);
  }

  const allocations = new Map<string, AllocationRecord>();
  for (const [key, copies] of indexTable(snapshots, 'inventory')) {
    const first = copies[0]?.item;
    if (!first) continue;
    const pk = String(first.pk);
    const sk = String(first.sk);
    if (!pk.startsWith(ALLOCATION.prefix) || !sk.startsWith(ALLOCATION.skPrefix)) continue;
    const sku = pk.slice(ALLOCATION.prefix.length);
    const region = sk.slice(ALLOCATION.skPrefix.length);
    if (!skus.has(sku)) continue;
    const item = allocationCopy(copies, region).item;
    allocations.set(
      allocationKey(sku, region),
      readAllocation(item, sku, region, `inventory item ${showKey(key)}`),
    );
  }

  // Only the drill's markers are read strictly, like its orders: other data in the table is not judged.
  const takeovers = new Map<string, TakeoverRecord>();
  for (const { item, where } of markers) {
    const { orderId, customerId } = item;
    const ofDrill =
      (typeof orderId === 'string' && drillOrders.has(orderId)) ||
      (typeof customerId === 'string' && customerIds.has(customerId));
    if (!ofDrill) continue;
    const marker = readTakeover(item, where);
    takeovers.set(marker.orderId, marker);
  }

  return { orderIds, drillOrders, chargesByOrder, allocations, takeovers, watches };
}

/** The allocation's own region is its only writer, so its copy is the truth when that region was scanned. */
function allocationCopy(copies: readonly ItemCopy[], region: string): ItemCopy {
  return copies.find((c) => c.region === region) ?? latestCopy(copies, (i) => i.ownerRegion ?? i.region);
}

function readOrder(item: Item, where: string): OrderRecord {
  const lines = item.lines;
  if (!Array.isArray(lines)) throw new AuditInputError(`${where}: lines must be an array`);
  const quantityBySku = new Map<string, number>();
  lines.forEach((line: unknown, i) => {
    const at = `${where}: lines[${i}]`;
    if (typeof line !== 'object' || line === null) throw new AuditInputError(`${at} must be an object`);
    const { productId, quantity } = line as Item;
    if (typeof productId !== 'string') throw new AuditInputError(`${at}.productId must be a string`);
    if (!isUnits(quantity)) throw new AuditInputError(`${at}.quantity must be an integer ≥ 0`);
    quantityBySku.set(productId, (quantityBySku.get(productId) ?? 0) + quantity);
  });
  return {
    orderId: str(item, 'orderId', where),
    customerId: str(item, 'customerId', where),
    status: str(item, 'status', where),
    homeRegion: str(item, 'homeRegion', where),
    idempotencyKey: optStr(item, 'idempotencyKey', where),
    totalMinor: optNum(item, 'totalMinor', where),
    failureReason: optStr(item, 'failureReason', where),
    quantityBySku,
  };
}

function readTakeover(item: Item, where: string): TakeoverRecord {
  const ownerRegion = optStr(item, 'ownerRegion', where);
  const takenOverBy = optStr(item, 'takenOverBy', where) ?? ownerRegion;
  if (takenOverBy === undefined) throw new AuditInputError(`${where}: takenOverBy must be a string`);
  const unhealthySince = optTime(item, 'homeUnhealthySince', where);
  return {
    orderId: str(item, 'orderId', where),
    customerId: optStr(item, 'customerId', where),
    homeRegion: str(item, 'homeRegion', where),
    takenOverBy,
    takenOverAt: time(item, 'takenOverAt', where),
    ...(unhealthySince !== undefined && { homeUnhealthySince: unhealthySince }),
    statusAtTakeover: str(item, 'statusAtTakeover', where),
  };
}

/** A watch, read leniently (it belongs to the environment, not to the drill): its key names both regions. */
function readWatch(item: Item, pk: string, sk: string): WatchRecord {
  const unhealthySince = timeOf(item.unhealthySince);
  return {
    observer: pk.slice(WATCH.prefix.length),
    homeRegion: sk.slice(WATCH.skPrefix.length),
    ...(Number.isFinite(unhealthySince) && { unhealthySince }),
  };
}

function readCharge(item: Item, where: string): ChargeRecord {
  const metadata = item.metadata;
  if (typeof metadata !== 'object' || metadata === null) {
    throw new AuditInputError(`${where}: metadata must be an object`);
  }
  return {
    chargeId: str(item, 'chargeId', where),
    orderId: str(metadata as Item, 'orderId', `${where}: metadata`),
    status: str(item, 'status', where),
    amountMinor: num(item, 'amountMinor', where),
    capturedMinor: optNum(item, 'capturedMinor', where),
    refundedMinor: optNum(item, 'refundedMinor', where),
  };
}

function readAllocation(item: Item, sku: string, region: string, where: string): AllocationRecord {
  const raw = item.holds ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new AuditInputError(`${where}: holds must be a map`);
  }
  const holds = Object.entries(raw as Item).map(([orderId, hold]): HoldRecord => {
    const at = `${where}: holds.${orderId}`;
    if (typeof hold !== 'object' || hold === null) throw new AuditInputError(`${at} must be an object`);
    const { quantity, state } = hold as Item;
    if (!isUnits(quantity)) throw new AuditInputError(`${at}.quantity must be an integer ≥ 0`);
    if (state !== 'HELD' && state !== 'COMMITTED') {
      throw new AuditInputError(`${at}.state must be HELD or COMMITTED`);
    }
    return { orderId, quantity, state };
  });
  return { sku, region, available: num(item, 'available', where), holds };
}

const isUnits = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function str(item: Item, field: string, where: string): string {
  const v = item[field];
  if (typeof v !== 'string') throw new AuditInputError(`${where}: ${field} must be a string`);
  return v;
}

function optStr(item: Item, field: string, where: string): string | undefined {
  return item[field] === undefined ? undefined : str(item, field, where);
}

function num(item: Item, field: string, where: string): number {
  const v = item[field];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new AuditInputError(`${where}: ${field} must be a number`);
  return v;
}

function optNum(item: Item, field: string, where: string): number | undefined {
  return item[field] === undefined ? undefined : num(item, field, where);
}

/** An ISO-8601 time (or epoch ms) as epoch ms. */
function time(item: Item, field: string, where: string): number {
  const ms = timeOf(item[field]);
  if (!Number.isFinite(ms)) throw new AuditInputError(`${where}: ${field} must be an ISO-8601 time`);
  return ms;
}

function optTime(item: Item, field: string, where: string): number | undefined {
  return item[field] === undefined ? undefined : time(item, field, where);
}
