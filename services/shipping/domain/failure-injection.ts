import type { Clock } from '../../shared/clock';
import type { FailureInjectionStore, RandomSource } from './ports';

/** What one attempt drew. */
export interface InjectionDecision {
  readonly fail: boolean;
  readonly rate: number;
  readonly draw: number;
  readonly source: 'override' | 'default';
}

export interface FailureInjectorProps {
  readonly store: FailureInjectionStore;
  /** The deployed rate (SHIPPING_FAILURE_RATE), used when no override item exists. */
  readonly defaultRate: number;
  /** How long an override read is reused (SHIPPING_CONFIG_CACHE_MS). */
  readonly cacheMs: number;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Called when the override cannot be read; the last known value (or the default) is used meanwhile. */
  readonly onStoreError?: (err: unknown) => void;
}

/**
 * Decides, per processing attempt, whether to fail on purpose (drills). The run-time override item
 * beats the deployed default and is read through a short cache, so a drill can switch failures on
 * and off without a redeploy while a busy consumer reads the item at most once per cache period.
 */
export class FailureInjector {
  private cached?: { readonly at: number; readonly value: Promise<number | undefined> };
  private lastKnown?: number;

  constructor(private readonly props: FailureInjectorProps) {}

  /** Draws for one attempt: fails when the draw is below the rate (rate 0 never, rate 1 always). */
  async decide(): Promise<InjectionDecision> {
    // Draw before any I/O so the sequence of draws follows the order of attempts (seeded tests).
    const draw = this.props.random();
    const override = await this.override();
    const rate = override ?? this.props.defaultRate;
    return { fail: draw < rate, rate, draw, source: override === undefined ? 'default' : 'override' };
  }

  private override(): Promise<number | undefined> {
    const now = this.props.clock.now();
    if (!this.cached || now - this.cached.at >= this.props.cacheMs) {
      // One read shared by every attempt in flight (a batch), not one read per record.
      const value = this.props.store.get().then(
        (v) => {
          this.lastKnown = v;
          return v;
        },
        (err: unknown) => {
          this.props.onStoreError?.(err);
          // Do not cache a failed read: the next attempt asks the store again.
          if (this.cached?.value === value) this.cached = undefined;
          return this.lastKnown;
        },
      );
      this.cached = { at: now, value };
    }
    return this.cached.value;
  }
}

/** A seedable PRNG (mulberry32): the same seed gives the same draws. */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Validates an override rate. */
export function isValidRate(rate: number): boolean {
  return Number.isFinite(rate) && rate >= 0 && rate <= 1;
}
