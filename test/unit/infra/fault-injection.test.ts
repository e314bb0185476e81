import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_ENVIRONMENTS, resolveEnvironment } from '../../../lib/config';
import { ReplicationPauseExperiment } from '../../../lib/regional/fault-injection';
import { FIS_TEMPLATE_TAGS, REPLICATION_PAUSE_ACTION } from '../../../services/shared/fault-injection';

const STAGING = resolveEnvironment(DEFAULT_ENVIRONMENTS.staging);
const REGION = STAGING.regions[0]!;

function experiment(props: { maxDuration?: Duration; alarms?: number } = {}) {
  const app = new App();
  const stack = new Stack(app, 'Drills', { env: { account: STAGING.account, region: REGION } });
  const tables = ['orders', 'inventory'].map((t) =>
    dynamodb.TableV2.fromTableName(stack, `T-${t}`, `${STAGING.prefix}-${t}`),
  );
  const metric = new cloudwatch.Metric({ namespace: 'Test', metricName: 'Errors' });
  const stopAlarms = Array.from(
    { length: props.alarms ?? 1 },
    (_, i) => new cloudwatch.Alarm(stack, `Alarm${i}`, { metric, threshold: 1, evaluationPeriods: 1 }),
  );
  const construct = new ReplicationPauseExperiment(stack, 'ReplicationPause', {
    config: STAGING,
    tables,
    stopAlarms,
    ...(props.maxDuration && { maxDuration: props.maxDuration }),
  });
  return { app, stack, construct, template: Template.fromStack(stack) };
}

const tableArn = (name: string) =>
  Match.objectLike({
    'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`:table/${name}$`)])],
  });

describe('ReplicationPauseExperiment', () => {
  it('pauses the replication of exactly the given replicas, for at most 30 minutes by default', () => {
    const { template } = experiment();

    template.hasResourceProperties('AWS::FIS::ExperimentTemplate', {
      Targets: {
        Tables: {
          ResourceType: 'aws:dynamodb:global-table',
          ResourceArns: [tableArn(`${STAGING.prefix}-orders`), tableArn(`${STAGING.prefix}-inventory`)],
          SelectionMode: 'ALL',
        },
      },
      Actions: {
        PauseReplication: Match.objectLike({
          ActionId: REPLICATION_PAUSE_ACTION,
          Parameters: { duration: 'PT30M' },
          Targets: { Tables: 'Tables' },
        }),
      },
    });
  });

  it('is tagged with the environment, the region and the drill, which is how a drill finds it', () => {
    const { template } = experiment();

    template.hasResourceProperties('AWS::FIS::ExperimentTemplate', {
      Tags: {
        [FIS_TEMPLATE_TAGS.environment]: STAGING.prefix,
        [FIS_TEMPLATE_TAGS.region]: REGION,
        [FIS_TEMPLATE_TAGS.drill]: 'replication-partition',
      },
    });
  });

  it('stops on each given alarm, and says "none" without one', () => {
    const withAlarms = experiment({ alarms: 2 }).template;
    const without = experiment({ alarms: 0 }).template;

    withAlarms.hasResourceProperties('AWS::FIS::ExperimentTemplate', {
      StopConditions: [
        {
          Source: 'aws:cloudwatch:alarm',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Alarm0'), 'Arn'] },
        },
        {
          Source: 'aws:cloudwatch:alarm',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Alarm1'), 'Arn'] },
        },
      ],
    });
    without.hasResourceProperties('AWS::FIS::ExperimentTemplate', { StopConditions: [{ Source: 'none' }] });
  });

  it('runs as a role only FIS of this account can assume, allowed the resource-policy calls on these tables alone', () => {
    const { template } = experiment();

    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'fis.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'dynamodb:DescribeTable',
              'dynamodb:GetResourcePolicy',
              'dynamodb:PutResourcePolicy',
              'dynamodb:DeleteResourcePolicy',
            ],
            Resource: [tableArn(`${STAGING.prefix}-orders`), tableArn(`${STAGING.prefix}-inventory`)],
          },
          { Effect: 'Allow', Action: 'tag:GetResources', Resource: '*' },
        ],
      },
    });
  });

  it('takes a longer bound in whole minutes, and refuses one FIS would not run', () => {
    experiment({ maxDuration: Duration.hours(2) }).template.hasResourceProperties(
      'AWS::FIS::ExperimentTemplate',
      {
        Actions: { PauseReplication: Match.objectLike({ Parameters: { duration: 'PT120M' } }) },
      },
    );
    expect(() => experiment({ maxDuration: Duration.hours(13) })).toThrow(/whole minutes from 1 to 720/);
    expect(() => experiment({ maxDuration: Duration.seconds(30) })).toThrow(/whole minutes from 1 to 720/);
  });

  it('passes cdk-nag with its one acknowledged wildcard (tag:GetResources)', () => {
    const { app, stack } = experiment();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(
      report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`),
    ).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });
});
