import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TABLES, type TableId } from '../../services/shared/tables';
import type { MeridianEnvironment } from '../config';
import { MeridianFunction, lambdaDeploymentConfig, type MeridianService } from '../constructs';
import { tableName } from '../global-data';

/** Every Lambda entry point of `services/<service>/main.ts`, by the name the regional stack uses for it. */
export const SERVICE_FUNCTIONS = {
  ordersApi: { service: 'orders', handler: 'api' },
  setOrderStatus: { service: 'orders', handler: 'setOrderStatus' },
  ordersEvents: { service: 'orders', handler: 'events' },
  takeoverStranded: { service: 'orders', handler: 'takeoverStranded' },
  reserveStock: { service: 'inventory', handler: 'reserveStock' },
  commitStock: { service: 'inventory', handler: 'commitStock' },
  releaseStock: { service: 'inventory', handler: 'releaseStock' },
  inventoryEvents: { service: 'inventory', handler: 'events' },
  sweepExpired: { service: 'inventory', handler: 'sweepExpired' },
  inventoryApi: { service: 'inventory', handler: 'api' },
  authorizePayment: { service: 'payments', handler: 'authorizePayment' },
  capturePayment: { service: 'payments', handler: 'capturePayment' },
  refundPayment: { service: 'payments', handler: 'refundPayment' },
  paymentsWebhook: { service: 'payments', handler: 'webhook' },
  shippingConsumer: { service: 'shipping', handler: 'consumer' },
  shippingDlq: { service: 'shipping', handler: 'dlq' },
  redrive: { service: 'shipping', handler: 'redrive' },
  cancelShipment: { service: 'shipping', handler: 'cancelShipment' },
  setFailureInjection: { service: 'shipping', handler: 'setFailureInjection' },
  notify: { service: 'notifications', handler: 'notify' },
  notificationsEvents: { service: 'notifications', handler: 'events' },
} as const satisfies Record<string, { service: MeridianService; handler: string }>;

/** The name of one of the region's functions. */
export type ServiceFunctionName = keyof typeof SERVICE_FUNCTIONS;

/**
 * Timeout of the shipping queue's consumer. The queue's visibility timeout is six times it (Messaging's
 * `shippingConsumerTimeout`), so the regional stack passes this value to both.
 */
export const SHIPPING_CONSUMER_TIMEOUT = Duration.seconds(30);

/**
 * Timeout of the payments webhook: below the webhook's dedupe lease (PAYMENT_WEBHOOK_DEDUPE_LEASE_MS,
 * 10 s by default), so a claim never expires while its holder is still running.
 */
const WEBHOOK_TIMEOUT = Duration.seconds(8);

/**
 * Timeout of the authorization step. With `PAYMENT_WEBHOOK_DELAY_MS=0` the simulated provider delivers its
 * webhook inside this invocation, retrying for up to 12 attempts × 5 s plus ~64 s of backoff.
 */
const AUTHORIZE_TIMEOUT = Duration.seconds(150);

/**
 * What the services' DynamoDB adapters call (Get, Put, Update, Delete, Query: no Scan, no batch or stream
 * reads), granted on a table and its indexes.
 */
const ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
] as const;

/**
 * Timeout of the takeover of stranded orders (docs/decisions/007): a run reads every region's health check
 * from Route 53 and takes over at most 100 orders, each a conditional write and an event. It runs every
 * minute; a run cut short is finished by the next one (the marker is written once, attribute_not_exists).
 */
const TAKEOVER_TIMEOUT = Duration.seconds(60);

/**
 * The Route 53 read actions the takeover function calls on a health check it found by its tags
 * (ListHealthChecks itself supports no resource-level permission and is granted on `*`).
 */
const HEALTH_CHECK_READ_ACTIONS = [
  'route53:ListTagsForResource',
  'route53:ListTagsForResources',
  'route53:GetHealthCheck',
  'route53:GetHealthCheckStatus',
] as const;

/**
 * The functions that hold the provider webhooks' HMAC secret: the authorize step (its simulated provider
 * signs the webhooks it sends) and the webhook (verifies them). Capture and refund never see it.
 */
const WEBHOOK_SECRET_READERS = [
  'authorizePayment',
  'paymentsWebhook',
] as const satisfies readonly ServiceFunctionName[];

/** Props of {@link Services}. */
export interface ServicesProps {
  /** The environment: table names, canary, alarm thresholds, data protection. */
  readonly config: MeridianEnvironment;
  /** The region's event bus: every service publishes to it (`EVENT_BUS_NAME`). */
  readonly bus: events.IEventBus;
  /** The shipping queue: the consumer reads it, re-drive writes to it. */
  readonly shippingQueue: sqs.IQueue;
  /** The shipping DLQ, read by the shipping `dlq` function. */
  readonly shippingDlq: sqs.IQueue;
  /** Customer notifications topic (`CUSTOMER_TOPIC_ARN`). */
  readonly customerTopic: sns.ITopic;
  /** Ops alerts topic (`OPS_TOPIC_ARN`). */
  readonly opsTopic: sns.ITopic;
  /**
   * ARN of this region's order saga, built from its name (`orderSagaArn`): the saga invokes these functions,
   * so referencing the state machine itself would be a dependency cycle.
   */
  readonly stateMachineArn: string;
  /**
   * Where the simulated provider sends its signed webhooks: this region's own execute-api endpoint (never
   * the latency-routed name: only the home region may write a payment).
   */
  readonly paymentWebhookUrl: string;
  /**
   * The `From` address of customer e-mail; SES must have it, or its domain, as a verified identity.
   * @default none: no e-mail is sent and customers are notified through the customer topic
   */
  readonly emailSender?: string;
  /**
   * Concurrent invocations of the shipping consumer (SQS event source `maxConcurrency`, 2..1000).
   * @default 10
   */
  readonly shippingConsumerConcurrency?: number;
}

/**
 * The region's 21 Lambda functions (every export of `services/*\/main.ts`) as {@link MeridianFunction}s,
 * each with exactly the environment its `loadConfig` requires and least-privilege grants: read/write on
 * the Global Table replicas it uses, PutEvents on the bus, the saga, the queues, the topics and SES, and
 * for the takeover of stranded orders, reads of the environment's Route 53 health checks.
 * One CodeDeploy application and role serve all their deployment groups.
 */
export class Services extends Construct {
  /** The functions by name. */
  readonly functions: Readonly<Record<ServiceFunctionName, MeridianFunction>>;
  /** This region's replicas of the Global Tables, imported by name (never across stages). */
  readonly tables: Readonly<Record<TableId, dynamodb.ITableV2>>;
  /** The HMAC secret of provider webhooks, generated per region. */
  readonly webhookSecret: secretsmanager.Secret;
  /** The CodeDeploy application of every function's deployment group. */
  readonly application: codedeploy.LambdaApplication;

  constructor(scope: Construct, id: string, props: ServicesProps) {
    super(scope, id);
    const { config, bus } = props;
    const concurrency = props.shippingConsumerConcurrency ?? 10;
    if (!Number.isInteger(concurrency) || concurrency < 2 || concurrency > 1000) {
      throw new Error(
        `Services: shippingConsumerConcurrency must be an integer in 2..1000, got ${concurrency}`,
      );
    }
    if (props.emailSender !== undefined && !/^[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,}$/i.test(props.emailSender)) {
      throw new Error(`Services: emailSender must be an e-mail address, got "${props.emailSender}"`);
    }

    this.tables = importTables(this, config);
    const envTables = (...ids: TableId[]) =>
      Object.fromEntries(ids.map((t) => [TABLES[t].envVar, this.tables[t].tableName]));

    this.webhookSecret = new secretsmanager.Secret(this, 'PaymentWebhookSecret', {
      description: `Meridian ${config.name}: HMAC key of the payment provider's webhooks in ${Stack.of(this).region}`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: config.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.webhookSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The webhook key is shared by the signing provider and the verifying webhook, each reading it once per cold start: rotating it needs a dual-key verification window the payments service does not implement yet.',
    });

    const environments: Record<MeridianService, Record<string, string>> = {
      // One composition root (services/orders/main.ts) loads one config for its four functions, the
      // takeover of stranded orders (docs/decisions/007) included.
      orders: {
        ...envTables('orders', 'processed-events'),
        EVENT_BUS_NAME: bus.eventBusName,
        STATE_MACHINE_ARN: props.stateMachineArn,
        // Config order: the first healthy region of this list (other than the lost one) takes over.
        MERIDIAN_REGIONS: config.regions.join(','),
        // The value of every health check's `meridian:environment` tag (RegionalDns).
        MERIDIAN_ENVIRONMENT: config.prefix,
        TAKEOVER_GRACE_SECONDS: String(config.takeoverGraceMinutes * 60),
      },
      inventory: { ...envTables('inventory', 'processed-events'), EVENT_BUS_NAME: bus.eventBusName },
      payments: {
        ...envTables('payments', 'processed-events'),
        EVENT_BUS_NAME: bus.eventBusName,
        PAYMENT_WEBHOOK_URL: props.paymentWebhookUrl,
      },
      shipping: {
        ...envTables('shipments'),
        EVENT_BUS_NAME: bus.eventBusName,
        SHIPPING_QUEUE_URL: props.shippingQueue.queueUrl,
      },
      notifications: {
        ...envTables('processed-events'),
        NOTIFICATIONS_CHANNEL: 'aws',
        CUSTOMER_TOPIC_ARN: props.customerTopic.topicArn,
        OPS_TOPIC_ARN: props.opsTopic.topicArn,
        ...(props.emailSender && { SES_FROM_ADDRESS: props.emailSender }),
      },
    };
    // Only the secret's ARN, never its value: the readers fetch it at run time (granted below), so the
    // secret is not readable in any function's configuration.
    const extraEnvironment: Partial<Record<ServiceFunctionName, Record<string, string>>> = Object.fromEntries(
      WEBHOOK_SECRET_READERS.map((name) => [
        name,
        { PAYMENT_WEBHOOK_SECRET_ARN: this.webhookSecret.secretArn },
      ]),
    );
    const timeouts: Partial<Record<ServiceFunctionName, Duration>> = {
      authorizePayment: AUTHORIZE_TIMEOUT,
      paymentsWebhook: WEBHOOK_TIMEOUT,
      shippingConsumer: SHIPPING_CONSUMER_TIMEOUT,
      sweepExpired: Duration.seconds(60),
      takeoverStranded: TAKEOVER_TIMEOUT,
      redrive: Duration.minutes(5),
    };

    this.application = new codedeploy.LambdaApplication(this, 'Deployments', {
      applicationName: `${config.prefix}-functions`,
    });
    const deploymentRole = new iam.Role(this, 'DeploymentRole', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
      description: `Meridian ${config.name}: CodeDeploy shifts the live aliases`,
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSCodeDeployRoleForLambdaLimited'),
      ],
    });
    Validations.of(deploymentRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      reason:
        'The AWS-maintained least-privilege policy for CodeDeploy Lambda deployments (read alarms, update aliases, invoke hooks), kept current by AWS as CodeDeploy evolves.',
    });
    const deploymentConfig = lambdaDeploymentConfig(this, config.canary);

    const functions = {} as Record<ServiceFunctionName, MeridianFunction>;
    for (const [name, { service, handler }] of Object.entries(SERVICE_FUNCTIONS) as [
      ServiceFunctionName,
      (typeof SERVICE_FUNCTIONS)[ServiceFunctionName],
    ][]) {
      functions[name] = new MeridianFunction(this, name, {
        config,
        service,
        handler,
        environment: { ...environments[service], ...extraEnvironment[name] },
        timeout: timeouts[name],
        application: this.application,
        deploymentRole,
        deploymentConfig,
      });
    }
    this.functions = functions;
    this.grant(props);
    this.connectQueues(props, concurrency);
  }

  /** Least privilege, per function: exactly the tables, bus, saga, queue, topics, identity and secret it uses. */
  private grant(props: ServicesProps): void {
    const f = this.functions;
    const t = this.tables;
    const stack = Stack.of(this);
    const itemAccess = (table: TableId, ...names: ServiceFunctionName[]) => {
      const indexArn = nagResourceName(stack.resolve(`${t[table].tableArn}/index/*`));
      for (const name of names) {
        t[table].grant(f[name].function, ...ITEM_ACTIONS);
        if (TABLES[table].gsis.length === 0) continue;
        Validations.of(f[name].function.role!).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${indexArn}]`,
          reason: `The ${table} table's global secondary indexes (${TABLES[table].gsis.map((g) => g.indexName).join(', ')}, services/shared/tables.ts): Query on an index needs the index ARN; the wildcard stays inside this one table.`,
        });
      }
    };
    itemAccess('orders', 'ordersApi', 'setOrderStatus', 'ordersEvents', 'takeoverStranded');
    itemAccess(
      'inventory',
      'reserveStock',
      'commitStock',
      'releaseStock',
      'inventoryEvents',
      'sweepExpired',
      'inventoryApi',
    );
    itemAccess('payments', 'authorizePayment', 'capturePayment', 'refundPayment', 'paymentsWebhook');
    itemAccess(
      'shipments',
      'shippingConsumer',
      'shippingDlq',
      'redrive',
      'cancelShipment',
      'setFailureInjection',
    );
    itemAccess('processed-events', 'ordersEvents', 'inventoryEvents', 'paymentsWebhook');
    itemAccess('processed-events', 'notify', 'notificationsEvents');

    for (const name of WEBHOOK_SECRET_READERS) this.webhookSecret.grantRead(f[name].function);

    // Everything that publishes a domain event.
    const publishers: ServiceFunctionName[] = [
      'ordersApi',
      'setOrderStatus',
      'ordersEvents',
      'takeoverStranded',
      'reserveStock',
      'commitStock',
      'releaseStock',
      'inventoryEvents',
      'sweepExpired',
      'inventoryApi',
      'authorizePayment',
      'capturePayment',
      'refundPayment',
      'paymentsWebhook',
      'shippingConsumer',
      'shippingDlq',
    ];
    for (const name of publishers) props.bus.grantPutEventsTo(f[name].function);

    // The orders API starts sagas and its deep health check describes the bus and the state machine.
    const saga = sfn.StateMachine.fromStateMachineArn(this, 'Saga', props.stateMachineArn);
    const ordersApi = f.ordersApi.function;
    saga.grantStartExecution(ordersApi);
    saga.grant(ordersApi, 'states:DescribeStateMachine');
    iam.Grant.addToPrincipal({
      grantee: ordersApi,
      actions: ['events:DescribeEventBus'],
      resourceArns: [props.bus.eventBusArn],
    });
    // Task tokens: the payment decision (authorize step or webhook) and the shipment (consumer) resume the saga.
    for (const name of ['authorizePayment', 'paymentsWebhook', 'shippingConsumer'] as const) {
      saga.grantTaskResponse(f[name].function);
    }

    this.grantHealthCheckReads(f.takeoverStranded);
    this.grantPeerOrderReads(f.setOrderStatus, props.config);

    props.shippingQueue.grantSendMessages(f.redrive.function);
    acknowledgeKmsWildcards(f.redrive, ['kms:ReEncrypt*', 'kms:GenerateDataKey*'], 'the shipping queue');

    for (const name of ['notify', 'notificationsEvents'] as const) {
      props.customerTopic.grantPublish(f[name].function);
      if (props.emailSender) this.grantSendEmail(f[name].function, props.emailSender);
    }
    props.opsTopic.grantPublish(f.notificationsEvents.function);
    acknowledgeKmsWildcards(f.notify, ['kms:GenerateDataKey*'], 'the customer topic');
    acknowledgeKmsWildcards(f.notificationsEvents, ['kms:GenerateDataKey*'], 'the customer and ops topics');
  }

  /**
   * What the takeover function reads of Route 53 (docs/decisions/007): it lists the health checks, keeps
   * those tagged with this environment, and reads each one's tags, configuration and status. Route 53 is
   * global: its ARNs have neither region nor account.
   */
  private grantHealthCheckReads(fn: MeridianFunction): void {
    const stack = Stack.of(this);
    const healthChecks = Arn.format(
      {
        service: 'route53',
        region: '',
        account: '',
        resource: 'healthcheck',
        resourceName: '*',
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      },
      stack,
    );
    iam.Grant.addToPrincipal({
      grantee: fn.function,
      actions: ['route53:ListHealthChecks'],
      resourceArns: ['*'],
    });
    iam.Grant.addToPrincipal({
      grantee: fn.function,
      actions: [...HEALTH_CHECK_READ_ACTIONS],
      resourceArns: [healthChecks],
    });
    // On the role's policy, where the statements are: MeridianFunction acknowledges Resource::* on the role
    // for X-Ray alone, and the acknowledgement nearest the finding is the one its audit trail records.
    const policy = fn.function.role!.node.findChild('DefaultPolicy');
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "Active X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) and route53:ListHealthChecks support no resource-level permissions: listing the account's health checks is how the takeover function finds the peer regions' checks by their tags.",
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResourceName(stack.resolve(healthChecks))}]`,
      reason:
        "Read-only (ListTagsForResource(s), GetHealthCheck, GetHealthCheckStatus) on the account's Route 53 health checks: the peer regions' check ids are created in their own stacks and unknown at synth, so the function finds them by their meridian:environment and meridian:region tags.",
    });
  }

  /**
   * Query on the peer regions' replicas of the orders table (one order's partition: the order and its
   * takeover marker). The set-status step confirms there that no peer holds the order as its own before
   * RESERVED (docs/decisions/003), and reads a takeover marker for an order left untouched for half the
   * grace period, because its own replica may not have it yet after an outage (docs/decisions/007).
   * Read-only, one table, named regions.
   */
  private grantPeerOrderReads(fn: MeridianFunction, config: MeridianEnvironment): void {
    const stack = Stack.of(this);
    const peers = config.regions.filter((r) => r !== stack.region);
    if (peers.length === 0) return;
    iam.Grant.addToPrincipal({
      grantee: fn.function,
      actions: ['dynamodb:Query'],
      resourceArns: peers.map((region) =>
        Arn.format(
          { service: 'dynamodb', region, resource: 'table', resourceName: tableName(config, 'orders') },
          stack,
        ),
      ),
    });
  }

  /** SES v2 SendEmail from the configured sender only, whichever identity (domain or address) SES verified. */
  private grantSendEmail(grantee: iam.IGrantable, sender: string): void {
    const stack = Stack.of(this);
    const domain = sender.slice(sender.lastIndexOf('@') + 1);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['ses:SendEmail'],
      resourceArns: [sender, domain].map((identity) =>
        Arn.format({ service: 'ses', resource: 'identity', resourceName: identity }, stack),
      ),
      conditions: { StringEquals: { 'ses:FromAddress': sender } },
    });
  }

  /** The shipping consumer on the queue (partial batch responses) and the DLQ function on the DLQ. */
  private connectQueues(props: ServicesProps, maxConcurrency: number): void {
    this.functions.shippingConsumer.alias.addEventSource(
      new eventSources.SqsEventSource(props.shippingQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency,
      }),
    );
    this.functions.shippingDlq.alias.addEventSource(
      new eventSources.SqsEventSource(props.shippingDlq, {
        batchSize: 10,
        reportBatchItemFailures: true,
        // Dead letters are rare: a couple of pollers leave the concurrency to the order path.
        maxConcurrency: 2,
      }),
    );
  }
}

/** KMS action wildcards CDK's queue and topic grants add, scoped to the messaging key of the region. */
function acknowledgeKmsWildcards(fn: MeridianFunction, actions: string[], what: string): void {
  for (const action of actions) {
    Validations.of(fn.function.role!).acknowledge({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: `Granted by CDK for sending to ${what}, encrypted with the region's messaging key, and on that key only: SSE with a customer-managed key needs data keys (${action} adds only its variants of the same operation).`,
    });
  }
}

/** This region's replicas of every Global Table, by name, with their GSIs so grants cover index queries. */
function importTables(scope: Construct, config: MeridianEnvironment): Record<TableId, dynamodb.ITableV2> {
  // No encryptionKey: the data keys' policy lets any principal of the account use the key through
  // DynamoDB (kms:ViaService), as with the AWS managed key, so no identity needs a KMS statement.
  const tables = {} as Record<TableId, dynamodb.ITableV2>;
  for (const definition of Object.values(TABLES)) {
    tables[definition.id] = dynamodb.TableV2.fromTableAttributes(scope, `Table-${definition.id}`, {
      tableName: tableName(config, definition.id),
      globalIndexes: definition.gsis.map((g) => g.indexName),
    });
  }
  return tables;
}

/**
 * A resolved CloudFormation value as cdk-nag names it in a finding id: `{ Ref: X }` → `<X>`,
 * `{ Fn::GetAtt: [X, Arn] }` → `<X.Arn>`, `Fn::Join` concatenated.
 */
function nagResourceName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') return `<${v.Ref}>`;
    if (Array.isArray(v['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if (Array.isArray(v['Fn::Join'])) {
      const [delimiter, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(nagResourceName).join(delimiter);
    }
  }
  return JSON.stringify(value);
}
