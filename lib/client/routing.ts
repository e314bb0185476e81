import type { RegionEndpoint } from './types';

/** Where one attempt goes: the latency-routed edge, or one region directly. */
export type Target =
  | { readonly kind: 'edge'; readonly url: string }
  | { readonly kind: 'region'; readonly region: string; readonly url: string };

/** The name an attempt record gives a target. */
export function targetName(target: Target): string {
  return target.kind === 'edge' ? 'edge' : target.region;
}

/**
 * Sticky failover shared by every call of one client: a region that failed is avoided for `avoidMs`,
 * and while any region is avoided calls skip the edge (whose DNS or routing has not caught up yet) and go
 * to the first healthy region directly.
 */
export class RegionAvoidance {
  /** Region → when it last failed, in failure order (oldest first). Expired entries are dropped lazily. */
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly edgeUrl: string | undefined,
    private readonly regions: readonly RegionEndpoint[],
    private readonly avoidMs: number,
  ) {}

  /** Marks `region` failed at `now`: avoided until `now + avoidMs`. */
  avoid(region: string, now: number): void {
    // Re-inserting moves the region to the end: the map stays in failure order even when clock readings tie.
    this.failedAt.delete(region);
    this.failedAt.set(region, now);
  }

  /** Regions avoided at `now` and until when. */
  avoided(now: number): Record<string, number> {
    this.prune(now);
    return Object.fromEntries([...this.failedAt].map(([region, at]) => [region, at + this.avoidMs]));
  }

  /**
   * The target of an attempt. `viaEdge` false (a retry after a failure) goes direct whenever regions are
   * configured. The edge is used only when nothing is avoided; otherwise the first region in order that
   * is not avoided; when all are, the one that failed longest ago.
   */
  pick(now: number, viaEdge: boolean): Target {
    this.prune(now);
    const edge = this.edgeUrl;
    if (edge !== undefined && (this.regions.length === 0 || (viaEdge && this.failedAt.size === 0))) {
      return { kind: 'edge', url: edge };
    }
    const healthy = this.regions.find((r) => !this.failedAt.has(r.region));
    if (healthy !== undefined) return { kind: 'region', region: healthy.region, url: healthy.url };
    // Every configured region is avoided: the one that failed longest ago has had most time to recover.
    for (const region of this.failedAt.keys()) {
      const endpoint = this.regions.find((r) => r.region === region);
      if (endpoint !== undefined) return { kind: 'region', region, url: endpoint.url };
    }
    const first = this.regions[0]!;
    return { kind: 'region', region: first.region, url: first.url };
  }

  private prune(now: number): void {
    for (const [region, at] of this.failedAt) {
      if (now >= at + this.avoidMs) this.failedAt.delete(region);
    }
  }
}
