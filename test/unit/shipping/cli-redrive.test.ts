import { ManualClock } from '../../../services/shared/clock';
import { DynamoFailedOrderRepository } from '../../../services/shipping/adapters/dynamo-failed-orders';
import { runRedriveCli, type CliIo } from '../../../services/shipping/cli/redrive';
import { recordDeadLetter } from '../../../services/shipping/domain/record-dead-letter';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { FakePublisher, FakeQueue, REGION, order, shippingBody } from './support';

describe('re-drive command line', () => {
  const client = testDocumentClient();
  let table: string;

  beforeEach(async () => {
    table = (await createTables(['shipments'])).shipments;
  });

  function io(queue: FakeQueue, env: NodeJS.ProcessEnv = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const seen: { region?: string; table?: string; queueUrl?: string } = {};
    const cli: CliIo = {
      env,
      stdout: (l) => out.push(l),
      stderr: (l) => err.push(l),
      deps: (opts) => {
        Object.assign(seen, opts);
        return { failedOrders: new DynamoFailedOrderRepository(client, opts.table, opts.region), queue };
      },
    };
    return { cli, out, err, seen };
  }

  async function deadLetter(n: string, region = REGION) {
    await recordDeadLetter(
      {
        region,
        failedOrders: new DynamoFailedOrderRepository(client, table, region),
        publisher: new FakePublisher(),
        clock: new ManualClock(),
      },
      { messageId: `m-${n}`, body: shippingBody(order(n, { homeRegion: region })), receiveCount: 3 },
    );
  }

  it('re-drives the region named on the command line and prints JSON', async () => {
    await deadLetter('cli1');
    await deadLetter('cli2');
    await deadLetter('west1', 'us-west-2');
    const queue = new FakeQueue();
    const { cli, out, seen } = io(queue, {
      SHIPMENTS_TABLE: table,
      SHIPPING_QUEUE_URL: 'http://queue/shipping',
    });

    const code = await runRedriveCli(['--region', REGION, '--limit', '5'], cli);

    expect(code).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual({ redriven: 2, orderIds: ['ord_cli1', 'ord_cli2'] });
    expect(seen).toEqual({ region: REGION, table, queueUrl: 'http://queue/shipping' });
    expect(queue.sent.map((m) => m.orderId)).toEqual(['ord_cli1', 'ord_cli2']);
  });

  it('takes the table and queue from flags over the environment', async () => {
    const { cli, seen } = io(new FakeQueue(), { SHIPMENTS_TABLE: 'ignored', SHIPPING_QUEUE_URL: 'ignored' });

    const code = await runRedriveCli(
      ['--region', 'us-west-2', '--table', table, '--queue-url', 'http://q'],
      cli,
    );

    expect(code).toBe(0);
    expect(seen).toEqual({ region: 'us-west-2', table, queueUrl: 'http://q' });
  });

  it('exits 2 naming what is missing or wrong', async () => {
    const missing = io(new FakeQueue(), { SHIPPING_QUEUE_URL: 'http://q' });
    const badLimit = io(new FakeQueue(), { SHIPMENTS_TABLE: table, SHIPPING_QUEUE_URL: 'http://q' });
    const unknownFlag = io(new FakeQueue(), {});

    expect(await runRedriveCli(['--limit', '3'], missing.cli)).toBe(2);
    expect(await runRedriveCli(['--region', REGION, '--limit', 'lots'], badLimit.cli)).toBe(2);
    expect(await runRedriveCli(['--bogus'], unknownFlag.cli)).toBe(2);
    expect(missing.err.join('\n')).toMatch(/region is not set.*table is not set/s);
    expect(badLimit.err.join('\n')).toMatch(/limit/);
  });

  it('exits non-zero when a record cannot be re-sent', async () => {
    await deadLetter('cli-fail');
    const queue = new FakeQueue();
    queue.failFor.add('ord_cli-fail');
    const { cli, out } = io(queue, { SHIPMENTS_TABLE: table, SHIPPING_QUEUE_URL: 'http://q' });

    const code = await runRedriveCli(['--region', REGION], cli);

    expect(code).toBe(1);
    expect(JSON.parse(out.join(''))).toMatchObject({
      redriven: 0,
      orderIds: [],
      failed: [{ orderId: 'ord_cli-fail' }],
    });
  });

  it('exits non-zero when the table cannot be read', async () => {
    const { cli, err } = io(new FakeQueue(), {
      SHIPMENTS_TABLE: 'no-such-table',
      SHIPPING_QUEUE_URL: 'http://q',
    });

    expect(await runRedriveCli(['--region', REGION], cli)).toBe(1);
    expect(err.join('')).toMatch(/ResourceNotFoundException/);
  });
});
