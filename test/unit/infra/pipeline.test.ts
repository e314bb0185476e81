import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  DEFAULT_ENVIRONMENTS,
  resolveEnvironment,
  type EnvironmentInput,
  type MeridianEnvironment,
} from '../../../lib/config';
import { PIPELINE_CLI_VERSION, PipelineStack, synthCommand } from '../../../pipeline';

const REPO = path.resolve(__dirname, '..', '..', '..');
/** The feature flags `cdk synth` runs with, so the templates here are the ones the CLI produces. */
const CDK_CONTEXT = (JSON.parse(readFileSync(path.join(REPO, 'cdk.json'), 'utf8')) as { context: object })
  .context;

// Each pipeline construction builds every regional stack (a few seconds each).
jest.setTimeout(120_000);

const STAGING = resolveEnvironment(DEFAULT_ENVIRONMENTS.staging);
const PROD = resolveEnvironment(DEFAULT_ENVIRONMENTS.prod);

interface Action {
  readonly Name: string;
  readonly ActionTypeId: { readonly Category: string; readonly Provider: string };
  readonly RunOrder: number;
  readonly Region?: string;
  readonly RoleArn?: unknown;
  readonly Configuration?: Record<string, unknown>;
}
interface PipelineStage {
  readonly Name: string;
  readonly Actions: readonly Action[];
}

function synthPipeline(
  props: {
    staging?: MeridianEnvironment;
    prod?: MeridianEnvironment;
    synthContext?: Record<string, string>;
  } = {},
) {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new PipelineStack(app, 'MeridianPipeline', { staging: STAGING, prod: PROD, ...props });
  const template = Template.fromStack(stack);
  const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0] as {
    Properties: { Stages: PipelineStage[] };
  };
  return { stack, template, stages: pipeline.Properties.Stages };
}

/** [stage index, run order] of the first action matching, for ordering assertions. */
function position(stages: readonly PipelineStage[], match: (stage: string, action: Action) => boolean) {
  for (const [i, stage] of stages.entries()) {
    const action = stage.Actions.find((a) => match(stage.Name, a));
    if (action) return [i, action.RunOrder] as const;
  }
  throw new Error('no such action');
}

function before(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

/** Deploy actions of one environment's stacks. */
const isDeployOf = (env: 'Staging' | 'Prod') => (stage: string, action: Action) =>
  action.ActionTypeId.Category === 'Deploy' &&
  (stage.startsWith(`${env}-`) || action.Name.startsWith(`${env}-`));

describe('PipelineStack with the default staging and prod environments', () => {
  let built: ReturnType<typeof synthPipeline>;
  beforeAll(() => {
    built = synthPipeline();
  });

  it('is a V2 CodePipeline in the prod account and primary region', () => {
    built.template.hasResourceProperties('AWS::CodePipeline::Pipeline', { PipelineType: 'V2' });
    expect(built.stack.account).toBe(PROD.account);
    expect(built.stack.region).toBe(PROD.primaryRegion);
  });

  it('mutates itself after the synth, with the pinned CDK CLI', () => {
    expect(built.stages.slice(0, 3).map((s) => [s.Name, s.Actions.map((a) => a.Name)])).toEqual([
      ['Source', [expect.any(String)]],
      ['Build', ['Synth']],
      ['UpdatePipeline', ['SelfMutate']],
    ]);
    built.template.hasResourceProperties('AWS::CodeBuild::Project', {
      Source: {
        BuildSpec: Match.serializedJson(
          Match.objectLike({
            phases: Match.objectLike({
              install: Match.objectLike({ commands: [`npm install -g aws-cdk@${PIPELINE_CLI_VERSION}`] }),
              build: { commands: [Match.stringLikeRegexp('^cdk -a . deploy MeridianPipeline ')] },
            }),
          }),
        ),
      },
    });
  });

  it('builds the configured repository and branch through the CodeConnections connection', () => {
    const source = built.stages[0]!.Actions[0]!;
    expect(source.ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'CodeStarSourceConnection' });
    expect(source.Configuration).toMatchObject({
      ConnectionArn: PROD.source.connectionArn,
      FullRepositoryId: PROD.source.repository,
      BranchName: PROD.source.branch,
    });
  });

  it('synthesizes with npm ci, npm test and cdk synth on Node 22', () => {
    built.template.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({ Image: 'aws/codebuild/standard:7.0' }),
      Source: {
        BuildSpec: Match.serializedJson(
          Match.objectLike({
            phases: {
              install: { 'runtime-versions': { nodejs: '22' } },
              build: { commands: ['npm ci', 'npm test', 'npx cdk synth'] },
            },
            artifacts: Match.objectLike({ 'base-directory': 'cdk.out' }),
          }),
        ),
      },
    });
  });

  it('encrypts its artifacts with a rotated KMS key (cross-account keys)', () => {
    built.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    built.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) },
        ],
      },
    });
  });

  it('deploys global data first, then the regions, staging before prod', () => {
    expect(built.stages.slice(4).map((s) => s.Name)).toEqual([
      'Staging-GlobalData',
      'Staging-us-east-1',
      'Prod-GlobalData',
      'Prod-us-east-1',
      'Prod-Wave1',
    ]);
  });

  it('waits for a manual approval after staging and before any prod deployment', () => {
    const approval = position(built.stages, (_, a) => a.ActionTypeId.Category === 'Approval');
    const approvalAction = built.stages[approval[0]]!.Actions.find(
      (a) => a.ActionTypeId.Category === 'Approval',
    )!;
    expect(approvalAction.ActionTypeId.Provider).toBe('Manual');

    const lastStaging = Math.max(
      ...built.stages.flatMap((s, i) => (s.Actions.some((a) => isDeployOf('Staging')(s.Name, a)) ? [i] : [])),
    );
    const stagingSmoke = position(
      built.stages,
      (stage, a) => stage === 'Staging-us-east-1' && a.Name === 'Smoke-us-east-1',
    );
    expect(approval[0]).toBeGreaterThan(lastStaging);
    expect(before(stagingSmoke, approval)).toBe(true);
    expect(before(approval, position(built.stages, isDeployOf('Prod')))).toBe(true);
  });

  it('deploys the prod primary region before the others, which deploy in parallel', () => {
    const deployOf = (region: string) =>
      position(
        built.stages,
        (stage, a) => isDeployOf('Prod')(stage, a) && a.Name.includes(`meridian-prod-${region}.Deploy`),
      );
    const primary = deployOf('us-east-1');
    const eu = deployOf('eu-west-1');
    const ap = deployOf('ap-southeast-1');
    expect(before(primary, eu)).toBe(true);
    expect(before(primary, ap)).toBe(true);
    expect(eu).toEqual(ap);
    expect(
      position(
        built.stages,
        (stage, a) => stage === 'Prod-GlobalData' && a.Name === 'GlobalTables.Deploy',
      )[0],
    ).toBeLessThan(primary[0]);
  });

  it('smoke-tests every region after its deployment, against the URL the stage outputs', () => {
    const regions = [...STAGING.regions.map((r) => ['Staging', r]), ...PROD.regions.map((r) => ['Prod', r])];
    for (const [env, region] of regions) {
      const matchSmoke = (stage: string, a: Action) =>
        a.ActionTypeId.Provider === 'CodeBuild' &&
        (stage === `${env}-${region}` || a.Name.startsWith(`${env}-${region}.`)) &&
        a.Name.endsWith(`Smoke-${region}`);
      const smoke = position(built.stages, matchSmoke);
      const deploy = position(
        built.stages,
        (stage, a) => isDeployOf(env as 'Staging' | 'Prod')(stage, a) && a.Name.includes(`-${region}.Deploy`),
      );
      expect(before(deploy, smoke)).toBe(true);

      const action = built.stages[smoke[0]]!.Actions.find((a) =>
        matchSmoke(built.stages[smoke[0]]!.Name, a),
      )!;
      const variables = JSON.parse(String(action.Configuration!.EnvironmentVariables)) as {
        name: string;
        type: string;
        value: string;
      }[];
      expect(variables).toContainEqual({
        name: 'API_URL',
        type: 'PLAINTEXT',
        value: expect.stringMatching(/^#\{.+\.ApiUrl\w*\}$/),
      });
    }
    built.template.hasResourceProperties('AWS::CodeBuild::Project', {
      Source: {
        BuildSpec: Match.serializedJson(
          Match.objectLike({
            phases: Match.objectLike({
              build: { commands: ['npm ci', 'npm run smoke -- --url "$API_URL"'] },
            }),
          }),
        ),
      },
    });
  });

  it('outputs the pipeline name', () => {
    built.template.hasOutput('PipelineName', { Value: Match.anyValue() });
  });
});

describe('PipelineStack configuration', () => {
  function prodWith(overrides: Partial<EnvironmentInput>): MeridianEnvironment {
    return resolveEnvironment({ ...DEFAULT_ENVIRONMENTS.prod, ...overrides });
  }

  it('rolls prod out in the configured waves, in order', () => {
    const prod = prodWith({
      regions: ['us-east-1', 'eu-west-1', 'ap-southeast-1', 'us-west-2'],
      waves: [['eu-west-1'], ['ap-southeast-1', 'us-west-2']],
    });

    const { stages } = synthPipeline({ prod });

    const names = stages.map((s) => s.Name);
    // A wave of one region becomes a pipeline stage named after that region's stage.
    expect(names.slice(names.indexOf('Prod-GlobalData'))).toEqual([
      'Prod-GlobalData',
      'Prod-us-east-1',
      'Prod-eu-west-1',
      'Prod-Wave2',
    ]);
    const wave2 = stages.find((s) => s.Name === 'Prod-Wave2')!;
    expect(
      wave2.Actions.filter((a) => a.Name.endsWith('.Deploy')).map((a) => [a.Region, a.RunOrder]),
    ).toEqual(
      expect.arrayContaining([
        ['ap-southeast-1', 2],
        ['us-west-2', 2],
      ]),
    );
    expect(wave2.Actions.filter((a) => /Smoke-(ap-southeast-1|us-west-2)$/.test(a.Name))).toHaveLength(2);
  });

  it("deploys staging into its own account with that account's bootstrap roles", () => {
    const staging = resolveEnvironment({
      ...DEFAULT_ENVIRONMENTS.staging,
      account: '222222222222',
      source: {
        ...DEFAULT_ENVIRONMENTS.staging.source,
        connectionArn: 'arn:aws:codeconnections:us-east-1:222222222222:connection/abcd-1234',
      },
    });

    const { stages } = synthPipeline({ staging });

    const stagingDeploy = stages
      .find((s) => s.Name === 'Staging-us-east-1')!
      .Actions.find((a) => a.Name.endsWith('.Deploy'))!;
    expect(JSON.stringify(stagingDeploy.RoleArn)).toContain(
      'cdk-hnb659fds-deploy-role-222222222222-us-east-1',
    );
  });
});

describe('synthCommand', () => {
  it('is plain cdk synth without context', () => {
    expect(synthCommand({})).toBe('npx cdk synth');
  });

  it('passes each value as one shell word, sorted by key', () => {
    expect(
      synthCommand({ regions: 'us-east-1,eu-west-1', account: '123456789012', branch: "it's main" }),
    ).toBe("npx cdk synth -c account=123456789012 -c 'branch=it'\\''s main' -c regions=us-east-1,eu-west-1");
  });
});
