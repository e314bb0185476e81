#!/usr/bin/env node
/**
 * The CDK app (`cdk.json` → `npx tsx bin/app.ts`).
 *
 * - default (`-c target=pipeline`): the self-mutating delivery pipeline, which deploys staging and prod.
 * - `-c target=direct -c env=<local|dev|staging|prod>`: that environment's GlobalDataStage and one
 *   RegionalStage per region, straight in the app (the local runtime synthesizes `local` this way; dev
 *   can be deployed by hand).
 *
 * Overrides on top of lib/config, validated by `resolveEnvironment`: `-c account=`, `-c connectionArn=`,
 * `-c repository=owner/name`, `-c branch=`, `-c regions=r1,r2` (the first is the primary); for the
 * pipeline also `-c stagingAccount=` and `-c stagingRegions=`. cdk-nag's AwsSolutions checks run over
 * the whole app, so an unacknowledged finding fails the synth.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  DEFAULT_ENVIRONMENTS,
  ENVIRONMENT_NAMES,
  EnvironmentConfigError,
  resolveEnvironment,
  type EnvironmentInput,
  type EnvironmentName,
  type MeridianEnvironment,
} from '../lib/config';
import { GlobalDataStage } from '../lib/global-data';
import { RegionalStage } from '../lib/regional';
import { PipelineStack, stagePrefix } from '../pipeline';

/** The id (and CloudFormation name) of the pipeline stack: `npx cdk deploy MeridianPipeline`. */
export const PIPELINE_STACK_ID = 'MeridianPipeline';

/** The context keys that override lib/config. */
export const OVERRIDE_KEYS = [
  'account',
  'connectionArn',
  'repository',
  'branch',
  'regions',
  'stagingAccount',
  'stagingRegions',
  'domainName',
  'hostedZoneId',
  'zoneName',
  'opsEmail',
  'emailSender',
] as const;

/** Overrides that name one environment's own resources: with the pipeline they apply to prod only. */
const PROD_ONLY_KEYS: readonly OverrideKey[] = ['domainName', 'hostedZoneId', 'zoneName', 'emailSender'];
export type OverrideKey = (typeof OVERRIDE_KEYS)[number];

/** A context value that is not one of the accepted choices (`target`, `env`, pipeline-only keys). */
export class AppContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppContextError';
  }
}

/** The pipeline target: the PipelineStack and the two environments it deploys. */
export interface PipelineApp {
  readonly target: 'pipeline';
  readonly pipeline: PipelineStack;
  readonly staging: MeridianEnvironment;
  readonly prod: MeridianEnvironment;
}

/** The direct target: one environment's stages, straight in the app. */
export interface DirectApp {
  readonly target: 'direct';
  readonly environment: MeridianEnvironment;
  readonly globalData: GlobalDataStage;
  readonly regional: readonly RegionalStage[];
}

/** What `buildApp` put into the app; `nag` is the cdk-nag pack registered on it. */
export type BuiltApp = (PipelineApp | DirectApp) & { readonly nag: AwsSolutionsChecks };

/** Builds Meridian into `app` from its context, and applies cdk-nag to everything in it. */
export function buildApp(app: App): BuiltApp {
  const target = contextString(app, 'target') ?? 'pipeline';
  const envName = contextString(app, 'env');
  const overrides = readOverrides(app);

  let built: PipelineApp | DirectApp;
  if (target === 'pipeline') built = buildPipeline(app, envName, overrides);
  else if (target === 'direct') built = buildDirect(app, envName, overrides);
  else throw new AppContextError(`target: must be "pipeline" or "direct", got "${target}"`);

  // One plugin on the app: cdk-nag walks the whole construct tree from the root, so every stack —
  // including those in nested Stages (the pipeline's, and the direct ones) — is checked exactly once.
  const nag = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(nag);
  return { ...built, nag };
}

function buildPipeline(
  app: App,
  envName: string | undefined,
  overrides: Partial<Record<OverrideKey, string>>,
): PipelineApp {
  if (envName !== undefined) {
    throw new AppContextError('env: only used with -c target=direct (the pipeline deploys staging and prod)');
  }
  const prod = environment('prod', overrides);
  const stagingOverrides = Object.fromEntries(
    Object.entries(overrides).filter(([key]) => !PROD_ONLY_KEYS.includes(key as OverrideKey)),
  );
  const staging = environment('staging', {
    ...stagingOverrides,
    account: overrides.stagingAccount ?? overrides.account,
    regions: overrides.stagingRegions,
  });
  const pipeline = new PipelineStack(app, PIPELINE_STACK_ID, { staging, prod, synthContext: overrides });
  return { target: 'pipeline', pipeline, staging, prod };
}

function buildDirect(
  app: App,
  envName: string | undefined,
  overrides: Partial<Record<OverrideKey, string>>,
): DirectApp {
  if (!envName)
    throw new AppContextError(`env: required with -c target=direct (${ENVIRONMENT_NAMES.join(', ')})`);
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(envName)) {
    throw new AppContextError(`env: must be one of ${ENVIRONMENT_NAMES.join(', ')}, got "${envName}"`);
  }
  if (overrides.stagingAccount !== undefined || overrides.stagingRegions !== undefined) {
    throw new AppContextError(
      `${overrides.stagingAccount !== undefined ? 'stagingAccount' : 'stagingRegions'}: only used with the ` +
        'pipeline; with -c target=direct use account and regions',
    );
  }
  const config = environment(envName as EnvironmentName, overrides);
  const label = stagePrefix(config);
  const globalData = new GlobalDataStage(app, `${label}-GlobalData`, { config });
  const regional = config.regions.map(
    (region) => new RegionalStage(app, `${label}-${region}`, { config, region }),
  );
  return { target: 'direct', environment: config, globalData, regional };
}

/** The override keys present in the app's context, as strings (what the pipeline's synth passes on). */
export function readOverrides(app: App): Partial<Record<OverrideKey, string>> {
  const overrides: Partial<Record<OverrideKey, string>> = {};
  for (const key of OVERRIDE_KEYS) {
    const value = contextString(app, key);
    if (value !== undefined) overrides[key] = value;
  }
  return overrides;
}

/** lib/config's environment with the overrides applied; throws EnvironmentConfigError naming bad fields. */
function environment(
  name: EnvironmentName,
  overrides: Partial<Record<OverrideKey, string>>,
): MeridianEnvironment {
  const base = DEFAULT_ENVIRONMENTS[name];
  const regions = overrides.regions?.split(',').map((r) => r.trim());
  const { domainName, hostedZoneId, zoneName } = overrides;
  const dnsGiven = domainName !== undefined || hostedZoneId !== undefined || zoneName !== undefined;
  const input: EnvironmentInput = {
    ...base,
    ...(overrides.account !== undefined && { account: overrides.account }),
    // All three or none: a partial zone is reported field by field by resolveEnvironment.
    ...(dnsGiven && { dns: { domainName, hostedZoneId, zoneName } as NonNullable<EnvironmentInput['dns']> }),
    ...(overrides.opsEmail !== undefined && { opsEmail: overrides.opsEmail }),
    ...(overrides.emailSender !== undefined && { emailSender: overrides.emailSender }),
    // The listed order is the rollout order: the first region is the primary, the rest one parallel wave.
    ...(regions && { regions, primaryRegion: regions[0], waves: undefined }),
    source: {
      ...base.source,
      ...(overrides.connectionArn !== undefined && { connectionArn: overrides.connectionArn }),
      ...(overrides.repository !== undefined && { repository: overrides.repository }),
      ...(overrides.branch !== undefined && { branch: overrides.branch }),
    },
  };
  return resolveEnvironment(input);
}

function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String).join(',');
  return String(value);
}

if (require.main === module) {
  try {
    buildApp(new App());
  } catch (error) {
    if (error instanceof EnvironmentConfigError || error instanceof AppContextError) {
      console.error(`bin/app.ts: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
