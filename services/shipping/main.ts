import { EventBridgePublisher } from '../shared/adapters/eventbridge-publisher';
import { systemClock } from '../shared/clock';
import { dynamoDocumentClient, eventBridgeClient, sfnClient, sqsClient } from '../shared/clients';
import { env, loadConfig } from '../shared/config';
import { instrumented } from '../shared/lambda';
import { observability } from '../shared/observability';
import { DynamoFailedOrderRepository } from './adapters/dynamo-failed-orders';
import { DynamoFailureInjectionStore, DynamoShipmentRepository } from './adapters/dynamo-shipments';
import { SfnTaskCallbacks } from './adapters/sfn-task-callbacks';
import { SqsShippingQueue } from './adapters/sqs-shipping-queue';
import { FailureInjector } from './domain/failure-injection';
import { buildCancelShipmentHandler } from './handlers/cancel-shipment';
import { buildConsumerHandler } from './handlers/consumer';
import { adminCorrelationId, sqsBatchCorrelationId } from './handlers/correlation';
import { buildDlqHandler } from './handlers/dlq';
import { buildRedriveHandler } from './handlers/redrive';
import { buildSetFailureInjectionHandler } from './handlers/set-failure-injection';

/** Composition root of the shipping service: config once, clients once, one export per Lambda function. */
const config = loadConfig({
  AWS_REGION: env.region(),
  SHIPMENTS_TABLE: env.required(),
  EVENT_BUS_NAME: env.required(),
  SHIPPING_QUEUE_URL: env.required(),
  SHIPPING_FAILURE_RATE: env.rate(0),
  SHIPPING_CONFIG_CACHE_MS: env.int(5000),
});

const obs = observability('shipping');
const { logger, metrics, tracer } = obs;
const region = config.AWS_REGION;
const clientOpts = { region, tracer };

const documentClient = dynamoDocumentClient(clientOpts);
const shipments = new DynamoShipmentRepository(documentClient, config.SHIPMENTS_TABLE);
const failedOrders = new DynamoFailedOrderRepository(documentClient, config.SHIPMENTS_TABLE, region);
const injectionStore = new DynamoFailureInjectionStore(documentClient, config.SHIPMENTS_TABLE, region);
const publisher = new EventBridgePublisher({
  client: eventBridgeClient(clientOpts),
  busName: config.EVENT_BUS_NAME,
});
const callbacks = new SfnTaskCallbacks(sfnClient(clientOpts));
const queue = new SqsShippingQueue(sqsClient(clientOpts), config.SHIPPING_QUEUE_URL);
const injector = new FailureInjector({
  store: injectionStore,
  defaultRate: config.SHIPPING_FAILURE_RATE,
  cacheMs: config.SHIPPING_CONFIG_CACHE_MS,
  clock: systemClock,
  random: Math.random,
  onStoreError: (err) => logger.warn('failure-injection override unreadable; using last known rate', { err }),
});

const stepCorrelationId = (e: unknown) => (e as { order?: { correlationId?: string } }).order?.correlationId;

/** SQS consumer of the shipping queue (ReportBatchItemFailures). */
export const consumer = instrumented(
  obs,
  sqsBatchCorrelationId,
  buildConsumerHandler({
    region,
    shipments,
    publisher,
    callbacks,
    injector,
    clock: systemClock,
    logger,
    metrics,
  }),
);

/** SQS consumer of the shipping DLQ: failed-order records and ShipmentFailed. */
export const dlq = instrumented(
  obs,
  sqsBatchCorrelationId,
  buildDlqHandler({ region, failedOrders, publisher, clock: systemClock, logger, metrics }),
);

/** Re-drives this region's OPEN failed orders: input `{ limit?, correlationId? }`. */
export const redrive = instrumented(
  obs,
  adminCorrelationId,
  buildRedriveHandler({ failedOrders, queue, clock: systemClock, logger, metrics }),
);

/** Saga compensation step: cancels the shipment, or fences the order with a CANCELLED marker. */
export const cancelShipment = instrumented(
  obs,
  stepCorrelationId,
  buildCancelShipmentHandler({ region, shipments, clock: systemClock, logger }),
);

/** Admin: sets (or clears with null) the run-time failure-injection rate of this region. */
export const setFailureInjection = instrumented(
  obs,
  adminCorrelationId,
  buildSetFailureInjectionHandler({ region, store: injectionStore, clock: systemClock, logger }),
);
