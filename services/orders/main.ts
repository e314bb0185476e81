/**
 * Composition root of the orders service: config and clients once per cold start, adapters, use cases,
 * and the Lambda entry points:
 *  - `api`            API Gateway REST proxy: /orders, /orders/{id}, /orders/{id}/cancel, /health
 *  - `setOrderStatus` the saga's set-status step
 *  - `events`         EventBridge consumer of OrderCancellationRequested
 *  - `takeoverStranded` scheduled takeover of an unavailable region's stranded orders (docs/decisions/007)
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { DynamoProcessedEventStore } from '../shared/adapters/dynamo-processed-events';
import { EventBridgePublisher } from '../shared/adapters/eventbridge-publisher';
import { dynamoDocumentClient, eventBridgeClient, route53Client, sfnClient } from '../shared/clients';
import { systemClock } from '../shared/clock';
import { env, loadConfig } from '../shared/config';
import { instrumented } from '../shared/lambda';
import { observability } from '../shared/observability';
import { DynamoIdempotencyStore } from './adapters/dynamo-idempotency-store';
import { DynamoOrderRepository } from './adapters/dynamo-order-repository';
import { DynamoPeerOrders } from './adapters/dynamo-peer-orders';
import { DynamoTakeoverStore } from './adapters/dynamo-takeover-store';
import { DynamoTableProbe, EventBusProbe, StateMachineProbe } from './adapters/health-probes';
import { Route53RegionHealth } from './adapters/route53-region-health';
import { SfnSagaStarter } from './adapters/sfn-saga-starter';
import { CancelOrder } from './domain/cancel-order';
import { CheckHealth } from './domain/check-health';
import { PlaceOrder } from './domain/place-order';
import { GetOrder, ListOrders } from './domain/queries';
import { SetOrderStatus } from './domain/set-order-status';
import { TakeoverStranded } from './domain/takeover-stranded';
import { buildApiHandler, requestCorrelationId } from './handlers/api';
import { buildEventsHandler } from './handlers/events';
import { buildSetOrderStatusHandler } from './handlers/set-order-status';
import { buildTakeoverHandler, takeoverCorrelationId } from './handlers/takeover';

const config = loadConfig({
  AWS_REGION: env.region(),
  ORDERS_TABLE: env.required(),
  PROCESSED_EVENTS_TABLE: env.required(),
  EVENT_BUS_NAME: env.required(),
  STATE_MACHINE_ARN: env.required(),
  IDEMPOTENCY_TTL_SECONDS: env.int(86_400, 60, 30 * 86_400),
  HEALTH_CHECK_TIMEOUT_MS: env.int(1_500, 50, 29_000),
  /** Every region of the environment, comma-separated, in configuration order. */
  MERIDIAN_REGIONS: env.regionList(),
  /** The environment's resource prefix: the tag value of its Route 53 health checks. */
  MERIDIAN_ENVIRONMENT: env.required(),
  TAKEOVER_GRACE_SECONDS: env.int(1_500, 1, 86_400),
});

const obs = observability('orders');
const { logger, metrics, tracer } = obs;
const region = config.AWS_REGION;

const dynamo = dynamoDocumentClient({ region, tracer });
const eventBridge = eventBridgeClient({ region, tracer });
const sfn = sfnClient({ region, tracer });

const orders = new DynamoOrderRepository(dynamo, config.ORDERS_TABLE);
const takeovers = new DynamoTakeoverStore(dynamo, config.ORDERS_TABLE);
const publisher = new EventBridgePublisher({ client: eventBridge, busName: config.EVENT_BUS_NAME });
const cancelOrder = new CancelOrder({ orders, publisher, clock: systemClock, region });

/** API Gateway REST proxy handler of the orders API. */
export const api = instrumented(
  obs,
  (event: APIGatewayProxyEvent) => requestCorrelationId(event),
  buildApiHandler({
    placeOrder: new PlaceOrder({
      idempotency: new DynamoIdempotencyStore(dynamo, config.ORDERS_TABLE),
      orders,
      publisher,
      saga: new SfnSagaStarter(sfn, config.STATE_MACHINE_ARN),
      clock: systemClock,
      region,
      idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
    }),
    getOrder: new GetOrder(orders),
    listOrders: new ListOrders(orders, takeovers),
    cancelOrder,
    checkHealth: new CheckHealth({
      probes: [
        new DynamoTableProbe(dynamo, config.ORDERS_TABLE),
        new EventBusProbe(eventBridge, config.EVENT_BUS_NAME),
        new StateMachineProbe(sfn, config.STATE_MACHINE_ARN),
      ],
      region,
      timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
    }),
    logger,
    metrics,
  }),
);

/** The saga's set-status step. */
export const setOrderStatus = instrumented(
  obs,
  (event: unknown) => stringField(event, 'correlationId'),
  buildSetOrderStatusHandler({
    setOrderStatus: new SetOrderStatus({
      orders,
      publisher,
      clock: systemClock,
      region,
      peers: {
        replicas: new DynamoPeerOrders(
          new Map(
            config.MERIDIAN_REGIONS.filter((r) => r !== region).map((r) => [
              r,
              dynamoDocumentClient({ region: r, tracer }),
            ]),
          ),
          config.ORDERS_TABLE,
        ),
        staleAfterMs: (config.TAKEOVER_GRACE_SECONDS * 1000) / 2,
        onUnconfirmed: (orderId, peers) =>
          logger.warn('order written before these peers received it (replication stalled)', {
            orderId,
            peers,
          }),
      },
    }),
    logger,
    metrics,
  }),
);

/** EventBridge consumer: applies forwarded cancellation requests to orders this region owns. */
export const events = instrumented(
  obs,
  (event: unknown) => stringField(fieldOf(event, 'detail'), 'correlationId'),
  buildEventsHandler({
    cancelOrder,
    processed: new DynamoProcessedEventStore(dynamo, config.PROCESSED_EVENTS_TABLE, region),
    logger,
    metrics,
  }),
);

/** Scheduled: takes over the stranded orders of a region unavailable for the grace period. */
export const takeoverStranded = instrumented(
  obs,
  takeoverCorrelationId,
  buildTakeoverHandler({
    takeoverStranded: new TakeoverStranded({
      orders,
      takeovers,
      health: new Route53RegionHealth(route53Client({ tracer }), {
        environment: config.MERIDIAN_ENVIRONMENT,
        onUnknown: (peer, reason) => logger.warn('region health unknown', { peer, reason }),
      }),
      publisher,
      clock: systemClock,
      region,
      regions: config.MERIDIAN_REGIONS,
      graceMs: config.TAKEOVER_GRACE_SECONDS * 1000,
    }),
    logger,
    metrics,
  }),
);

function fieldOf(value: unknown, key: string): unknown {
  return value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

function stringField(value: unknown, key: string): string | undefined {
  const v = fieldOf(value, key);
  return typeof v === 'string' ? v : undefined;
}
