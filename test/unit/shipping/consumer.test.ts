import { Logger } from '@aws-lambda-powertools/logger';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ManualClock } from '../../../services/shared/clock';
import { instrumented, lambdaContext } from '../../../services/shared/lambda';
import { observability } from '../../../services/shared/observability';
import {
  DynamoFailureInjectionStore,
  DynamoShipmentRepository,
} from '../../../services/shipping/adapters/dynamo-shipments';
import {
  FailureInjector,
  seededRandom,
  type FailureInjectorProps,
} from '../../../services/shipping/domain/failure-injection';
import type { RandomSource } from '../../../services/shipping/domain/ports';
import type { Shipment } from '../../../services/shipping/domain/shipment';
import { buildCancelShipmentHandler } from '../../../services/shipping/handlers/cancel-shipment';
import { buildConsumerHandler } from '../../../services/shipping/handlers/consumer';
import { sqsBatchCorrelationId } from '../../../services/shipping/handlers/correlation';
import { buildSetFailureInjectionHandler } from '../../../services/shipping/handlers/set-failure-injection';
import { createTables, testDocumentClient } from '../../support/dynamo';
import {
  FakePublisher,
  FakeTaskCallbacks,
  REGION,
  captureLogs,
  order,
  quietObservability,
  shippingBody,
  sqsEvent,
  sqsRecord,
} from './support';

describe('shipping queue consumer', () => {
  const client = testDocumentClient();
  let table: string;

  beforeAll(async () => {
    table = (await createTables(['shipments'])).shipments;
  });

  /** A consumer wired to the real table with in-memory SFN/EventBridge and a given random source. */
  function setup(
    opts: { defaultRate?: number; random?: RandomSource; region?: string; cacheMs?: number } = {},
  ) {
    const region = opts.region ?? REGION;
    const clock = new ManualClock();
    const publisher = new FakePublisher();
    const callbacks = new FakeTaskCallbacks();
    const shipments = new DynamoShipmentRepository(client, table);
    const store = new DynamoFailureInjectionStore(client, table, region);
    const injectorProps: FailureInjectorProps = {
      store,
      defaultRate: opts.defaultRate ?? 0,
      cacheMs: opts.cacheMs ?? 5000,
      clock,
      random: opts.random ?? seededRandom(1),
    };
    const handler = buildConsumerHandler({
      region,
      shipments,
      publisher,
      callbacks,
      injector: new FailureInjector(injectorProps),
      clock,
      ...quietObservability(),
    });
    const setRate = buildSetFailureInjectionHandler({ region, store, clock, ...quietObservability() });
    return { handler, publisher, callbacks, shipments, clock, setRate };
  }

  it('reports exactly the failed records of a batch and ships the others', async () => {
    // Rate 0.5 with scripted draws: the 3rd valid record draws 0.1 and fails, the rest draw 0.9.
    const draws = [0.9, 0.9, 0.1, 0.9];
    const { handler, callbacks, shipments, publisher } = setup({
      defaultRate: 0.5,
      random: () => draws.shift() ?? 0.9,
    });
    const orders = [order('b1'), order('b2'), order('b3'), order('b4')];
    const event = sqsEvent(
      sqsRecord('m1', shippingBody(orders[0]!)),
      sqsRecord('m2', '{"order": {"orderId": "ord_bad"'),
      sqsRecord('m3', shippingBody(orders[1]!)),
      sqsRecord('m4', shippingBody(orders[2]!)),
      sqsRecord('m5', shippingBody(orders[3]!)),
    );

    const response = await handler(event, lambdaContext('shipping-consumer'));

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m2', 'm4']);
    for (const o of [orders[0]!, orders[1]!, orders[3]!]) {
      const shipment = (await shipments.get(o.orderId)) as Shipment | undefined;
      expect(shipment).toMatchObject({ orderId: o.orderId, status: 'CREATED', ownerRegion: REGION });
      expect(callbacks.completed.get(`token-${o.orderId}`)).toEqual({
        shipmentId: shipment!.shipmentId,
        carrier: shipment!.carrier,
        trackingNumber: shipment!.trackingNumber,
      });
    }
    expect(await shipments.get(orders[2]!.orderId)).toBeUndefined();
    expect(callbacks.completed.has(`token-${orders[2]!.orderId}`)).toBe(false);
    expect(
      publisher
        .ofType('ShipmentCreated')
        .map((e) => e.id)
        .sort(),
    ).toEqual(['ord_b1:ShipmentCreated', 'ord_b2:ShipmentCreated', 'ord_b4:ShipmentCreated']);
  });

  it('stores the shipment with its lines, deterministic identifiers and owner region', async () => {
    const { handler, shipments } = setup();
    const o = order('det', {
      lines: [{ productId: 'PROD-7', quantity: 3, unitPriceMinor: 500 }],
      totalMinor: 1500,
    });

    await handler(sqsEvent(sqsRecord('d1', shippingBody(o))), lambdaContext());
    const first = (await shipments.get(o.orderId)) as Shipment | undefined;

    expect(first).toMatchObject({
      status: 'CREATED',
      lines: [{ productId: 'PROD-7', quantity: 3 }],
      ownerRegion: REGION,
      correlationId: 'corr-det',
    });
    expect(first!.shipmentId).toMatch(/^shp_/);
    expect(first!.trackingNumber).toMatch(new RegExp(`^${first!.carrier}\\d{12}$`));
    expect(first!.createdAt).toBe(first!.updatedAt);
  });

  it('reuses the shipment when an already-shipped order is delivered again', async () => {
    const { handler, callbacks, shipments, publisher, clock } = setup();
    const o = order('again');
    await handler(sqsEvent(sqsRecord('a1', shippingBody(o))), lambdaContext());
    const original = await shipments.get(o.orderId);
    clock.advance(60_000);

    const response = await handler(
      sqsEvent(sqsRecord('a1', shippingBody(o), { receiveCount: 2 })),
      lambdaContext(),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(await shipments.get(o.orderId)).toEqual(original);
    expect(callbacks.calls).toEqual([`token-${o.orderId}`, `token-${o.orderId}`]);
    const created = publisher.ofType('ShipmentCreated');
    expect(created).toHaveLength(2);
    expect(new Set(created.map((e) => e.id))).toEqual(new Set([`${o.orderId}:ShipmentCreated`]));
    expect(created[1]!.time).toBe(created[0]!.time);
  });

  it('counts a record whose task token timed out as processed', async () => {
    const { handler, callbacks, shipments } = setup();
    const o = order('late');
    callbacks.timeOut(`token-${o.orderId}`);

    const response = await handler(sqsEvent(sqsRecord('t1', shippingBody(o))), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(await shipments.get(o.orderId)).toMatchObject({ status: 'CREATED' });
  });

  it('fails every record at rate 1 and none at rate 0', async () => {
    const failing = setup({ defaultRate: 1 });
    const passing = setup({ defaultRate: 0 });
    const batch = (tag: string) =>
      sqsEvent(...[1, 2, 3].map((i) => sqsRecord(`${tag}${i}`, shippingBody(order(`${tag}${i}`)))));

    const all = await failing.handler(batch('r1-'), lambdaContext());
    const none = await passing.handler(batch('r0-'), lambdaContext());

    expect(all.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['r1-1', 'r1-2', 'r1-3']);
    expect(none.batchItemFailures).toEqual([]);
    expect(await failing.shipments.get('ord_r1-1')).toBeUndefined();
  });

  it('obeys a run-time override item over the deployed rate, through its cache', async () => {
    const { handler, setRate, clock } = setup({ defaultRate: 0, region: REGION });
    await setRate({ rate: 1 });

    const whileOn = await handler(sqsEvent(sqsRecord('o1', shippingBody(order('o1')))), lambdaContext());
    await setRate({ rate: null });
    const stillCached = await handler(sqsEvent(sqsRecord('o1', shippingBody(order('o1')))), lambdaContext());
    clock.advance(5000);
    const afterCache = await handler(sqsEvent(sqsRecord('o1', shippingBody(order('o1')))), lambdaContext());

    expect(whileOn.batchItemFailures).toEqual([{ itemIdentifier: 'o1' }]);
    expect(stillCached.batchItemFailures).toEqual([{ itemIdentifier: 'o1' }]);
    expect(afterCache.batchItemFailures).toEqual([]);
  });

  it('rejects an invalid failure-injection rate', async () => {
    const { setRate } = setup();
    await expect(setRate({ rate: 1.5 })).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(setRate({})).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('keeps failure-injection overrides per region', async () => {
    const east = setup({ region: 'us-east-1' });
    const west = setup({ region: 'us-west-2' });
    await west.setRate({ rate: 1 });

    const response = await east.handler(
      sqsEvent(sqsRecord('pr1', shippingBody(order('pr1')))),
      lambdaContext(),
    );

    expect(response.batchItemFailures).toEqual([]);
    await west.setRate({ rate: null });
  });

  it('refuses to change a failure-injection item another region owns, naming the owner', async () => {
    // A config item under this region's key, owned by eu-west-1 (e.g. replicated from a mis-set region).
    const region = 'ap-south-1';
    const key = { pk: `CONFIG#${region}`, sk: 'FAILURE_INJECTION' };
    const item = { ...key, rate: 0.5, ownerRegion: 'eu-west-1', updatedAt: '2026-01-01T00:00:00.000Z' };
    await client.send(new PutCommand({ TableName: table, Item: item }));
    const { setRate } = setup({ region });

    await expect(setRate({ rate: 1 })).rejects.toMatchObject({
      name: 'NotOwnerRegionError',
      message: expect.stringContaining('eu-west-1'),
    });
    await expect(setRate({ rate: null })).rejects.toMatchObject({ name: 'NotOwnerRegionError' });
    const stored = await client.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    expect(stored.Item).toEqual(item);
  });

  it('fails a message for an order homed in another region instead of writing it', async () => {
    const { handler, shipments } = setup();
    const foreign = order('foreign', { homeRegion: 'eu-west-1' });

    const response = await handler(sqsEvent(sqsRecord('f1', shippingBody(foreign))), lambdaContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'f1' }]);
    expect(await shipments.get(foreign.orderId)).toBeUndefined();
  });

  it('refuses to ship an order fenced by a cancellation marker, failing its task with ShipmentCancelledError', async () => {
    // Arrange: compensation ran before the shipping message was ever delivered (e.g. a late re-drive).
    const { handler, shipments, publisher, callbacks, clock } = setup();
    const cancel = buildCancelShipmentHandler({ region: REGION, shipments, clock, ...quietObservability() });
    const o = order('fenced');
    await cancel({ order: o, reason: 'States.Timeout' });

    // Act
    const response = await handler(sqsEvent(sqsRecord('c1', shippingBody(o))), lambdaContext());

    // Assert: counted as processed (no retries, no DLQ), nothing shipped or announced, the task failed.
    expect(response.batchItemFailures).toEqual([]);
    expect(await shipments.get(o.orderId)).toMatchObject({ marker: true, status: 'CANCELLED' });
    expect(publisher.ofType('ShipmentCreated')).toEqual([]);
    expect(callbacks.completed.has(`token-${o.orderId}`)).toBe(false);
    expect(callbacks.failed.get(`token-${o.orderId}`)).toEqual({
      error: 'ShipmentCancelledError',
      cause: expect.stringContaining(o.orderId),
    });
  });

  it('does not report a shipment cancelled after its creation as a success on a later delivery', async () => {
    const { handler, shipments, publisher, callbacks, clock } = setup();
    const cancel = buildCancelShipmentHandler({ region: REGION, shipments, clock, ...quietObservability() });
    const o = order('undone');
    await handler(sqsEvent(sqsRecord('u1', shippingBody(o))), lambdaContext());
    await cancel({ order: o, reason: 'OrderCancelledError' });

    // The state's retry sent the message again with a new token, and SQS redelivered the first one.
    const retried = await handler(
      sqsEvent(
        sqsRecord('u2', shippingBody(o, 'token-retry')),
        sqsRecord('u1', shippingBody(o), { receiveCount: 2 }),
      ),
      lambdaContext(),
    );

    expect(retried.batchItemFailures).toEqual([]);
    expect(publisher.ofType('ShipmentCreated')).toHaveLength(1);
    expect(callbacks.completed.has('token-retry')).toBe(false);
    expect(callbacks.failed.get('token-retry')?.error).toBe('ShipmentCancelledError');
    expect(await shipments.get(o.orderId)).toMatchObject({ status: 'CANCELLED' });
  });

  it('counts a cancelled order whose task is gone as processed', async () => {
    const { handler, shipments, callbacks, clock } = setup();
    const cancel = buildCancelShipmentHandler({ region: REGION, shipments, clock, ...quietObservability() });
    const o = order('fenced-late');
    await cancel({ order: o });
    callbacks.timeOut(`token-${o.orderId}`);

    const response = await handler(sqsEvent(sqsRecord('fl1', shippingBody(o))), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(callbacks.failed.size).toBe(0);
    expect(await shipments.get(o.orderId)).toMatchObject({ marker: true });
  });

  it('logs each record with its own order correlation id, the batch with its first order', async () => {
    // Arrange: the consumer wired as main.ts wires it, with a logger that prints.
    const obs = {
      ...observability('shipping-test'),
      logger: new Logger({ serviceName: 'shipping-test', logLevel: 'DEBUG' }),
    };
    const { publisher, callbacks, shipments, clock } = setup();
    const consumer = instrumented(
      obs,
      sqsBatchCorrelationId,
      buildConsumerHandler({
        region: REGION,
        shipments,
        publisher,
        callbacks,
        clock,
        injector: new FailureInjector({
          store: new DynamoFailureInjectionStore(client, table, REGION),
          defaultRate: 0,
          cacheMs: 0,
          clock,
          random: seededRandom(2),
        }),
        logger: obs.logger,
        metrics: obs.metrics,
      }),
    );
    const event = sqsEvent(
      sqsRecord('lg1', shippingBody(order('lg1'))),
      sqsRecord('lg2', shippingBody(order('lg2'))),
      sqsRecord('lg3', '{"order": {"orderId": "ord_lg3"'),
    );

    // Act
    const { logs } = await captureLogs(() => consumer(event, lambdaContext('shipping-consumer')));

    // Assert
    const about = (messageId: string) => logs.filter((l) => l.messageId === messageId);
    expect(about('lg1').map((l) => l.correlationId)).toEqual(['corr-lg1']);
    expect(about('lg2').map((l) => l.correlationId)).toEqual(['corr-lg2']);
    expect(about('lg3')).toHaveLength(1);
    expect(about('lg3')[0]).not.toHaveProperty('correlationId');
    expect(logs.find((l) => l.message === 'shipping batch finished with failures')).toMatchObject({
      correlationId: 'corr-lg1',
    });
  });

  it('fails a valid order without a task token as malformed', async () => {
    const { handler } = setup();
    const body = JSON.stringify({ order: order('notoken') });

    const response = await handler(sqsEvent(sqsRecord('n1', body)), lambdaContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'n1' }]);
  });
});
