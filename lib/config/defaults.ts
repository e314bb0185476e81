import type { EnvironmentInput, EnvironmentName } from './environments';

/** A placeholder connection ARN: synth needs one, a real deploy passes its own (see docs/deployment.md). */
export const PLACEHOLDER_CONNECTION_ARN =
  'arn:aws:codeconnections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000000';

const SOURCE = {
  repository: 'meridian-platform/meridian',
  branch: 'main',
  connectionArn: PLACEHOLDER_CONNECTION_ARN,
};

const ALARMS = {
  dlqDepth: 5,
  lambdaErrors: 5,
  api5xx: 5,
  apiP99LatencyMs: 2000,
  lambdaP99DurationFraction: 0.8,
  sagaFailures: 3,
  replicationLatencyMs: 60_000,
} as const;

/** AWS's defaults for a fast health check: every 10 s, 3 failures to turn unhealthy. */
const HEALTH_CHECK = { intervalSeconds: 10, failureThreshold: 3 } as const;

/** The built-in environments; `bin/app.ts` applies overrides from context on top. */
export const DEFAULT_ENVIRONMENTS: Readonly<Record<EnvironmentName, EnvironmentInput>> = {
  local: {
    name: 'local',
    regions: ['us-east-1', 'eu-west-1'],
    source: SOURCE,
    canary: { type: 'all-at-once', percent: 10, intervalMinutes: 1 },
    alarms: ALARMS,
    healthCheck: HEALTH_CHECK,
  },
  dev: {
    name: 'dev',
    regions: ['us-east-1'],
    source: SOURCE,
    canary: { type: 'all-at-once', percent: 10, intervalMinutes: 1 },
    alarms: ALARMS,
    healthCheck: HEALTH_CHECK,
  },
  staging: {
    name: 'staging',
    regions: ['us-east-1'],
    source: SOURCE,
    canary: { type: 'canary', percent: 10, intervalMinutes: 5 },
    alarms: ALARMS,
    healthCheck: HEALTH_CHECK,
  },
  prod: {
    name: 'prod',
    regions: ['us-east-1', 'eu-west-1', 'ap-southeast-1'],
    primaryRegion: 'us-east-1',
    source: SOURCE,
    canary: { type: 'canary', percent: 10, intervalMinutes: 10 },
    alarms: ALARMS,
    healthCheck: HEALTH_CHECK,
  },
};
