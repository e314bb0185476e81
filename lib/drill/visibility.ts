/**
 * Cross-region visibility lag: now and then the drill takes the newest acknowledged order and reads every
 * other region's replica (a GetItem, cheap enough not to disturb what it measures) until the order is
 * there. The lag is acknowledgement → first read that finds it (link latency + replication + our own
 * overhead).
 */
import type { SubmissionRecord } from './load';
import { percentile } from './timeline';

/** One order followed into one other region. */
export interface VisibilitySample {
  readonly orderId: string;
  readonly from: string;
  readonly to: string;
  readonly ackAt: number;
  /** Absent when the order had not appeared when the probe stopped or gave up. */
  readonly visibleAt?: number;
}

/** A running visibility probe. */
export interface VisibilityProbe {
  readonly samples: VisibilitySample[];
  /** Stops sampling; polls still running give up (their samples stay not visible). */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Samples the newest acknowledged order every `intervalMs`, polling the other regions every `pollMs`. */
export function startVisibilityProbe(options: {
  readonly regions: readonly string[];
  /** Whether the order is in the region's replica; throws when the region cannot be reached. */
  readonly hasOrder: (region: string, orderId: string) => Promise<boolean>;
  readonly submissions: readonly SubmissionRecord[];
  /** Samples followed at once at most; the probe skips a round while this many are open. */
  readonly maxOpen: number;
  readonly intervalMs: number;
  readonly pollMs: number;
  /** A sample not visible after this long is recorded as not visible. */
  readonly timeoutMs: number;
}): VisibilityProbe {
  const samples: VisibilitySample[] = [];
  const sampled = new Set<string>();
  const polls = new Set<Promise<void>>();
  let stopping = false;

  const follow = async (s: SubmissionRecord, to: string): Promise<void> => {
    const deadline = Date.now() + options.timeoutMs;
    while (!stopping && Date.now() < deadline) {
      try {
        if (await options.hasOrder(to, s.orderId!)) {
          samples.push({ orderId: s.orderId!, from: s.region!, to, ackAt: s.endedAt, visibleAt: Date.now() });
          return;
        }
      } catch {
        // The other region is unreachable (killed): this sample says nothing about replication.
        return;
      }
      await sleep(options.pollMs);
    }
    samples.push({ orderId: s.orderId!, from: s.region!, to, ackAt: s.endedAt });
  };

  const loop = (async () => {
    while (!stopping) {
      const newest =
        polls.size < options.maxOpen
          ? [...options.submissions]
              .reverse()
              .find(
                (s) => s.orderId && s.region && options.regions.includes(s.region) && !sampled.has(s.orderId),
              )
          : undefined;
      if (newest) {
        sampled.add(newest.orderId!);
        for (const to of options.regions.filter((r) => r !== newest.region)) {
          const poll = follow(newest, to).finally(() => polls.delete(poll));
          polls.add(poll);
        }
      }
      await sleep(options.intervalMs);
    }
  })();

  return {
    samples,
    async stop() {
      stopping = true;
      await loop;
      await Promise.all([...polls]);
    },
  };
}

/** Visibility lag of the samples acknowledged in one window. */
export interface VisibilitySummary {
  readonly samples: number;
  /** Samples still not visible when the probe stopped or gave up. */
  readonly notVisible: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly maxMs?: number;
}

/** Summarises the samples acknowledged in [from, to). */
export function summarizeVisibility(
  samples: readonly VisibilitySample[],
  from: number,
  to: number,
): VisibilitySummary {
  const inWindow = samples.filter((s) => s.ackAt >= from && s.ackAt < to);
  const lags = inWindow.filter((s) => s.visibleAt !== undefined).map((s) => s.visibleAt! - s.ackAt);
  return {
    samples: inWindow.length,
    notVisible: inWindow.length - lags.length,
    ...(lags.length && {
      p50Ms: percentile(lags, 50)!,
      p99Ms: percentile(lags, 99)!,
      maxMs: Math.max(...lags),
    }),
  };
}
