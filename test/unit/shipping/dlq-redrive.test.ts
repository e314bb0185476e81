import { Logger } from '@aws-lambda-powertools/logger';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ManualClock } from '../../../services/shared/clock';
import { instrumented, lambdaContext } from '../../../services/shared/lambda';
import { observability } from '../../../services/shared/observability';
import { DynamoFailedOrderRepository } from '../../../services/shipping/adapters/dynamo-failed-orders';
import {
  DynamoFailureInjectionStore,
  DynamoShipmentRepository,
} from '../../../services/shipping/adapters/dynamo-shipments';
import { FailureInjector, seededRandom } from '../../../services/shipping/domain/failure-injection';
import { listFailedOrders, redriveFailedOrders } from '../../../services/shipping/domain/redrive';
import { buildCancelShipmentHandler } from '../../../services/shipping/handlers/cancel-shipment';
import { buildConsumerHandler } from '../../../services/shipping/handlers/consumer';
import { adminCorrelationId, sqsBatchCorrelationId } from '../../../services/shipping/handlers/correlation';
import { buildDlqHandler } from '../../../services/shipping/handlers/dlq';
import { buildRedriveHandler } from '../../../services/shipping/handlers/redrive';
import { createTables, testDocumentClient } from '../../support/dynamo';
import {
  FakePublisher,
  FakeQueue,
  FakeTaskCallbacks,
  REGION,
  captureLogs,
  order,
  quietObservability,
  shippingBody,
  sqsEvent,
  sqsRecord,
} from './support';

describe('shipping DLQ and re-drive', () => {
  const client = testDocumentClient();

  /** Each test gets its own table: re-drives act on every OPEN record of the region. */
  async function setup() {
    const table = (await createTables(['shipments'])).shipments;
    const clock = new ManualClock();
    const publisher = new FakePublisher();
    const queue = new FakeQueue();
    const failedOrders = new DynamoFailedOrderRepository(client, table, REGION);
    const obs = quietObservability();
    const dlq = buildDlqHandler({ region: REGION, failedOrders, publisher, clock, ...obs });
    const redrive = buildRedriveHandler({ failedOrders, queue, clock, ...obs });
    return { table, clock, publisher, queue, failedOrders, dlq, redrive };
  }

  it('records a dead-lettered message as an OPEN failed order and publishes ShipmentFailed', async () => {
    const { table, dlq, failedOrders, publisher, clock } = await setup();
    const o = order('dl1');
    const body = shippingBody(o);

    const response = await dlq(sqsEvent(sqsRecord('x1', body, { receiveCount: 5 })), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    const failedAt = new Date(clock.now()).toISOString();
    expect(await failedOrders.get(o.orderId)).toMatchObject({
      orderId: o.orderId,
      status: 'OPEN',
      receiveCount: 5,
      attempts: 1,
      body,
      failedAt,
      firstFailedAt: failedAt,
      correlationId: o.correlationId,
      ownerRegion: REGION,
      reason: expect.stringContaining('5 receive(s)'),
    });
    const raw = await client.send(
      new GetCommand({ TableName: table, Key: { pk: `FAILED#${o.orderId}`, sk: 'FAILED' } }),
    );
    expect(raw.Item).toMatchObject({ gsi1pk: `FAILED#${REGION}`, gsi1sk: `${failedAt}#${o.orderId}` });
    expect(publisher.ofType('ShipmentFailed')).toEqual([
      expect.objectContaining({
        id: `${o.orderId}:ShipmentFailed:x1`,
        source: 'meridian.shipping',
        region: REGION,
        correlationId: o.correlationId,
        data: { orderId: o.orderId, reason: expect.stringContaining('dead-letter') },
      }),
    ]);
  });

  it('takes the reason from the message attributes when present', async () => {
    const { dlq, failedOrders } = await setup();

    await dlq(
      sqsEvent(
        sqsRecord('x2', shippingBody(order('dl2')), { attributes: { failureReason: 'carrier API down' } }),
      ),
      lambdaContext(),
    );

    expect((await failedOrders.get('ord_dl2'))?.reason).toBe('carrier API down');
  });

  it('updates the record on a second DLQ delivery and ignores a repeated one', async () => {
    const { dlq, failedOrders, clock, publisher } = await setup();
    const body = shippingBody(order('dl3'));
    await dlq(sqsEvent(sqsRecord('y1', body, { receiveCount: 5 })), lambdaContext());
    const first = await failedOrders.get('ord_dl3');
    clock.advance(60_000);

    await dlq(sqsEvent(sqsRecord('y2', body, { receiveCount: 6 })), lambdaContext());
    await dlq(sqsEvent(sqsRecord('y2', body, { receiveCount: 6 })), lambdaContext());
    const second = await failedOrders.get('ord_dl3');

    expect(second).toMatchObject({
      status: 'OPEN',
      attempts: 2,
      receiveCount: 6,
      lastMessageId: 'y2',
      firstFailedAt: first!.failedAt,
      failedAt: new Date(clock.now()).toISOString(),
    });
    expect(await failedOrders.list({ limit: 10 })).toHaveLength(1);
    expect(new Set(publisher.ofType('ShipmentFailed').map((e) => e.id))).toEqual(
      new Set(['ord_dl3:ShipmentFailed:y1', 'ord_dl3:ShipmentFailed:y2']),
    );
  });

  it('records malformed bodies under unknown-<messageId>, or under their readable order id', async () => {
    const { dlq, failedOrders } = await setup();

    await dlq(
      sqsEvent(
        sqsRecord('garbage-1', 'not json at all'),
        sqsRecord('partial-1', JSON.stringify({ order: { orderId: 'ord_partial' } })),
      ),
      lambdaContext(),
    );

    expect(await failedOrders.get('unknown-garbage-1')).toMatchObject({
      status: 'OPEN',
      body: 'not json at all',
      reason: expect.stringMatching(/^malformed message: .*not valid JSON/),
    });
    expect(await failedOrders.get('ord_partial')).toMatchObject({
      status: 'OPEN',
      reason: expect.stringContaining('malformed message'),
    });
  });

  it('re-drives each OPEN record once and marks it REDRIVEN', async () => {
    const { dlq, redrive, queue, failedOrders, clock } = await setup();
    const bodies = ['r1', 'r2', 'r3'].map((n) => shippingBody(order(n)));
    for (const [i, body] of bodies.entries()) {
      await dlq(sqsEvent(sqsRecord(`dq${i}`, body)), lambdaContext());
      clock.advance(1000);
    }

    const result = await redrive({ limit: 10 });
    const again = await redrive({});

    expect(result).toEqual({ redriven: 3, orderIds: ['ord_r1', 'ord_r2', 'ord_r3'], failed: [] });
    expect(again).toEqual({ redriven: 0, orderIds: [], failed: [] });
    expect(queue.sent.map((m) => m.body)).toEqual(bodies);
    for (const id of result.orderIds) {
      expect(await failedOrders.get(id)).toMatchObject({ status: 'REDRIVEN', redriveCount: 1 });
    }
    expect(await listFailedOrders({ failedOrders }, { status: 'OPEN' })).toEqual([]);
  });

  it('honours the limit, oldest failures first', async () => {
    const { dlq, redrive, clock } = await setup();
    for (const n of ['l1', 'l2', 'l3']) {
      await dlq(sqsEvent(sqsRecord(`m-${n}`, shippingBody(order(n)))), lambdaContext());
      clock.advance(1000);
    }

    expect(await redrive({ limit: 2 })).toMatchObject({ orderIds: ['ord_l1', 'ord_l2'] });
    await expect(redrive({ limit: 0 })).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('sends each record once when re-drives run concurrently', async () => {
    const { dlq, failedOrders, queue, clock } = await setup();
    const ids = Array.from({ length: 6 }, (_, i) => `c${i}`);
    for (const id of ids) await dlq(sqsEvent(sqsRecord(`m-${id}`, shippingBody(order(id)))), lambdaContext());
    let claims = 0;
    const deps = { failedOrders, queue, clock, newClaimId: () => `claim-${++claims}` };

    const results = await Promise.all([1, 2, 3, 4].map(() => redriveFailedOrders(deps)));

    expect(queue.sent.map((m) => m.orderId).sort()).toEqual(ids.map((id) => `ord_${id}`).sort());
    expect(results.reduce((n, r) => n + r.redriven, 0)).toBe(6);
  });

  it('keeps a record OPEN when its send fails, and sends it on the next re-drive', async () => {
    const { dlq, redrive, queue, failedOrders } = await setup();
    await dlq(sqsEvent(sqsRecord('s1', shippingBody(order('sf1')))), lambdaContext());
    queue.failFor.add('ord_sf1');

    const failed = await redrive({});
    queue.failFor.clear();
    const retried = await redrive({});

    expect(failed).toEqual({
      redriven: 0,
      orderIds: [],
      failed: [{ orderId: 'ord_sf1', error: expect.any(String) }],
    });
    expect(retried.orderIds).toEqual(['ord_sf1']);
    expect(await failedOrders.get('ord_sf1')).toMatchObject({ status: 'REDRIVEN' });
  });

  it('re-sends after the lease when a re-drive stopped between send and mark (one duplicate at most)', async () => {
    const { dlq, failedOrders, queue, clock } = await setup();
    await dlq(sqsEvent(sqsRecord('k1', shippingBody(order('crash')))), lambdaContext());
    // A re-drive that claimed and sent, then crashed before marking:
    const claim = await failedOrders.claimForRedrive('ord_crash', 'dead-claim', clock.now(), 60_000);
    await queue.send({ body: claim!.body, orderId: claim!.orderId });

    const duringLease = await redriveFailedOrders({ failedOrders, queue, clock });
    clock.advance(60_001);
    const afterLease = await redriveFailedOrders({ failedOrders, queue, clock });

    expect(duringLease.redriven).toBe(0);
    expect(afterLease.orderIds).toEqual(['ord_crash']);
    expect(queue.sent).toHaveLength(2);
  });

  it('re-opens a REDRIVEN record when its message dead-letters again', async () => {
    const { dlq, redrive, failedOrders } = await setup();
    const body = shippingBody(order('twice'));
    await dlq(sqsEvent(sqsRecord('t1', body)), lambdaContext());
    await redrive({});

    await dlq(sqsEvent(sqsRecord('t2', body)), lambdaContext());

    expect(await failedOrders.get('ord_twice')).toMatchObject({
      status: 'OPEN',
      attempts: 2,
      redriveCount: 1,
    });
    expect((await redrive({})).orderIds).toEqual(['ord_twice']);
  });

  it('ships an order end to end: injected failure → DLQ → re-drive → shipped', async () => {
    const { table, dlq, redrive, queue, clock, publisher } = await setup();
    const callbacks = new FakeTaskCallbacks();
    const shipments = new DynamoShipmentRepository(client, table);
    const store = new DynamoFailureInjectionStore(client, table, REGION);
    const consumer = buildConsumerHandler({
      region: REGION,
      shipments,
      publisher,
      callbacks,
      clock,
      injector: new FailureInjector({ store, defaultRate: 0, cacheMs: 0, clock, random: seededRandom(5) }),
      ...quietObservability(),
    });
    const o = order('e2e');
    const body = shippingBody(o);

    // The drill switches failures on: every receive fails until maxReceiveCount (3) moves it to the DLQ.
    await store.set(1, new Date(clock.now()).toISOString());
    for (let receive = 1; receive <= 3; receive++) {
      const r = await consumer(sqsEvent(sqsRecord('orig', body, { receiveCount: receive })), lambdaContext());
      expect(r.batchItemFailures).toEqual([{ itemIdentifier: 'orig' }]);
    }
    await dlq(sqsEvent(sqsRecord('orig', body, { receiveCount: 3 })), lambdaContext());
    expect(await shipments.get(o.orderId)).toBeUndefined();

    // Fixed: failures off, re-drive, and the consumer receives the re-driven message.
    await store.set(null, new Date(clock.now()).toISOString());
    const redriven = await redrive({});
    const [message] = queue.sent;
    const delivered = await consumer(sqsEvent(sqsRecord(message!.messageId, message!.body)), lambdaContext());

    expect(redriven.orderIds).toEqual([o.orderId]);
    expect(delivered.batchItemFailures).toEqual([]);
    expect(await shipments.get(o.orderId)).toMatchObject({ status: 'CREATED' });
    expect(callbacks.completed.has(`token-${o.orderId}`)).toBe(true);
    expect(publisher.ofType('ShipmentFailed')).toHaveLength(1);
    expect(publisher.ofType('ShipmentCreated')).toHaveLength(1);
  });

  it('does not ship a parcel for a failed order when a re-drive comes after compensation', async () => {
    // Arrange: the message dead-letters, the saga times out and compensates (no shipment yet → marker).
    const { table, dlq, redrive, queue, clock, publisher, failedOrders } = await setup();
    const callbacks = new FakeTaskCallbacks();
    const shipments = new DynamoShipmentRepository(client, table);
    const store = new DynamoFailureInjectionStore(client, table, REGION);
    const consumer = buildConsumerHandler({
      region: REGION,
      shipments,
      publisher,
      callbacks,
      clock,
      injector: new FailureInjector({ store, defaultRate: 0, cacheMs: 0, clock, random: seededRandom(5) }),
      ...quietObservability(),
    });
    const cancel = buildCancelShipmentHandler({ region: REGION, shipments, clock, ...quietObservability() });
    const o = order('late-redrive');
    const body = shippingBody(o);
    await store.set(1, new Date(clock.now()).toISOString());
    for (let receive = 1; receive <= 3; receive++) {
      await consumer(sqsEvent(sqsRecord('orig', body, { receiveCount: receive })), lambdaContext());
    }
    await dlq(sqsEvent(sqsRecord('orig', body, { receiveCount: 3 })), lambdaContext());
    callbacks.timeOut(`token-${o.orderId}`);
    const compensation = await cancel({ order: o, reason: 'States.Timeout' });
    await store.set(null, new Date(clock.now()).toISOString());

    // Act: an operator re-drives the DLQ; the consumer receives the re-driven message.
    await redrive({});
    const [message] = queue.sent;
    const delivered = await consumer(sqsEvent(sqsRecord(message!.messageId, message!.body)), lambdaContext());

    // Assert: processed once (no loop back to the DLQ), nothing shipped or announced.
    expect(compensation).toEqual({ orderId: o.orderId, outcome: 'no-shipment' });
    expect(delivered.batchItemFailures).toEqual([]);
    expect(await shipments.get(o.orderId)).toMatchObject({ marker: true, status: 'CANCELLED' });
    expect(publisher.ofType('ShipmentCreated')).toEqual([]);
    expect(callbacks.completed.size).toBe(0);
    expect(await failedOrders.get(o.orderId)).toMatchObject({ status: 'REDRIVEN' });
  });

  it("carries the order's correlation id into the record and ShipmentFailed when the body is readable", async () => {
    const { dlq, failedOrders, publisher } = await setup();
    const partial = JSON.stringify({
      order: { orderId: 'ord_cp', correlationId: 'corr-cp' },
      taskToken: 't',
    });

    await dlq(
      sqsEvent(sqsRecord('cp1', partial), sqsRecord('cp2', 'not json', { receiveCount: 4 })),
      lambdaContext(),
    );

    expect(await failedOrders.get('ord_cp')).toMatchObject({ correlationId: 'corr-cp' });
    expect(publisher.aboutOrder('ord_cp')[0]?.correlationId).toBe('corr-cp');
    expect(await failedOrders.get('unknown-cp2')).not.toHaveProperty('correlationId');
    expect(publisher.aboutOrder('unknown-cp2')[0]?.correlationId).toBe('cp2');
  });

  it('logs each dead letter and each re-driven record with its own order correlation id', async () => {
    // Arrange: the DLQ consumer and the re-drive wired as main.ts wires them, with a logger that prints.
    const { table, clock, publisher, queue } = await setup();
    const obs = {
      ...observability('shipping-test'),
      logger: new Logger({ serviceName: 'shipping-test', logLevel: 'DEBUG' }),
    };
    const failedOrders = new DynamoFailedOrderRepository(client, table, REGION);
    const deps = { failedOrders, publisher, queue, clock, logger: obs.logger, metrics: obs.metrics };
    const dlq = instrumented(obs, sqsBatchCorrelationId, buildDlqHandler({ region: REGION, ...deps }));
    const redrive = instrumented(obs, adminCorrelationId, buildRedriveHandler(deps));

    // Act
    const dead = await captureLogs(() =>
      dlq(
        sqsEvent(sqsRecord('lc1', shippingBody(order('lc1'))), sqsRecord('lc2', shippingBody(order('lc2')))),
        lambdaContext('shipping-dlq'),
      ),
    );
    const redriven = await captureLogs(() =>
      redrive({ correlationId: 'ops-run-1' }, lambdaContext('redrive')),
    );
    const anonymous = await captureLogs(() => redrive({}, lambdaContext('redrive')));

    // Assert
    const byOrder = (logs: Record<string, unknown>[], orderId: string) =>
      logs.filter((l) => l.orderId === orderId).map((l) => l.correlationId);
    expect(byOrder(dead.logs, 'ord_lc1')).toEqual(['corr-lc1']);
    expect(byOrder(dead.logs, 'ord_lc2')).toEqual(['corr-lc2']);
    expect(byOrder(redriven.logs, 'ord_lc1')).toEqual(['corr-lc1']);
    expect(byOrder(redriven.logs, 'ord_lc2')).toEqual(['corr-lc2']);
    expect(redriven.logs.find((l) => l.message === 're-drive finished')).toMatchObject({
      correlationId: 'ops-run-1',
      redriven: 2,
    });
    expect(redriven.result).toEqual({ redriven: 2, orderIds: ['ord_lc1', 'ord_lc2'], failed: [] });
    expect(anonymous.logs.find((l) => l.message === 're-drive finished')?.correlationId).toEqual(
      expect.any(String),
    );
  });

  it('rejects a malformed correlation id on a re-drive', async () => {
    const { redrive } = await setup();

    await expect(redrive({ correlationId: 'has spaces' })).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it("does not mark or release a replica of another region's failed-order record", async () => {
    // Arrange: a record owned by eu-west-1, as replicated here, claimed there with claim id c-eu.
    const { table, failedOrders, clock } = await setup();
    const key = { pk: 'FAILED#ord_eu', sk: 'FAILED' };
    const item = {
      ...key,
      orderId: 'ord_eu',
      status: 'OPEN',
      body: '{}',
      redriveClaim: 'c-eu',
      redriveLeaseUntil: clock.now() + 60_000,
      ownerRegion: 'eu-west-1',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    await client.send(new PutCommand({ TableName: table, Item: item }));
    const at = new Date(clock.now()).toISOString();

    // Act
    const marked = await failedOrders.markRedriven('ord_eu', 'c-eu', at);
    await failedOrders.releaseClaim('ord_eu', 'c-eu', at);
    const claimed = await failedOrders.claimForRedrive('ord_eu', 'c-us', clock.now() + 120_000, 60_000);

    // Assert
    expect(marked).toBe(false);
    expect(claimed).toBeUndefined();
    const stored = await client.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    expect(stored.Item).toEqual(item);
  });
});
