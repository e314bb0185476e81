import { DynamoProcessedEventStore } from '../../../services/shared/adapters/dynamo-processed-events';
import { consumeOnce, createEvent } from '../../../services/shared/events';
import { createTables, testDocumentClient } from '../../support/dynamo';

describe('event dedupe against DynamoDB', () => {
  const client = testDocumentClient();
  let store: DynamoProcessedEventStore;

  beforeAll(async () => {
    const tables = await createTables(['processed-events']);
    store = new DynamoProcessedEventStore(client, tables['processed-events'], 'eu-west-1');
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

  it('handles concurrent deliveries of one event exactly once', async () => {
    const e = event();
    let runs = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => consumeOnce(store, 'racer', e, async () => void runs++)),
    );
    expect(runs).toBe(1);
    expect(results.filter((r) => r === 'processed')).toHaveLength(1);
  });
});
