import type { APIGatewayProxyEvent } from 'aws-lambda';
import { DynamoProcessedEventStore } from '../shared/adapters/dynamo-processed-events';
import { EventBridgePublisher } from '../shared/adapters/eventbridge-publisher';
import { dynamoDocumentClient, eventBridgeClient } from '../shared/clients';
import { systemClock } from '../shared/clock';
import { env, loadConfig } from '../shared/config';
import { instrumented, scheduledEventId } from '../shared/lambda';
import { observability } from '../shared/observability';
import { DynamoAllocationStore } from './adapters/dynamo-allocation-store';
import { SweepExpiredHolds } from './domain/expiry';
import type { InventoryDeps } from './domain/ports';
import { CommitStock, ReleaseStock, ReserveStock } from './domain/reservations';
import { SettleOrder } from './domain/settlement';
import { GetStock, SetStockLevel } from './domain/stock-levels';
import { buildApiHandler, requestCorrelationId } from './handlers/api';
import { buildEventsHandler } from './handlers/events';
import {
  buildCommitStockHandler,
  buildReleaseStockHandler,
  buildReserveStockHandler,
} from './handlers/steps';
import { buildSweepHandler } from './handlers/sweeper';

/** Composition root of the inventory service: config, clients and adapters once per cold start. */
const config = loadConfig({
  AWS_REGION: env.region(),
  INVENTORY_TABLE: env.required(),
  PROCESSED_EVENTS_TABLE: env.required(),
  EVENT_BUS_NAME: env.required(),
  RESERVATION_TTL_SECONDS: env.int(900, 1, 7 * 24 * 3600),
});

const obs = observability('inventory');
const { logger, metrics, tracer } = obs;
const dynamo = dynamoDocumentClient({ region: config.AWS_REGION, tracer });
const deps: InventoryDeps = {
  store: new DynamoAllocationStore(dynamo, config.INVENTORY_TABLE, config.AWS_REGION),
  publisher: new EventBridgePublisher({
    client: eventBridgeClient({ region: config.AWS_REGION, tracer }),
    busName: config.EVENT_BUS_NAME,
  }),
  clock: systemClock,
};
const options = { reservationTtlSeconds: config.RESERVATION_TTL_SECONDS };

function orderCorrelationId(event: unknown): string | undefined {
  const order = (event as { order?: { correlationId?: unknown } } | undefined)?.order;
  return typeof order?.correlationId === 'string' ? order.correlationId : undefined;
}

function envelopeCorrelationId(event: unknown): string | undefined {
  const e = event as { detail?: { correlationId?: unknown }; correlationId?: unknown } | undefined;
  const id = e?.detail?.correlationId ?? e?.correlationId;
  return typeof id === 'string' ? id : undefined;
}

/** Saga step: reserve the order's stock in this region. */
export const reserveStock = instrumented(
  obs,
  orderCorrelationId,
  buildReserveStockHandler({ reserveStock: new ReserveStock(deps, options), logger, metrics }),
);

/** Saga step: commit the order's holds after payment capture. */
export const commitStock = instrumented(
  obs,
  orderCorrelationId,
  buildCommitStockHandler({ commitStock: new CommitStock(deps), logger, metrics }),
);

/** Saga compensation: release the order's holds. */
export const releaseStock = instrumented(
  obs,
  orderCorrelationId,
  buildReleaseStockHandler({ releaseStock: new ReleaseStock(deps), logger, metrics }),
);

/** EventBridge consumer: settles fulfilled orders' committed holds. */
export const events = instrumented(
  obs,
  envelopeCorrelationId,
  buildEventsHandler({
    settleOrder: new SettleOrder(deps),
    processedEvents: new DynamoProcessedEventStore(dynamo, config.PROCESSED_EVENTS_TABLE, config.AWS_REGION),
    logger,
    metrics,
  }),
);

/** Scheduled: releases expired HELD holds of this region's allocations. */
export const sweepExpired = instrumented(
  obs,
  scheduledEventId,
  buildSweepHandler({ sweepExpired: new SweepExpiredHolds(deps), logger, metrics }),
);

/** API Gateway: the inventory admin API. */
export const api = instrumented(
  obs,
  (event: APIGatewayProxyEvent) => requestCorrelationId(event),
  buildApiHandler({ setStockLevel: new SetStockLevel(deps), getStock: new GetStock(deps), logger, metrics }),
);
