import type { OrderRepository } from '../../../services/orders/domain/ports';
import { createTables, testDocumentClient } from '../../support/dynamo';
import {
  apiEvent,
  bodyOf,
  buildApp,
  createOrderEvent,
  errorOf,
  placeOrder,
  type TestApp,
  type TestTables,
} from './support/app';

describe('orders API routing and envelope', () => {
  const client = testDocumentClient();
  let tables: TestTables;
  let app: TestApp;

  beforeAll(async () => {
    const t = await createTables(['orders', 'processed-events']);
    tables = { orders: t.orders, processed: t['processed-events'] };
    app = buildApp(client, tables);
  });

  it.each([
    ['GET', '/nowhere', false],
    ['GET', '/orders/ord_x/items', false],
    ['POST', '/orderz', true],
    ['GET', '/', true],
    ['GET', '/orders//cancel', true],
  ])('answers %s %s with 404 ROUTE_NOT_FOUND (proxy: %p)', async (method, path, proxy) => {
    const res = await app.api(apiEvent(method, path, { proxy }));

    expect(res.statusCode).toBe(404);
    expect(errorOf(res)).toMatchObject({ code: 'ROUTE_NOT_FOUND', fields: [] });
  });

  it.each([
    ['DELETE', '/orders', 'POST, GET'],
    ['PUT', '/orders/ord_0123456789ABCDEFGHJKMNPQRS', 'GET'],
    ['GET', '/orders/ord_0123456789ABCDEFGHJKMNPQRS/cancel', 'POST'],
    ['POST', '/health', 'GET'],
  ])('answers %s %s with 405 and an Allow header', async (method, path, allow) => {
    const res = await app.api(apiEvent(method, path));

    expect(res.statusCode).toBe(405);
    expect(errorOf(res).code).toBe('METHOD_NOT_ALLOWED');
    expect(res.headers?.Allow).toBe(allow);
  });

  it('routes on the path behind a {proxy+} resource, including a trailing slash', async () => {
    const orderId = await placeOrder(app);

    const byPath = await app.api(apiEvent('GET', `/orders/${orderId}/`, { proxy: true }));
    const cancel = await app.api(apiEvent('POST', `/orders/${orderId}/cancel`, { proxy: true }));

    expect(byPath.statusCode).toBe(200);
    expect(bodyOf(byPath).orderId).toBe(orderId);
    expect(cancel.statusCode).toBe(202);
  });

  it('routes on the path when the resource is absent', async () => {
    const event = apiEvent('GET', '/health');
    (event as { resource?: string }).resource = undefined;

    expect((await app.api(event)).statusCode).toBe(200);
  });

  it('answers a malformed escape in a proxied id with 400, not 500', async () => {
    const res = await app.api(apiEvent('GET', '/orders/%E0%A4%A', { proxy: true }));

    expect(res.statusCode).toBe(400);
  });

  it('echoes a well-formed correlation id on success and on error', async () => {
    const ok = await app.api(apiEvent('GET', '/health', { headers: { 'X-Correlation-Id': 'abc-123' } }));
    const notFound = await app.api(apiEvent('GET', '/nope', { headers: { 'x-correlation-id': 'abc-456' } }));

    expect(ok.headers?.['x-correlation-id']).toBe('abc-123');
    expect(notFound.headers?.['x-correlation-id']).toBe('abc-456');
  });

  it('replaces a missing or malformed correlation id with a generated one', async () => {
    const missing = await app.api(apiEvent('GET', '/health'));
    const malformed = await app.api(
      apiEvent('GET', '/health', { headers: { 'x-correlation-id': 'bad id <script>' } }),
    );

    expect(missing.headers?.['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(malformed.headers?.['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('hides internals of an unexpected failure behind a 500', async () => {
    const broken = buildApp(client, tables, {
      wrapOrders: (real): OrderRepository => ({
        create: (o) => real.create(o),
        get: (id) => real.get(id),
        getWithTakeover: async () => {
          throw new Error('socket hang up at 10.0.0.1: secret detail');
        },
        listStale: (h, b, l, cur) => real.listStale(h, b, l, cur),
        listByCustomer: (c, l, cur) => real.listByCustomer(c, l, cur),
        changeStatus: (c) => real.changeStatus(c),
      }),
    });

    const res = await broken.api(apiEvent('GET', '/orders/ord_0123456789ABCDEFGHJKMNPQRS'));

    expect(res.statusCode).toBe(500);
    expect(errorOf(res)).toEqual({ code: 'INTERNAL_ERROR', message: 'internal error', fields: [] });
    expect(res.body).not.toContain('secret');
  });

  it('answers every response with a JSON content type', async () => {
    const responses = await Promise.all([
      app.api(apiEvent('GET', '/health')),
      app.api(apiEvent('GET', '/nope')),
      app.api(createOrderEvent()),
    ]);

    expect(responses.map((r) => r.headers?.['content-type'])).toEqual([
      'application/json',
      'application/json',
      'application/json',
    ]);
  });
});
