import { Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  FIS_TEMPLATE_TAGS,
  GLOBAL_TABLE_RESOURCE_TYPE,
  REPLICATION_PAUSE_ACTION,
} from '../../services/shared/fault-injection';
import type { MeridianEnvironment } from '../config';

/** Props of {@link ReplicationPauseExperiment}. */
export interface ReplicationPauseExperimentProps {
  /** The environment: its prefix tags the template, so a drill of one environment finds only its own. */
  readonly config: MeridianEnvironment;
  /** This region's replicas of the Global Tables whose replication the experiment pauses. */
  readonly tables: readonly dynamodb.ITableV2[];
  /**
   * Alarms that stop the experiment when they go into ALARM: a paused replication must never cost an
   * API 5XX or a failed saga.
   * @default none: the experiment runs until it is stopped or its duration ends
   */
  readonly stopAlarms?: readonly cloudwatch.IAlarm[];
  /**
   * The longest the pause may last. A drill stops the experiment when its fault phase ends; this bounds a
   * drill that dies half-way: FIS then lifts the pause by itself. At most 12 hours (FIS's limit), well
   * inside the 20 hours after which DynamoDB turns a replica that cannot replicate into a single-Region table.
   * @default Duration.minutes(30)
   */
  readonly maxDuration?: Duration;
}

/**
 * An AWS FIS experiment template that pauses Global Tables replication to and from this region's replicas
 * (`aws:dynamodb:global-table-pause-replication`), with the role FIS runs it as: the `replication-partition`
 * drill's fault in AWS (`meridian drill replication-partition --target aws`). The drill finds the template
 * by its tags (FIS_TEMPLATE_TAGS) and starts it; nothing runs until then.
 */
export class ReplicationPauseExperiment extends Construct {
  readonly template: fis.CfnExperimentTemplate;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ReplicationPauseExperimentProps) {
    super(scope, id);
    const { config, tables } = props;
    if (tables.length === 0) throw new Error('ReplicationPauseExperiment: tables must not be empty');
    const maxDuration = props.maxDuration ?? Duration.minutes(30);
    const minutes = maxDuration.toSeconds() / 60;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 12 * 60) {
      throw new Error(
        `ReplicationPauseExperiment: maxDuration must be whole minutes from 1 to 720; got ${maxDuration.toHumanString()}`,
      );
    }
    const region = Stack.of(this).region;

    this.role = new iam.Role(this, 'Role', {
      description: `FIS pauses the replication of the ${config.name} Global Tables' ${region} replicas`,
      assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({ service: 'fis', resource: 'experiment/*' }),
          },
        },
      }),
    });
    // The action adds a time-bound deny for the replication service-linked role to each replica's resource
    // policy and removes it at the end (the FIS action reference lists these permissions).
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'dynamodb:DescribeTable',
          'dynamodb:GetResourcePolicy',
          'dynamodb:PutResourcePolicy',
          'dynamodb:DeleteResourcePolicy',
        ],
        resources: tables.map((t) => t.tableArn),
      }),
    );
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['tag:GetResources'], resources: ['*'] }));
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "tag:GetResources, which the FIS DynamoDB action requires, has no resource-level permissions; the DynamoDB actions are limited to this region's replicas.",
    });

    const stopAlarms = props.stopAlarms ?? [];
    this.template = new fis.CfnExperimentTemplate(this, 'Template', {
      description: `Meridian ${config.name}: pause Global Tables replication of the ${region} replicas (replication-partition drill)`,
      roleArn: this.role.roleArn,
      targets: {
        Tables: {
          resourceType: GLOBAL_TABLE_RESOURCE_TYPE,
          resourceArns: tables.map((t) => t.tableArn),
          selectionMode: 'ALL',
        },
      },
      actions: {
        PauseReplication: {
          actionId: REPLICATION_PAUSE_ACTION,
          description: 'Deny the replication service-linked role on every replica of this region',
          parameters: { duration: `PT${minutes}M` },
          targets: { Tables: 'Tables' },
        },
      },
      stopConditions: stopAlarms.length
        ? stopAlarms.map((a) => ({ source: 'aws:cloudwatch:alarm', value: a.alarmArn }))
        : [{ source: 'none' }],
      experimentOptions: { emptyTargetResolutionMode: 'fail' },
      tags: {
        [FIS_TEMPLATE_TAGS.environment]: config.prefix,
        [FIS_TEMPLATE_TAGS.region]: region,
        [FIS_TEMPLATE_TAGS.drill]: 'replication-partition',
      },
    });
  }
}
