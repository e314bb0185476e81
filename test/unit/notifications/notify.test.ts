import { DynamoProcessedEventStore } from '../../../services/shared/adapters/dynamo-processed-events';
import { buildNotifyHandler } from '../../../services/notifications/handlers/notify';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { FakeCustomerNotifier, REGION, order, quietObservability } from './support';

describe('notify step', () => {
  const client = testDocumentClient();
  let processed: DynamoProcessedEventStore;

  beforeAll(async () => {
    const tables = await createTables(['processed-events']);
    processed = new DynamoProcessedEventStore(client, tables['processed-events'], REGION);
  });

  function setup(canEmail = true) {
    const notifier = new FakeCustomerNotifier(canEmail);
    const notify = buildNotifyHandler({ region: REGION, notifier, processed, ...quietObservability() });
    return { notifier, notify };
  }

  it('e-mails a customer with an address, once per order and template', async () => {
    const { notifier, notify } = setup();
    const o = order('n1', { email: 'ada@example.com' });

    const first = await notify({ order: o, template: 'order-fulfilled' });
    const second = await notify({ order: o, template: 'order-fulfilled' });

    expect(first).toEqual({ channel: 'email', messageId: 'ses-1', duplicate: false });
    expect(second).toEqual({ channel: 'email', duplicate: true });
    expect(notifier.emails).toHaveLength(1);
    expect(notifier.emails[0]).toMatchObject({
      to: 'ada@example.com',
      message: {
        orderId: o.orderId,
        customerId: o.customerId,
        template: 'order-fulfilled',
        correlationId: o.correlationId,
        subject: expect.stringContaining(o.orderId),
      },
    });
    expect(notifier.published).toHaveLength(0);
  });

  it('publishes to the customer topic when the order has no e-mail address', async () => {
    const { notifier, notify } = setup();
    const o = order('n2');

    const result = await notify({ order: o, template: 'order-failed', reason: 'OutOfStockError' });

    expect(result).toEqual({ channel: 'sns', messageId: 'sns-1', duplicate: false });
    expect(notifier.emails).toHaveLength(0);
    expect(notifier.published[0]).toMatchObject({ customerId: o.customerId, template: 'order-failed' });
    expect(notifier.published[0]!.text).toContain('out of stock');
  });

  it('falls back to the customer topic when the e-mail address is not valid', async () => {
    const { notifier, notify } = setup();

    const result = await notify({
      order: order('n6', { email: 'not-an-address' }),
      template: 'order-fulfilled',
    });

    expect(result.channel).toBe('sns');
    expect(notifier.emails).toHaveLength(0);
    expect(notifier.published).toHaveLength(1);
  });

  it('uses the customer topic for everyone when no e-mail sender is configured', async () => {
    const { notifier, notify } = setup(false);

    const result = await notify({
      order: order('n7', { email: 'ada@example.com' }),
      template: 'order-fulfilled',
    });

    expect(result.channel).toBe('sns');
    expect(notifier.emails).toHaveLength(0);
    expect(notifier.published).toHaveLength(1);
  });

  it('sends a different template for the same order', async () => {
    const { notifier, notify } = setup();
    const o = order('n3');

    await notify({ order: o, template: 'order-failed' });
    await notify({ order: o, template: 'order-cancelled' });

    expect(notifier.published.map((m) => m.template)).toEqual(['order-failed', 'order-cancelled']);
  });

  it('sends on the retry after a failed send', async () => {
    const { notifier, notify } = setup();
    const o = order('n4');
    notifier.failNext = true;

    await expect(notify({ order: o, template: 'order-fulfilled' })).rejects.toThrow('send failed');
    const retry = await notify({ order: o, template: 'order-fulfilled' });

    expect(retry.duplicate).toBe(false);
    expect(notifier.published).toHaveLength(1);
  });

  it('refuses to notify for an order homed in another region, sending nothing', async () => {
    const { notifier, notify } = setup();
    const o = order('n7', { homeRegion: 'eu-west-1', email: 'ada@example.com' });

    await expect(notify({ order: o, template: 'order-fulfilled' })).rejects.toMatchObject({
      name: 'OrderHomedElsewhereError',
      kind: 'conflict',
      message: expect.stringContaining('eu-west-1'),
    });
    expect(notifier.emails).toEqual([]);
    expect(notifier.published).toEqual([]);
  });

  it('accepts a compensation reason of any length, such as a whole Lambda error Cause', async () => {
    const { notifier, notify } = setup();
    const cause = JSON.stringify({ errorType: 'OutOfStockError', errorMessage: 'no stock' }).padEnd(
      5000,
      ' ',
    );

    const result = await notify({ order: order('n8'), template: 'order-failed', reason: cause });

    expect(result).toMatchObject({ channel: 'sns', duplicate: false });
    expect(notifier.published[0]!.text).toContain('out of stock');
  });

  it('rejects an unknown template or a bad order', async () => {
    const { notify } = setup();

    await expect(notify({ order: order('n5'), template: 'order-shipped' })).rejects.toMatchObject({
      name: 'ValidationError',
    });
    await expect(notify({ order: { orderId: 'x' }, template: 'order-failed' })).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });
});
