import { CfnOutput, Stack, Token, Validations, type CfnElement, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { PipelineType } from 'aws-cdk-lib/aws-codepipeline';
import {
  CodePipeline,
  CodePipelineSource,
  ManualApprovalStep,
  ShellStep,
  type Step,
} from 'aws-cdk-lib/pipelines';
import type { Construct, IConstruct } from 'constructs';
import type { MeridianEnvironment } from '../lib/config';
import { GlobalDataStage } from '../lib/global-data';
import { RegionalStage } from '../lib/regional';

/** The CDK CLI the pipeline's generated steps install (FACTS.md: the registry's `latest` is unusable). */
export const PIPELINE_CLI_VERSION = '2.1148.1';
/** The asset publisher the pipeline installs, pinned for the same reason. */
export const PIPELINE_CDK_ASSETS_VERSION = '4.7.3';
/** Node.js major version of every CodeBuild step (the Lambda runtime is nodejs22.x). */
export const PIPELINE_NODE_VERSION = '22';

/** Props of {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  /** The environment deployed first, checked by smoke tests before anything reaches prod. */
  readonly staging: MeridianEnvironment;
  /** The production environment; the pipeline lives in its account and primary region. */
  readonly prod: MeridianEnvironment;
  /**
   * Context (`-c key=value`) the pipeline's own `cdk synth` must pass so that it rebuilds the app it was
   * deployed from (account, connection ARN…); otherwise self-mutation would revert to the defaults.
   * @default - none: the pipeline synthesizes lib/config's defaults
   */
  readonly synthContext?: Readonly<Record<string, string>>;
}

/**
 * The delivery pipeline: a self-mutating CDK Pipelines `CodePipeline` (V2) that builds the repository
 * on every push and rolls the platform out: staging (global data, then its regions, each smoke-tested) →
 * manual approval → prod global data → prod's primary region → prod's waves (regions in parallel), with
 * a smoke test after every region.
 */
export class PipelineStack extends Stack {
  readonly pipeline: CodePipeline;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    const { staging, prod, synthContext = {}, ...stackProps } = props;
    super(scope, id, {
      description: `Meridian delivery pipeline (${prod.source.repository}@${prod.source.branch})`,
      ...stackProps,
      env: { account: prod.account, region: prod.primaryRegion },
    });

    const source = CodePipelineSource.connection(prod.source.repository, prod.source.branch, {
      connectionArn: prod.source.connectionArn,
    });

    this.pipeline = new CodePipeline(this, 'Pipeline', {
      pipelineType: PipelineType.V2,
      selfMutation: true,
      // Encrypted artifacts (a KMS key per pipeline region, rotated) — needed to deploy into other accounts.
      crossAccountKeys: true,
      enableKeyRotation: true,
      cliVersion: PIPELINE_CLI_VERSION,
      cdkAssetsCliVersion: PIPELINE_CDK_ASSETS_VERSION,
      // One publishing project per asset type: a handful of projects instead of one per Lambda bundle.
      publishAssetsInParallel: false,
      codeBuildDefaults: {
        buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 },
        partialBuildSpec: codebuild.BuildSpec.fromObject({
          phases: { install: { 'runtime-versions': { nodejs: PIPELINE_NODE_VERSION } } },
        }),
      },
      synth: new ShellStep('Synth', {
        input: source,
        commands: ['npm ci', 'npm test', synthCommand(synthContext)],
      }),
    });

    const deploy = (environment: MeridianEnvironment, pre: Step[]) => {
      const label = stagePrefix(environment);
      const data = new GlobalDataStage(this, `${label}-GlobalData`, { config: environment });
      this.pipeline.addStage(data, { pre });

      const regional = (region: string) => {
        const stage = new RegionalStage(this, `${label}-${region}`, { config: environment, region });
        return { stage, post: [smokeStep(source, region, stage)] };
      };
      const primary = regional(environment.primaryRegion);
      this.pipeline.addStage(primary.stage, { post: primary.post });
      environment.waves.forEach((regions, i) => {
        const wave = this.pipeline.addWave(`${label}-Wave${i + 1}`);
        for (const region of regions) {
          const { stage, post } = regional(region);
          wave.addStage(stage, { post });
        }
      });
    };

    deploy(staging, []);
    deploy(prod, [
      new ManualApprovalStep('PromoteToProd', {
        comment: `Staging (${staging.regions.join(', ')}) passed its smoke tests. Promote this change to prod (${prod.regions.join(', ')})?`,
      }),
    ]);

    this.pipeline.buildPipeline();
    acknowledgePipelineFindings(this, this.pipeline, [staging.account, prod.account]);
    new CfnOutput(this, 'PipelineName', {
      description: 'aws codepipeline start-pipeline-execution --name <this> re-runs the pipeline',
      value: this.pipeline.pipeline.pipelineName,
    });
  }
}

/** `npx cdk synth`, with the deploy-time context repeated so the pipeline rebuilds itself unchanged. */
export function synthCommand(context: Readonly<Record<string, string>>): string {
  const flags = Object.entries(context)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ` -c ${shellQuote(`${key}=${value}`)}`);
  return `npx cdk synth${flags.join('')}`;
}

/** The post-deploy check of one region: `npm run smoke` against the API URL the stage just output. */
function smokeStep(source: CodePipelineSource, region: string, stage: RegionalStage): ShellStep {
  return new ShellStep(`Smoke-${region}`, {
    input: source,
    envFromCfnOutputs: { API_URL: stage.apiUrlOutput },
    commands: ['npm ci', 'npm run smoke -- --url "$API_URL"'],
  });
}

/**
 * Acknowledges the cdk-nag findings on what CDK Pipelines generates (roles, CodeBuild projects,
 * cross-region replication buckets), each by its exact finding id. The ids are derived from the same
 * constructs cdk-nag reads, so a new project or region is covered and nothing else is.
 */
function acknowledgePipelineFindings(
  stack: Stack,
  pipeline: CodePipeline,
  targetAccounts: readonly string[],
): void {
  const ack = (scope: IConstruct, id: string, reason: string) =>
    Validations.of(scope).acknowledge({ id: `AwsSolutions-${id}`, reason });
  const codePipeline = pipeline.pipeline;
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  // cdk-nag prints a token-valued partition as <AWS::Partition>; with @aws-cdk/core:enablePartitionLiterals
  // (cdk.json) a stack in a known region has a literal one.
  const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
  const arnPrefix = (service: string) => `arn:${partition}:${service}:${stack.region}:${stack.account}`;

  for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) {
    ack(
      pipeline,
      `IAM5[Action::${action}]`,
      'CDK Pipelines grants its artifact and replication buckets with grantRead/grantReadWrite; the wildcard ' +
        "is one of S3's read/write action groups, and every such statement is limited to those buckets.",
    );
  }
  for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
    ack(
      pipeline,
      `IAM5[Action::${action}]`,
      'grantEncryptDecrypt on the pipeline artifact key: the wildcard covers the ReEncrypt/GenerateDataKey ' +
        'variants and the statement is limited to that one key.',
    );
  }
  ack(
    pipeline,
    `IAM5[Resource::<${logicalId(codePipeline.artifactBucket)}.Arn>/*]`,
    'Pipeline actions read and write artifact objects whose keys are generated per execution; the wildcard ' +
      "is the object part of the pipeline's own artifact bucket.",
  );
  ack(
    codePipeline.artifactBucket,
    'S1',
    'The pipeline artifact bucket holds per-execution build artifacts (source, cloud assembly), KMS-encrypted ' +
      'with the pipeline key and reached only by the pipeline and CodeBuild roles, whose API calls are in ' +
      'CloudTrail; server access logs would add a log bucket that records nothing those do not.',
  );
  for (const { replicationBucket } of Object.values(codePipeline.crossRegionSupport)) {
    const bucketName = stack.resolve(replicationBucket.bucketName) as string;
    ack(
      pipeline,
      `IAM5[Resource::arn:${partition}:s3:::${bucketName}/*]`,
      'The pipeline role copies per-execution artifacts into its replication bucket in another region; the ' +
        'wildcard is the object part of that one bucket.',
    );
    ack(
      replicationBucket,
      'S1',
      "CodePipeline's cross-region replication bucket only stages copies of pipeline artifacts for the " +
        'actions in its region; like the artifact bucket it is KMS-encrypted, reached only by the pipeline ' +
        'roles, and its API calls are in CloudTrail.',
    );
  }
  for (const project of pipeline.node
    .findAll()
    .filter((c): c is codebuild.Project => c instanceof codebuild.Project)) {
    const id = logicalId(project);
    const reason =
      'CodeBuild grants a project its own log group (the wildcard is its log streams) and report groups ' +
      'named after the project.';
    ack(pipeline, `IAM5[Resource::${arnPrefix('logs')}:log-group:/aws/codebuild/<${id}>:*]`, reason);
    ack(pipeline, `IAM5[Resource::${arnPrefix('codebuild')}:report-group/<${id}>-*]`, reason);
  }
  const assetReason =
    'The shared asset-publishing role serves the publishing projects CDK Pipelines generates, whose names ' +
    'are not known when the role is made; limited to CodeBuild logs and reports of this account and region.';
  ack(pipeline, `IAM5[Resource::${arnPrefix('logs')}:log-group:/aws/codebuild/*]`, assetReason);
  ack(pipeline, `IAM5[Resource::${arnPrefix('codebuild')}:report-group/*]`, assetReason);
  if (Object.keys(codePipeline.crossRegionSupport).length) {
    ack(
      codePipeline.role,
      'IAM5[Resource::*]',
      'The pipeline role encrypts and decrypts artifacts in the cross-region replication buckets, whose KMS ' +
        'keys live in the per-region support stacks and are known to this stack only by alias; IAM cannot ' +
        'name a key by alias, so CodePipeline grants these KMS actions on "*" (each key policy still applies).',
    );
  }
  ack(
    pipeline.selfMutationProject.role!,
    'IAM5[Resource::*]',
    'The self-mutating cdk deploy reads stack outputs and lists the bootstrap buckets ' +
      '(cloudformation:DescribeStacks, s3:ListBucket): read-only calls on resources named at run time.',
  );
  const fileAssetRole = pipeline.node.tryFindChild('Assets')?.node.tryFindChild('FileRole');
  if (fileAssetRole) {
    ack(
      fileAssetRole,
      'IAM5[Resource::*]',
      'The file-asset role is also the action role that starts and watches the asset-publishing builds ' +
        '(codebuild:StartBuild, BatchGetBuilds, StopBuild); CDK Pipelines creates those projects after ' +
        'the role, so it names none of them.',
    );
  }
  for (const account of new Set([stack.account, ...targetAccounts])) {
    ack(
      pipeline,
      `IAM5[Resource::arn:*:iam::${account}:role/*]`,
      'Self-mutation assumes the CDK bootstrap roles of each target account; the statement is conditioned ' +
        'on iam:ResourceTag/aws-cdk:bootstrap-role (deploy, file-publishing, image-publishing).',
    );
  }
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The stage-name prefix of an environment: `Prod-GlobalData`, `Prod-us-east-1`, `Local-eu-west-1`… */
export function stagePrefix(config: MeridianEnvironment): string {
  return config.name.charAt(0).toUpperCase() + config.name.slice(1);
}
