import {
  ListTagsForResourcesCommand,
  paginateListHealthChecks,
  type HealthCheck,
  type HealthCheckConfig,
  type HealthCheckObservation,
  type Route53Client,
} from '@aws-sdk/client-route-53';

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

/** ListTagsForResources takes at most 10 ids per call. */
const TAGS_BATCH = 10;

/**
 * An environment's Route 53 health checks by region, found by their tags (HEALTH_CHECK_TAGS): every check
 * of the account (ListHealthChecks), then their tags, ten ids per ListTagsForResources call. Checks of
 * other environments in the account, and untagged ones, are left out. The takeover of stranded orders and
 * the drills' AWS target find the checks this way.
 */
export async function environmentHealthChecks(
  client: Route53Client,
  environment: string,
): Promise<Map<string, HealthCheck>> {
  const all = new Map<string, HealthCheck>();
  for await (const page of paginateListHealthChecks({ client }, {})) {
    for (const check of page.HealthChecks ?? []) if (check.Id) all.set(check.Id, check);
  }
  const ids = [...all.keys()];
  const found = new Map<string, HealthCheck>();
  for (let i = 0; i < ids.length; i += TAGS_BATCH) {
    const out = await client.send(
      new ListTagsForResourcesCommand({
        ResourceType: 'healthcheck',
        ResourceIds: ids.slice(i, i + TAGS_BATCH),
      }),
    );
    for (const set of out.ResourceTagSets ?? []) {
      const byKey = new Map((set.Tags ?? []).map((t) => [t.Key, t.Value]));
      const region = byKey.get(HEALTH_CHECK_TAGS.region);
      const check = set.ResourceId === undefined ? undefined : all.get(set.ResourceId);
      if (check && region && byKey.get(HEALTH_CHECK_TAGS.environment) === environment)
        found.set(region, check);
    }
  }
  return found;
}
