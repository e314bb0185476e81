import type { EventEnvelope } from '../../../services/shared/events';
import { createTables, testDocumentClient } from '../../support/dynamo';
import {
  HOME,
  OTHER,
  apiEvent,
  bodyOf,
  buildApp,
  errorOf,
  fieldPaths,
  placeOrder,
  type TestApp,
} from './support/app';

/** The EventBridge event that delivers `envelope` (as serialized on the wire). */
function delivered(envelope: EventEnvelope) {
  return {
    version: '0',
    id: 'eb-1',
    'detail-type': envelope.type,
    source: envelope.source,
    account: '000000000000',
    time: envelope.time,
    region: envelope.region,
    resources: [],
    detail: JSON.parse(JSON.stringify(envelope)) as unknown,
  };
}

describe('cancelling orders', () => {
  const client = testDocumentClient();
  let home: TestApp;
  let other: TestApp;

  beforeAll(async () => {
    const t = await createTables(['orders', 'processed-events']);
    // Both regions see the same replica here: as after Global Tables replication.
    home = buildApp(client, { orders: t.orders, processed: t['processed-events'] }, { region: HOME });
    other = buildApp(client, { orders: t.orders, processed: t['processed-events'] }, { region: OTHER });
  });

  const cancel = (app: TestApp, orderId: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.api(
      apiEvent('POST', `/orders/${orderId}/cancel`, { ...(body !== undefined ? { body } : {}), headers }),
    );
  const stored = (orderId: string) => home.repository.get(orderId);

  describe('in the home region', () => {
    it('moves a PENDING order to CANCELLING with 202 and publishes the request', async () => {
      const orderId = await placeOrder(home);
      home.clock.advance(5000);

      const res = await cancel(
        home,
        orderId,
        { reason: 'changed my mind' },
        { 'x-correlation-id': 'corr-c' },
      );

      expect(res.statusCode).toBe(202);
      expect(bodyOf(res)).toMatchObject({
        orderId,
        status: 'CANCELLING',
        statusHistory: [
          { status: 'PENDING', at: expect.any(String) },
          { status: 'CANCELLING', at: expect.any(String), reason: 'changed my mind' },
        ],
      });
      expect(await stored(orderId)).toMatchObject({
        status: 'CANCELLING',
        cancellationReason: 'changed my mind',
      });
      const events = home.publisher.published.filter(
        (e) => (e.data as { orderId?: string }).orderId === orderId,
      );
      expect(events.map((e) => [e.type, e.id, e.correlationId])).toEqual([
        ['OrderPlaced', `${orderId}:OrderPlaced`, expect.any(String)],
        ['OrderCancellationRequested', `${orderId}:cancel`, 'corr-c'],
        ['OrderStatusChanged', `${orderId}:status:CANCELLING`, 'corr-c'],
      ]);
    });

    it('accepts an empty body and uses the default reason', async () => {
      const orderId = await placeOrder(home);

      const res = await cancel(home, orderId);

      expect(res.statusCode).toBe(202);
      expect(await stored(orderId)).toMatchObject({ cancellationReason: 'cancelled by customer' });
    });

    it.each([
      ['spaces and a newline', '  \n'],
      ['a tab', '\t'],
      ['nothing', ''],
    ])(
      'treats a base64-encoded body of %s like an empty body (default reason, no content type needed)',
      async (_name, blank) => {
        const orderId = await placeOrder(home);

        const res = await home.api(
          apiEvent('POST', `/orders/${orderId}/cancel`, {
            rawBody: Buffer.from(blank, 'utf8').toString('base64'),
            isBase64Encoded: true,
          }),
        );

        expect(res.statusCode).toBe(202);
        expect(await stored(orderId)).toMatchObject({
          status: 'CANCELLING',
          cancellationReason: 'cancelled by customer',
        });
      },
    );

    it('reads a base64-encoded JSON body like a plain one', async () => {
      const orderId = await placeOrder(home);

      const res = await home.api(
        apiEvent('POST', `/orders/${orderId}/cancel`, {
          rawBody: Buffer.from(JSON.stringify({ reason: 'encoded' })).toString('base64'),
          isBase64Encoded: true,
          headers: { 'Content-Type': 'application/json' },
        }),
      );

      expect(res.statusCode).toBe(202);
      expect(await stored(orderId)).toMatchObject({ cancellationReason: 'encoded' });
    });

    it.each([
      ['base64-encoded', Buffer.from(' '.repeat(70 * 1024)).toString('base64'), true],
      ['plain', ' '.repeat(70 * 1024), false],
    ])('refuses a blank %s body over 64 KiB with 413', async (_name, rawBody, isBase64Encoded) => {
      const orderId = await placeOrder(home);

      const res = await home.api(
        apiEvent('POST', `/orders/${orderId}/cancel`, {
          rawBody,
          isBase64Encoded,
          headers: { 'Content-Type': 'application/json' },
        }),
      );

      expect(res.statusCode).toBe(413);
      expect((await stored(orderId))?.status).toBe('PENDING');
    });

    it('cancels a RESERVED or PAID order', async () => {
      const reserved = await placeOrder(home);
      await home.setStatus({ orderId: reserved, status: 'RESERVED' });
      const paid = await placeOrder(home);
      await home.setStatus({ orderId: paid, status: 'RESERVED' });
      await home.setStatus({ orderId: paid, status: 'PAID' });

      expect((await cancel(home, reserved)).statusCode).toBe(202);
      expect((await cancel(home, paid)).statusCode).toBe(202);
    });

    it('answers a repeated cancel with 200 and the unchanged order', async () => {
      const orderId = await placeOrder(home);
      await cancel(home, orderId);

      const again = await cancel(home, orderId, { reason: 'again' });

      expect(again.statusCode).toBe(200);
      expect(bodyOf<{ statusHistory: unknown[] }>(again).statusHistory).toHaveLength(2);
      expect(await stored(orderId)).toMatchObject({
        status: 'CANCELLING',
        cancellationReason: 'cancelled by customer',
      });
    });

    it('answers 200 for an order already CANCELLED', async () => {
      const orderId = await placeOrder(home);
      await cancel(home, orderId);
      await home.setStatus({ orderId, status: 'CANCELLED' });

      const res = await cancel(home, orderId);

      expect(res.statusCode).toBe(200);
      expect(bodyOf(res).status).toBe('CANCELLED');
    });

    it.each([
      ['SHIPPED', ['RESERVED', 'PAID', 'SHIPPED']],
      ['FULFILLED', ['RESERVED', 'PAID', 'SHIPPED', 'FULFILLED']],
      ['FAILED', ['FAILED']],
    ] as const)('refuses a %s order with 409 ORDER_NOT_CANCELLABLE', async (_status, path) => {
      const orderId = await placeOrder(home);
      for (const status of path) await home.setStatus({ orderId, status, reason: 'test' });

      const res = await cancel(home, orderId);

      expect(res.statusCode).toBe(409);
      expect(errorOf(res).code).toBe('ORDER_NOT_CANCELLABLE');
    });

    it('answers 404 for an unknown order and 400 for a malformed id', async () => {
      const missing = await cancel(home, 'ord_0123456789ABCDEFGHJKMNPQRS');
      const malformed = await cancel(home, 'nope');

      expect(missing.statusCode).toBe(404);
      expect(errorOf(missing).code).toBe('ORDER_NOT_FOUND');
      expect(malformed.statusCode).toBe(400);
      expect(fieldPaths(malformed)).toEqual(['pathParameters.id']);
    });

    it.each([
      ['an overlong reason', { reason: 'x'.repeat(501) }, 'reason'],
      ['a blank reason', { reason: '   ' }, 'reason'],
      ['a non-string reason', { reason: 42 }, 'reason'],
      ['an unknown field', { refund: true }, 'refund'],
      ['a JSON array', [], '(root)'],
    ])('rejects %s', async (_name, body, path) => {
      const orderId = await placeOrder(home);

      const res = await cancel(home, orderId, body);

      expect(res.statusCode).toBe(400);
      expect(fieldPaths(res)).toEqual([path]);
      expect((await stored(orderId))?.status).toBe('PENDING');
    });

    it('rejects a non-JSON body with 415', async () => {
      const orderId = await placeOrder(home);

      const res = await home.api(
        apiEvent('POST', `/orders/${orderId}/cancel`, {
          rawBody: 'reason=x',
          headers: { 'Content-Type': 'text/plain' },
        }),
      );

      expect(res.statusCode).toBe(415);
    });
  });

  describe('from another region', () => {
    it('forwards the request without writing and answers 202 forwarded', async () => {
      const orderId = await placeOrder(home);
      const before = await stored(orderId);

      const res = await cancel(other, orderId, { reason: 'too slow' });

      expect(res.statusCode).toBe(202);
      expect(bodyOf(res)).toEqual({
        orderId,
        status: 'PENDING',
        cancellation: 'forwarded',
        homeRegion: HOME,
      });
      expect(await stored(orderId)).toEqual(before);
      expect(other.publisher.published.filter((e) => e.id === `${orderId}:cancel`)).toEqual([
        expect.objectContaining({
          type: 'OrderCancellationRequested',
          region: OTHER,
          data: { orderId, reason: 'too slow' },
        }),
      ]);
    });

    it('answers 409 there too for an order that can no longer be cancelled', async () => {
      const orderId = await placeOrder(home);
      for (const status of ['RESERVED', 'PAID', 'SHIPPED'] as const)
        await home.setStatus({ orderId, status });

      expect((await cancel(other, orderId)).statusCode).toBe(409);
    });

    it('is applied once by the home region consumer', async () => {
      const orderId = await placeOrder(home);
      await cancel(other, orderId, { reason: 'too slow' });
      const forwarded = other.publisher.published.find((e) => e.id === `${orderId}:cancel`) as EventEnvelope;
      const publishedBefore = home.publisher.published.length;

      const first = await home.events(delivered(forwarded));
      const second = await home.events(delivered(forwarded));

      expect([first.outcome, second.outcome]).toEqual(['processed', 'duplicate']);
      const order = await stored(orderId);
      expect(order).toMatchObject({ status: 'CANCELLING', cancellationReason: 'too slow' });
      expect(order?.statusHistory.filter((h) => h.status === 'CANCELLING')).toHaveLength(1);
      // The consumer does not echo the request (no loop); it announces the status change.
      expect(home.publisher.published.slice(publishedBefore).map((e) => e.type)).toEqual([
        'OrderStatusChanged',
      ]);
    });

    it('is ignored by a consumer in a region that does not own the order', async () => {
      const orderId = await placeOrder(home);
      await cancel(other, orderId);
      const forwarded = other.publisher.published.find((e) => e.id === `${orderId}:cancel`) as EventEnvelope;

      const res = await other.events(delivered(forwarded));

      expect(res.outcome).toBe('processed');
      expect((await stored(orderId))?.status).toBe('PENDING');
    });

    it('is dropped without retry when the order shipped meanwhile', async () => {
      const orderId = await placeOrder(home);
      await cancel(other, orderId);
      for (const status of ['RESERVED', 'PAID', 'SHIPPED'] as const)
        await home.setStatus({ orderId, status });
      const forwarded = other.publisher.published.find((e) => e.id === `${orderId}:cancel`) as EventEnvelope;

      await expect(home.events(delivered(forwarded))).resolves.toEqual({ outcome: 'processed' });
      expect((await stored(orderId))?.status).toBe('SHIPPED');
    });
  });

  describe('events consumer input', () => {
    it('ignores other event types', async () => {
      const orderId = await placeOrder(home);
      const placed = home.publisher.published.find((e) => e.id === `${orderId}:OrderPlaced`) as EventEnvelope;

      expect(await home.events(delivered(placed))).toEqual({ outcome: 'ignored' });
    });

    it.each([
      ['null', null],
      ['a string', 'hello'],
      ['an event without detail fields', { detail: { id: 'x' } }],
      [
        'a cancellation without an order id',
        delivered({
          id: 'e1',
          type: 'OrderCancellationRequested',
          version: 1,
          time: new Date().toISOString(),
          source: 'meridian.orders',
          region: OTHER,
          correlationId: 'c',
          data: { reason: 'x' },
        } as unknown as EventEnvelope),
      ],
    ])('drops %s without throwing', async (_name, event) => {
      await expect(home.events(event)).resolves.toEqual({ outcome: 'ignored' });
    });

    it('retries a delivery whose processing failed', async () => {
      const orderId = await placeOrder(home);
      await cancel(other, orderId);
      const forwarded = other.publisher.published.find((e) => e.id === `${orderId}:cancel`) as EventEnvelope;
      home.publisher.failNext();

      await expect(home.events(delivered(forwarded))).rejects.toThrow('bus unavailable');
      const retry = await home.events(delivered(forwarded));

      expect(retry.outcome).toBe('processed');
      expect((await stored(orderId))?.status).toBe('CANCELLING');
      expect(home.publisher.distinctIds()).toContain(`${orderId}:status:CANCELLING`);
    });
  });

  describe('interplay with the saga', () => {
    it('refuses forward moves and turns a failure into CANCELLED once cancelling', async () => {
      const orderId = await placeOrder(home);
      await home.setStatus({ orderId, status: 'RESERVED' });
      await cancel(home, orderId, { reason: 'wrong size' });

      await expect(home.setStatus({ orderId, status: 'PAID' })).rejects.toMatchObject({
        name: 'OrderCancelledError',
      });
      const result = await home.setStatus({ orderId, status: 'FAILED', reason: 'compensated' });

      expect(result).toEqual({ orderId, status: 'CANCELLED' });
      expect(home.publisher.published.find((e) => e.id === `${orderId}:OrderCancelled`)).toMatchObject({
        type: 'OrderCancelled',
        data: { orderId, customerId: 'CUST-1', reason: 'wrong size' },
      });
    });
  });
});
