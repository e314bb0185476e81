import { canonicalItem } from './canonical';
import { validateSnapshots } from './input';
import { byRegion, indexTable, showKey, sorted } from './snapshot-index';
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
