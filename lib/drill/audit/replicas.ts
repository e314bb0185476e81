import { canonicalItem } from './canonical';
import { validateSnapshots } from './input';
import { byRegion, indexTable, showKey, sorted, timeOf } from './snapshot-index';
import { TABLE_IDS, type RegionSnapshot, type ReplicaDiff, type TableId } from './types';

/** How many differing keys the diff names as examples. */
const MAX_SAMPLES = 10;

/**
 * Compares the same tables across regions item for item (attribute order irrelevant; attributes named
 * `aws:rep:*` ignored). By default every table some snapshot holds; a snapshot without a compared table
 * counts as holding none of its items.
 * @throws AuditInputError on malformed snapshots, an unknown table id, or an item without string pk/sk.
 */
export function diffReplicas(snapshots: readonly RegionSnapshot[], tables?: readonly TableId[]): ReplicaDiff {
  validateSnapshots(snapshots, tables);
  const regions = byRegion(snapshots).map((s) => s.region);
  const compared = tables ?? TABLE_IDS.filter((id) => snapshots.some((s) => s.tables[id] !== undefined));

  let differences = 0;
  const byTable: Record<string, ReplicaDiff['byTable'][string]> = {};
  const differingKeys: string[] = [];
  for (const table of sorted(new Set(compared)) as TableId[]) {
    const missing = new Map(regions.map((r) => [r, 0]));
    let differing = 0;
    const index = indexTable(snapshots, table);
    for (const [key, copies] of index) {
      const forms = new Set(copies.map((c) => canonicalItem(c.item)));
      if (copies.length === regions.length && forms.size === 1) continue;
      differing++;
      differingKeys.push(`${table} ${showKey(key)}`);
      const present = new Set(copies.map((c) => c.region));
      for (const region of regions)
        if (!present.has(region)) missing.set(region, (missing.get(region) ?? 0) + 1);
    }
    differences += differing;
    byTable[table] = { items: index.size, differing, missingIn: Object.fromEntries(missing) };
  }
  return {
    identical: differences === 0,
    differences,
    byTable,
    samples: sorted(differingKeys).slice(0, MAX_SAMPLES),
    differingKeys: sorted(differingKeys),
  };
}

/** Items not yet the same in every region at one moment, each with the newest write any region had of it. */
export interface ReplicationBacklog {
  readonly regions: readonly string[];
  /** `table pk/sk` → the item, and the newest `updatedAt` (epoch ms) among its copies (−Infinity: none has one). */
  readonly items: ReadonlyMap<
    string,
    { readonly table: TableId; readonly key: string; readonly newest: number }
  >;
}

/** The backlog replication has to deliver, from snapshots taken at one moment (e.g. a heal). */
export function backlogOf(
  snapshots: readonly RegionSnapshot[],
  tables?: readonly TableId[],
): ReplicationBacklog {
  const diff = diffReplicas(snapshots, tables);
  const wanted = new Set(diff.differingKeys);
  const items = new Map<string, { table: TableId; key: string; newest: number }>();
  for (const table of TABLE_IDS) {
    for (const [key, copies] of indexTable(snapshots, table)) {
      const shown = `${table} ${showKey(key)}`;
      if (wanted.has(shown)) {
        items.set(shown, { table, key, newest: Math.max(...copies.map((c) => timeOf(c.item.updatedAt))) });
      }
    }
  }
  return { regions: byRegion(snapshots).map((s) => s.region), items };
}

/**
 * The backlog items some region has not caught up on yet: it lacks an item another region has, or holds a
 * copy older than the newest write of the backlog's moment. Later writes do not keep an item outstanding,
 * so this measures how long the backlog takes to drain while traffic goes on.
 */
export function outstandingBacklog(
  backlog: ReplicationBacklog,
  snapshots: readonly RegionSnapshot[],
): string[] {
  const outstanding: string[] = [];
  const indexes = new Map(TABLE_IDS.map((t) => [t, indexTable(snapshots, t)]));
  for (const [shown, { table, key, newest }] of backlog.items) {
    const copies = indexes.get(table)?.get(key) ?? [];
    const everywhere = copies.length === backlog.regions.length;
    const nowhere = copies.length === 0;
    const current = copies.every((c) => timeOf(c.item.updatedAt) >= newest);
    const same = new Set(copies.map((c) => canonicalItem(c.item))).size <= 1;
    if (nowhere || (everywhere && (same || (newest > Number.NEGATIVE_INFINITY && current)))) continue;
    outstanding.push(shown);
  }
  return outstanding.sort();
}
