import { DynamoProcessedEventStore } from '../../../services/shared/adapters/dynamo-processed-events';
import { createEvent, type EventEnvelope } from '../../../services/shared/events';
import { buildEventsHandler } from '../../../services/notifications/handlers/events';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { FakeCustomerNotifier, FakeOpsAlerter, REGION, quietObservability } from './support';

/** An EventBridge event carrying an envelope as its detail. */
function eventBridge(envelope: EventEnvelope | Record<string, unknown>) {
  return {
    version: '0',
    id: 'eb-1',
    'detail-type': String((envelope as { type?: string }).type ?? 'x'),
    source: 'meridian.test',
    account: '000000000000',
    time: '2026-01-01T00:00:00Z',
    region: REGION,
    resources: [],
    detail: envelope,
  };
}

describe('notifications events consumer', () => {
  const client = testDocumentClient();
  let handler: ReturnType<typeof buildEventsHandler>;
  let notifier: FakeCustomerNotifier;
  let alerter: FakeOpsAlerter;

  beforeEach(async () => {
    const tables = await createTables(['processed-events']);
    const processed = new DynamoProcessedEventStore(client, tables['processed-events'], REGION);
    notifier = new FakeCustomerNotifier();
    alerter = new FakeOpsAlerter();
    handler = buildEventsHandler({ region: REGION, notifier, alerter, processed, ...quietObservability() });
  });

  it('alerts ops on OrderFailed, ShipmentFailed and StockReservationFailed', async () => {
    const events = [
      createEvent({
        type: 'OrderFailed',
        source: 'meridian.orders',
        region: REGION,
        correlationId: 'c1',
        data: { orderId: 'ord_1', customerId: 'CUST-1', reason: 'PaymentDeclinedError' },
      }),
      createEvent({
        type: 'ShipmentFailed',
        source: 'meridian.shipping',
        region: REGION,
        correlationId: 'c2',
        data: { orderId: 'ord_2', reason: 'dead-lettered' },
      }),
      createEvent({
        type: 'StockReservationFailed',
        source: 'meridian.inventory',
        region: REGION,
        correlationId: 'c3',
        data: { orderId: 'ord_3', sku: 'PROD-1', requested: 3, available: 0 },
      }),
    ];

    const results = [];
    for (const e of events) results.push(await handler(eventBridge(e)));

    expect(results.map((r) => r.outcome)).toEqual(['alerted', 'alerted', 'alerted']);
    expect(alerter.alerts.map((a) => [a.eventType, a.orderId, a.severity, a.correlationId])).toEqual([
      ['OrderFailed', 'ord_1', 'warning', 'c1'],
      ['ShipmentFailed', 'ord_2', 'critical', 'c2'],
      ['StockReservationFailed', 'ord_3', 'warning', 'c3'],
    ]);
  });

  it('processes a redelivered event once', async () => {
    const e = createEvent({
      type: 'ShipmentFailed',
      source: 'meridian.shipping',
      region: REGION,
      correlationId: 'c4',
      data: { orderId: 'ord_4', reason: 'x' },
    });

    const first = await handler(eventBridge(e));
    const second = await handler(eventBridge(e));

    expect([first.outcome, second.outcome]).toEqual(['alerted', 'duplicate']);
    expect(alerter.alerts).toHaveLength(1);
  });

  it('tells the customer about a declined payment through the customer topic', async () => {
    const e = createEvent({
      type: 'PaymentDeclined',
      source: 'meridian.payments',
      region: REGION,
      correlationId: 'c5',
      data: { orderId: 'ord_5', chargeId: 'ch_1', reason: 'insufficient_funds' },
    });

    const result = await handler(eventBridge(e));

    expect(result).toEqual({ outcome: 'notified', messageId: 'sns-1' });
    expect(notifier.published[0]).toMatchObject({
      orderId: 'ord_5',
      template: 'payment-declined',
      correlationId: 'c5',
    });
    expect(notifier.published[0]!.text).toContain('insufficient funds');
    expect(notifier.emails).toHaveLength(0);
  });

  it('tells the customer their order failed when this region took it over from an unavailable home', async () => {
    const e = createEvent({
      id: 'ord_7:OrderTakenOver',
      type: 'OrderTakenOver',
      source: 'meridian.orders',
      region: REGION,
      correlationId: 'c7',
      data: {
        orderId: 'ord_7',
        customerId: 'CUST-7',
        homeRegion: 'eu-west-1',
        takenOverBy: REGION,
        statusAtTakeover: 'PAID',
        reason: 'HomeRegionUnavailable',
      },
    });

    const first = await handler(eventBridge(e));
    const again = await handler(eventBridge(e));

    expect([first.outcome, again.outcome]).toEqual(['notified', 'duplicate']);
    expect(notifier.published).toHaveLength(1);
    expect(notifier.published[0]).toMatchObject({ orderId: 'ord_7', template: 'order-failed' });
    expect(notifier.published[0]!.text).toContain('became unavailable');
  });

  it('ignores an OrderTakenOver without the customer it is for', async () => {
    const e = createEvent({
      type: 'OrderTakenOver',
      source: 'meridian.orders',
      region: REGION,
      correlationId: 'c8',
      data: { orderId: 'ord_8', homeRegion: 'eu-west-1' } as never,
    });

    const result = await handler(eventBridge(e));

    expect(result).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('customerId') });
    expect(notifier.published).toHaveLength(0);
  });

  it('ignores event types it does not notify about', async () => {
    const e = createEvent({
      type: 'StockReserved',
      source: 'meridian.inventory',
      region: REGION,
      correlationId: 'c6',
      data: { orderId: 'ord_6', lines: [], expiresAt: '2026-01-01T00:00:00Z' },
    });

    const result = await handler(eventBridge(e));

    expect(result).toMatchObject({ outcome: 'ignored' });
    expect(alerter.alerts).toHaveLength(0);
    expect(notifier.published).toHaveLength(0);
  });

  it('ignores events replicated from a peer region: their own region notifies', async () => {
    // Arrange: a peer's failure events, as the cross-region rules deliver them here.
    const peer = 'eu-west-1';
    const events = [
      createEvent({
        type: 'ShipmentFailed',
        source: 'meridian.shipping',
        region: peer,
        correlationId: 'c-peer-1',
        data: { orderId: 'ord_peer_1', reason: 'dead-lettered' },
      }),
      createEvent({
        type: 'PaymentDeclined',
        source: 'meridian.payments',
        region: peer,
        correlationId: 'c-peer-2',
        data: { orderId: 'ord_peer_2', reason: 'card_declined' },
      }),
    ];

    // Act
    const results = [];
    for (const e of events) results.push(await handler(eventBridge(e)));

    // Assert: nothing sent; the same event from this region would be.
    expect(results).toEqual([
      { outcome: 'ignored', reason: expect.stringContaining(peer) },
      { outcome: 'ignored', reason: expect.stringContaining(peer) },
    ]);
    expect(alerter.alerts).toEqual([]);
    expect(notifier.published).toEqual([]);
    expect(await handler(eventBridge({ ...events[0]!, region: REGION }))).toMatchObject({
      outcome: 'alerted',
    });
  });

  it('drops malformed events without throwing', async () => {
    const badData = createEvent({
      type: 'OrderFailed',
      source: 'meridian.orders',
      region: REGION,
      correlationId: 'c7',
      data: { orderId: 'ord_7' } as unknown as { orderId: string; customerId: string; reason: string },
    });

    const results = [
      await handler(null),
      await handler('not an event'),
      await handler(eventBridge({ id: 'e1', type: 'OrderFailed' })),
      await handler(eventBridge(badData)),
    ];

    expect(results.map((r) => r.outcome)).toEqual(['dropped', 'dropped', 'dropped', 'ignored']);
    expect(results[3]).toMatchObject({ reason: expect.stringContaining('malformed OrderFailed') });
    expect(alerter.alerts).toHaveLength(0);
  });

  it('throws when a send fails, and sends on the retry', async () => {
    const e = createEvent({
      type: 'PaymentDeclined',
      source: 'meridian.payments',
      region: REGION,
      correlationId: 'c8',
      data: { orderId: 'ord_8', reason: 'card_declined' },
    });
    notifier.failNext = true;

    await expect(handler(eventBridge(e))).rejects.toThrow('send failed');
    expect(await handler(eventBridge(e))).toMatchObject({ outcome: 'notified' });
    expect(notifier.published).toHaveLength(1);
  });
});
