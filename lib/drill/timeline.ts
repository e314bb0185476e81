/** Pure arithmetic over a drill's timeline: client-visible recovery (RTO) and health-check detection. */
import { percentile as nearestRank } from '../../local/bench/metrics';
import type { HealthChange } from './target';

/** Something a client saw at a moment: an attempt, a probe. */
export interface Outcome {
  readonly at: number;
  readonly ok: boolean;
}

/** A client's view of a disturbance. */
export interface Recovery {
  /** Failed outcomes at or after `from`. */
  readonly failures: number;
  readonly firstFailureAt?: number;
  /** The first success after which no failure came for `sustainMs`. */
  readonly recoveredAt?: number;
  /** recoveredAt − firstFailureAt; 0 when nothing failed; absent when the client never recovered. */
  readonly rtoMs?: number;
  readonly recovered: boolean;
}

/**
 * Client-visible RTO: from the first failure at or after `from` to the start of sustained success — the
 * first success followed by no failure for `sustainMs` (or by no failure at all until the outcomes end).
 */
export function recoveryOf(
  outcomes: readonly Outcome[],
  options: { readonly from: number; readonly sustainMs: number },
): Recovery {
  const seen = outcomes.filter((o) => o.at >= options.from).sort((a, b) => a.at - b.at);
  const failures = seen.filter((o) => !o.ok);
  const first = failures[0];
  if (!first) return { failures: 0, rtoMs: 0, recovered: true };
  let failure = first;
  for (;;) {
    const success = seen.find((o) => o.ok && o.at > failure.at);
    if (!success) return { failures: failures.length, firstFailureAt: first.at, recovered: false };
    const nextFailure = failures.find((o) => o.at > success.at);
    if (!nextFailure || nextFailure.at - success.at > options.sustainMs) {
      return {
        failures: failures.length,
        firstFailureAt: first.at,
        recoveredAt: success.at,
        rtoMs: success.at - first.at,
        recovered: true,
      };
    }
    failure = nextFailure;
  }
}

/** When a region was first seen unhealthy after `from`, and healthy again after that. */
export interface Detection {
  readonly unhealthyAt?: number;
  readonly detectionMs?: number;
  readonly healthyAgainAt?: number;
}

/** Detection time: the fault (`from`) → the first change of `region` to unhealthy. */
export function detectionOf(changes: readonly HealthChange[], region: string, from: number): Detection {
  const mine = changes.filter((c) => c.region === region && c.at >= from).sort((a, b) => a.at - b.at);
  const down = mine.find((c) => !c.healthy);
  if (!down) return {};
  const up = mine.find((c) => c.healthy && c.at > down.at);
  return { unhealthyAt: down.at, detectionMs: down.at - from, ...(up && { healthyAgainAt: up.at }) };
}

/** Nearest-rank percentile of a list of numbers (p in 0..100]; undefined for an empty list. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  return nearestRank(
    [...values].sort((a, b) => a - b),
    p,
  );
}
