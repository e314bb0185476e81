import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoIdempotencyStore } from '../../../services/orders/adapters/dynamo-idempotency-store';
import type { OrderRepository } from '../../../services/orders/domain/ports';
import { createTables, testDocumentClient } from '../../support/dynamo';
import {
  bodyOf,
  buildApp,
  createOrderEvent,
  errorOf,
  newKey,
  orderBody,
  scanItems,
  type AppOptions,
  type TestTables,
} from './support/app';

describe('POST /orders idempotency', () => {
  const client = testDocumentClient();
  let tables: TestTables;

  beforeEach(async () => {
    const t = await createTables(['orders', 'processed-events']);
    tables = { orders: t.orders, processed: t['processed-events'] };
  });

  const app = (opts: AppOptions = {}) => buildApp(client, tables, opts);
  const orderItems = () => scanItems(client, tables.orders, 'ORDER#');

  it('replays the same key and body: same order, 200, replay header, one order item', async () => {
    const api = app();
    const key = newKey();

    const first = await api.api(createOrderEvent(orderBody(), key));
    const second = await api.api(createOrderEvent(orderBody(), key));

    expect(first.statusCode).toBe(201);
    expect(first.headers?.['Idempotent-Replayed']).toBeUndefined();
    expect(second.statusCode).toBe(200);
    expect(second.headers?.['Idempotent-Replayed']).toBe('true');
    expect(bodyOf(second)).toEqual(bodyOf(first));
    expect(await orderItems()).toHaveLength(1);
    expect(api.saga.executions.size).toBe(1);
    expect(api.publisher.distinctIds()).toEqual([`${String(bodyOf(first).orderId)}:OrderPlaced`]);
  });

  it('treats a body with reordered keys as the same request', async () => {
    const api = app();
    const key = newKey();
    const body = orderBody();
    const reordered = { lines: body.lines, currency: body.currency, customerId: body.customerId };

    const first = await api.api(createOrderEvent(body, key));
    const second = await api.api(createOrderEvent(reordered, key));

    expect(second.statusCode).toBe(200);
    expect(bodyOf(second).orderId).toBe(bodyOf(first).orderId);
  });

  it('rejects the same key with a different body with 422 IDEMPOTENCY_KEY_REUSED and writes nothing', async () => {
    const api = app();
    const key = newKey();
    await api.api(createOrderEvent(orderBody(), key));

    const res = await api.api(createOrderEvent(orderBody({ customerId: 'CUST-2' }), key));

    expect(res.statusCode).toBe(422);
    expect(errorOf(res)).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      fields: [{ path: 'headers.Idempotency-Key' }],
    });
    expect(await orderItems()).toHaveLength(1);
    expect(api.saga.executions.size).toBe(1);
  });

  it('gives the same body under different keys two different orders', async () => {
    const api = app();

    const a = bodyOf(await api.api(createOrderEvent(orderBody(), newKey())));
    const b = bodyOf(await api.api(createOrderEvent(orderBody(), newKey())));

    expect(a.orderId).not.toBe(b.orderId);
    expect(await orderItems()).toHaveLength(2);
  });

  it('derives the same order id in every region for the same key and body', async () => {
    const key = newKey();
    const inHome = await app({ region: 'us-east-1' }).api(createOrderEvent(orderBody(), key));
    // A fresh table stands for another region's replica before replication.
    const other = await createTables(['orders', 'processed-events']);
    const inOther = await buildApp(
      client,
      { orders: other.orders, processed: other['processed-events'] },
      {
        region: 'eu-west-1',
      },
    ).api(createOrderEvent(orderBody(), key));

    expect(bodyOf(inOther).orderId).toBe(bodyOf(inHome).orderId);
  });

  it('creates exactly one order for 50 concurrent requests with one key', async () => {
    const api = app();
    const key = newKey();

    const responses = await Promise.all(
      Array.from({ length: 50 }, () => api.api(createOrderEvent(orderBody(), key))),
    );

    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.every((s) => s === 200 || s === 201)).toBe(true);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(new Set(responses.map((r) => bodyOf(r).orderId)).size).toBe(1);
    expect(await orderItems()).toHaveLength(1);
    expect(await scanItems(client, tables.orders, 'IDEMPOTENCY#')).toHaveLength(1);
    expect(api.saga.executions.size).toBe(1);
    expect(api.publisher.distinctIds()).toHaveLength(1);
  });

  it('completes the order on retry after a crash between the key record and the order item', async () => {
    let crash = true;
    const api = app({
      wrapOrders: (real): OrderRepository => ({
        ...bind(real),
        create: async (order) => {
          if (crash) {
            crash = false;
            throw new Error('lambda timed out');
          }
          return real.create(order);
        },
      }),
    });
    const key = newKey();

    const first = await api.api(createOrderEvent(orderBody(), key));
    const retry = await api.api(createOrderEvent(orderBody(), key));

    expect(first.statusCode).toBe(500);
    expect(errorOf(first)).toEqual({ code: 'INTERNAL_ERROR', message: 'internal error', fields: [] });
    expect(await scanItems(client, tables.orders, 'IDEMPOTENCY#')).toHaveLength(1);
    expect(retry.statusCode).toBe(201);
    expect(await orderItems()).toHaveLength(1);
    expect(api.saga.executions.size).toBe(1);
  });

  it('publishes and starts the saga on retry when the first attempt failed after writing the order', async () => {
    const api = app();
    api.publisher.failNext();
    const key = newKey();

    const first = await api.api(createOrderEvent(orderBody(), key));
    expect(first.statusCode).toBe(500);
    expect(api.saga.executions.size).toBe(0);

    const retry = await api.api(createOrderEvent(orderBody(), key));

    expect(retry.statusCode).toBe(200);
    expect(retry.headers?.['Idempotent-Replayed']).toBe('true');
    expect(api.publisher.ofType('OrderPlaced')).toHaveLength(1);
    expect(api.saga.executions.size).toBe(1);
  });

  it('restarts a saga whose start failed, using the stored order and the replayed secrets', async () => {
    const api = app();
    api.saga.failNext();
    const key = newKey();
    const body = orderBody({ paymentToken: 'tok_visa', email: 'ada@example.com' });

    expect((await api.api(createOrderEvent(body, key, { 'x-correlation-id': 'first' }))).statusCode).toBe(
      500,
    );
    const retry = await api.api(createOrderEvent(body, key, { 'x-correlation-id': 'second' }));

    const input = api.saga.executions.get(String(bodyOf(retry).orderId));
    expect(input?.order).toMatchObject({
      correlationId: 'first',
      paymentToken: 'tok_visa',
      email: 'ada@example.com',
      totalMinor: 4498,
      homeRegion: 'us-east-1',
    });
  });

  it('does not dispatch again once the saga has moved the order on', async () => {
    const api = app();
    const key = newKey();
    const orderId = String(bodyOf(await api.api(createOrderEvent(orderBody(), key))).orderId);
    await api.setStatus({ orderId, status: 'RESERVED' });
    const published = api.publisher.published.length;
    const calls = api.saga.calls;

    const replay = await api.api(createOrderEvent(orderBody(), key));

    expect(replay.statusCode).toBe(200);
    expect(bodyOf(replay).status).toBe('RESERVED');
    expect(api.publisher.published).toHaveLength(published);
    expect(api.saga.calls).toBe(calls);
  });

  it('passes the correlation id and minor-unit amounts to the saga and OrderPlaced', async () => {
    const api = app();

    const res = await api.api(createOrderEvent(orderBody(), newKey(), { 'X-Correlation-Id': 'corr-abc' }));

    const orderId = String(bodyOf(res).orderId);
    expect(api.saga.executions.get(orderId)).toEqual({
      order: {
        orderId,
        customerId: 'CUST-1',
        correlationId: 'corr-abc',
        homeRegion: 'us-east-1',
        currency: 'EUR',
        totalMinor: 4498,
        lines: [
          { productId: 'PROD-1', quantity: 2, unitPriceMinor: 1999 },
          { productId: 'PROD-2', quantity: 1, unitPriceMinor: 500 },
        ],
      },
    });
    expect(api.publisher.ofType('OrderPlaced')[0]).toMatchObject({
      id: `${orderId}:OrderPlaced`,
      correlationId: 'corr-abc',
      region: 'us-east-1',
      source: 'meridian.orders',
      data: { orderId, total: 44.98, currency: 'EUR' },
    });
  });

  it('lets an expired key be reused for a new request', async () => {
    const api = app({ idempotencyTtlSeconds: 60 });
    const key = newKey();
    const first = await api.api(createOrderEvent(orderBody(), key));
    api.clock.advance(61_000);

    const reuse = await api.api(createOrderEvent(orderBody({ customerId: 'CUST-9' }), key));

    expect(reuse.statusCode).toBe(201);
    expect(bodyOf(reuse).orderId).not.toBe(bodyOf(first).orderId);
    const { Item } = await client.send(
      new GetCommand({ TableName: tables.orders, Key: { pk: `IDEMPOTENCY#${key}`, sk: 'IDEMPOTENCY' } }),
    );
    expect(Item).toMatchObject({ orderId: bodyOf(reuse).orderId, ownerRegion: 'us-east-1' });
  });

  describe('an expired record owned by another region', () => {
    const NOW_S = Date.UTC(2026, 0, 1) / 1000;

    /** A key record as another region wrote it, replicated here, already past its expiry. */
    async function foreignExpiredRecord(key: string, fingerprint: string, orderId: string) {
      const item = {
        pk: `IDEMPOTENCY#${key}`,
        sk: 'IDEMPOTENCY',
        entity: 'IdempotencyRecord',
        key,
        fingerprint,
        orderId,
        ownerRegion: 'eu-west-1',
        createdAt: '2025-12-30T00:00:00.000Z',
        updatedAt: '2025-12-30T00:00:00.000Z',
        expiresAt: NOW_S - 60,
      };
      await client.send(new PutCommand({ TableName: tables.orders, Item: item }));
      return item;
    }
    const keyRecord = async (key: string) =>
      (
        await client.send(
          new GetCommand({
            TableName: tables.orders,
            Key: { pk: `IDEMPOTENCY#${key}`, sk: 'IDEMPOTENCY' },
            ConsistentRead: true,
          }),
        )
      ).Item;

    it('is never overwritten by another body: 422, the record stays as its owner wrote it', async () => {
      const key = newKey();
      const foreign = await foreignExpiredRecord(key, 'f'.repeat(64), 'ord_0123456789ABCDEFGHJKMNPQRS');
      const api = app();

      const res = await api.api(createOrderEvent(orderBody(), key));

      expect(res.statusCode).toBe(422);
      expect(errorOf(res).code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await keyRecord(key)).toEqual(foreign);
      expect(await orderItems()).toHaveLength(0);
      expect(api.saga.executions.size).toBe(0);
    });

    it('with the same body replays its order id and leaves the record alone', async () => {
      // Arrange: learn the fingerprint and order id this body derives, on a scratch table.
      const key = newKey();
      const scratch = await createTables(['orders', 'processed-events']);
      const probe = bodyOf(
        await buildApp(client, { orders: scratch.orders, processed: scratch['processed-events'] }).api(
          createOrderEvent(orderBody(), key),
        ),
      );
      const { Item: probeRecord } = await client.send(
        new GetCommand({ TableName: scratch.orders, Key: { pk: `IDEMPOTENCY#${key}`, sk: 'IDEMPOTENCY' } }),
      );
      const foreign = await foreignExpiredRecord(
        key,
        String(probeRecord?.fingerprint),
        String(probe.orderId),
      );

      // Act
      const res = await app().api(createOrderEvent(orderBody(), key));

      // Assert
      expect(bodyOf(res).orderId).toBe(probe.orderId);
      expect(await keyRecord(key)).toEqual(foreign);
    });

    it('is reported by the store as existing, not claimed', async () => {
      const key = newKey();
      const foreign = await foreignExpiredRecord(key, 'f'.repeat(64), 'ord_0123456789ABCDEFGHJKMNPQRS');
      const store = new DynamoIdempotencyStore(client, tables.orders);

      const claim = await store.claim(
        {
          key,
          fingerprint: 'a'.repeat(64),
          orderId: 'ord_ZZZZZZZZZZZZZZZZZZZZZZZZZZ',
          ownerRegion: 'us-east-1',
          createdAt: '2026-01-01T00:00:00.000Z',
          expiresAt: NOW_S + 3600,
        },
        NOW_S,
      );

      expect(claim).toEqual({
        claimed: false,
        existing: {
          key,
          fingerprint: foreign.fingerprint,
          orderId: foreign.orderId,
          ownerRegion: 'eu-west-1',
          createdAt: foreign.createdAt,
          expiresAt: foreign.expiresAt,
        },
      });
      expect(await keyRecord(key)).toEqual(foreign);
    });
  });

  it('writes the key record with its owner region and a TTL', async () => {
    const api = app({ idempotencyTtlSeconds: 3600 });
    const key = newKey();

    const res = await api.api(createOrderEvent(orderBody(), key));

    const { Item } = await client.send(
      new GetCommand({ TableName: tables.orders, Key: { pk: `IDEMPOTENCY#${key}`, sk: 'IDEMPOTENCY' } }),
    );
    expect(Item).toEqual({
      pk: `IDEMPOTENCY#${key}`,
      sk: 'IDEMPOTENCY',
      entity: 'IdempotencyRecord',
      key,
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      orderId: bodyOf(res).orderId,
      ownerRegion: 'us-east-1',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: Date.UTC(2026, 0, 1) / 1000 + 3600,
    });
  });
});

/** The repository's methods bound to it, so a test can override one and keep the rest. */
function bind(repo: OrderRepository): OrderRepository {
  return {
    create: repo.create.bind(repo),
    get: repo.get.bind(repo),
    getWithTakeover: repo.getWithTakeover.bind(repo),
    listStale: repo.listStale.bind(repo),
    listByCustomer: repo.listByCustomer.bind(repo),
    changeStatus: repo.changeStatus.bind(repo),
  };
}
