import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { MeridianEnvironment } from '../config';

/** The repository root: `services/<service>/main.ts` entries and the lock file are found from here. */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The services whose entry points live in `services/<service>/main.ts`. */
export type MeridianService = 'orders' | 'inventory' | 'payments' | 'shipping' | 'notifications';

/** Metric namespace of every service (METRICS_NAMESPACE of services/shared/observability.ts, which loads
 * Powertools and so is not imported into the CDK app). */
export const METRICS_NAMESPACE = 'Meridian';

/** The alias every caller (API, saga, rules, event sources) invokes; CodeDeploy shifts it between versions. */
export const LIVE_ALIAS = 'live';

/** Props of {@link MeridianFunction}. */
export interface MeridianFunctionProps {
  /** The environment: canary, alarm thresholds, data protection. */
  readonly config: MeridianEnvironment;
  /** The service whose `services/<service>/main.ts` holds the handler. */
  readonly service: MeridianService;
  /** The export name of the handler in `services/<service>/main.ts`, e.g. `api`. */
  readonly handler: string;
  /**
   * Environment variables of the function (added to the Powertools and Node.js defaults).
   * @default - only the defaults
   */
  readonly environment?: Record<string, string>;
  /**
   * Function timeout; the canary's p99-duration alarm is a fraction of it.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Description of the function.
   * @default `Meridian <service> <handler>`
   */
  readonly description?: string;
  /**
   * Powertools log level.
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * The CodeDeploy application of the deployment group; share one per stack.
   * @default - a new application for this function
   */
  readonly application?: codedeploy.ILambdaApplication;
  /**
   * The role CodeDeploy assumes to shift the alias; share one per stack.
   * @default - a new role for this function's deployment group
   */
  readonly deploymentRole?: iam.IRole;
  /**
   * How traffic shifts to a new version.
   * @default - from `config.canary` (see {@link lambdaDeploymentConfig})
   */
  readonly deploymentConfig?: codedeploy.ILambdaDeploymentConfig;
}

/**
 * The house Lambda: a `NodejsFunction` bundled by esbuild from `services/<service>/main.ts` (source maps,
 * minified, names kept), Node.js 22 on arm64, X-Ray active tracing, JSON logs into its own log group,
 * Powertools environment, and a `live` alias rolled out by CodeDeploy with the configured canary and
 * automatic rollback when its errors, throttles or p99 duration alarm.
 */
export class MeridianFunction extends Construct {
  /** The function (`$LATEST`); invoke {@link alias} instead. */
  readonly function: nodejs.NodejsFunction;
  /** The `live` alias: every trigger targets it. */
  readonly alias: lambda.Alias;
  /** The function's log group. */
  readonly logGroup: logs.LogGroup;
  /** Shifts {@link alias} to each new version and rolls back on {@link alarms}. */
  readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;
  /** The alias alarms that roll a deployment back: errors, throttles, p99 duration. */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: MeridianFunctionProps) {
    super(scope, id);
    const { config, service, handler } = props;
    const timeout = props.timeout ?? Duration.seconds(10);
    if (!/^[A-Za-z_$][\w$]*$/.test(handler)) {
      throw new Error(
        `MeridianFunction ${id}: handler must be an export name of services/${service}/main.ts`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: config.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    // An explicit role that may write only to the function's own log group (the managed
    // AWSLambdaBasicExecutionRole would allow every log group of the account).
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Meridian ${config.name} ${service}.${handler}`,
    });
    this.logGroup.grantWrite(role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, 'services', service, 'main.ts'),
      handler,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      role,
      timeout,
      memorySize: props.memorySize ?? 512,
      description: props.description ?? `Meridian ${service} ${handler}`,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      bundling: {
        sourceMap: true,
        // Stack traces need only the mappings and source paths: without the sources the map is 4x smaller.
        sourcesContent: false,
        minify: true,
        // Error names are what the saga's Catch and the API's error mapping match on.
        keepNames: true,
        target: 'node22',
        // Pinned SDK versions travel with the code: the same bundle runs in Lambda and in the local runtime.
        bundleAwsSDK: true,
      },
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: service,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        ...props.environment,
      },
    });

    this.alias = new lambda.Alias(this, 'Live', {
      aliasName: LIVE_ALIAS,
      version: this.function.currentVersion,
      description: 'Invoked by every trigger; shifted to new versions by CodeDeploy',
    });

    this.alarms = this.rollbackAlarms(config, timeout, `${service}.${handler}`);
    this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, 'Deployment', {
      alias: this.alias,
      application: props.application,
      role: props.deploymentRole,
      deploymentConfig: props.deploymentConfig ?? lambdaDeploymentConfig(this, config.canary),
      alarms: [...this.alarms],
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x, an LTS runtime Lambda supports until Node.js 22 reaches end of life (April 2027): the esbuild target, Powertools 2.x and the test toolchain are validated on it. Moving to nodejs24.x is a deliberate upgrade with its own test run, not a silent default.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
    if (!props.deploymentRole) {
      Validations.of(this.deploymentGroup.role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
        reason:
          'The AWS-maintained least-privilege policy for CodeDeploy Lambda deployments: read alarms, update aliases, invoke hooks.',
      });
    }
  }

  /** Alarms on the alias: a canary whose traffic errors, throttles or runs close to the timeout rolls back. */
  private rollbackAlarms(config: MeridianEnvironment, timeout: Duration, name: string): cloudwatch.Alarm[] {
    const minute = { period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM };
    const p99Threshold = Math.round(timeout.toMilliseconds() * config.alarms.lambdaP99DurationFraction);
    // `name` is a literal: referencing the alias here would make a cycle (alias → deployment group → alarm).
    return [
      new cloudwatch.Alarm(this, 'ErrorsAlarm', {
        metric: this.alias.metricErrors(minute),
        threshold: config.alarms.lambdaErrors,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `Rolls back a deployment of ${name}: ${config.alarms.lambdaErrors} or more errors in a minute`,
      }),
      new cloudwatch.Alarm(this, 'ThrottlesAlarm', {
        metric: this.alias.metricThrottles(minute),
        // Throttled invocations fail the caller like errors do: the same budget.
        threshold: config.alarms.lambdaErrors,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `Rolls back a deployment of ${name}: ${config.alarms.lambdaErrors} or more throttles in a minute`,
      }),
      new cloudwatch.Alarm(this, 'DurationP99Alarm', {
        metric: this.alias.metricDuration({ period: Duration.minutes(1), statistic: cloudwatch.Stats.p(99) }),
        threshold: p99Threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // Two slow minutes out of three: one cold-start burst does not roll back a good version.
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `Rolls back a deployment of ${name}: p99 duration above ${p99Threshold} ms (${config.alarms.lambdaP99DurationFraction} of the timeout)`,
      }),
    ];
  }
}

const PREDEFINED: Readonly<Record<string, codedeploy.ILambdaDeploymentConfig>> = {
  'canary:10:5': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  'canary:10:10': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_10MINUTES,
  'canary:10:15': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_15MINUTES,
  'canary:10:30': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_30MINUTES,
  'linear:10:1': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  'linear:10:2': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_2MINUTES,
  'linear:10:3': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_3MINUTES,
  'linear:10:10': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_10MINUTES,
};

/**
 * The CodeDeploy configuration of `canary`: a predefined one when it exists (10 % canaries and linears),
 * otherwise one custom `AWS::CodeDeploy::DeploymentConfig` per stack and shape, shared by its functions.
 */
export function lambdaDeploymentConfig(
  scope: Construct,
  canary: MeridianEnvironment['canary'],
): codedeploy.ILambdaDeploymentConfig {
  if (canary.type === 'all-at-once') return codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE;
  const predefined = PREDEFINED[`${canary.type}:${canary.percent}:${canary.intervalMinutes}`];
  if (predefined) return predefined;

  const stack = Stack.of(scope);
  const id = `LambdaDeploymentConfig-${canary.type}-${canary.percent}pct-${canary.intervalMinutes}min`;
  const existing = stack.node.tryFindChild(id);
  if (existing) return existing as codedeploy.LambdaDeploymentConfig;
  const shift = { percentage: canary.percent, interval: Duration.minutes(canary.intervalMinutes) };
  return new codedeploy.LambdaDeploymentConfig(stack, id, {
    trafficRouting:
      canary.type === 'canary'
        ? codedeploy.TrafficRouting.timeBasedCanary(shift)
        : codedeploy.TrafficRouting.timeBasedLinear(shift),
  });
}
