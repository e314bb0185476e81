import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ManualClock } from '../../../services/shared/clock';
import { lambdaContext } from '../../../services/shared/lambda';
import { DynamoShipmentRepository } from '../../../services/shipping/adapters/dynamo-shipments';
import { FailureInjector, seededRandom } from '../../../services/shipping/domain/failure-injection';
import type { ShipmentRepository } from '../../../services/shipping/domain/ports';
import { planShipment } from '../../../services/shipping/domain/shipment';
import { buildCancelShipmentHandler } from '../../../services/shipping/handlers/cancel-shipment';
import { buildConsumerHandler } from '../../../services/shipping/handlers/consumer';
import { createTables, testDocumentClient } from '../../support/dynamo';
import {
  FakeInjectionStore,
  FakePublisher,
  FakeTaskCallbacks,
  REGION,
  order,
  quietObservability,
  shippingBody,
  sqsEvent,
  sqsRecord,
} from './support';

describe('cancelShipment compensation step', () => {
  const client = testDocumentClient();
  const clock = new ManualClock();
  let table: string;
  let shipments: DynamoShipmentRepository;
  let cancel: ReturnType<typeof buildCancelShipmentHandler>;

  beforeAll(async () => {
    table = (await createTables(['shipments'])).shipments;
    shipments = new DynamoShipmentRepository(client, table);
    cancel = buildCancelShipmentHandler({ region: REGION, shipments, clock, ...quietObservability() });
  });

  it('cancels a created shipment once; a repeat reports it already cancelled', async () => {
    const o = order('cx1');
    const planned = planShipment(o, new Date(clock.now()));
    await shipments.createIfAbsent(planned);
    clock.advance(1000);

    const first = await cancel({ order: o, reason: 'OrderCancelledError' });
    const second = await cancel({ order: o });

    expect(first).toEqual({ orderId: o.orderId, outcome: 'cancelled', shipmentId: planned.shipmentId });
    expect(second).toEqual({
      orderId: o.orderId,
      outcome: 'already-cancelled',
      shipmentId: planned.shipmentId,
    });
    expect(await shipments.get(o.orderId)).toMatchObject({
      status: 'CANCELLED',
      cancelledAt: new Date(clock.now()).toISOString(),
      updatedAt: new Date(clock.now()).toISOString(),
      createdAt: planned.createdAt,
    });
  });

  it('fences an order without a shipment with a CANCELLED marker owned by its home region', async () => {
    const o = order('cx-none');

    const first = await cancel({ order: o, reason: 'PaymentDeclinedError: card declined' });
    clock.advance(1000);
    const repeat = await cancel({ order: o });

    expect(first).toEqual({ orderId: o.orderId, outcome: 'no-shipment' });
    expect(repeat).toEqual({ orderId: o.orderId, outcome: 'already-cancelled' });
    const at = new Date(clock.now() - 1000).toISOString();
    expect(await shipments.get(o.orderId)).toEqual({
      marker: true,
      orderId: o.orderId,
      status: 'CANCELLED',
      reason: 'PaymentDeclinedError: card declined',
      correlationId: o.correlationId,
      ownerRegion: REGION,
      createdAt: at,
      updatedAt: at,
      cancelledAt: at,
    });
  });

  it('refuses to fence an order homed in another region', async () => {
    const o = order('cx-foreign-none', { homeRegion: 'eu-west-1' });

    await expect(cancel({ order: o })).rejects.toMatchObject({ name: 'NotOwnerRegionError' });
    expect(await shipments.get(o.orderId)).toBeUndefined();
  });

  it('cancels exactly once under concurrent compensations', async () => {
    const o = order('cx-race');
    await shipments.createIfAbsent(planShipment(o, new Date(clock.now())));

    const results = await Promise.all(Array.from({ length: 5 }, () => cancel({ order: o })));

    expect(results.filter((r) => r.outcome === 'cancelled')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'already-cancelled')).toHaveLength(4);
  });

  it('refuses to write a shipment owned by another region', async () => {
    const o = order('cx-foreign', { homeRegion: 'eu-west-1' });
    await shipments.createIfAbsent(planShipment(o, new Date(clock.now())));

    await expect(cancel({ order: o })).rejects.toMatchObject({
      name: 'NotOwnerRegionError',
    });
    expect(await shipments.get(o.orderId)).toMatchObject({ status: 'CREATED' });
  });

  it('does not cancel a replica of a shipment another region owns, even when asked for this region', async () => {
    // A shipment item replicated from eu-west-1 under an order id this region also knows.
    const o = order('cx-replica');
    await client.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: `SHIPMENT#${o.orderId}`,
          sk: 'SHIPMENT',
          ...planShipment({ ...o, homeRegion: 'eu-west-1' }, new Date(clock.now())),
        },
      }),
    );

    const changed = await shipments.markCancelled(o.orderId, REGION, new Date(clock.now()).toISOString());

    expect(changed).toBe(false);
    expect(await shipments.get(o.orderId)).toMatchObject({ status: 'CREATED', ownerRegion: 'eu-west-1' });
    await expect(cancel({ order: o })).rejects.toMatchObject({ name: 'NotOwnerRegionError' });
  });

  /** A consumer over `repo` with in-memory Step Functions and EventBridge, never injecting failures. */
  function consumerOver(repo: ShipmentRepository) {
    const publisher = new FakePublisher();
    const callbacks = new FakeTaskCallbacks();
    const consumer = buildConsumerHandler({
      region: REGION,
      shipments: repo,
      publisher,
      callbacks,
      clock,
      injector: new FailureInjector({
        store: new FakeInjectionStore(),
        defaultRate: 0,
        cacheMs: 0,
        clock,
        random: seededRandom(3),
      }),
      ...quietObservability(),
    });
    return { consumer, publisher, callbacks };
  }

  it('cancels the shipment a consumer created between its read and its marker write', async () => {
    // Arrange: the consumer's create lands after cancelShipment read "no shipment", before its marker.
    const o = order('cx-interleaved');
    const { consumer, callbacks } = consumerOver(shipments);
    const racing: ShipmentRepository = {
      createIfAbsent: (s) => shipments.createIfAbsent(s),
      get: (id) => shipments.get(id),
      markCancelled: (id, region, at) => shipments.markCancelled(id, region, at),
      putCancellationMarker: async (marker) => {
        await consumer(sqsEvent(sqsRecord(`m-${o.orderId}`, shippingBody(o))), lambdaContext());
        return shipments.putCancellationMarker(marker);
      },
    };
    const racingCancel = buildCancelShipmentHandler({
      region: REGION,
      shipments: racing,
      clock,
      ...quietObservability(),
    });

    // Act
    const result = await racingCancel({ order: o });

    // Assert: the marker lost, and the shipment that won was cancelled rather than left CREATED.
    const record = await shipments.get(o.orderId);
    expect(result).toEqual({
      orderId: o.orderId,
      outcome: 'cancelled',
      shipmentId: expect.stringMatching(/^shp_/),
    });
    expect(record).toMatchObject({ status: 'CANCELLED', shipmentId: result.shipmentId });
    expect(record?.marker).toBeUndefined();
    expect(callbacks.completed.has(`token-${o.orderId}`)).toBe(true);
  });

  it('keeps a fenced order unshipped whichever of compensation and delivery runs first', async () => {
    const { consumer, publisher, callbacks } = consumerOver(shipments);
    const orders = Array.from({ length: 8 }, (_, i) => order(`cx-both-${i}`));

    await Promise.all(
      orders.map((o) =>
        Promise.all([
          consumer(sqsEvent(sqsRecord(`m-${o.orderId}`, shippingBody(o))), lambdaContext()),
          cancel({ order: o }),
        ]),
      ),
    );

    for (const o of orders) {
      const record = await shipments.get(o.orderId);
      const token = `token-${o.orderId}`;
      expect(record?.status).toBe('CANCELLED');
      if (record?.marker) {
        expect(callbacks.failed.get(token)?.error).toBe('ShipmentCancelledError');
        expect(publisher.aboutOrder(o.orderId)).toEqual([]);
      } else {
        expect(callbacks.failed.has(token) || callbacks.completed.has(token)).toBe(true);
      }
    }
  });

  it('rejects input that is not a saga step input', async () => {
    await expect(cancel({ orderId: 'ord_x' })).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });
});
