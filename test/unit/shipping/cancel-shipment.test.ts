import { ManualClock } from '../../../services/shared/clock';
import { DynamoShipmentRepository } from '../../../services/shipping/adapters/dynamo-shipments';
import { planShipment } from '../../../services/shipping/domain/shipment';
import { buildCancelShipmentHandler } from '../../../services/shipping/handlers/cancel-shipment';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { REGION, order, quietObservability } from './support';

describe('cancelShipment compensation step', () => {
  const client = testDocumentClient();
  const clock = new ManualClock();
  let shipments: DynamoShipmentRepository;
  let cancel: ReturnType<typeof buildCancelShipmentHandler>;

  beforeAll(async () => {
    const table = (await createTables(['shipments'])).shipments;
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

  it('is a no-op when the order has no shipment', async () => {
    const o = order('cx-none');

    expect(await cancel({ order: o })).toEqual({
      orderId: o.orderId,
      outcome: 'no-shipment',
    });
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

  it('rejects input that is not a saga step input', async () => {
    await expect(cancel({ orderId: 'ord_x' })).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });
});
