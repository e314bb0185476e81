import { CfnOutput, Duration, Stack, Token, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import type { EventType } from '../../services/shared/events';
import type { MeridianEnvironment } from '../config';
import { API_STAGE_NAME, HEALTH_PATH, RegionalApi } from './api';
import { RegionalDns } from './dns';
import { RegionalEvents } from './events';
import { ReplicationPauseExperiment } from './fault-injection';
import { Messaging } from './messaging';
import { RegionalMonitoring } from './monitoring';
import { OrderSaga, orderSagaArn } from './saga';
import { SHIPPING_CONSUMER_TIMEOUT, Services } from './services';

/** Props of {@link RegionalStack}; `env.region` must be one of `config.regions`. */
export interface RegionalStackProps extends StackProps {
  /** The environment this copy of the platform belongs to. */
  readonly config: MeridianEnvironment;
  /**
   * The `From` address of customer e-mail (SES must have it, or its domain, verified in this region).
   * @default `config.emailSender`; with neither, no e-mail is sent and customers are notified through
   * the SNS customer topic only
   */
  readonly emailSender?: string;
}

/**
 * One region's complete copy of Meridian: queues and topics, the event bus with its consumers and
 * forwarding rules, the 21 service functions (with the every-minute sweep of expired stock holds and
 * takeover of stranded orders), the REST API, the order saga, alarms and dashboard, its Route 53
 * health check and latency records, and the FIS experiment template the replication-partition drill starts.
 */
export class RegionalStack extends Stack {
  readonly messaging: Messaging;
  readonly events: RegionalEvents;
  readonly api: RegionalApi;
  readonly services: Services;
  readonly saga: OrderSaga;
  readonly monitoring: RegionalMonitoring;
  readonly dns: RegionalDns;
  /** The FIS experiment template of the replication-partition drill in AWS (paused until a drill starts it). */
  readonly replicationPause: ReplicationPauseExperiment;
  /** The API's base URL in this region (stage included, trailing slash). */
  readonly apiUrlOutput: CfnOutput;
  /** The deep health check's URL in this region. */
  readonly healthUrlOutput: CfnOutput;
  /** The ARN of this region's event bus. */
  readonly eventBusArnOutput: CfnOutput;

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    const { config, emailSender, ...stackProps } = props;
    super(scope, id, {
      description: `Meridian ${config.name}: the regional platform (API, functions, saga, events, DNS)`,
      terminationProtection: config.protectData,
      ...stackProps,
      env: { account: config.account, ...stackProps.env },
    });
    if (Token.isUnresolved(this.region) || !config.regions.includes(this.region)) {
      throw new Error(
        `RegionalStack: env.region must be one of the ${config.name} regions (${config.regions.join(', ')}), got ${this.region}`,
      );
    }
    if (this.account !== config.account) {
      throw new Error(
        `RegionalStack: env.account ${this.account} is not the ${config.name} account ${config.account}`,
      );
    }

    this.messaging = new Messaging(this, 'Messaging', {
      config,
      shippingConsumerTimeout: SHIPPING_CONSUMER_TIMEOUT,
      ...(config.opsEmail && { opsEmail: config.opsEmail }),
    });
    this.events = new RegionalEvents(this, 'Events', {
      config,
      deadLetterQueue: this.messaging.eventTargetDlq,
    });
    this.api = new RegionalApi(this, 'Api', { config });

    this.services = new Services(this, 'Services', {
      config,
      bus: this.events.bus,
      shippingQueue: this.messaging.shippingQueue,
      shippingDlq: this.messaging.shippingDlq,
      customerTopic: this.messaging.customerTopic,
      opsTopic: this.messaging.opsTopic,
      stateMachineArn: orderSagaArn(this, config),
      // From the API id, not `restApi.url`: the URL names the deployment, which depends on these functions.
      paymentWebhookUrl: this.api.endpointUrl('/payments/webhook'),
      ...((emailSender ?? config.emailSender) && { emailSender: emailSender ?? config.emailSender }),
    });
    const fn = this.services.functions;
    this.api.addRoutes({
      orders: fn.ordersApi.alias,
      inventory: fn.inventoryApi.alias,
      paymentsWebhook: fn.paymentsWebhook.alias,
    });

    this.saga = new OrderSaga(this, 'Saga', {
      config,
      steps: {
        setOrderStatus: fn.setOrderStatus.alias,
        reserveStock: fn.reserveStock.alias,
        commitStock: fn.commitStock.alias,
        releaseStock: fn.releaseStock.alias,
        authorizePayment: fn.authorizePayment.alias,
        capturePayment: fn.capturePayment.alias,
        refundPayment: fn.refundPayment.alias,
        cancelShipment: fn.cancelShipment.alias,
        notify: fn.notify.alias,
      },
      shippingQueue: this.messaging.shippingQueue,
      ordersTable: this.services.tables.orders,
    });

    const consume = (id: string, target: keyof typeof fn, detailTypes: EventType[], localOnly: boolean) =>
      this.events.addLambdaConsumer(id, fn[target].alias, { detailTypes, localOnly });
    // A cancel may arrive in any region; only the order's home region applies it.
    consume('OrdersCancellations', 'ordersEvents', ['OrderCancellationRequested'], false);
    consume('InventorySettlement', 'inventoryEvents', ['OrderFulfilled'], true);
    // OrderTakenOver: this region took over a lost region's order (docs/decisions/007) and tells its customer.
    consume(
      'NotificationsAlerts',
      'notificationsEvents',
      ['OrderFailed', 'ShipmentFailed', 'StockReservationFailed', 'PaymentDeclined', 'OrderTakenOver'],
      true,
    );
    this.events.addScheduledLambda(
      'SweepExpiredHolds',
      fn.sweepExpired.alias,
      events.Schedule.rate(Duration.minutes(1)),
    );
    // Watches the other regions' health checks and, after the grace period, fails their stranded orders.
    this.events.addScheduledLambda(
      'TakeoverStrandedOrders',
      fn.takeoverStranded.alias,
      events.Schedule.rate(Duration.minutes(1)),
    );

    this.monitoring = new RegionalMonitoring(this, 'Monitoring', {
      config,
      opsTopic: this.messaging.opsTopic,
      api: this.api.restApi,
      stateMachine: this.saga.stateMachine,
      functions: Object.fromEntries(Object.entries(fn).map(([name, f]) => [name, f.function])),
      deadLetterQueues: this.messaging.dlqs,
      tableNames: Object.values(this.services.tables).map((t) => t.tableName),
      dashboardName: `${config.prefix}-${this.region}`,
    });

    this.dns = new RegionalDns(this, 'Dns', {
      config,
      executeApiHost: this.api.executeApiHost,
      healthPath: `/${API_STAGE_NAME}${HEALTH_PATH}`,
      domainName: this.api.domainName,
      hostedZone: this.api.hostedZone,
    });

    this.replicationPause = new ReplicationPauseExperiment(this, 'ReplicationPause', {
      config,
      tables: Object.values(this.services.tables),
      stopAlarms: [this.monitoring.api5xxAlarm, this.monitoring.sagaFailuresAlarm],
    });

    this.apiUrlOutput = new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: "The API's base URL in this region (execute-api endpoint, stage included)",
    });
    this.healthUrlOutput = new CfnOutput(this, 'HealthUrl', {
      value: this.api.healthUrl,
      description: "This region's deep health check (the Route 53 health check's target)",
    });
    this.eventBusArnOutput = new CfnOutput(this, 'EventBusArn', {
      value: this.events.bus.eventBusArn,
      description: "This region's event bus (peers forward to it by name)",
    });
  }
}
