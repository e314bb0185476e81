import { lambdaContext } from '../../../services/shared/lambda';
import { DynamoTakeoverStore } from '../../../services/orders/adapters/dynamo-takeover-store';
import { SAGA_ERRORS, TAKEOVER_REASON, type OrderStatus } from '../../../services/shared/saga';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { ApiClient } from './support/api';
import { REGION, eventBridgeEvent } from './support/aws-events';
import { ALL_TABLES, startPlatform, type Platform } from './support/platform';
import { SagaExecution, failureReason } from './support/state-machine';

/**
 * The order saga walked through by hand across all five services: the test plays the Step Functions
 * state machine, invoking the real handler factories in-process against one set of dynalite tables,
 * so the services must agree on the contract — field names, units, statuses, error names, task tokens.
 */
const client = testDocumentClient();
let platform: Platform;
let tables: Awaited<ReturnType<typeof createTables>>;

beforeEach(async () => {
  tables = await createTables(ALL_TABLES);
  platform = await startPlatform(client, tables);
});

afterEach(async () => {
  await platform.close();
});

afterAll(() => {
  client.destroy();
});

const SKU_A = 'PROD-1001';
const SKU_B = 'PROD-1002';
const CUSTOMER = 'CUST-4242';
const EMAIL = 'ada@example.com';
/** 2 × 19.99 + 1 × 5.00 in minor units (hundredths). */
const TOTAL_MINOR = 4498;

/** The POST /orders body of every scenario: 2 × SKU_A at 19.99 and 1 × SKU_B at 5. */
function orderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customerId: CUSTOMER,
    currency: 'EUR',
    lines: [
      { productId: SKU_A, quantity: 2, unitPrice: 19.99 },
      { productId: SKU_B, quantity: 1, unitPrice: 5 },
    ],
    paymentToken: 'tok_visa',
    email: EMAIL,
    ...overrides,
  };
}

/** Sets this region's stock through the inventory admin API, failing loudly if it is refused. */
async function stockUp(api: ApiClient, levels: Record<string, number>): Promise<void> {
  for (const [sku, available] of Object.entries(levels)) {
    const res = await api.putStock(sku, available);
    if (res.status !== 200) throw new Error(`PUT /inventory/${sku} answered ${res.status}`);
  }
}

/** This region's allocation of a SKU as GET /inventory/{sku} shows it. */
async function allocationOf(api: ApiClient, sku: string) {
  const res = await api.getStock(sku);
  const allocation = res.body.allocations.find((a) => a.region === REGION);
  return {
    status: res.status,
    available: allocation?.available,
    reserved: allocation?.reserved,
    committed: allocation?.committed,
  };
}

/** The execution the orders service started for an order, from the SagaInput it passed StartExecution. */
function executionOf(orderId: string): SagaExecution {
  const input = platform.sagaStarter.executions.get(orderId);
  if (!input) throw new Error(`no saga was started for ${orderId}`);
  return new SagaExecution(platform, input);
}

const statuses = (history: readonly { status: OrderStatus }[]) => history.map((h) => h.status);

describe('the order saga across orders, inventory, payments, shipping and notifications', () => {
  it('fulfils an order end to end: stock settled, one charge captured, one shipment, every event correlated', async () => {
    // Arrange
    const correlationId = 'corr-happy-path-1';
    const api = new ApiClient(platform, correlationId);
    await stockUp(api, { [SKU_A]: 10, [SKU_B]: 5 });

    // Act: the client places the order; the test then plays the state machine.
    const placed = await api.placeOrder('key-happy-1', orderBody());
    const saga = executionOf(placed.body.orderId);
    const reserved = await saga.reserveStock();
    await saga.setStatus('RESERVED');
    const authorization = await saga.authorizePayment();
    const captured = await saga.capturePayment();
    const committed = await saga.commitStock();
    await saga.setStatus('PAID');
    const shipment = await saga.createShipment();
    const shippingBatch = await saga.deliverShippingMessage(shipment.messageId);
    await saga.setStatus('SHIPPED');
    await saga.setStatus('FULFILLED');
    const notified = await saga.notify('order-fulfilled');
    const fulfilled = platform.bus.single('OrderFulfilled');
    const settled = await platform.inventory.events(
      eventBridgeEvent(fulfilled),
      lambdaContext('inventory-events'),
    );

    // Assert: the SagaInput carries the order in minor units, with the secrets only the saga needs.
    expect(placed.status).toBe(201);
    expect(saga.order).toMatchObject({
      orderId: placed.body.orderId,
      customerId: CUSTOMER,
      correlationId,
      homeRegion: REGION,
      currency: 'EUR',
      totalMinor: TOTAL_MINOR,
      lines: [
        { productId: SKU_A, quantity: 2, unitPriceMinor: 1999 },
        { productId: SKU_B, quantity: 1, unitPriceMinor: 500 },
      ],
      paymentToken: 'tok_visa',
      email: EMAIL,
    });
    expect(reserved.reservedUntil).toBe(platform.bus.single('StockReserved').data.expiresAt);

    // The step left the token to the provider's webhook, which came over HTTP and completed it.
    expect(authorization.result).toMatchObject({ orderId: saga.order.orderId, completedBy: 'webhook' });
    expect(authorization.outcome).toEqual({
      kind: 'success',
      output: { chargeId: authorization.result.chargeId, status: 'AUTHORIZED' },
    });
    expect(platform.payments.webhookApi.exchanges.map((x) => [x.status, JSON.parse(x.response)])).toEqual([
      [200, { received: true, result: 'resumed', decision: 'authorized' }],
    ]);
    expect(platform.payments.webhookDeliveryFailures).toEqual([]);
    expect(captured).toEqual({ chargeId: authorization.result.chargeId, capturedMinor: TOTAL_MINOR });
    expect(committed.committed).toEqual([
      { sku: SKU_A, quantity: 2 },
      { sku: SKU_B, quantity: 1 },
    ]);

    // Shipping consumed `{ order, taskToken }` and completed the token with the shipment.
    expect(shippingBatch.batchItemFailures).toEqual([]);
    const shipments = await platform.shipmentItems();
    expect(shipments).toHaveLength(1);
    expect(shipments[0]).toMatchObject({
      orderId: saga.order.orderId,
      status: 'CREATED',
      ownerRegion: REGION,
    });
    expect(platform.tokens.outcomeOf(shipment.taskToken)).toEqual({
      kind: 'success',
      output: {
        shipmentId: shipments[0]?.shipmentId,
        carrier: shipments[0]?.carrier,
        trackingNumber: shipments[0]?.trackingNumber,
      },
    });

    // The order is FULFILLED with its whole history.
    const order = await api.getOrder(saga.order.orderId);
    expect(order.status).toBe(200);
    expect(order.body).toMatchObject({ status: 'FULFILLED', total: 44.98, currency: 'EUR' });
    expect(statuses(order.body.statusHistory)).toEqual([
      'PENDING',
      'RESERVED',
      'PAID',
      'SHIPPED',
      'FULFILLED',
    ]);

    // Stock went down by exactly the ordered units and no hold is left once OrderFulfilled settled it.
    expect(settled).toEqual({
      outcome: 'processed',
      settled: [
        { sku: SKU_A, quantity: 2 },
        { sku: SKU_B, quantity: 1 },
      ],
    });
    expect(await allocationOf(api, SKU_A)).toEqual({ status: 200, available: 8, reserved: 0, committed: 0 });
    expect(await allocationOf(api, SKU_B)).toEqual({ status: 200, available: 4, reserved: 0, committed: 0 });

    // One charge at the provider, captured in full.
    const charges = await platform.charges();
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({
      chargeId: authorization.result.chargeId,
      status: 'captured',
      amountMinor: TOTAL_MINOR,
      capturedMinor: TOTAL_MINOR,
      currency: 'EUR',
      token: 'tok_visa',
      metadata: { orderId: saga.order.orderId, correlationId },
    });

    // The customer got the e-mail through the outbox.
    expect(notified).toMatchObject({ channel: 'email', duplicate: false });
    const outbox = await platform.notifications.outbox();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({
      kind: 'email',
      to: EMAIL,
      template: 'order-fulfilled',
      orderId: saga.order.orderId,
      customerId: CUSTOMER,
      correlationId,
    });

    // Every service published under the request's correlation id, and the amounts agree in major units.
    const events = platform.bus.aboutOrder(saga.order.orderId);
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set([
        'OrderPlaced',
        'OrderStatusChanged',
        'StockReserved',
        'PaymentAuthorized',
        'PaymentCaptured',
        'ShipmentCreated',
        'OrderFulfilled',
      ]),
    );
    expect(events.filter((e) => e.correlationId !== correlationId)).toEqual([]);
    expect(platform.bus.single('OrderPlaced').data.total).toBe(44.98);
    expect(platform.bus.single('PaymentAuthorized').data).toMatchObject({ amount: 44.98, currency: 'EUR' });
    expect(platform.bus.single('PaymentCaptured').data).toMatchObject({ amount: 44.98, currency: 'EUR' });
    expect(platform.bus.single('StockReserved').data.lines).toEqual([
      { sku: SKU_A, quantity: 2 },
      { sku: SKU_B, quantity: 1 },
    ]);
    expect(platform.bus.single('ShipmentCreated').data.shipmentId).toBe(shipments[0]?.shipmentId);
  });

  it('compensates a declined payment: the token fails with PaymentDeclinedError, stock is restored, the order FAILED', async () => {
    // Arrange
    const correlationId = 'corr-decline-1';
    const api = new ApiClient(platform, correlationId);
    await stockUp(api, { [SKU_A]: 10, [SKU_B]: 5 });
    const placed = await api.placeOrder('key-decline-1', orderBody({ paymentToken: 'tok_chargeDeclined' }));
    const saga = executionOf(placed.body.orderId);
    await saga.reserveStock();
    await saga.setStatus('RESERVED');

    // Act: the webhook fails the token; the Catch runs compensation in reverse order.
    const authorization = await saga.authorizePayment();
    const failure = authorization.outcome;
    if (failure?.kind !== 'failure')
      throw new Error(`expected the payment task to fail, got ${JSON.stringify(failure)}`);
    const reason = failureReason(failure);
    const refund = await saga.refundPayment(reason);
    const release = await saga.releaseStock(reason);
    const failed = await saga.setStatus('FAILED', reason);
    const notified = await saga.notify('order-failed', reason);
    // The bus hands the decline and the failure to the notifications consumer (customer message, ops alert).
    const declinedHandled = await platform.notifications.events(
      eventBridgeEvent(platform.bus.single('PaymentDeclined')),
    );
    const failedHandled = await platform.notifications.events(
      eventBridgeEvent(platform.bus.single('OrderFailed')),
    );

    // Assert
    expect(authorization.result).toMatchObject({ completedBy: 'webhook' });
    expect(failure).toEqual({ kind: 'failure', error: SAGA_ERRORS.paymentDeclined, cause: 'card_declined' });
    expect(failure.error).toBe('PaymentDeclinedError');
    expect(platform.payments.webhookApi.exchanges.map((x) => JSON.parse(x.response))).toEqual([
      { received: true, result: 'resumed', decision: 'declined' },
    ]);
    expect(refund).toEqual({ outcome: 'NOTHING_TO_REFUND' });
    expect(release.released).toEqual([
      { sku: SKU_A, quantity: 2 },
      { sku: SKU_B, quantity: 1 },
    ]);
    expect(failed).toEqual({ orderId: saga.order.orderId, status: 'FAILED' });

    expect(await allocationOf(api, SKU_A)).toEqual({ status: 200, available: 10, reserved: 0, committed: 0 });
    expect(await allocationOf(api, SKU_B)).toEqual({ status: 200, available: 5, reserved: 0, committed: 0 });

    const order = await api.getOrder(saga.order.orderId);
    expect(order.body).toMatchObject({
      status: 'FAILED',
      failureReason: 'PaymentDeclinedError: card_declined',
    });
    expect(statuses(order.body.statusHistory)).toEqual(['PENDING', 'RESERVED', 'FAILED']);

    const charges = await platform.charges();
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ status: 'declined', declineCode: 'card_declined' });
    expect(charges[0]).not.toHaveProperty('capturedMinor');
    expect(platform.bus.ofType('PaymentCaptured')).toEqual([]);
    expect((await platform.payments.repository.get(saga.order.orderId))?.status).toBe('DECLINED');

    expect(notified).toMatchObject({ channel: 'email', duplicate: false });
    expect(declinedHandled).toMatchObject({ outcome: 'notified' });
    expect(failedHandled).toMatchObject({ outcome: 'alerted' });
    const outbox = await platform.notifications.outbox();
    expect(
      outbox.map((r) => [r.kind, r.template ?? (r.attributes as { template?: string }).template]),
    ).toEqual(
      expect.arrayContaining([
        ['email', 'order-failed'],
        ['customer-sns', 'payment-declined'],
        ['ops-alert', undefined],
      ]),
    );
    expect(outbox.every((r) => JSON.stringify(r).includes(correlationId))).toBe(true);
    expect(
      platform.bus.aboutOrder(saga.order.orderId).filter((e) => e.correlationId !== correlationId),
    ).toEqual([]);
  });

  it('fails an order that is out of stock with OutOfStockError and leaves stock as it was', async () => {
    // Arrange: enough of SKU_A, too little of SKU_B, so the hold taken on SKU_A must be given back.
    const correlationId = 'corr-out-of-stock-1';
    const api = new ApiClient(platform, correlationId);
    await stockUp(api, { [SKU_A]: 10, [SKU_B]: 1 });
    const placed = await api.placeOrder(
      'key-oos-1',
      orderBody({
        lines: [
          { productId: SKU_A, quantity: 2, unitPrice: 19.99 },
          { productId: SKU_B, quantity: 3, unitPrice: 5 },
        ],
      }),
    );
    const saga = executionOf(placed.body.orderId);

    // Act
    const error = await saga.reserveStock().then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    const reason = error ? failureReason({ error: error.name, cause: error.message }) : 'no error';
    const failed = await saga.setStatus('FAILED', reason);
    await saga.notify('order-failed', reason);

    // Assert
    expect(error?.name).toBe(SAGA_ERRORS.outOfStock);
    expect(failed.status).toBe('FAILED');
    expect(await allocationOf(api, SKU_A)).toEqual({ status: 200, available: 10, reserved: 0, committed: 0 });
    expect(await allocationOf(api, SKU_B)).toEqual({ status: 200, available: 1, reserved: 0, committed: 0 });
    const order = await api.getOrder(saga.order.orderId);
    expect(order.body.status).toBe('FAILED');
    expect(order.body.failureReason).toMatch(/^OutOfStockError: /);
    expect(platform.bus.single('StockReservationFailed').data).toEqual({
      orderId: saga.order.orderId,
      sku: SKU_B,
      requested: 3,
      available: 1,
    });
    expect(platform.bus.ofType('StockReserved')).toEqual([]);
    expect(await platform.charges()).toEqual([]);
  });

  it('compensates a cancellation while PAID: the SHIPPED step refuses, the charge is refunded, committed stock returns', async () => {
    // Arrange: an order the saga has taken to PAID.
    const correlationId = 'corr-cancel-1';
    const api = new ApiClient(platform, correlationId);
    await stockUp(api, { [SKU_A]: 10, [SKU_B]: 5 });
    const placed = await api.placeOrder('key-cancel-1', orderBody());
    const saga = executionOf(placed.body.orderId);
    await saga.reserveStock();
    await saga.setStatus('RESERVED');
    const authorization = await saga.authorizePayment();
    await saga.capturePayment();
    await saga.commitStock();
    await saga.setStatus('PAID');

    // Act: the customer cancels; the next forward step is refused and the Catch compensates.
    const cancelled = await api.cancelOrder(saga.order.orderId, 'changed my mind');
    const refusal = await saga.setStatus('SHIPPED').then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    const reason = refusal ? failureReason({ error: refusal.name, cause: refusal.message }) : 'no error';
    const shipmentCancel = await saga.cancelShipment(reason);
    const refund = await saga.refundPayment(reason);
    const release = await saga.releaseStock(reason);
    const final = await saga.setStatus('CANCELLED', reason);
    await saga.notify('order-cancelled', 'changed my mind');

    // Assert
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe('CANCELLING');
    expect(refusal?.name).toBe(SAGA_ERRORS.orderCancelled);
    expect(shipmentCancel).toEqual({ orderId: saga.order.orderId, outcome: 'no-shipment' });
    expect(refund).toEqual({
      outcome: 'REFUNDED',
      chargeId: authorization.result.chargeId,
      refundedMinor: TOTAL_MINOR,
    });
    expect(release.released).toEqual([
      { sku: SKU_A, quantity: 2 },
      { sku: SKU_B, quantity: 1 },
    ]);
    expect(final).toEqual({ orderId: saga.order.orderId, status: 'CANCELLED' });

    expect(await allocationOf(api, SKU_A)).toEqual({ status: 200, available: 10, reserved: 0, committed: 0 });
    expect(await allocationOf(api, SKU_B)).toEqual({ status: 200, available: 5, reserved: 0, committed: 0 });

    const order = await api.getOrder(saga.order.orderId);
    expect(order.body.status).toBe('CANCELLED');
    expect(statuses(order.body.statusHistory)).toEqual([
      'PENDING',
      'RESERVED',
      'PAID',
      'CANCELLING',
      'CANCELLED',
    ]);

    expect(platform.bus.single('PaymentRefunded')).toMatchObject({
      correlationId,
      data: {
        orderId: saga.order.orderId,
        chargeId: authorization.result.chargeId,
        amount: 44.98,
        currency: 'EUR',
      },
    });
    expect(platform.bus.single('OrderCancelled').data).toMatchObject({ reason: 'changed my mind' });
    const charges = await platform.charges();
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ status: 'refunded', refundedMinor: TOTAL_MINOR });
    // No parcel: only the CANCELLED marker that stops a late re-drive from shipping.
    const shipments = await platform.shipmentItems();
    expect(shipments).toHaveLength(1);
    expect(shipments[0]).toMatchObject({ status: 'CANCELLED', marker: true });
  });

  it('stands down after a takeover while PAID: the SHIPPED step refuses, its own charge is refunded, its stock returns, FAILED', async () => {
    // Arrange: an order the saga has taken to PAID, then a surviving region's takeover marker replicated
    // here while this region was away (docs/decisions/007).
    const correlationId = 'corr-takeover-1';
    const api = new ApiClient(platform, correlationId);
    await stockUp(api, { [SKU_A]: 10, [SKU_B]: 5 });
    const placed = await api.placeOrder('key-takeover-1', orderBody());
    const saga = executionOf(placed.body.orderId);
    await saga.reserveStock();
    await saga.setStatus('RESERVED');
    const authorization = await saga.authorizePayment();
    await saga.capturePayment();
    await saga.commitStock();
    await saga.setStatus('PAID');
    await new DynamoTakeoverStore(client, tables.orders).create({
      orderId: saga.order.orderId,
      customerId: CUSTOMER,
      homeRegion: REGION,
      takenOverBy: 'eu-west-1',
      takenOverAt: '2026-01-01T12:30:00.000Z',
      statusAtTakeover: 'PAID',
      reason: TAKEOVER_REASON,
      homeUnhealthySince: '2026-01-01T12:04:00.000Z',
    });
    const duringOutage = await api.getOrder(saga.order.orderId);

    // Act: the saga resumes; the next forward step is refused and the Catch compensates. The survivor
    // already told the customer, so the state machine skips the notification on this path.
    const refusal = await saga.setStatus('SHIPPED').then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    const reason = refusal ? failureReason({ error: refusal.name, cause: refusal.message }) : 'no error';
    await saga.cancelShipment(reason);
    const refund = await saga.refundPayment(reason);
    const release = await saga.releaseStock(reason);
    const final = await saga.setStatus('FAILED', reason);

    // Assert
    expect(duringOutage.body).toMatchObject({ status: 'FAILED', failureReason: TAKEOVER_REASON });
    expect(refusal?.name).toBe(SAGA_ERRORS.orderTakenOver);
    expect(refund).toEqual({
      outcome: 'REFUNDED',
      chargeId: authorization.result.chargeId,
      refundedMinor: TOTAL_MINOR,
    });
    expect(release.released).toEqual([
      { sku: SKU_A, quantity: 2 },
      { sku: SKU_B, quantity: 1 },
    ]);
    expect(final).toEqual({ orderId: saga.order.orderId, status: 'FAILED' });
    expect(await allocationOf(api, SKU_A)).toEqual({ status: 200, available: 10, reserved: 0, committed: 0 });
    expect(await allocationOf(api, SKU_B)).toEqual({ status: 200, available: 5, reserved: 0, committed: 0 });
    const order = await api.getOrder(saga.order.orderId);
    expect(order.body).toMatchObject({
      status: 'FAILED',
      failureReason: TAKEOVER_REASON,
      takeover: { by: 'eu-west-1', statusAtTakeover: 'PAID' },
    });
    expect(statuses(order.body.statusHistory)).toEqual(['PENDING', 'RESERVED', 'PAID', 'FAILED']);
    expect(platform.bus.single('OrderFailed').data).toMatchObject({ reason: TAKEOVER_REASON });
    const charges = await platform.charges();
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ status: 'refunded', refundedMinor: TOTAL_MINOR });
  });

  it('is unharmed by retries: every step twice and the POST twice give one order, one charge, one shipment', async () => {
    // Arrange
    const correlationId = 'corr-retries-1';
    const api = new ApiClient(platform, correlationId);
    await stockUp(api, { [SKU_A]: 10, [SKU_B]: 5 });
    const twice = async <T>(step: () => Promise<T>): Promise<[T, T]> => [await step(), await step()];

    // Act: the client retries its POST; Step Functions retries every state once more after it succeeded.
    const [first, second] = await twice(() => api.placeOrder('key-retries-1', orderBody()));
    const saga = executionOf(first.body.orderId);
    const reservations = await twice(() => saga.reserveStock());
    await twice(() => saga.setStatus('RESERVED'));
    const authorizations = await twice(() => saga.authorizePayment());
    // The provider retries its webhook too (e.g. our 200 was lost).
    const [webhook] = platform.payments.webhooks.sent;
    if (webhook) await platform.payments.webhooks.dispatch(webhook);
    const captures = await twice(() => saga.capturePayment());
    const commits = await twice(() => saga.commitStock());
    await twice(() => saga.setStatus('PAID'));
    // SQS redelivers the shipping message, and the state's retry sends a new one with a new token.
    const firstShipment = await saga.createShipment();
    await twice(() => saga.deliverShippingMessage(firstShipment.messageId));
    const retriedShipment = await saga.createShipment();
    await saga.deliverShippingMessage(retriedShipment.messageId);
    await twice(() => saga.setStatus('SHIPPED'));
    await twice(() => saga.setStatus('FULFILLED'));
    const notifications = await twice(() => saga.notify('order-fulfilled'));
    const fulfilled = eventBridgeEvent(platform.bus.single('OrderFulfilled'));
    const settlements = await twice(() =>
      platform.inventory.events(fulfilled, lambdaContext('inventory-events')),
    );

    // Assert: one order, one execution.
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.headers['Idempotent-Replayed']).toBe('true');
    expect(second.body.orderId).toBe(first.body.orderId);
    expect(platform.sagaStarter.calls).toHaveLength(2);
    expect(platform.sagaStarter.calls[1]).toEqual(platform.sagaStarter.calls[0]);
    expect(platform.sagaStarter.executions.size).toBe(1);
    expect((await api.listOrders(CUSTOMER)).body.items.map((o) => o.orderId)).toEqual([first.body.orderId]);

    // Each retried step answered as the first attempt did.
    expect(reservations[1]).toEqual(reservations[0]);
    expect(captures[1]).toEqual(captures[0]);
    expect(commits[1]).toEqual(commits[0]);

    // One charge: the retried payment task was answered by the step itself; the repeated webhook was a duplicate.
    const [auth1, auth2] = authorizations;
    expect(auth1.result.completedBy).toBe('webhook');
    expect(auth2.result).toMatchObject({
      chargeId: auth1.result.chargeId,
      completedBy: 'step',
      callback: 'delivered',
    });
    const authorized = { kind: 'success', output: { chargeId: auth1.result.chargeId, status: 'AUTHORIZED' } };
    expect([auth1.outcome, auth2.outcome]).toEqual([authorized, authorized]);
    expect(platform.payments.webhookApi.exchanges.map((x) => JSON.parse(x.response).result)).toEqual([
      'resumed',
      'duplicate',
    ]);
    const charges = await platform.charges();
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ status: 'captured', capturedMinor: TOTAL_MINOR });

    // One shipment: both tokens carry it; the redelivered message's completion was refused as stale.
    const shipments = await platform.shipmentItems();
    expect(shipments).toHaveLength(1);
    const shipped = platform.tokens.outcomeOf(firstShipment.taskToken);
    expect(shipped).toMatchObject({ kind: 'success', output: { shipmentId: shipments[0]?.shipmentId } });
    expect(platform.tokens.outcomeOf(retriedShipment.taskToken)).toEqual(shipped);
    expect(platform.tokens.refused.map((r) => r.token)).toEqual([firstShipment.taskToken]);

    // Stock decremented once, every hold settled once.
    expect(settlements.map((s) => s.outcome)).toEqual(['processed', 'duplicate']);
    expect(await allocationOf(api, SKU_A)).toEqual({ status: 200, available: 8, reserved: 0, committed: 0 });
    expect(await allocationOf(api, SKU_B)).toEqual({ status: 200, available: 4, reserved: 0, committed: 0 });

    // The order moved through each status once; the customer was told once.
    const order = await api.getOrder(first.body.orderId);
    expect(statuses(order.body.statusHistory)).toEqual([
      'PENDING',
      'RESERVED',
      'PAID',
      'SHIPPED',
      'FULFILLED',
    ]);
    expect(notifications.map((n) => n.duplicate)).toEqual([false, true]);
    expect(await platform.notifications.outbox()).toHaveLength(1);

    // Re-published events keep their ids, so every consumer sees each fact once.
    const events = platform.bus.aboutOrder(first.body.orderId);
    for (const type of [
      'OrderPlaced',
      'StockReserved',
      'PaymentAuthorized',
      'PaymentCaptured',
      'ShipmentCreated',
      'OrderFulfilled',
    ] as const) {
      expect({ type, ids: new Set(events.filter((e) => e.type === type).map((e) => e.id)).size }).toEqual({
        type,
        ids: 1,
      });
    }
  });
});

describe('the compensation reason the state machine can hand on', () => {
  /**
   * A Lambda error reaches a Catch as `$.error = { Error: errorType, Cause: JSON of { errorType,
   * errorMessage, trace } }`, and JSONPath states cannot cut a string, so the Cause is what a
   * compensation state has to pass as `reason`. The frames are a bundled handler's, as in Lambda.
   */
  function lambdaCause(error: Error): string {
    const frames = Array.from(
      { length: 8 },
      (_, i) => `    at ReserveStock.execute (/var/task/index.js:${i + 1}:${10_000 + i * 137})`,
    );
    return JSON.stringify({
      errorType: error.name,
      errorMessage: error.message,
      trace: [`${error.name}: ${error.message}`, ...frames],
    });
  }

  it('accepts a Lambda error Cause of any length as the compensation reason in every step, keeping 500 chars on the order', async () => {
    // Arrange: a reservation that fails with OutOfStockError, caught as Step Functions catches it.
    const api = new ApiClient(platform, 'corr-reason-1');
    await stockUp(api, { [SKU_B]: 1 });
    const placed = await api.placeOrder(
      'key-reason-1',
      orderBody({ lines: [{ productId: SKU_B, quantity: 3, unitPrice: 5 }] }),
    );
    const saga = executionOf(placed.body.orderId);
    const error = await saga.reserveStock().then(
      () => new Error('reserveStock unexpectedly succeeded'),
      (err: unknown) => err as Error,
    );
    const cause = lambdaCause(error).padEnd(5000, ' ');

    // Act: the Catch's compensation, each state given the Cause as its reason.
    const settle = <T>(p: Promise<T>) =>
      p.then(
        () => 'accepted',
        (err: unknown) => (err as Error).name,
      );
    const outcomes = {
      releaseStock: await settle(saga.releaseStock(cause)),
      refundPayment: await settle(saga.refundPayment(cause)),
      cancelShipment: await settle(saga.cancelShipment(cause)),
      setOrderStatus: await settle(saga.setStatus('FAILED', cause)),
      notify: await settle(saga.notify('order-failed', cause)),
    };

    // Assert: every step takes the long Cause; the order ends FAILED with a bounded reason.
    expect(error.name).toBe(SAGA_ERRORS.outOfStock);
    expect(cause.length).toBe(5000);
    expect(outcomes).toEqual({
      releaseStock: 'accepted',
      refundPayment: 'accepted',
      cancelShipment: 'accepted',
      setOrderStatus: 'accepted',
      notify: 'accepted',
    });
    const order = (await api.getOrder(saga.order.orderId)).body;
    expect(order.status).toBe('FAILED');
    expect(order.failureReason?.length).toBeLessThanOrEqual(500);
    expect(order.failureReason?.startsWith(cause.slice(0, 100))).toBe(true);
  });
});
