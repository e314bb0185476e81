import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AppContextError, buildApp, PIPELINE_STACK_ID } from '../../../bin/app';
import { DUMMY_ACCOUNT, EnvironmentConfigError } from '../../../lib/config';
import { GlobalDataStage } from '../../../lib/global-data';
import { RegionalStage } from '../../../lib/regional';
import { PipelineStack } from '../../../pipeline';

// Building the pipeline app constructs every regional stack; synthesizing adds cdk-nag over all of them.
jest.setTimeout(120_000);

const REPO = path.resolve(__dirname, '..', '..', '..');
/** cdk.json's feature flags, so these apps behave like `npx cdk synth`. */
const CDK_CONTEXT = (JSON.parse(readFileSync(path.join(REPO, 'cdk.json'), 'utf8')) as { context: object })
  .context;
const CONNECTION =
  'arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789';

/** An app as the CDK CLI would start it with `-c key=value` for each entry; bundling is skipped. */
function appWith(context: Record<string, string> = {}): App {
  return new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
}

describe('bin/app.ts with -c target=direct', () => {
  it('synthesizes env=local as a global data stage and two regional stages, cdk-nag clean', () => {
    const app = appWith({ target: 'direct', env: 'local' });

    const built = buildApp(app);
    const assembly = app.synth();

    expect(built.target).toBe('direct');
    const stages = app.node.children.filter((c): c is Stage => Stage.isStage(c));
    expect(stages.map((s) => [s.node.id, s.constructor])).toEqual([
      ['Local-GlobalData', GlobalDataStage],
      ['Local-us-east-1', RegionalStage],
      ['Local-eu-west-1', RegionalStage],
    ]);
    expect(app.node.children.some((c) => c instanceof PipelineStack)).toBe(false);
    expect(assembly.nestedAssemblies.map((a) => a.directoryName).sort()).toEqual([
      'assembly-Local-GlobalData',
      'assembly-Local-eu-west-1',
      'assembly-Local-us-east-1',
    ]);
  });

  it('applies account and regions overrides; the first region is the primary', () => {
    const app = appWith({
      target: 'direct',
      env: 'dev',
      account: '123456789012',
      connectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/abcd-1234',
      regions: 'us-west-2, eu-central-1',
    });

    const built = buildApp(app);

    if (built.target !== 'direct') throw new Error('expected a direct app');
    expect(built.environment).toMatchObject({
      name: 'dev',
      account: '123456789012',
      regions: ['us-west-2', 'eu-central-1'],
      primaryRegion: 'us-west-2',
      waves: [['eu-central-1']],
    });
    expect(built.regional.map((s) => [s.node.id, s.region, s.account])).toEqual([
      ['Dev-us-west-2', 'us-west-2', '123456789012'],
      ['Dev-eu-central-1', 'eu-central-1', '123456789012'],
    ]);
  });
});

describe('bin/app.ts by default (the pipeline)', () => {
  it('builds only the pipeline, for staging and prod, and cdk-nag finds nothing unacknowledged', () => {
    const app = appWith();

    const built = buildApp(app);

    if (built.target !== 'pipeline') throw new Error('expected the pipeline');
    expect([built.staging.name, built.prod.name]).toEqual(['staging', 'prod']);
    expect(built.pipeline.node.id).toBe(PIPELINE_STACK_ID);
    expect(app.node.children.filter((c) => Stage.isStage(c))).toEqual([]);
    // The validation plugin (cdk-nag) fails app.synth() with its report on any unacknowledged finding.
    expect(() => app.synth()).not.toThrow();
  });

  it('applies the overrides and repeats them in the pipeline synth command', () => {
    const context = {
      account: '123456789012',
      stagingAccount: '210987654321',
      connectionArn: CONNECTION,
      repository: 'acme/meridian',
      branch: 'release',
    };

    const built = buildApp(appWith(context));

    if (built.target !== 'pipeline') throw new Error('expected the pipeline');
    expect(built.prod.account).toBe('123456789012');
    expect(built.staging.account).toBe('210987654321');
    expect(built.pipeline.account).toBe('123456789012');
    const template = Template.fromStack(built.pipeline);
    const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0] as {
      Properties: { Stages: { Actions: { Configuration: Record<string, string> }[] }[] };
    };
    expect(pipeline.Properties.Stages[0]!.Actions[0]!.Configuration).toMatchObject({
      ConnectionArn: CONNECTION,
      FullRepositoryId: 'acme/meridian',
      BranchName: 'release',
    });
    const synth = JSON.stringify(template.findResources('AWS::CodeBuild::Project'));
    expect(synth).toContain(
      `npx cdk synth -c account=123456789012 -c branch=release -c connectionArn=${CONNECTION} -c repository=acme/meridian -c stagingAccount=210987654321`,
    );
  });
});

describe('bin/app.ts DNS overrides', () => {
  const zone = {
    domainName: 'api.meridian.example.com',
    hostedZoneId: 'Z0123456789ABC',
    zoneName: 'meridian.example.com',
  };

  it('gives prod the zone and leaves staging without it in the pipeline', () => {
    const built = buildApp(appWith(zone));

    if (built.target !== 'pipeline') throw new Error('expected the pipeline');
    expect(built.prod.dns).toEqual(zone);
    expect(built.staging.dns).toBeUndefined();
  });

  it('refuses a partial zone, naming the missing fields', () => {
    expect(() => buildApp(appWith({ domainName: zone.domainName }))).toThrow(
      /dns\.hostedZoneId.*dns\.zoneName/,
    );
  });
});

describe('bin/app.ts context errors', () => {
  it.each([
    [{ account: '123' }, 'account: must be a 12-digit AWS account id'],
    [
      { connectionArn: 'arn:aws:s3:::bucket' },
      'source.connectionArn: must be a CodeConnections connection ARN',
    ],
    [{ repository: 'no-owner' }, 'source.repository: must be owner/name'],
    [{ regions: 'us-east-1,mars-north-1' }, 'regions.1: must be an AWS region'],
    [{ regions: 'eu-west-1,eu-west-1' }, 'regions: duplicated eu-west-1'],
    [{ stagingAccount: 'x' }, 'account: must be a 12-digit AWS account id'],
    [{ target: 'direct', env: 'dev', branch: '' }, 'source.branch'],
  ])('rejects %j naming the field', (context, message) => {
    expect(() => buildApp(appWith(context))).toThrow(EnvironmentConfigError);
    expect(() => buildApp(appWith(context))).toThrow(message);
  });

  it.each([
    [{ target: 'everything' }, 'target: must be "pipeline" or "direct"'],
    [{ target: 'direct' }, 'env: required with -c target=direct'],
    [{ target: 'direct', env: 'qa' }, 'env: must be one of local, dev, staging, prod'],
    [{ env: 'dev' }, 'env: only used with -c target=direct'],
    [
      { target: 'direct', env: 'dev', stagingRegions: 'us-east-1' },
      'stagingRegions: only used with the pipeline',
    ],
  ])('rejects %j', (context, message) => {
    expect(() => buildApp(appWith(context))).toThrow(AppContextError);
    expect(() => buildApp(appWith(context))).toThrow(message);
  });

  it('exits non-zero with the message when run by the CDK CLI with a bad override', async () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'meridian-app-'));
    try {
      const result = await promisify(execFile)('npx', ['tsx', 'bin/app.ts'], {
        cwd: REPO,
        // How the CDK CLI hands `-c account=123` to the app.
        env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ account: '123' }) },
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
      );

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'invalid configuration for environment "prod": account: must be a 12-digit',
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('cdk-nag over the app', () => {
  it('checks stacks in nested stages: an unacknowledged finding there fails the synth', () => {
    const app = appWith({ target: 'direct', env: 'dev' });
    const built = buildApp(app);
    if (built.target !== 'direct') throw new Error('expected a direct app');
    // A stage nested in a regional stage, as deep as the pipeline's stages are.
    const rogue = new Stack(new Stage(built.regional[0]!, 'Rogue'), 'Queue', {
      env: { account: DUMMY_ACCOUNT, region: 'us-east-1' },
    });
    new sqs.Queue(rogue, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED });

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3[\s\S]*Dev-us-east-1\/Rogue\/Queue\/Unencrypted/);
  });

  it('checks the stacks the pipeline deploys, inside its stages', () => {
    const app = appWith();
    const built = buildApp(app);
    if (built.target !== 'pipeline') throw new Error('expected the pipeline');
    // CDK Pipelines synthesizes its stages when they are added, so the tree cannot change before app.synth();
    // the registered pack is run here the way synthesis runs it, over the whole app.
    const prodEu = built.pipeline.node.findChild('Prod-eu-west-1').node.findChild('Regional');
    new sqs.Queue(prodEu, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED });

    const report = built.nag.validateScope(app);

    expect(report.violations.find((v) => v.ruleName === 'AwsSolutions-SQS3')?.violatingResources).toEqual([
      expect.objectContaining({
        constructPath: 'MeridianPipeline/Prod-eu-west-1/Regional/Unencrypted/Resource',
      }),
    ]);
  });
});
