import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  DEFAULT_ENVIRONMENTS,
  resolveEnvironment,
  type EnvironmentInput,
  type MeridianEnvironment,
} from '../../../lib/config';
import { METRICS_NAMESPACE, MeridianFunction, type MeridianFunctionProps } from '../../../lib/constructs';
import { METRICS_NAMESPACE as SERVICES_METRICS_NAMESPACE } from '../../../services/shared/observability';

const PROD = resolveEnvironment(DEFAULT_ENVIRONMENTS.prod);

function environment(
  overrides: Partial<EnvironmentInput> = {},
  name: 'prod' | 'dev' = 'prod',
): MeridianEnvironment {
  return resolveEnvironment({ ...DEFAULT_ENVIRONMENTS[name], ...overrides });
}

function build(
  props: Partial<MeridianFunctionProps> = {},
  config: MeridianEnvironment = PROD,
): { stack: Stack; fn: MeridianFunction; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Fn', { env: { account: config.account, region: 'eu-west-1' } });
  const fn = new MeridianFunction(stack, 'OrdersApi', {
    config,
    service: 'orders',
    handler: 'api',
    ...props,
  });
  return { stack, fn, template: Template.fromStack(stack) };
}

describe('MeridianFunction', () => {
  it('runs the service export on nodejs22.x, arm64, with active tracing and the house defaults', () => {
    const { template } = build();

    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.api',
      MemorySize: 512,
      Timeout: 10,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('^OrdersApiLogs') } },
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'orders',
          POWERTOOLS_METRICS_NAMESPACE: 'Meridian',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      },
    });
  });

  it('uses the metric namespace of the services', () => {
    expect(METRICS_NAMESPACE).toBe(SERVICES_METRICS_NAMESPACE);
  });

  it('adds the caller environment, timeout, memory and description', () => {
    const { template } = build({
      environment: { ORDERS_TABLE: 'meridian-prod-orders' },
      timeout: Duration.seconds(25),
      memorySize: 1024,
      description: 'the orders API',
    });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 25,
      MemorySize: 1024,
      Description: 'the orders API',
      Environment: {
        Variables: Match.objectLike({
          ORDERS_TABLE: 'meridian-prod-orders',
          POWERTOOLS_SERVICE_NAME: 'orders',
        }),
      },
    });
  });

  it('keeps a one-month log group, retained when data is protected and deleted in dev', () => {
    const prod = build().template;
    const dev = build({}, environment({}, 'dev')).template;

    prod.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    dev.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Delete' });
  });

  it('lets the function write only to its own log group (no AWSLambdaBasicExecutionRole)', () => {
    const { template } = build();

    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersApiLogs'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('points a live alias at the current version', () => {
    const { template } = build();

    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      FunctionVersion: { 'Fn::GetAtt': [Match.stringLikeRegexp('CurrentVersion'), 'Version'] },
    });
  });

  it('rolls the alias out with the configured canary and rolls back on alarms', () => {
    const { template } = build();
    const alarms = new Capture();

    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent10Minutes',
      AlarmConfiguration: { Enabled: true, Alarms: alarms },
      AutoRollbackConfiguration: {
        Enabled: true,
        Events: Match.arrayWith([
          'DEPLOYMENT_FAILURE',
          'DEPLOYMENT_STOP_ON_REQUEST',
          'DEPLOYMENT_STOP_ON_ALARM',
        ]),
      },
    });
    expect(alarms.asArray()).toHaveLength(3);
    template.hasResource('AWS::Lambda::Alias', {
      UpdatePolicy: { CodeDeployLambdaAliasUpdate: Match.anyValue() },
    });
  });

  it('alarms on the alias: errors, throttles and p99 duration at the configured fraction of the timeout', () => {
    const { template } = build({ timeout: Duration.seconds(20) });
    const onAlias = Match.arrayWith([
      { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: Match.anyValue() }, ':live']] } },
    ]);

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Threshold: PROD.alarms.lambdaErrors,
      Dimensions: onAlias,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Throttles',
      Dimensions: onAlias,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Duration',
      ExtendedStatistic: 'p99',
      Threshold: 20_000 * PROD.alarms.lambdaP99DurationFraction,
      Dimensions: onAlias,
    });
  });

  it('deploys all at once where the environment says so', () => {
    const { template } = build({}, environment({}, 'dev'));

    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce',
    });
  });

  it('uses the predefined linear configuration for 10 % steps', () => {
    const config = environment({ canary: { type: 'linear', percent: 10, intervalMinutes: 3 } });

    build({}, config).template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery3Minutes',
    });
  });

  it('creates one custom canary configuration per stack for a shape CodeDeploy does not predefine', () => {
    const config = environment({ canary: { type: 'canary', percent: 15, intervalMinutes: 7 } });
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Fn', { env: { account: config.account, region: 'eu-west-1' } });
    new MeridianFunction(stack, 'A', { config, service: 'orders', handler: 'api' });
    new MeridianFunction(stack, 'B', { config, service: 'orders', handler: 'events' });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::CodeDeploy::DeploymentConfig', 1);
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: {
        Type: 'TimeBasedCanary',
        TimeBasedCanary: { CanaryPercentage: 15, CanaryInterval: 7 },
      },
    });
    template.resourcePropertiesCountIs(
      'AWS::CodeDeploy::DeploymentGroup',
      { DeploymentConfigName: { Ref: Match.stringLikeRegexp('^LambdaDeploymentConfigcanary15pct7min') } },
      2,
    );
  });

  it('creates a custom linear configuration', () => {
    const config = environment({ canary: { type: 'linear', percent: 25, intervalMinutes: 2 } });

    build({}, config).template.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      TrafficRoutingConfig: {
        Type: 'TimeBasedLinear',
        TimeBasedLinear: { LinearPercentage: 25, LinearInterval: 2 },
      },
    });
  });

  it('refuses a handler that cannot be an export name', () => {
    expect(() => build({ handler: 'api; rm -rf' })).toThrow(/handler must be an export name/);
  });

  it('passes cdk-nag AwsSolutions with only its acknowledged findings', () => {
    const { stack } = build();

    const report = new AwsSolutionsChecks().validateScope(stack);

    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });

  // The one real bundling synth of the infra tests: esbuild runs on services/orders/main.ts.
  it('bundles the entry with esbuild into a minified index.js with its source map', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'meridian-fn-'));
    try {
      const app = new App({ outdir });
      const stack = new Stack(app, 'Bundled', { env: { account: PROD.account, region: 'eu-west-1' } });
      new MeridianFunction(stack, 'OrdersApi', { config: PROD, service: 'orders', handler: 'api' });

      const assembly = app.synth();

      const assetDirs = readdirSync(assembly.directory).filter((d) => d.startsWith('asset.'));
      expect(assetDirs).toHaveLength(1);
      const dir = path.join(assembly.directory, assetDirs[0]!);
      expect(readdirSync(dir).sort()).toEqual(['index.js', 'index.js.map']);
      const code = readFileSync(path.join(dir, 'index.js'), 'utf8');
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.js.map')).toBe(true);
      // A bundle: the services' code, Powertools and the SDK are inside; it requires only Node.js built-ins
      // (and the SDK's optional CRT signer, which it tries and falls back from).
      const required = new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!));
      const external = [...required].filter(
        (m) => !builtinModules.includes(m.replace(/^node:/, '')) && m !== '@aws-sdk/signature-v4-crt',
      );
      expect(external).toEqual([]);
      expect(code.includes('STATE_MACHINE_ARN')).toBe(true);
      const map = JSON.parse(readFileSync(path.join(dir, 'index.js.map'), 'utf8')) as {
        sources: string[];
        mappings: string;
      };
      expect(map.mappings.length).toBeGreaterThan(0);
      expect(map.sources.some((s) => s.endsWith('services/orders/main.ts'))).toBe(true);
      expect(map.sources.some((s) => s.endsWith('services/shared/config.ts'))).toBe(true);
      expect(existsSync(path.join(dir, 'node_modules'))).toBe(false);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
