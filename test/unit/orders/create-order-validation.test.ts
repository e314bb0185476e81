import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createTables, testDocumentClient } from '../../support/dynamo';
import {
  bodyOf,
  buildApp,
  createOrderEvent,
  errorOf,
  fieldPaths,
  newKey,
  orderBody,
  type TestApp,
} from './support/app';

describe('POST /orders validation', () => {
  const client = testDocumentClient();
  let app: TestApp;
  let ordersTable: string;

  beforeAll(async () => {
    const tables = await createTables(['orders', 'processed-events']);
    ordersTable = tables.orders;
    app = buildApp(client, { orders: tables.orders, processed: tables['processed-events'] });
  });

  const line = (overrides: Record<string, unknown> = {}) => ({
    productId: 'PROD-1',
    quantity: 1,
    unitPrice: 10,
    ...overrides,
  });
  const lines = (n: number) => Array.from({ length: n }, (_, i) => line({ productId: `PROD-${i + 1}` }));

  async function expectAccepted(body: unknown) {
    const res = await app.api(createOrderEvent(body));
    expect(res.statusCode).toBe(201);
    return res;
  }

  async function expectRejected(body: unknown, path: string) {
    const published = app.publisher.published.length;
    const res = await app.api(createOrderEvent(body));
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).code).toBe('VALIDATION_FAILED');
    expect(fieldPaths(res)).toContain(path);
    expect(app.publisher.published).toHaveLength(published);
    return res;
  }

  it('creates a valid order and answers with its public representation', async () => {
    const res = await app.api(
      createOrderEvent(orderBody({ paymentToken: 'tok_visa', email: 'ada@example.com' }), newKey(), {
        'x-correlation-id': 'corr-123',
      }),
    );

    expect(res.statusCode).toBe(201);
    const body = bodyOf(res);
    expect(body).toEqual({
      orderId: expect.stringMatching(/^ord_[0-9A-Z]{26}$/),
      customerId: 'CUST-1',
      status: 'PENDING',
      currency: 'EUR',
      lines: [
        { productId: 'PROD-1', quantity: 2, unitPrice: 19.99, lineTotal: 39.98 },
        { productId: 'PROD-2', quantity: 1, unitPrice: 5, lineTotal: 5 },
      ],
      total: 44.98,
      homeRegion: 'us-east-1',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      statusHistory: [{ status: 'PENDING', at: '2026-01-01T00:00:00.000Z' }],
    });
    expect(res.headers).toMatchObject({
      Location: `/orders/${String(body.orderId)}`,
      'x-correlation-id': 'corr-123',
      'content-type': 'application/json',
    });
    expect(res.body).not.toContain('tok_visa');
    expect(res.body).not.toContain('ada@example.com');
  });

  it('stores amounts as integer minor units with owner region, correlation id and GSI keys, and no secrets', async () => {
    const res = await app.api(
      createOrderEvent(orderBody({ paymentToken: 'tok_visa', email: 'ada@example.com' }), 'stored-key', {
        'x-correlation-id': 'corr-stored',
      }),
    );
    const { orderId } = bodyOf<{ orderId: string }>(res);

    const { Item } = await client.send(
      new GetCommand({ TableName: ordersTable, Key: { pk: `ORDER#${orderId}`, sk: 'ORDER' } }),
    );

    expect(Item).toMatchObject({
      gsi1pk: 'CUSTOMER#CUST-1',
      gsi1sk: `2026-01-01T00:00:00.000Z#${orderId}`,
      ownerRegion: 'us-east-1',
      homeRegion: 'us-east-1',
      updatedAt: '2026-01-01T00:00:00.000Z',
      correlationId: 'corr-stored',
      idempotencyKey: 'stored-key',
      totalMinor: 4498,
      lines: [
        { productId: 'PROD-1', quantity: 2, unitPriceMinor: 1999, lineTotalMinor: 3998 },
        { productId: 'PROD-2', quantity: 1, unitPriceMinor: 500, lineTotalMinor: 500 },
      ],
    });
    expect(Item).not.toHaveProperty('expiresAt');
    expect(JSON.stringify(Item)).not.toMatch(/tok_visa|ada@example\.com/);
  });

  describe('quantity', () => {
    it.each([1, 1000])('accepts %p', async (quantity) => {
      await expectAccepted(orderBody({ lines: [line({ quantity })] }));
    });
    it.each([0, 1001, 1.5, -1, '1', null, 1e21])('rejects %p', async (quantity) => {
      await expectRejected(orderBody({ lines: [line({ quantity })] }), 'lines.0.quantity');
    });
    it('rejects a missing quantity', async () => {
      await expectRejected(orderBody({ lines: [{ productId: 'PROD-1', unitPrice: 1 }] }), 'lines.0.quantity');
    });
  });

  describe('unitPrice', () => {
    it.each([0.01, 19.99, 1_000_000, 0.3, 999_999.99])('accepts %p', async (unitPrice) => {
      await expectAccepted(orderBody({ lines: [line({ unitPrice })] }));
    });
    // Floating-point artefacts are more than 2 decimals as written on the wire: rejected, never rounded.
    it.each([0, -1, 0.001, 19.999, 1e308, 1_000_000.01, 0.1 + 0.2, 19.990000001, '12', true, {}])(
      'rejects %p',
      async (unitPrice) => {
        await expectRejected(orderBody({ lines: [line({ unitPrice })] }), 'lines.0.unitPrice');
      },
    );
    it.each([1e-9, 1e-20, Number.MIN_VALUE, 0.004, 0.005, 0.009, 0.0099999])(
      'rejects %p, which is below one hundredth, with "must be at least 0.01"',
      async (unitPrice) => {
        const res = await expectRejected(orderBody({ lines: [line({ unitPrice })] }), 'lines.0.unitPrice');
        expect(errorOf(res).fields).toEqual([
          { path: 'lines.0.unitPrice', message: 'must be at least 0.01' },
        ]);
      },
    );
    it('rejects a price of 1e308 with field errors only (no 5xx)', async () => {
      const res = await expectRejected(
        orderBody({ lines: [line({ unitPrice: 1e308 })] }),
        'lines.0.unitPrice',
      );
      expect(errorOf(res).fields).toHaveLength(1);
    });
  });

  describe('lines', () => {
    it.each([1, 50])('accepts %p lines', async (n) => {
      const res = await expectAccepted(orderBody({ lines: lines(n) }));
      expect(bodyOf<{ lines: unknown[] }>(res).lines).toHaveLength(n);
    });
    it.each([0, 51])('rejects %p lines', async (n) => {
      await expectRejected(orderBody({ lines: lines(n) }), 'lines');
    });
    it.each([null, 'PROD-1', { productId: 'PROD-1' }])('rejects lines = %p', async (value) => {
      await expectRejected(orderBody({ lines: value }), 'lines');
    });
    it('rejects a duplicate productId, naming the later line', async () => {
      const res = await expectRejected(
        orderBody({ lines: [line(), line({ productId: 'PROD-2' }), line({ quantity: 3 })] }),
        'lines.2.productId',
      );
      expect(errorOf(res).fields).toEqual([{ path: 'lines.2.productId', message: 'duplicate productId' }]);
    });
    it('rejects an unknown field inside a line', async () => {
      const res = await expectRejected(orderBody({ lines: [line({ colour: 'red' })] }), 'lines.0.colour');
      expect(errorOf(res).fields).toEqual([{ path: 'lines.0.colour', message: 'unknown field' }]);
    });
  });

  describe('productId', () => {
    it.each(['PROD-1', `PROD-${'9'.repeat(20)}`])('accepts %p', async (productId) => {
      await expectAccepted(orderBody({ lines: [line({ productId })] }));
    });
    it.each(['PROD-', 'prod-1', 'PROD-1a', 'SKU-1', `PROD-${'9'.repeat(21)}`, ' PROD-1', 7, ''])(
      'rejects %p',
      async (productId) => {
        await expectRejected(orderBody({ lines: [line({ productId })] }), 'lines.0.productId');
      },
    );
  });

  describe('customerId', () => {
    it.each(['CUST-1', `CUST-${'1'.repeat(20)}`])('accepts %p', async (customerId) => {
      await expectAccepted(orderBody({ customerId }));
    });
    it.each(['CUST-', 'cust-1', 'CUST-abc', `CUST-${'1'.repeat(21)}`, 'CUST-1\n', 123, null])(
      'rejects %p',
      async (customerId) => {
        await expectRejected(orderBody({ customerId }), 'customerId');
      },
    );
    it('rejects a missing customerId', async () => {
      const { customerId: _omit, ...body } = orderBody();
      await expectRejected(body, 'customerId');
    });
  });

  describe('currency', () => {
    it.each(['EUR', 'USD', 'GBP'])('accepts %p', async (currency) => {
      await expectAccepted(orderBody({ currency }));
    });
    it.each(['XXX', 'usd', 'EURO', '', 978])('rejects %p', async (currency) => {
      await expectRejected(orderBody({ currency }), 'currency');
    });
    it('accepts whole JPY amounts and rejects fractional ones', async () => {
      await expectAccepted(orderBody({ currency: 'JPY', lines: [line({ unitPrice: 1200 })] }));
      await expectRejected(
        orderBody({ currency: 'JPY', lines: [line({ unitPrice: 12.5 })] }),
        'lines.0.unitPrice',
      );
    });
  });

  describe('optional fields', () => {
    it.each(['tok_visa', 'tok_chargeDeclined_1', `tok_${'a'.repeat(64)}`])(
      'accepts paymentToken %p',
      async (t) => {
        await expectAccepted(orderBody({ paymentToken: t }));
      },
    );
    it.each(['visa', 'tok_', 'tok_a-b', `tok_${'a'.repeat(65)}`, 42])(
      'rejects paymentToken %p',
      async (t) => {
        await expectRejected(orderBody({ paymentToken: t }), 'paymentToken');
      },
    );
    it('accepts a valid email', async () => {
      await expectAccepted(orderBody({ email: 'ada.lovelace+orders@example.co.uk' }));
    });
    it.each(['not-an-email', 'a@b', `${'a'.repeat(250)}@example.com`, ''])(
      'rejects email %p',
      async (email) => {
        await expectRejected(orderBody({ email }), 'email');
      },
    );
  });

  it('rejects an unknown top-level field, naming it', async () => {
    const res = await expectRejected(orderBody({ discount: 10 }), 'discount');
    expect(errorOf(res).fields).toEqual([{ path: 'discount', message: 'unknown field' }]);
  });

  it('reports every broken field at once', async () => {
    const res = await app.api(
      createOrderEvent({
        customerId: 'nope',
        currency: 'XXX',
        lines: [line({ quantity: 0, unitPrice: -1 })],
      }),
    );

    expect(res.statusCode).toBe(400);
    expect(fieldPaths(res)).toEqual(
      expect.arrayContaining(['customerId', 'currency', 'lines.0.quantity', 'lines.0.unitPrice']),
    );
  });

  describe('Idempotency-Key header', () => {
    it('is required', async () => {
      const res = await app.api(createOrderEvent(orderBody(), ''));
      expect(res.statusCode).toBe(400);
      expect(errorOf(res)).toMatchObject({
        code: 'MISSING_HEADER',
        fields: [{ path: 'headers.Idempotency-Key' }],
      });
    });

    it('is required even when the body is valid and other headers are present', async () => {
      const event = createOrderEvent(orderBody());
      delete event.headers['Idempotency-Key'];
      const res = await app.api(event);
      expect(res.statusCode).toBe(400);
      expect(fieldPaths(res)).toEqual(['headers.Idempotency-Key']);
    });

    it.each(['has space', 'slash/key', 'ключ', 'semi;colon', 'x'.repeat(256)])('rejects %p', async (key) => {
      const res = await app.api(createOrderEvent(orderBody(), key));
      expect(res.statusCode).toBe(400);
      expect(errorOf(res)).toMatchObject({
        code: 'VALIDATION_FAILED',
        fields: [{ path: 'headers.Idempotency-Key' }],
      });
    });

    it.each(['a', 'A1_b.c:d-e', 'k'.repeat(255)])('accepts %p', async (key) => {
      // Each key is used once in this file's fresh table.
      const res = await app.api(createOrderEvent(orderBody(), key));
      expect(res.statusCode).toBe(201);
    });

    it('is read case-insensitively', async () => {
      const event = createOrderEvent(orderBody());
      const key = event.headers['Idempotency-Key'] as string;
      delete event.headers['Idempotency-Key'];
      event.headers['idempotency-key'] = key;
      expect((await app.api(event)).statusCode).toBe(201);
    });
  });
});
