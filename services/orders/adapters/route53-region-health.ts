import {
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { environmentHealthChecks, routingHealthy } from '../../shared/route53-health';
import type { RegionHealth } from '../domain/ports';

export interface Route53RegionHealthOptions {
  /** The environment prefix its health checks are tagged with (`meridian:environment`). */
  readonly environment: string;
  /** How long the discovered region → check id map is reused. @default 10 minutes */
  readonly discoveryTtlMs?: number;
  readonly now?: () => number;
  /** Told why a region's health is unknown (no check, or Route 53 could not be read). */
  readonly onUnknown?: (region: string, reason: string) => void;
}

/**
 * Each region's health as Route 53 routing sees it: the region's health check is found by its tags
 * (lib/regional/dns.ts tags it with the environment and the region), then judged with routingHealthy
 * from GetHealthCheck (Disabled, Inverted) and GetHealthCheckStatus (the checkers' observations).
 */
export class Route53RegionHealth implements RegionHealth {
  private discovered?: { at: number; ids: Map<string, string> };
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: Route53Client,
    private readonly options: Route53RegionHealthOptions,
  ) {
    this.ttlMs = options.discoveryTtlMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  async check(regions: readonly string[]): Promise<ReadonlyMap<string, boolean | undefined>> {
    const result = new Map<string, boolean | undefined>();
    let ids: Map<string, string>;
    try {
      ids = await this.checkIds(regions);
    } catch (err) {
      for (const region of regions) {
        result.set(region, undefined);
        this.options.onUnknown?.(region, `Route 53 health checks could not be listed: ${message(err)}`);
      }
      return result;
    }
    await Promise.all(
      regions.map(async (region) => {
        const id = ids.get(region);
        if (!id) {
          result.set(region, undefined);
          this.options.onUnknown?.(region, `no health check tagged ${this.options.environment}/${region}`);
          return;
        }
        try {
          const [check, status] = await Promise.all([
            this.client.send(new GetHealthCheckCommand({ HealthCheckId: id })),
            this.client.send(new GetHealthCheckStatusCommand({ HealthCheckId: id })),
          ]);
          result.set(
            region,
            routingHealthy(check.HealthCheck?.HealthCheckConfig, status.HealthCheckObservations ?? []),
          );
        } catch (err) {
          result.set(region, undefined);
          this.options.onUnknown?.(region, `health check ${id} could not be read: ${message(err)}`);
          // A deleted or replaced check: look the ids up again next time.
          this.discovered = undefined;
        }
      }),
    );
    return result;
  }

  /** Region → health check id, from the checks' tags; re-discovered when stale or a region is missing. */
  private async checkIds(regions: readonly string[]): Promise<Map<string, string>> {
    const cached = this.discovered;
    if (cached && this.now() - cached.at < this.ttlMs && regions.every((r) => cached.ids.has(r))) {
      return cached.ids;
    }
    const checks = await environmentHealthChecks(this.client, this.options.environment);
    const ids = new Map([...checks].map(([region, check]) => [region, check.Id!]));
    this.discovered = { at: this.now(), ids };
    return ids;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
