import { z } from 'zod';

/**
 * Typed, validated configuration of every Meridian environment. Defined once; the CDK app, the
 * pipeline, the local runtime and the tests read it from here. `resolveEnvironment` is the only way to
 * obtain a `MeridianEnvironment`, so an invalid one can never reach a construct.
 */
export const ENVIRONMENT_NAMES = ['local', 'dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/** The placeholder account used when none is configured: synth needs no credentials or lookups. */
export const DUMMY_ACCOUNT = '111111111111';

/** Region sets in which DynamoDB multi-Region strong consistency (MRSC) can be used. */
export const MRSC_REGION_SETS: Readonly<Record<string, readonly string[]>> = {
  US: ['us-east-1', 'us-east-2', 'us-west-2'],
  EU: ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1'],
  AP: ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3'],
};

/**
 * The default grace period before a surviving region takes over a lost region's stranded orders, in
 * minutes: the reservation TTL (15) + the payment authorization timeout (5) + DNS failover, rounded up.
 */
export const DEFAULT_TAKEOVER_GRACE_MINUTES = 25;

const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as eu-west-1');

const canarySchema = z
  .object({
    /** `canary`: `percent` then the rest after `intervalMinutes`; `linear`: `percent` every interval. */
    type: z.enum(['canary', 'linear', 'all-at-once']),
    percent: z.number().int().min(1).max(99),
    intervalMinutes: z.number().int().min(1).max(60),
  })
  .strict();

const alarmsSchema = z
  .object({
    /** Messages in a dead-letter queue before ops are alerted (BRIEF: > 5). */
    dlqDepth: z.number().int().min(0),
    /** Lambda errors per function per minute. */
    lambdaErrors: z.number().int().min(1),
    /** API Gateway 5XX responses per minute. */
    api5xx: z.number().int().min(1),
    /** API Gateway p99 latency, milliseconds. */
    apiP99LatencyMs: z.number().int().min(1),
    /** Lambda p99 duration during a canary, as a fraction of the function timeout (0..1). */
    lambdaP99DurationFraction: z.number().gt(0).max(1),
    /** Failed, timed-out or aborted saga executions per 5 minutes. */
    sagaFailures: z.number().int().min(1),
    /** Global Tables ReplicationLatency, milliseconds. */
    replicationLatencyMs: z.number().int().min(1),
  })
  .strict();

const healthCheckSchema = z
  .object({
    /** Route 53 supports 10 (fast) or 30 seconds. */
    intervalSeconds: z.union([z.literal(10), z.literal(30)], { error: 'must be 10 or 30 (seconds)' }),
    failureThreshold: z.number().int().min(1).max(10),
  })
  .strict();

const dnsSchema = z
  .object({
    /** The API's name, e.g. api.example.com; must be inside the hosted zone. */
    domainName: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'must be a DNS name such as api.example.com'),
    hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'must be a Route 53 hosted zone id such as Z123ABC'),
    zoneName: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'must be a DNS zone name such as example.com'),
  })
  .strict()
  .refine((d) => d.domainName === d.zoneName || d.domainName.endsWith(`.${d.zoneName}`), {
    message: 'domainName must be inside zoneName',
    path: ['domainName'],
  });

const sourceSchema = z
  .object({
    /** `owner/name` of the repository the pipeline builds. */
    repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name'),
    branch: z.string().min(1).max(255),
    /** CodeConnections (CodeStar) connection ARN; a placeholder is fine for synth. */
    connectionArn: z
      .string()
      .regex(
        /^arn:aws[\w-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/,
        'must be a CodeConnections connection ARN',
      ),
  })
  .strict();

/** What may be written in a config file or passed as overrides. */
export const environmentInputSchema = z
  .object({
    name: z.enum(ENVIRONMENT_NAMES),
    account: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
      .default(DUMMY_ACCOUNT),
    regions: z.array(region).min(1).max(10),
    /** The region that hosts the global data stage and deploys first. @default regions[0] */
    primaryRegion: region.optional(),
    /** Deployment waves of regions after the primary; @default all others in one parallel wave. */
    waves: z.array(z.array(region).min(1)).optional(),
    dns: dnsSchema.optional(),
    source: sourceSchema,
    canary: canarySchema,
    alarms: alarmsSchema,
    healthCheck: healthCheckSchema,
    inventoryConsistency: z.enum(['single-writer', 'strong']).default('single-writer'),
    /** For `strong` with two replicas: the witness region (same region set). */
    witnessRegion: region.optional(),
    /** E-mail address subscribed to the ops topic (alarms, ops alerts); @default no subscription. */
    opsEmail: z.email('must be an e-mail address').max(254).optional(),
    /** Verified SES sender of customer e-mail; without one, customers are notified through SNS only. */
    emailSender: z.email('must be an e-mail address').max(254).optional(),
    /**
     * How long a region's health check must have failed before a surviving region takes over its
     * stranded orders (docs/decisions/007), in minutes. The default, 25, is the reservation TTL (15 min)
     * plus the payment authorization timeout (5 min) plus DNS failover, rounded up; at most one day.
     */
    takeoverGraceMinutes: z
      .number()
      .int('must be a whole number of minutes')
      .min(1, 'must be at least 1 (minute)')
      .max(1440, 'must be at most 1440 (minutes: one day)')
      .default(DEFAULT_TAKEOVER_GRACE_MINUTES),
  })
  .strict();

export type EnvironmentInput = z.input<typeof environmentInputSchema>;

/** A validated environment: every default applied, every cross-field rule checked. */
export interface MeridianEnvironment {
  readonly name: EnvironmentName;
  readonly account: string;
  readonly regions: readonly string[];
  readonly primaryRegion: string;
  /** Regions after the primary, in deployment waves (each wave deploys its regions in parallel). */
  readonly waves: readonly (readonly string[])[];
  readonly dns?: Readonly<z.infer<typeof dnsSchema>>;
  readonly source: Readonly<z.infer<typeof sourceSchema>>;
  readonly canary: Readonly<z.infer<typeof canarySchema>>;
  readonly alarms: Readonly<z.infer<typeof alarmsSchema>>;
  readonly healthCheck: Readonly<z.infer<typeof healthCheckSchema>>;
  readonly inventoryConsistency: 'single-writer' | 'strong';
  readonly witnessRegion?: string;
  /** E-mail address subscribed to the ops topic, if any. */
  readonly opsEmail?: string;
  /** Verified SES sender of customer e-mail, if any. */
  readonly emailSender?: string;
  /**
   * Minutes a region's health check must have failed before a surviving region takes over its stranded
   * orders (docs/decisions/007); 1..1440, 25 by default.
   */
  readonly takeoverGraceMinutes: number;
  /** Data is protected (deletion protection, RETAIN) everywhere but dev and local. */
  readonly protectData: boolean;
  /** Resource name prefix, e.g. `meridian-prod`. */
  readonly prefix: string;
}

/** Raised for an invalid environment; the message names every offending field. */
export class EnvironmentConfigError extends Error {
  constructor(
    readonly environment: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid configuration for environment "${environment}": ${problems.join('; ')}`);
    this.name = 'EnvironmentConfigError';
  }
}

/** Validates an environment input and applies defaults and cross-field rules. */
export function resolveEnvironment(input: unknown): MeridianEnvironment {
  const parsed = environmentInputSchema.safeParse(input);
  const label = (input as { name?: unknown } | null)?.name;
  const envName = typeof label === 'string' ? label : '(unnamed)';
  if (!parsed.success) {
    throw new EnvironmentConfigError(
      envName,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];

  const duplicates = e.regions.filter((r, i) => e.regions.indexOf(r) !== i);
  if (duplicates.length) problems.push(`regions: duplicated ${[...new Set(duplicates)].join(', ')}`);

  const primaryRegion = e.primaryRegion ?? e.regions[0]!;
  if (!e.regions.includes(primaryRegion))
    problems.push(`primaryRegion: ${primaryRegion} is not one of regions`);

  const others = [...new Set(e.regions)].filter((r) => r !== primaryRegion);
  const waves = e.waves ?? (others.length ? [others] : []);
  const waved = waves.flat();
  for (const r of waved) if (!others.includes(r)) problems.push(`waves: ${r} is not a non-primary region`);
  for (const r of others) if (!waved.includes(r)) problems.push(`waves: ${r} is in no wave`);
  if (new Set(waved).size !== waved.length) problems.push('waves: a region appears in more than one wave');

  if (e.inventoryConsistency === 'strong')
    problems.push(...strongConsistencyProblems(e.regions, e.witnessRegion));
  else if (e.witnessRegion)
    problems.push('witnessRegion: only meaningful with inventoryConsistency "strong"');

  // The placeholder connection only makes sense with the placeholder account: a pipeline deployed to a
  // real account with it would have a source stage that can never run.
  if (
    e.account !== DUMMY_ACCOUNT &&
    e.source.connectionArn.endsWith(':connection/00000000-0000-0000-0000-000000000000')
  ) {
    problems.push(
      `source.connectionArn: set the CodeConnections ARN to use with account ${e.account} (-c connectionArn=…)`,
    );
  }
  if (problems.length) throw new EnvironmentConfigError(e.name, problems);

  return deepFreeze({
    name: e.name,
    account: e.account,
    regions: [...e.regions],
    primaryRegion,
    waves: waves.map((w) => [...w]),
    ...(e.dns && { dns: e.dns }),
    source: e.source,
    canary: e.canary,
    alarms: e.alarms,
    healthCheck: e.healthCheck,
    inventoryConsistency: e.inventoryConsistency,
    ...(e.witnessRegion && { witnessRegion: e.witnessRegion }),
    ...(e.emailSender && { emailSender: e.emailSender }),
    ...(e.opsEmail && { opsEmail: e.opsEmail }),
    takeoverGraceMinutes: e.takeoverGraceMinutes,
    protectData: e.name === 'staging' || e.name === 'prod',
    prefix: `meridian-${e.name}`,
  });
}

/** MRSC needs one region set and exactly 3 replicas, or 2 replicas and a witness, all in that set. */
function strongConsistencyProblems(regions: readonly string[], witness: string | undefined): string[] {
  const all = witness ? [...regions, witness] : [...regions];
  const set = Object.entries(MRSC_REGION_SETS).find(([, members]) => all.every((r) => members.includes(r)));
  const problems: string[] = [];
  if (!set) {
    problems.push(
      `inventoryConsistency: "strong" needs every region in one region set (${Object.entries(MRSC_REGION_SETS)
        .map(([k, v]) => `${k}: ${v.join(', ')}`)
        .join('; ')}), got ${all.join(', ')}`,
    );
  }
  if (witness && regions.includes(witness)) problems.push('witnessRegion: must not also be a replica region');
  if (!(regions.length === 3 && !witness) && !(regions.length === 2 && witness)) {
    problems.push('inventoryConsistency: "strong" needs exactly 3 regions, or 2 regions and a witnessRegion');
  }
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
