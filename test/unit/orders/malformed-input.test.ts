import type { APIGatewayProxyResult } from 'aws-lambda';
import { createTables, testDocumentClient } from '../../support/dynamo';
import {
  apiEvent,
  bodyOf,
  buildApp,
  errorOf,
  newKey,
  orderBody,
  type RequestOptions,
  type TestApp,
} from './support/app';

/**
 * Hostile and broken requests: whatever arrives, the API answers 400/413/415 with the error shape and
 * never lets an exception escape.
 */
describe('POST /orders with malformed input', () => {
  const client = testDocumentClient();
  let app: TestApp;

  beforeAll(async () => {
    const tables = await createTables(['orders', 'processed-events']);
    app = buildApp(client, { orders: tables.orders, processed: tables['processed-events'] });
  });

  const json = { 'Content-Type': 'application/json' };
  const post = (opts: RequestOptions) =>
    apiEvent('POST', '/orders', { ...opts, headers: { 'Idempotency-Key': newKey(), ...opts.headers } });

  function expectCleanRejection(res: APIGatewayProxyResult, statuses: number[] = [400, 413, 415]) {
    expect(statuses).toContain(res.statusCode);
    const body = bodyOf(res);
    expect(Object.keys(body)).toEqual(['error']);
    const error = errorOf(res);
    expect(typeof error.code).toBe('string');
    expect(typeof error.message).toBe('string');
    expect(Array.isArray(error.fields)).toBe(true);
    expect(res.headers?.['content-type']).toBe('application/json');
  }

  const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  const cases: [string, RequestOptions, number][] = [
    ['a non-JSON body', { rawBody: 'customerId=CUST-1', headers: json }, 400],
    ['truncated JSON', { rawBody: '{"customerId": "CUST-1", "lines": [', headers: json }, 400],
    ['a JSON array', { rawBody: '[]', headers: json }, 400],
    ['a JSON array of orders', { rawBody: JSON.stringify([orderBody()]), headers: json }, 400],
    ['a JSON string', { rawBody: '"order"', headers: json }, 400],
    ['JSON null', { rawBody: 'null', headers: json }, 400],
    ['a JSON number', { rawBody: '42', headers: json }, 400],
    ['JSON true', { rawBody: 'true', headers: json }, 400],
    ['an empty body', { rawBody: '', headers: json }, 400],
    ['a whitespace body', { rawBody: '  \n ', headers: json }, 400],
    ['no body at all', { rawBody: null, headers: json }, 400],
    [
      'a text/plain content type',
      { rawBody: JSON.stringify(orderBody()), headers: { 'Content-Type': 'text/plain' } },
      415,
    ],
    [
      'a form content type',
      { rawBody: 'a=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
      415,
    ],
    ['no content type', { rawBody: JSON.stringify(orderBody()) }, 415],
    [
      'a body over 64 KiB',
      { rawBody: JSON.stringify({ ...orderBody(), pad: 'x'.repeat(70 * 1024) }), headers: json },
      413,
    ],
    [
      'a 10^6-character customerId',
      { rawBody: JSON.stringify(orderBody({ customerId: `CUST-${'1'.repeat(1_000_000)}` })), headers: json },
      413,
    ],
    [
      'a 60 000-character customerId (under the size limit)',
      { rawBody: JSON.stringify(orderBody({ customerId: 'C'.repeat(60_000) })), headers: json },
      400,
    ],
    [
      'a 60 000-character unknown key',
      { rawBody: JSON.stringify({ ...orderBody(), ['k'.repeat(60_000)]: 1 }), headers: json },
      400,
    ],
    ['deeply nested arrays as the body', { rawBody: deep(20_000), headers: json }, 400],
    [
      'deeply nested junk inside a field',
      { rawBody: `{"customerId":"CUST-1","currency":"EUR","lines":${deep(10_000)}}`, headers: json },
      400,
    ],
    [
      'deeply nested objects in a line',
      {
        rawBody: `{"customerId":"CUST-1","currency":"EUR","lines":[${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}]}`,
        headers: json,
      },
      400,
    ],
    [
      'a number too large for a double',
      {
        rawBody:
          '{"customerId":"CUST-1","currency":"EUR","lines":[{"productId":"PROD-1","quantity":1,"unitPrice":1e400}]}',
        headers: json,
      },
      400,
    ],
    [
      'a __proto__ key',
      { rawBody: `{"__proto__":{"admin":true},${JSON.stringify(orderBody()).slice(1)}`, headers: json },
      400,
    ],
    [
      'lone surrogates and control characters',
      { rawBody: '{"customerId":"\\ud800\\u0000","currency":"EUR","lines":[]}', headers: json },
      400,
    ],
    [
      'base64-encoded garbage',
      {
        rawBody: Buffer.from([0xff, 0xfe, 0x00, 0x81]).toString('base64'),
        isBase64Encoded: true,
        headers: json,
      },
      400,
    ],
    [
      'a base64-encoded body over 64 KiB',
      {
        rawBody: Buffer.from('x'.repeat(90 * 1024)).toString('base64'),
        isBase64Encoded: true,
        headers: json,
      },
      413,
    ],
    [
      'a base64-encoded JSON array',
      { rawBody: Buffer.from('[1,2]').toString('base64'), isBase64Encoded: true, headers: json },
      400,
    ],
  ];

  it.each(cases.map(([name, opts, status]) => [name, status, opts] as const))(
    'answers %s with a clean %i',
    async (_name, status, opts) => {
      const published = app.publisher.published.length;

      const res = await app.api(post(opts));

      expectCleanRejection(res);
      expect(res.statusCode).toBe(status);
      expect(app.publisher.published).toHaveLength(published);
      expect(app.saga.calls).toBe(0);
    },
  );

  it('caps the number of field errors reported', async () => {
    const lines = Array.from({ length: 200 }, () => ({ productId: 'x', quantity: -1, unitPrice: -1 }));
    const res = await app.api(post({ body: { customerId: 'CUST-1', currency: 'EUR', lines } }));

    expectCleanRejection(res, [400]);
    expect(errorOf(res).fields.length).toBeLessThanOrEqual(50);
  });

  it('decodes a base64-encoded JSON body like a plain one', async () => {
    const res = await app.api(
      post({
        rawBody: Buffer.from(JSON.stringify(orderBody())).toString('base64'),
        isBase64Encoded: true,
        headers: json,
      }),
    );

    expect(res.statusCode).toBe(201);
  });

  it('accepts a JSON content type with a charset and a vendor +json type', async () => {
    const a = await app.api(
      post({
        rawBody: JSON.stringify(orderBody()),
        headers: { 'content-type': 'application/json; charset=utf-8' },
      }),
    );
    const b = await app.api(
      post({
        rawBody: JSON.stringify(orderBody()),
        headers: { 'Content-Type': 'application/vnd.meridian+json' },
      }),
    );

    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
  });

  it('treats a null headers map as missing headers', async () => {
    const event = post({ body: orderBody() });
    (event as { headers: unknown }).headers = null;

    const res = await app.api(event);

    expectCleanRejection(res, [400]);
    expect(errorOf(res).code).toBe('MISSING_HEADER');
  });
});
