import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OrderRepository } from '../../../services/orders/domain/ports';
import { SAGA_ERRORS, type OrderStatus } from '../../../services/shared/saga';
import { createTables, testDocumentClient } from '../../support/dynamo';
import {
  HOME,
  apiEvent,
  bodyOf,
  buildApp,
  placeOrder,
  type AppOptions,
  type TestTables,
} from './support/app';

describe('setOrderStatus saga step', () => {
  const client = testDocumentClient();
  let tables: TestTables;

  beforeAll(async () => {
    const t = await createTables(['orders', 'processed-events']);
    tables = { orders: t.orders, processed: t['processed-events'] };
  });

  const app = (opts: AppOptions = {}) => buildApp(client, tables, opts);
  const eventsOf = (a: ReturnType<typeof app>, orderId: string) =>
    a.publisher.published.filter(
      (e) => (e.data as { orderId?: string }).orderId === orderId && e.type !== 'OrderPlaced',
    );

  it('walks an order to FULFILLED, recording history and publishing each change', async () => {
    const a = app();
    const orderId = await placeOrder(a);
    const path: OrderStatus[] = ['RESERVED', 'PAID', 'SHIPPED', 'FULFILLED'];

    for (const status of path) {
      a.clock.advance(1000);
      await expect(a.setStatus({ orderId, status, correlationId: 'saga-corr' })).resolves.toEqual({
        orderId,
        status,
      });
    }

    const order = await a.repository.get(orderId);
    expect(order?.status).toBe('FULFILLED');
    expect(order?.statusHistory.map((h) => h.status)).toEqual(['PENDING', ...path]);
    expect(order?.updatedAt).toBe(order?.statusHistory.at(-1)?.at);
    expect(eventsOf(a, orderId).map((e) => [e.type, e.id, e.correlationId])).toEqual([
      ['OrderStatusChanged', `${orderId}:status:RESERVED`, 'saga-corr'],
      ['OrderStatusChanged', `${orderId}:status:PAID`, 'saga-corr'],
      ['OrderStatusChanged', `${orderId}:status:SHIPPED`, 'saga-corr'],
      ['OrderStatusChanged', `${orderId}:status:FULFILLED`, 'saga-corr'],
      ['OrderFulfilled', `${orderId}:OrderFulfilled`, 'saga-corr'],
    ]);
    expect(eventsOf(a, orderId)[1]?.data).toEqual({ orderId, from: 'RESERVED', to: 'PAID' });
  });

  it("uses the order's correlation id when the saga gives none", async () => {
    const a = app();
    const res = await a.api(
      apiEvent('POST', '/orders', {
        body: {
          customerId: 'CUST-5',
          currency: 'USD',
          lines: [{ productId: 'PROD-1', quantity: 1, unitPrice: 1 }],
        },
        headers: { 'Idempotency-Key': 'corr-key', 'x-correlation-id': 'from-client' },
      }),
    );
    const orderId = String(bodyOf(res).orderId);

    await a.setStatus({ orderId, status: 'RESERVED' });

    expect(eventsOf(a, orderId)[0]?.correlationId).toBe('from-client');
  });

  it('treats a repeated status as a no-op that re-publishes the same event ids', async () => {
    const a = app();
    const orderId = await placeOrder(a);
    await a.setStatus({ orderId, status: 'RESERVED' });

    const again = await a.setStatus({ orderId, status: 'RESERVED' });

    expect(again).toEqual({ orderId, status: 'RESERVED' });
    expect((await a.repository.get(orderId))?.statusHistory).toHaveLength(2);
    const ids = eventsOf(a, orderId).map((e) => e.id);
    expect(ids).toEqual([`${orderId}:status:RESERVED`, `${orderId}:status:RESERVED`]);
  });

  it('records the reason of a failure and publishes OrderFailed', async () => {
    const a = app();
    const orderId = await placeOrder(a);
    await a.setStatus({ orderId, status: 'RESERVED' });

    await a.setStatus({ orderId, status: 'FAILED', reason: 'payment declined' });

    const view = bodyOf(await a.api(apiEvent('GET', `/orders/${orderId}`)));
    expect(view).toMatchObject({ status: 'FAILED', failureReason: 'payment declined' });
    expect(eventsOf(a, orderId).map((e) => e.type)).toEqual([
      'OrderStatusChanged',
      'OrderStatusChanged',
      'OrderFailed',
    ]);
    expect(eventsOf(a, orderId)[2]?.data).toEqual({
      orderId,
      customerId: 'CUST-1',
      reason: 'payment declined',
    });
  });

  it.each<[OrderStatus[], OrderStatus]>([
    [[], 'PAID'],
    [[], 'SHIPPED'],
    [[], 'FULFILLED'],
    [[], 'CANCELLING'],
    [[], 'CANCELLED'],
    [['RESERVED'], 'PENDING'],
    [['RESERVED', 'PAID', 'SHIPPED'], 'FAILED'],
    [['RESERVED', 'PAID', 'SHIPPED', 'FULFILLED'], 'FAILED'],
    [['FAILED'], 'RESERVED'],
  ])('refuses the jump after %p to %p with InvalidStatusTransitionError', async (before, requested) => {
    const a = app();
    const orderId = await placeOrder(a);
    for (const status of before) await a.setStatus({ orderId, status, reason: 'setup' });
    const current = (await a.repository.get(orderId))?.status;

    await expect(a.setStatus({ orderId, status: requested })).rejects.toMatchObject({
      name: SAGA_ERRORS.invalidTransition,
    });
    expect((await a.repository.get(orderId))?.status).toBe(current);
  });

  it.each<OrderStatus>(['RESERVED', 'PAID', 'SHIPPED', 'FULFILLED'])(
    'throws OrderCancelledError for %s while CANCELLING, leaving the order as it is',
    async (requested) => {
      const a = app();
      const orderId = await placeOrder(a);
      await a.api(apiEvent('POST', `/orders/${orderId}/cancel`));

      await expect(a.setStatus({ orderId, status: requested })).rejects.toMatchObject({
        name: SAGA_ERRORS.orderCancelled,
      });
      expect((await a.repository.get(orderId))?.status).toBe('CANCELLING');
    },
  );

  it('turns FAILED into CANCELLED while CANCELLING, and repeats it as a no-op', async () => {
    const a = app();
    const orderId = await placeOrder(a);
    await a.api(apiEvent('POST', `/orders/${orderId}/cancel`, { body: { reason: 'duplicate order' } }));

    const first = await a.setStatus({ orderId, status: 'FAILED', reason: 'payment step aborted' });
    const second = await a.setStatus({ orderId, status: 'FAILED', reason: 'payment step aborted' });

    expect(first).toEqual({ orderId, status: 'CANCELLED' });
    expect(second).toEqual({ orderId, status: 'CANCELLED' });
    const order = await a.repository.get(orderId);
    expect(order?.failureReason).toBeUndefined();
    expect(order?.statusHistory.at(-1)).toMatchObject({ status: 'CANCELLED', reason: 'duplicate order' });
    expect(order?.statusHistory.filter((h) => h.status === 'CANCELLED')).toHaveLength(1);
  });

  it('throws OrderNotFoundError for an unknown order', async () => {
    await expect(
      app().setStatus({ orderId: 'ord_0123456789ABCDEFGHJKMNPQRS', status: 'RESERVED' }),
    ).rejects.toMatchObject({ name: 'OrderNotFoundError' });
  });

  it.each([
    ['an unknown status', { orderId: 'ord_x', status: 'DONE' }],
    ['no order id', { status: 'PAID' }],
    ['nothing', null],
  ])('rejects %s with ValidationError', async (_name, input) => {
    await expect(app().setStatus(input)).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('accepts a reason of any length (a Lambda error Cause) and keeps its first 500 characters', async () => {
    const a = app();
    const orderId = await placeOrder(a);

    await a.setStatus({ orderId, status: 'FAILED', reason: 'x'.repeat(5000) });

    const order = await a.repository.get(orderId);
    expect(order?.failureReason).toHaveLength(500);
    expect(order?.statusHistory.at(-1)?.reason).toHaveLength(500);
  });

  it('refuses to write an order owned by another region', async () => {
    const orderId = await placeOrder(app({ region: HOME }));

    await expect(
      app({ region: 'eu-west-1' }).setStatus({ orderId, status: 'RESERVED' }),
    ).rejects.toMatchObject({
      name: 'OrderHomedElsewhereError',
    });
  });

  it('re-reads and succeeds after losing a race to an identical concurrent write', async () => {
    let raced = false;
    const racer = (real: OrderRepository): OrderRepository => ({
      create: (o) => real.create(o),
      get: (id) => real.get(id),
      getWithTakeover: (id) => real.getWithTakeover(id),
      listStale: (h, b, l, cur) => real.listStale(h, b, l, cur),
      listByCustomer: (c, l, cur) => real.listByCustomer(c, l, cur),
      changeStatus: async (change) => {
        if (!raced) {
          raced = true;
          // Another invocation of the same step wins between our read and our write.
          await real.changeStatus({ ...change });
        }
        return real.changeStatus(change);
      },
    });
    const a = app({ wrapOrders: racer });
    const orderId = await placeOrder(a);

    const result = await a.setStatus({ orderId, status: 'RESERVED' });

    expect(result).toEqual({ orderId, status: 'RESERVED' });
    expect((await a.repository.get(orderId))?.statusHistory.map((h) => h.status)).toEqual([
      'PENDING',
      'RESERVED',
    ]);
  });

  it('gives up with OrderUpdateConflictError when the order keeps changing', async () => {
    const a = app({
      wrapOrders: (real) => ({
        create: (o) => real.create(o),
        get: (id) => real.get(id),
        getWithTakeover: (id) => real.getWithTakeover(id),
        listStale: (h, b, l, cur) => real.listStale(h, b, l, cur),
        listByCustomer: (c, l, cur) => real.listByCustomer(c, l, cur),
        changeStatus: async () => undefined,
      }),
    });
    const orderId = await placeOrder(a);

    await expect(a.setStatus({ orderId, status: 'RESERVED' })).rejects.toMatchObject({
      name: 'OrderUpdateConflictError',
    });
  });

  it('conditions the write on the owner region (a hand-over between read and write wins)', async () => {
    const a = app();
    const orderId = await placeOrder(a);

    const applied = await a.repository.changeStatus({
      orderId,
      from: 'PENDING',
      to: 'RESERVED',
      ownerRegion: 'eu-west-1',
      entry: { status: 'RESERVED', at: '2026-01-01T00:00:01.000Z' },
      updatedAt: '2026-01-01T00:00:01.000Z',
    });

    expect(applied).toBeUndefined();
    await client.send(
      new UpdateCommand({
        TableName: tables.orders,
        Key: { pk: `ORDER#${orderId}`, sk: 'ORDER' },
        UpdateExpression: 'SET ownerRegion = :r',
        ExpressionAttributeValues: { ':r': 'eu-west-1' },
      }),
    );
    await expect(a.setStatus({ orderId, status: 'RESERVED' })).rejects.toMatchObject({
      name: 'OrderHomedElsewhereError',
    });
  });
});
