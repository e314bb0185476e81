/**
 * A deployed environment as a drill target. Its faults are the ones AWS offers safely: inverting a region's
 * Route 53 health check (what operators do for a real evacuation), and pausing Global Tables replication of
 * a region's replicas with the environment's FIS experiment template (lib/regional/fault-injection). AWS has
 * no safe switch that kills a region or slows replication, so region-outage and latency are refused.
 * Regions and their API URLs are discovered from the health checks themselves: those tagged with the
 * environment (HEALTH_CHECK_TAGS), each on `<api>.execute-api.<region>.amazonaws.com/<stage>/health`;
 * tables and executions are read with lib-dynamodb and client-sfn in every region.
 */
import { DEFAULT_ENVIRONMENTS, ENVIRONMENT_NAMES, resolveEnvironment, type EnvironmentName } from '../config';
import { tableName } from '../global-data/global-tables-stack';
import { orderSagaName } from '../regional/saga';
import { ReplicationPause } from './replication-pause';
import { HealthPoller, SdkObserver, type DrillFaults, type DrillTarget, type RegionApis } from './target';

/** Options of {@link awsTarget}. */
export interface AwsTargetOptions {
  /** The environment of lib/config (`dev`, `staging`, `prod`). */
  readonly env: string;
  /** The regions to drill. @default the environment's regions */
  readonly regions?: readonly string[];
  /** The latency-routed URL. @default `https://<dns.domainName>` when the environment has DNS */
  readonly edgeUrl?: string;
  /** How often Route 53 health is polled during the drill, ms. @default 5000 */
  readonly healthPollMs?: number;
  /**
   * How much faster than AWS the endpoints run: only for AWS-compatible endpoints of a time-scaled local
   * runtime (tests of this code path). @default 1
   */
  readonly timeScale?: number;
  /** Endpoint overrides, to run the AWS code path against AWS-compatible local servers (tests). */
  readonly endpoints?: {
    readonly regions?: Readonly<Record<string, RegionApis>>;
    readonly route53?: string;
    readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  };
  readonly log?: (line: string) => void;
}

/** Thrown for a target that cannot be drilled (unknown environment, one region, no health checks). */
export class DrillTargetError extends Error {
  override readonly name = 'DrillTargetError';
}

/** Connects to a deployed environment; fails clearly when its health checks cannot be found. */
export async function awsTarget(options: AwsTargetOptions): Promise<DrillTarget> {
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(options.env)) {
    throw new DrillTargetError(`--env must be one of ${ENVIRONMENT_NAMES.join(', ')}; got "${options.env}"`);
  }
  const base = DEFAULT_ENVIRONMENTS[options.env as EnvironmentName];
  const env = resolveEnvironment({
    ...base,
    ...(options.regions && {
      regions: [...options.regions],
      primaryRegion: options.regions[0],
      waves: undefined,
    }),
  });
  if (env.regions.length < 2) {
    throw new DrillTargetError(
      `environment ${env.name} has one region (${env.regions.join(', ')}); a failover drill needs two or more (--regions a,b)`,
    );
  }
  const observer = new SdkObserver({
    environment: env.prefix,
    regions: env.regions,
    tableName: (table) => tableName(env, table),
    stateMachineName: orderSagaName(env),
    ...(options.endpoints?.regions && { endpoints: options.endpoints.regions }),
    ...(options.endpoints?.route53 && { route53Endpoint: options.endpoints.route53 }),
    ...(options.endpoints?.credentials && { credentials: options.endpoints.credentials }),
    ...(options.log && { log: options.log }),
  });
  let checks;
  try {
    checks = await observer.healthChecks();
  } catch (err) {
    observer.destroy();
    throw new DrillTargetError(
      `cannot list the Route 53 health checks of ${env.name}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const missing = env.regions.filter((r) => !checks.has(r));
  if (missing.length) {
    observer.destroy();
    throw new DrillTargetError(
      `no Route 53 health check tagged meridian:environment=${env.prefix} found for ${missing.join(', ')}: is ${env.name} deployed?`,
    );
  }
  // The replication-partition fault exists when every region has its FIS template (the drill may pick any).
  const pause = new ReplicationPause({
    environment: env.prefix,
    regions: env.regions,
    endpoints: Object.fromEntries(env.regions.map((r) => [r, options.endpoints?.regions?.[r]?.fis])),
    ...(options.endpoints?.credentials && { credentials: options.endpoints.credentials }),
    ...(options.timeScale && { pollMs: Math.max(100, 2000 / options.timeScale) }),
    ...(options.log && { log: options.log }),
  });
  let templates = new Map<string, string>();
  try {
    templates = await pause.templates();
  } catch (err) {
    options.log?.(
      `no FIS experiment templates readable (${err instanceof Error ? err.message : String(err)}): replication-partition is not offered`,
    );
  }
  const partition: Pick<DrillFaults, 'partition' | 'heal'> = env.regions.every((r) => templates.has(r))
    ? { partition: async (a) => void (await pause.pause(a)), heal: (a) => pause.resume(a) }
    : {};

  const edgeUrl = options.edgeUrl ?? (env.dns ? `https://${env.dns.domainName}` : undefined);
  const poller = new HealthPoller(
    env.regions,
    (r) => observer.routingHealthy(r),
    options.healthPollMs ?? 5000,
    options.log,
  );
  return {
    kind: 'aws',
    env: env.name,
    regions: env.regions,
    timeScale: options.timeScale ?? 1,
    // As lib/config has it: what the environment was deployed with, unless it was deployed from other config.
    takeoverGraceSeconds: env.takeoverGraceMinutes * 60,
    ...(edgeUrl && { edgeUrl }),
    apiUrls: Object.fromEntries(env.regions.map((r) => [r, checks.get(r)!.apiBaseUrl])),
    faults: { setHealthCheckInverted: (r, inverted) => observer.setInverted(r, inverted), ...partition },
    healthChanges: async () => poller.history(),
    startHealthWatch: () => poller.start(),
    regionUp: async () => true,
    scan: (region, table) => observer.scan(region, table),
    execution: (region, orderId) => observer.execution(region, orderId),
    async close() {
      poller.stop();
      observer.destroy();
      pause.destroy();
    },
  };
}
