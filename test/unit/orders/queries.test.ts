import { createTables, testDocumentClient } from '../../support/dynamo';
import {
  apiEvent,
  bodyOf,
  buildApp,
  errorOf,
  fieldPaths,
  orderBody,
  placeOrder,
  type TestApp,
} from './support/app';

interface ListBody {
  items: { orderId: string; createdAt: string; customerId: string }[];
  nextCursor?: string;
}

describe('reading orders', () => {
  const client = testDocumentClient();
  let app: TestApp;

  beforeAll(async () => {
    const t = await createTables(['orders', 'processed-events']);
    app = buildApp(client, { orders: t.orders, processed: t['processed-events'] });
  });

  describe('GET /orders/{id}', () => {
    it('returns the order', async () => {
      const orderId = await placeOrder(app, orderBody({ customerId: 'CUST-100' }));

      const res = await app.api(apiEvent('GET', `/orders/${orderId}`));

      expect(res.statusCode).toBe(200);
      expect(bodyOf(res)).toMatchObject({ orderId, customerId: 'CUST-100', status: 'PENDING', total: 44.98 });
    });

    it('answers 404 ORDER_NOT_FOUND for an unknown id', async () => {
      const res = await app.api(apiEvent('GET', '/orders/ord_0123456789ABCDEFGHJKMNPQRS'));

      expect(res.statusCode).toBe(404);
      expect(errorOf(res).code).toBe('ORDER_NOT_FOUND');
    });

    it.each([
      '123',
      'ord_short',
      'ord_0123456789abcdefghjkmnpqrs',
      `ord_${'A'.repeat(27)}`,
      'ORDER#x',
      'x'.repeat(5000),
    ])('answers 400 for the malformed id %p', async (id) => {
      const res = await app.api(apiEvent('GET', `/orders/${id}`));

      expect(res.statusCode).toBe(400);
      expect(fieldPaths(res)).toEqual(['pathParameters.id']);
    });
  });

  describe('GET /orders?customerId=', () => {
    const customerId = 'CUST-200';
    const placed: string[] = [];

    beforeAll(async () => {
      for (let i = 0; i < 25; i++) {
        app.clock.advance(1000);
        placed.push(
          await placeOrder(
            app,
            orderBody({ customerId, lines: [{ productId: `PROD-${i + 1}`, quantity: 1, unitPrice: 1 }] }),
          ),
        );
      }
      await placeOrder(app, orderBody({ customerId: 'CUST-201' }));
    });

    const list = (query: Record<string, string>) => app.api(apiEvent('GET', '/orders', { query }));

    it('pages through all orders newest first without duplicates', async () => {
      const pages: ListBody[] = [];
      let cursor: string | undefined;
      do {
        const res = await list({ customerId, limit: '10', ...(cursor ? { cursor } : {}) });
        expect(res.statusCode).toBe(200);
        const page = bodyOf<ListBody>(res);
        pages.push(page);
        cursor = page.nextCursor;
      } while (cursor && pages.length < 10);

      expect(pages.map((p) => p.items.length)).toEqual([10, 10, 5]);
      expect(pages[2]?.nextCursor).toBeUndefined();
      const ids = pages.flatMap((p) => p.items.map((o) => o.orderId));
      expect(ids).toEqual([...placed].reverse());
      expect(new Set(ids).size).toBe(25);
    });

    it('returns 20 orders by default', async () => {
      const page = bodyOf<ListBody>(await list({ customerId }));

      expect(page.items).toHaveLength(20);
      expect(page.nextCursor).toEqual(expect.any(String));
    });

    it('omits the cursor when the page holds exactly the rest', async () => {
      const page = bodyOf<ListBody>(await list({ customerId, limit: '25' }));

      expect(page.items).toHaveLength(25);
      expect(page).not.toHaveProperty('nextCursor');
    });

    it('lists only the given customer', async () => {
      const page = bodyOf<ListBody>(await list({ customerId: 'CUST-201' }));

      expect(page.items.map((o) => o.customerId)).toEqual(['CUST-201']);
    });

    it('returns an empty list for a customer without orders', async () => {
      const res = await list({ customerId: 'CUST-999' });

      expect(res.statusCode).toBe(200);
      expect(bodyOf(res)).toEqual({ items: [] });
    });

    it('ignores unknown query parameters', async () => {
      const res = await list({ customerId: 'CUST-201', sort: 'asc', utm_source: 'mail' });

      expect(res.statusCode).toBe(200);
    });

    it('requires customerId', async () => {
      const res = await list({ limit: '10' });

      expect(res.statusCode).toBe(400);
      expect(fieldPaths(res)).toEqual(['queryStringParameters.customerId']);
    });

    it('answers 400 when there are no query parameters at all', async () => {
      const res = await app.api(apiEvent('GET', '/orders'));

      expect(res.statusCode).toBe(400);
      expect(fieldPaths(res)).toEqual(['queryStringParameters.customerId']);
    });

    it.each(['bad', 'cust-1', 'CUST-x'])('rejects customerId %p', async (id) => {
      const res = await list({ customerId: id });

      expect(res.statusCode).toBe(400);
      expect(fieldPaths(res)).toEqual(['queryStringParameters.customerId']);
    });

    it.each(['0', '101', '-1', '1.5', 'ten', '', '1e2'])('rejects limit %p', async (limit) => {
      const res = await list({ customerId, limit });

      expect(res.statusCode).toBe(400);
      expect(fieldPaths(res)).toEqual(['queryStringParameters.limit']);
    });

    it.each(['1', '100'])('accepts limit %p', async (limit) => {
      expect((await list({ customerId, limit })).statusCode).toBe(200);
    });

    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    it.each([
      ['garbage', 'not a cursor!'],
      ['non-JSON base64url', Buffer.from('hello').toString('base64url')],
      ['a JSON array', b64([1, 2])],
      [
        'a key with extra fields',
        b64({ pk: 'ORDER#x', sk: 'ORDER', gsi1pk: 'CUSTOMER#CUST-200', gsi1sk: 'x', extra: 1 }),
      ],
      ['a key of another table layout', b64({ pk: 'IDEMPOTENCY#k', sk: 'IDEMPOTENCY' })],
      ['an overlong token', 'A'.repeat(2000)],
      ['an empty string', ''],
    ])('rejects %s as cursor', async (_name, cursor) => {
      const res = await list({ customerId, cursor });

      expect(res.statusCode).toBe(400);
      expect(fieldPaths(res)).toEqual(['queryStringParameters.cursor']);
    });

    it("rejects another customer's cursor", async () => {
      const first = bodyOf<ListBody>(await list({ customerId, limit: '5' }));

      const res = await list({ customerId: 'CUST-201', cursor: String(first.nextCursor) });

      expect(res.statusCode).toBe(400);
      expect(fieldPaths(res)).toEqual(['queryStringParameters.cursor']);
    });

    it('rejects a tampered cursor whose order id and sort key disagree', async () => {
      const first = bodyOf<ListBody>(await list({ customerId, limit: '5' }));
      const keys = JSON.parse(Buffer.from(String(first.nextCursor), 'base64url').toString()) as Record<
        string,
        string
      >;
      const tampered = { ...keys, pk: `ORDER#ord_${'Z'.repeat(26)}` };

      const res = await list({ customerId, cursor: b64(tampered) });

      expect(res.statusCode).toBe(400);
    });
  });
});
