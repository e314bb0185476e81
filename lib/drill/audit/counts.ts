import { sorted } from './snapshot-index';

/** byReason's key for a FAILED order without a reason. */
export const NO_REASON = '(none)';

/** Adds one to `key`'s count. */
export function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** A plain object with sorted keys (Object.fromEntries defines own properties, so any key is safe). */
export function toRecord(counts: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries(sorted(counts.keys()).map((k) => [k, counts.get(k) ?? 0]));
}
