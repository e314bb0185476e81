import type { HealthCheckConfig, HealthCheckObservation } from '@aws-sdk/client-route-53';

/**
 * Whether Route 53 routes to an endpoint, from its health check's config and its checkers' latest
 * observations (GetHealthCheck + GetHealthCheckStatus): a disabled check counts as healthy; otherwise
 * the endpoint is healthy when more than 18 % of the checkers report success, and `Inverted` flips that.
 * The drills and the takeover of stranded orders both judge a region this way.
 */
export function routingHealthy(
  config: Pick<HealthCheckConfig, 'Disabled' | 'Inverted'> | undefined,
  observations: readonly HealthCheckObservation[],
): boolean {
  if (config?.Disabled) return true;
  const ok = observations.filter((o) => o.StatusReport?.Status?.startsWith('Success')).length;
  const measured = observations.length > 0 && ok / observations.length > 0.18;
  return config?.Inverted ? !measured : measured;
}

/** The tags Meridian puts on each region's Route 53 health check, so a function can find its peers'. */
export const HEALTH_CHECK_TAGS = {
  /** The environment's resource prefix, e.g. `meridian-prod`. */
  environment: 'meridian:environment',
  /** The region whose API the check probes. */
  region: 'meridian:region',
} as const;
