import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { MeridianEnvironment } from '../config';

/** Lambda's rule for an SQS event source: visibility timeout at least six times the function timeout. */
const VISIBILITY_TO_CONSUMER_TIMEOUT = 6;

/** Loose shape check of an e-mail address (SNS validates it for real when subscribing). */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Props of {@link Messaging}. */
export interface MessagingProps {
  readonly config: MeridianEnvironment;
  /**
   * Timeout of the shipping queue's consumer function; the queue's visibility timeout is six times it,
   * so a message is not handed to a second consumer while the first may still be working on it.
   * @default Duration.seconds(30)
   */
  readonly shippingConsumerTimeout?: Duration;
  /**
   * Receives of a shipping message before SQS moves it to the shipping DLQ.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * An e-mail address subscribed to the ops topic, so alarms reach a person. SNS mails a confirmation
   * link first: nothing is delivered until the recipient confirms.
   * @default - no subscription (alarms are only visible in CloudWatch and to other subscribers)
   */
  readonly opsEmail?: string;
}

/**
 * The queues and topics of one region: the shipping queue and its DLQ, the DLQ for EventBridge rule
 * targets, and the customer and ops topics, all encrypted with one customer-managed key of the region.
 */
export class Messaging extends Construct {
  /** Customer-managed key (with rotation) of this region's queues and topics. */
  readonly key: kms.Key;
  /** The shipping queue: the saga's CreateShipment step sends, the shipping consumer receives. */
  readonly shippingQueue: sqs.Queue;
  /** Where shipping messages go after `maxReceiveCount` failed receives (handled by shipping `dlq`). */
  readonly shippingDlq: sqs.Queue;
  /** Dead-letter queue of EventBridge rule targets (consumers, schedules and forwarding rules). */
  readonly eventTargetDlq: sqs.Queue;
  /** Customer notifications. */
  readonly customerTopic: sns.Topic;
  /**
   * Ops alerts: CloudWatch alarms (of this account and region, allowed by the topic policy) and the
   * notifications service publish here; `opsEmail`, when given, is subscribed.
   */
  readonly opsTopic: sns.Topic;
  /** Every dead-letter queue of this construct, for alarms. */
  readonly dlqs: sqs.IQueue[];

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);
    const { config } = props;
    const consumerTimeout = props.shippingConsumerTimeout ?? Duration.seconds(30);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new Error(`Messaging: maxReceiveCount must be an integer in 1..1000, got ${maxReceiveCount}`);
    }
    if (props.opsEmail !== undefined && !Token.isUnresolved(props.opsEmail) && !EMAIL.test(props.opsEmail)) {
      throw new Error(`Messaging: opsEmail must be an e-mail address, got "${props.opsEmail}"`);
    }
    const visibilityTimeout = Duration.seconds(consumerTimeout.toSeconds() * VISIBILITY_TO_CONSUMER_TIMEOUT);
    if (visibilityTimeout.toSeconds() > Duration.hours(12).toSeconds()) {
      throw new Error(
        `Messaging: shippingConsumerTimeout ${consumerTimeout.toHumanString()} makes the visibility timeout exceed 12 hours`,
      );
    }

    this.key = new kms.Key(this, 'Key', {
      description: `Meridian ${config.prefix}: SQS queues and SNS topics of ${Stack.of(this).region}`,
      enableKeyRotation: true,
      removalPolicy: config.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(config.protectData ? 30 : 7),
    });
    // CloudWatch alarm actions publish to the encrypted ops topic as the CloudWatch service principal,
    // which IAM grants cannot reach: the key policy must allow it.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    // EventBridge writes undeliverable events to the encrypted DLQ and delivers rule targets to the
    // encrypted topics as the EventBridge service principal. No aws:SourceAccount/SourceArn condition:
    // those KMS requests are not documented to carry them, and a condition that does not match drops
    // deliveries silently. The queue and topic policies stay the gate (only this stack's rules may send).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToDeliverToEncryptedQueuesAndTopics',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );

    const encrypted = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
    } as const;
    // A DLQ holds what failed and must be looked at: keep it when data is protected, for 14 days (the SQS maximum).
    const deadLetter = {
      ...encrypted,
      retentionPeriod: Duration.days(14),
      removalPolicy: config.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    } as const;

    this.shippingDlq = new sqs.Queue(this, 'ShippingDlq', deadLetter);
    this.shippingQueue = new sqs.Queue(this, 'ShippingQueue', {
      ...encrypted,
      visibilityTimeout,
      deadLetterQueue: { queue: this.shippingDlq, maxReceiveCount },
    });

    this.eventTargetDlq = new sqs.Queue(this, 'EventTargetDlq', deadLetter);
    Validations.of(this.eventTargetDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead-letter queue (of EventBridge rule targets, referenced from each rule's DeadLetterConfig, which cdk-nag does not recognise); a DLQ of a DLQ would only move the same messages again. Its depth is alarmed to ops (RegionalMonitoring, > dlqDepth).",
    });

    this.customerTopic = new sns.Topic(this, 'CustomerTopic', {
      displayName: `Meridian ${config.name} customer notifications`,
      masterKey: this.key,
      enforceSSL: true,
    });
    this.opsTopic = new sns.Topic(this, 'OpsTopic', {
      displayName: `Meridian ${config.name} ops alerts`,
      masterKey: this.key,
      enforceSSL: true,
    });
    // enforceSSL gives the topic a policy of its own, which replaces SNS's default policy (the one that
    // allows publishing on the owner account's behalf): CloudWatch alarm actions must be allowed
    // explicitly, and only for alarms of this account and region (confused deputy).
    const stack = Stack.of(this);
    this.opsTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.opsTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': Arn.format(
              {
                service: 'cloudwatch',
                resource: 'alarm',
                resourceName: '*',
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              },
              stack,
            ),
          },
        },
      }),
    );
    if (props.opsEmail !== undefined) {
      this.opsTopic.addSubscription(new subscriptions.EmailSubscription(props.opsEmail));
    }

    this.dlqs = [this.shippingDlq, this.eventTargetDlq];
  }
}
