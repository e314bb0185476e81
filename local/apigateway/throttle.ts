/** The stage's request throttle: API Gateway's token bucket (rate = refill per second, burst = capacity). */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty (the request is throttled). */
  take(): boolean {
    const t = this.now();
    const elapsed = Math.max(0, t - this.last) / 1000;
    this.last = t;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.rate);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * The bucket for a stage's throttling settings, or undefined when the stage is not throttled. Only a
 * burst (no rate) means no refill; only a rate means a burst of one second's worth (at least one).
 */
export function stageThrottle(
  throttling: { readonly rateLimit?: number; readonly burstLimit?: number } | undefined,
  now: () => number,
): TokenBucket | undefined {
  if (!throttling) return undefined;
  const { rateLimit, burstLimit } = throttling;
  if (rateLimit === undefined && burstLimit === undefined) return undefined;
  const rate = rateLimit ?? 0;
  const burst = burstLimit ?? Math.max(1, Math.ceil(rate));
  return new TokenBucket(rate, burst, now);
}
