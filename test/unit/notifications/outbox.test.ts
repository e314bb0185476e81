import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../services/shared/clock';
import { OutboxNotifier, type OutboxRecord } from '../../../services/notifications/adapters/outbox';
import type { CustomerMessage } from '../../../services/notifications/domain/ports';
import { renderCustomerMessage } from '../../../services/notifications/domain/templates';
import { order } from './support';

describe('outbox adapter', () => {
  let root: string;
  let dir: string;
  const clock = new ManualClock(Date.UTC(2026, 2, 4, 5, 6, 7, 8));

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'meridian-outbox-'));
    dir = join(root, 'outbox'); // created on first write
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const message = (n: string, reason?: string): CustomerMessage => ({
    ...renderCustomerMessage('order-failed', { orderId: `ord_${n}`, order: order(n), reason }),
    orderId: `ord_${n}`,
    customerId: 'CUST-1001',
    template: 'order-failed',
    correlationId: `corr-${n}`,
  });

  it('writes an e-mail as JSON plus readable .html and .txt files', async () => {
    const outbox = new OutboxNotifier(dir, clock);
    const msg = message('o1', '<script>x</script>');

    const { messageId } = await outbox.sendEmail('ada@example.com', msg);

    expect((await readdir(dir)).sort()).toEqual([
      `${messageId}.html`,
      `${messageId}.json`,
      `${messageId}.txt`,
    ]);
    const record = JSON.parse(await readFile(join(dir, `${messageId}.json`), 'utf8')) as OutboxRecord;
    expect(record).toMatchObject({
      id: messageId,
      kind: 'email',
      channel: 'email',
      to: 'ada@example.com',
      subject: msg.subject,
      template: 'order-failed',
      orderId: 'ord_o1',
      createdAt: '2026-03-04T05:06:07.008Z',
    });
    expect(await readFile(join(dir, `${messageId}.html`), 'utf8')).toBe(msg.html);
    expect(await readFile(join(dir, `${messageId}.txt`), 'utf8')).toBe(msg.text);
    expect(messageId).toMatch(/^20260304T050607008Z_[0-9a-f]{8}_000001_email_ord_o1$/);
  });

  it('writes topic messages and ops alerts as JSON with their attributes', async () => {
    const outbox = new OutboxNotifier(dir, clock);

    const customer = await outbox.publishToTopic(message('o2'));
    const alert = await outbox.alert({
      severity: 'critical',
      subject: 'Shipment failed',
      message: 'details',
      eventType: 'ShipmentFailed',
      orderId: 'ord_o2',
      correlationId: 'corr-o2',
    });

    const read = async (id: string) =>
      JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8')) as OutboxRecord;
    expect(await read(customer.messageId)).toMatchObject({
      kind: 'customer-sns',
      topic: 'customer',
      attributes: { template: 'order-failed', customerId: 'CUST-1001', orderId: 'ord_o2' },
    });
    expect(await read(alert.messageId)).toMatchObject({
      kind: 'ops-alert',
      topic: 'ops',
      severity: 'critical',
      subject: 'Shipment failed',
      attributes: { eventType: 'ShipmentFailed', severity: 'critical' },
    });
  });

  it('names files uniquely and in sending order, leaving no temporary files', async () => {
    const outbox = new OutboxNotifier(dir, clock);
    const other = new OutboxNotifier(dir, clock); // a second process writing at the same instant

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await outbox.publishToTopic(message(`s${i}`))).messageId);
      await other.publishToTopic(message(`t${i}`));
      clock.advance(i % 2); // some writes share a millisecond
    }
    await Promise.all(Array.from({ length: 20 }, (_, i) => outbox.publishToTopic(message(`p${i}`))));

    const files = await readdir(dir);
    expect(files.filter((f) => f.startsWith('.'))).toEqual([]);
    expect(new Set(files).size).toBe(30);
    expect([...ids].sort()).toEqual(ids);
    expect(files.every((f) => f.endsWith('.json'))).toBe(true);
    const records = await Promise.all(
      files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8'))),
    );
    expect(records.map((r: OutboxRecord) => `${r.id}.json`).sort()).toEqual([...files].sort());
  });
});
