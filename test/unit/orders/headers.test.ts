import type { APIGatewayProxyEvent } from 'aws-lambda';
import { instrumented, lambdaContext } from '../../../services/shared/lambda';
import { observability } from '../../../services/shared/observability';
import { requestCorrelationId } from '../../../services/orders/handlers/api';
import { createTables, testDocumentClient } from '../../support/dynamo';
import {
  apiEvent,
  bodyOf,
  buildApp,
  errorOf,
  newKey,
  orderBody,
  placeOrder,
  scanItems,
  type TestApp,
} from './support/app';

const CORRELATION = /^[A-Za-z0-9._:-]{1,128}$/;

/** POST /orders with exactly the given headers and multi-value headers. */
function post(headers: Record<string, string>, multiValueHeaders: Record<string, string[]> = {}) {
  const event = apiEvent('POST', '/orders', { rawBody: JSON.stringify(orderBody()) });
  return { ...event, headers, multiValueHeaders };
}

describe('request headers', () => {
  const client = testDocumentClient();
  let app: TestApp;
  let ordersTable: string;

  beforeAll(async () => {
    const tables = await createTables(['orders', 'processed-events']);
    ordersTable = tables.orders;
    app = buildApp(client, { orders: tables.orders, processed: tables['processed-events'] });
  });

  describe('a repeated Idempotency-Key', () => {
    it('with different values in different case is refused with 400 naming the header, writing nothing', async () => {
      const key = newKey();
      const other = newKey();
      const published = app.publisher.published.length;

      const res = await app.api(
        post({ 'Content-Type': 'application/json', 'Idempotency-Key': key, 'idempotency-key': other }),
      );

      expect(res.statusCode).toBe(400);
      expect(errorOf(res)).toMatchObject({
        code: 'VALIDATION_FAILED',
        fields: [{ path: 'headers.Idempotency-Key', message: 'conflicting values' }],
      });
      expect(await scanItems(client, ordersTable, `IDEMPOTENCY#${key}`)).toEqual([]);
      expect(await scanItems(client, ordersTable, `IDEMPOTENCY#${other}`)).toEqual([]);
      expect(app.publisher.published).toHaveLength(published);
    });

    it('with different values across headers and multiValueHeaders is refused with 400', async () => {
      const res = await app.api(
        post(
          { 'Content-Type': 'application/json', 'Idempotency-Key': newKey() },
          { 'Idempotency-Key': [newKey()] },
        ),
      );

      expect(res.statusCode).toBe(400);
      expect(errorOf(res).fields.map((f) => f.path)).toEqual(['headers.Idempotency-Key']);
    });

    it('with the same value twice is accepted', async () => {
      const key = newKey();

      const res = await app.api(
        post(
          { 'Content-Type': 'application/json', 'Idempotency-Key': key, 'idempotency-key': key },
          { 'IDEMPOTENCY-KEY': [key, key] },
        ),
      );

      expect(res.statusCode).toBe(201);
    });
  });

  it('serves a request whose headers arrive only in multiValueHeaders', async () => {
    const res = await app.api(
      post(
        {},
        {
          'Content-Type': ['application/json'],
          'Idempotency-Key': [newKey()],
          'X-Correlation-Id': ['multi-only'],
        },
      ),
    );

    expect(res.statusCode).toBe(201);
    expect(res.headers?.['x-correlation-id']).toBe('multi-only');
    const orderId = String(bodyOf(res).orderId);
    expect(app.saga.executions.get(orderId)?.order.correlationId).toBe('multi-only');
  });

  it('serves a cancel whose headers arrive only in multiValueHeaders', async () => {
    const orderId = await placeOrder(app);
    const event = apiEvent('POST', `/orders/${orderId}/cancel`, { rawBody: '{"reason":"multi"}' });

    const res = await app.api({
      ...event,
      headers: {},
      multiValueHeaders: { 'content-type': ['application/json'] },
    });

    expect(res.statusCode).toBe(202);
    expect(bodyOf(res).status).toBe('CANCELLING');
  });

  describe('a repeated x-correlation-id with different values', () => {
    const conflicting = (event: APIGatewayProxyEvent): APIGatewayProxyEvent => ({
      ...event,
      headers: { ...event.headers, 'x-correlation-id': 'one' },
      multiValueHeaders: { 'X-Correlation-Id': ['two'] },
    });

    it('never escapes the handler: the request is served under a new correlation id', async () => {
      const event = conflicting(
        apiEvent('POST', '/orders', { body: orderBody(), headers: { 'Idempotency-Key': newKey() } }),
      );

      const res = await app.api(event);

      expect(res.statusCode).toBe(201);
      const echoed = res.headers?.['x-correlation-id'];
      expect(String(echoed)).toMatch(CORRELATION);
      expect(['one', 'two']).not.toContain(echoed);
      expect(app.saga.executions.get(String(bodyOf(res).orderId))?.order.correlationId).toBe(echoed);
    });

    it('gives the logger (through instrumented) the same id the response carries', async () => {
      const obs = observability('orders-test');
      const appended: unknown[] = [];
      jest.spyOn(obs.logger, 'appendKeys').mockImplementation((keys) => {
        appended.push((keys as { correlationId?: unknown }).correlationId);
      });
      const handler = instrumented(obs, requestCorrelationId, app.api);
      const event = conflicting(apiEvent('GET', '/health'));

      const res = await handler(event, lambdaContext('orders-api'));

      expect(res.statusCode).toBe(200);
      expect(appended).toEqual([res.headers?.['x-correlation-id']]);
      expect(requestCorrelationId(event)).toBe(res.headers?.['x-correlation-id']);
      jest.restoreAllMocks();
    });
  });
});
