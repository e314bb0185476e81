import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoProcessedEventStore } from '../../../../services/shared/adapters/dynamo-processed-events';
import { ManualClock } from '../../../../services/shared/clock';
import { lambdaContext } from '../../../../services/shared/lambda';
import { observability } from '../../../../services/shared/observability';
import type { TableId } from '../../../../services/shared/tables';
import { DynamoIdempotencyStore } from '../../../../services/orders/adapters/dynamo-idempotency-store';
import { DynamoOrderRepository } from '../../../../services/orders/adapters/dynamo-order-repository';
import { DynamoTakeoverStore } from '../../../../services/orders/adapters/dynamo-takeover-store';
import { CancelOrder } from '../../../../services/orders/domain/cancel-order';
import { CheckHealth } from '../../../../services/orders/domain/check-health';
import { PlaceOrder } from '../../../../services/orders/domain/place-order';
import { GetOrder, ListOrders } from '../../../../services/orders/domain/queries';
import { SetOrderStatus } from '../../../../services/orders/domain/set-order-status';
import { buildApiHandler as buildOrdersApi } from '../../../../services/orders/handlers/api';
import { buildEventsHandler as buildOrdersEvents } from '../../../../services/orders/handlers/events';
import { buildSetOrderStatusHandler } from '../../../../services/orders/handlers/set-order-status';
import { DynamoAllocationStore } from '../../../../services/inventory/adapters/dynamo-allocation-store';
import type { InventoryDeps } from '../../../../services/inventory/domain/ports';
import { CommitStock, ReleaseStock, ReserveStock } from '../../../../services/inventory/domain/reservations';
import { SettleOrder } from '../../../../services/inventory/domain/settlement';
import { GetStock, SetStockLevel } from '../../../../services/inventory/domain/stock-levels';
import { buildApiHandler as buildInventoryApi } from '../../../../services/inventory/handlers/api';
import { buildEventsHandler as buildInventoryEvents } from '../../../../services/inventory/handlers/events';
import {
  buildCommitStockHandler,
  buildReleaseStockHandler,
  buildReserveStockHandler,
} from '../../../../services/inventory/handlers/steps';
import { DynamoPaymentRepository } from '../../../../services/payments/adapters/dynamo-payment-repository';
import { AuthorizePayment } from '../../../../services/payments/domain/authorize-payment';
import { CapturePayment } from '../../../../services/payments/domain/capture-payment';
import { HandleProviderWebhook } from '../../../../services/payments/domain/handle-webhook';
import { RefundPayment } from '../../../../services/payments/domain/refund-payment';
import {
  buildAuthorizePaymentHandler,
  buildCapturePaymentHandler,
  buildRefundPaymentHandler,
} from '../../../../services/payments/handlers/steps';
import { buildWebhookHandler } from '../../../../services/payments/handlers/webhook';
import { DynamoLedgerStore } from '../../../../services/payments/provider/adapters/dynamo-ledger';
import { HttpWebhookDispatcher } from '../../../../services/payments/provider/adapters/http-webhook-dispatcher';
import { SimulatedPaymentProvider } from '../../../../services/payments/provider/domain/provider';
import { seededRandomness } from '../../../../services/payments/provider/domain/randomness';
import { immediateDelivery } from '../../../../services/payments/provider/domain/schedulers';
import {
  DynamoFailureInjectionStore,
  DynamoShipmentRepository,
} from '../../../../services/shipping/adapters/dynamo-shipments';
import { FailureInjector, seededRandom } from '../../../../services/shipping/domain/failure-injection';
import { buildCancelShipmentHandler } from '../../../../services/shipping/handlers/cancel-shipment';
import { buildConsumerHandler } from '../../../../services/shipping/handlers/consumer';
import { OutboxNotifier, type OutboxRecord } from '../../../../services/notifications/adapters/outbox';
import { buildEventsHandler as buildNotificationsEvents } from '../../../../services/notifications/handlers/events';
import { buildNotifyHandler } from '../../../../services/notifications/handlers/notify';
import { REGION } from './aws-events';
import {
  EventBus,
  FakeShippingQueue,
  FakeTaskTokens,
  RecordingDispatcher,
  RecordingSagaStarter,
} from './fakes';
import { serveApi, type LoopbackApi } from './http';

/** Every table of the platform: the five services share one set, as they do in a region. */
export const ALL_TABLES: readonly TableId[] = [
  'orders',
  'inventory',
  'payments',
  'shipments',
  'processed-events',
];
export type PlatformTables = Record<TableId, string>;

/** Shared HMAC secret of the simulated provider and the payments webhook. */
const WEBHOOK_SECRET = 'whsec_saga_walkthrough_secret_value';

/**
 * The five services of one region wired the way their main.ts wires them — real handler factories,
 * real use cases, real DynamoDB adapters on one set of dynalite tables — with in-memory fakes only for
 * the other AWS ports (EventBridge, Step Functions, SQS) and the notification outbox in a temp folder.
 * The payment provider's webhook travels over real HTTP on 127.0.0.1 into the payments webhook handler.
 */
export async function startPlatform(client: DynamoDBDocumentClient, tables: PlatformTables) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const now = () => clock.now();
  const bus = new EventBus();
  const sagaStarter = new RecordingSagaStarter();
  const tokens = new FakeTaskTokens();
  const shippingQueue = new FakeShippingQueue();
  const outboxDir = await mkdtemp(join(tmpdir(), 'meridian-saga-outbox-'));
  const processedEvents = new DynamoProcessedEventStore(client, tables['processed-events'], REGION, now);

  // Orders.
  const ordersObs = observability('orders');
  const orders = new DynamoOrderRepository(client, tables.orders);
  const cancelOrder = new CancelOrder({ orders, publisher: bus, clock, region: REGION });
  const ordersApi = buildOrdersApi({
    placeOrder: new PlaceOrder({
      idempotency: new DynamoIdempotencyStore(client, tables.orders),
      orders,
      publisher: bus,
      saga: sagaStarter,
      clock,
      region: REGION,
      idempotencyTtlSeconds: 86_400,
    }),
    getOrder: new GetOrder(orders),
    listOrders: new ListOrders(orders, new DynamoTakeoverStore(client, tables.orders)),
    cancelOrder,
    // GET /health is not part of the saga; no probe is needed for the routes used here.
    checkHealth: new CheckHealth({ probes: [], region: REGION, timeoutMs: 1_500 }),
    logger: ordersObs.logger,
    metrics: ordersObs.metrics,
  });
  const setOrderStatus = buildSetOrderStatusHandler({
    setOrderStatus: new SetOrderStatus({ orders, publisher: bus, clock, region: REGION }),
    logger: ordersObs.logger,
    metrics: ordersObs.metrics,
  });
  const ordersEvents = buildOrdersEvents({
    cancelOrder,
    processed: processedEvents,
    logger: ordersObs.logger,
    metrics: ordersObs.metrics,
  });

  // Inventory.
  const { logger: inventoryLogger, metrics: inventoryMetrics } = observability('inventory');
  const inventoryObs = { logger: inventoryLogger, metrics: inventoryMetrics };
  const inventoryDeps: InventoryDeps = {
    store: new DynamoAllocationStore(client, tables.inventory, REGION),
    publisher: bus,
    clock,
  };
  const inventory = {
    api: buildInventoryApi({
      setStockLevel: new SetStockLevel(inventoryDeps),
      getStock: new GetStock(inventoryDeps),
      ...inventoryObs,
    }),
    reserveStock: buildReserveStockHandler({
      reserveStock: new ReserveStock(inventoryDeps, { reservationTtlSeconds: 900 }),
      ...inventoryObs,
    }),
    commitStock: buildCommitStockHandler({ commitStock: new CommitStock(inventoryDeps), ...inventoryObs }),
    releaseStock: buildReleaseStockHandler({
      releaseStock: new ReleaseStock(inventoryDeps),
      ...inventoryObs,
    }),
    events: buildInventoryEvents({
      settleOrder: new SettleOrder(inventoryDeps),
      processedEvents,
      ...inventoryObs,
    }),
  };

  // Payments: the provider's webhook goes over loopback HTTP into the webhook handler.
  const paymentsObs = observability('payments');
  const paymentRepository = new DynamoPaymentRepository({
    client,
    tableName: tables.payments,
    region: REGION,
    now,
  });
  const decisionDeps = { repository: paymentRepository, publisher: bus, region: REGION, clock };
  // The provider posts to the webhook API, and the webhook use case calls the provider back (to void a
  // late charge): serve the API first and bind its handler once the provider exists.
  const bound: { webhookHandler?: ReturnType<typeof buildWebhookHandler> } = {};
  const webhookApi: LoopbackApi = await serveApi('/payments/webhook', (event) => {
    if (!bound.webhookHandler) throw new Error('webhook handler not bound yet');
    return bound.webhookHandler(event, lambdaContext('payments-webhook'));
  });
  const webhooks = new RecordingDispatcher(
    new HttpWebhookDispatcher({
      url: `${webhookApi.url}/payments/webhook`,
      secret: WEBHOOK_SECRET,
      clock,
      maxAttempts: 1,
    }),
  );
  const webhookDeliveryFailures: { chargeId: string; error: unknown }[] = [];
  const provider = new SimulatedPaymentProvider({
    ledger: new DynamoLedgerStore({ client, tableName: tables.payments, region: REGION, now }),
    dispatcher: webhooks,
    // What a Lambda uses (PAYMENT_WEBHOOK_DELAY_MS=0): the webhook is sent before createCharge returns.
    scheduler: immediateDelivery(),
    clock,
    randomness: seededRandomness('saga-walkthrough'),
    diagnostics: { deliveryFailed: (chargeId, error) => webhookDeliveryFailures.push({ chargeId, error }) },
  });
  const paymentDeps = { ...decisionDeps, provider };
  bound.webhookHandler = buildWebhookHandler({
    useCase: new HandleProviderWebhook({ ...paymentDeps, callbacks: tokens.payments, processedEvents }),
    secret: WEBHOOK_SECRET,
    toleranceSeconds: 300,
    clock,
    obs: paymentsObs,
  });
  const payments = {
    repository: paymentRepository,
    provider,
    webhooks,
    webhookApi,
    webhookDeliveryFailures,
    authorizePayment: buildAuthorizePaymentHandler({
      useCase: new AuthorizePayment({ ...paymentDeps, callbacks: tokens.payments }),
      obs: paymentsObs,
    }),
    capturePayment: buildCapturePaymentHandler({
      useCase: new CapturePayment(paymentDeps),
      obs: paymentsObs,
    }),
    refundPayment: buildRefundPaymentHandler({ useCase: new RefundPayment(paymentDeps), obs: paymentsObs }),
  };

  // Shipping.
  const shippingObs = observability('shipping');
  const shipments = new DynamoShipmentRepository(client, tables.shipments);
  const shipping = {
    consumer: buildConsumerHandler({
      region: REGION,
      shipments,
      publisher: bus,
      callbacks: tokens.shipping,
      injector: new FailureInjector({
        store: new DynamoFailureInjectionStore(client, tables.shipments, REGION),
        defaultRate: 0,
        cacheMs: 5_000,
        clock,
        random: seededRandom(7),
      }),
      clock,
      logger: shippingObs.logger,
      metrics: shippingObs.metrics,
    }),
    cancelShipment: buildCancelShipmentHandler({
      region: REGION,
      shipments,
      clock,
      logger: shippingObs.logger,
    }),
  };

  // Notifications: the local runtime's outbox channel, into a temp folder.
  const notificationsObs = observability('notifications');
  const outbox = new OutboxNotifier(outboxDir, clock);
  const notifications = {
    notify: buildNotifyHandler({
      region: REGION,
      notifier: outbox,
      processed: processedEvents,
      logger: notificationsObs.logger,
      metrics: notificationsObs.metrics,
    }),
    events: buildNotificationsEvents({
      notifier: outbox,
      alerter: outbox,
      processed: processedEvents,
      region: REGION,
      logger: notificationsObs.logger,
      metrics: notificationsObs.metrics,
    }),
    /** Every message written to the outbox, oldest first. */
    async outbox(): Promise<OutboxRecord[]> {
      const files = (await readdir(outboxDir)).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
      const records = await Promise.all(
        files.sort().map(async (f) => JSON.parse(await readFile(join(outboxDir, f), 'utf8')) as OutboxRecord),
      );
      return records;
    },
  };

  /** Every item of `table` whose pk starts with `prefix`, read consistently. */
  async function scan(table: string, prefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await client.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: 'begins_with(pk, :p)',
          ExpressionAttributeValues: { ':p': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  return {
    clock,
    bus,
    sagaStarter,
    tokens,
    shippingQueue,
    orders: { api: ordersApi, setOrderStatus, events: ordersEvents },
    inventory,
    payments,
    shipping,
    notifications,
    /** The provider's charges (the ledger shares the payments table). */
    charges: () => scan(tables.payments, 'CHARGE#'),
    shipmentItems: () => scan(tables.shipments, 'SHIPMENT#'),
    async close(): Promise<void> {
      await webhookApi.close();
      await rm(outboxDir, { recursive: true, force: true });
    },
  };
}

export type Platform = Awaited<ReturnType<typeof startPlatform>>;
