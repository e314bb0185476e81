import { AuditInputError } from './errors';
import type { Item, RegionSnapshot, TableId } from './types';

/** One region's copy of one item. */
export interface ItemCopy {
  readonly region: string;
  readonly item: Item;
}

/** A table's items by key across every snapshot: key → the copies, in region order. */
export type TableIndex = ReadonlyMap<string, readonly ItemCopy[]>;

/** The key of an item within its table: `pk \0 sk`, as diffReplicas and the merge use it. */
export const itemKey = (pk: string, sk: string): string => `${pk}\u0000${sk}`;

/** `pk/sk` of a key, for messages and samples. */
export const showKey = (key: string): string => key.replace('\u0000', '/');

/** The key of an item. @throws AuditInputError when pk or sk is not a string. */
export function keyOf(item: Item, table: TableId, region: string): string {
  const { pk, sk } = item;
  if (typeof pk !== 'string' || typeof sk !== 'string') {
    throw new AuditInputError(`${table} item in the ${region} snapshot has no string pk/sk`);
  }
  return itemKey(pk, sk);
}

/** Snapshots sorted by region, so everything built from them is deterministic whatever the input order. */
export function byRegion(snapshots: readonly RegionSnapshot[]): RegionSnapshot[] {
  return [...snapshots].sort((a, b) => compare(a.region, b.region));
}

/** Indexes one table across the snapshots. @throws AuditInputError on a key scanned twice in one region. */
export function indexTable(snapshots: readonly RegionSnapshot[], table: TableId): Map<string, ItemCopy[]> {
  const index = new Map<string, ItemCopy[]>();
  for (const snapshot of byRegion(snapshots)) {
    const seen = new Set<string>();
    for (const item of snapshot.tables[table] ?? []) {
      const key = keyOf(item, table, snapshot.region);
      if (seen.has(key)) {
        throw new AuditInputError(
          `${table} item ${showKey(key)} appears twice in the ${snapshot.region} snapshot`,
        );
      }
      seen.add(key);
      const copies = index.get(key);
      if (copies) copies.push({ region: snapshot.region, item });
      else index.set(key, [{ region: snapshot.region, item }]);
    }
  }
  return index;
}

/** Epoch ms of an `updatedAt` (ISO-8601 string or epoch ms); -Infinity when absent or unreadable. */
export function timeOf(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  return Number.NEGATIVE_INFINITY;
}

/**
 * The copy that reflects the item's latest write: the latest `updatedAt`; on a tie, the copy from
 * `preferredRegion(item)`'s own snapshot (the item's writer, whose copy replication cannot be behind);
 * then the first region in name order.
 */
export function latestCopy(copies: readonly ItemCopy[], preferredRegion: (item: Item) => unknown): ItemCopy {
  let best: ItemCopy | undefined;
  let bestTime = Number.NEGATIVE_INFINITY;
  for (const copy of copies) {
    const time = timeOf(copy.item.updatedAt);
    if (
      best === undefined ||
      time > bestTime ||
      (time === bestTime &&
        copy.region === preferredRegion(copy.item) &&
        best.region !== preferredRegion(best.item))
    ) {
      best = copy;
      bestTime = time;
    }
  }
  if (best === undefined) throw new Error('latestCopy needs at least one copy');
  return best;
}

/** Plain code-unit string order (locale-independent, so the output is the same on every machine). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sorted copy of some strings. */
export const sorted = (values: Iterable<string>): string[] => [...values].sort(compare);
