import { DynamoProcessedEventStore } from '../../../services/shared/adapters/dynamo-processed-events';
import { consumeOnce, createEvent, EventInFlightError } from '../../../services/shared/events';
import { createTables, testDocumentClient } from '../../support/dynamo';

describe('event dedupe against DynamoDB', () => {
  const client = testDocumentClient();
  let store: DynamoProcessedEventStore;
  let table: string;

  beforeAll(async () => {
    const tables = await createTables(['processed-events']);
    table = tables['processed-events'];
    store = new DynamoProcessedEventStore(client, table, 'eu-west-1');
  });

  const event = () =>
    createEvent({
      type: 'OrderFulfilled',
      source: 'meridian.orders',
      region: 'us-east-1',
      correlationId: 'c-1',
      data: { orderId: 'ord_1', customerId: 'CUST-1' },
    });

  it('processes an event once and skips its redelivery', async () => {
    const e = event();
    const handled: string[] = [];
    const first = await consumeOnce(store, 'notifier', e, async () => void handled.push(e.id));
    const second = await consumeOnce(store, 'notifier', e, async () => void handled.push(e.id));
    expect([first, second]).toEqual(['processed', 'duplicate']);
    expect(handled).toEqual([e.id]);
  });

  it('lets a different consumer process the same event', async () => {
    const e = event();
    await consumeOnce(store, 'a', e, async () => undefined);
    expect(await consumeOnce(store, 'b', e, async () => undefined)).toBe('processed');
  });

  it('runs again after a failed attempt', async () => {
    const e = event();
    await expect(
      consumeOnce(store, 'flaky', e, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await consumeOnce(store, 'flaky', e, async () => undefined)).toBe('processed');
  });

  it('handles concurrent deliveries of one event exactly once; the others are told to retry or skip', async () => {
    const e = event();
    let runs = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => consumeOnce(store, 'racer', e, async () => void runs++)),
    );
    expect(runs).toBe(1);
    const fulfilled = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    expect(fulfilled.filter((r) => r === 'processed')).toHaveLength(1);
    expect(fulfilled.filter((r) => r !== 'processed').every((r) => r === 'duplicate')).toBe(true);
    expect(rejected.every((err) => err instanceof EventInFlightError)).toBe(true);
    expect(await consumeOnce(store, 'racer', e, async () => void runs++)).toBe('duplicate');
  });

  it('lets a redelivery take over the claim of an attempt that died, once its lease has run out', async () => {
    let now = Date.UTC(2026, 0, 1);
    const leased = new DynamoProcessedEventStore(client, table, 'eu-west-1', {
      leaseMs: 1000,
      now: () => now,
    });
    const e = event();
    // An attempt claims the event and dies before completing (no unmark, no completion).
    expect(await leased.markProcessed('crashy', e.id)).toBe(true);

    // A redelivery during the lease must not process it, nor drop it: it is told to retry.
    await expect(consumeOnce(leased, 'crashy', e, async () => undefined)).rejects.toBeInstanceOf(
      EventInFlightError,
    );

    now += 1001;
    let runs = 0;
    expect(await consumeOnce(leased, 'crashy', e, async () => void runs++)).toBe('processed');
    now += 10_000;
    expect(await consumeOnce(leased, 'crashy', e, async () => void runs++)).toBe('duplicate');
    expect(runs).toBe(1);
  });

  it("keeps a successor's claim when an attempt that outlived its lease finishes or fails late", async () => {
    let now = Date.UTC(2026, 0, 2);
    const clock = () => now;
    const slow = new DynamoProcessedEventStore(client, table, 'eu-west-1', { leaseMs: 1000, now: clock });
    const successor = new DynamoProcessedEventStore(client, table, 'eu-west-1', {
      leaseMs: 1000,
      now: clock,
    });
    const e = event();

    expect(await slow.markProcessed('fenced', e.id)).toBe(true);
    now += 1001;
    expect(await successor.markProcessed('fenced', e.id)).toBe(true);

    // The slow attempt fails late: its release must not delete the successor's live claim.
    await slow.unmark('fenced', e.id);
    await expect(successor.markProcessed('fenced', e.id)).rejects.toBeInstanceOf(EventInFlightError);

    await successor.markCompleted('fenced', e.id);
    expect(await successor.markProcessed('fenced', e.id)).toBe(false);
  });
});
