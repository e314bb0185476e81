import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  EventSourceMapping,
  FileSqsStore,
  SqsQueues,
  sqsHttpServer,
  type SqsHttpServer,
} from '../../../local/sqs';

class ManualClock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

describe('local SQS over the real SDK client', () => {
  let clock: ManualClock;
  let queues: SqsQueues;
  let server: SqsHttpServer;
  let sqs: SQSClient;

  beforeEach(async () => {
    clock = new ManualClock();
    queues = new SqsQueues({ clock, region: 'eu-west-1', pollIntervalMs: 20 });
    server = await sqsHttpServer(queues, { port: 0 });
    sqs = new SQSClient({
      region: 'eu-west-1',
      endpoint: server.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });

  afterEach(async () => {
    sqs.destroy();
    await server.close();
  });

  const createWithDlq = async (
    name: string,
    maxReceiveCount: number,
  ): Promise<{ url: string; dlqUrl: string }> => {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const dlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const q = await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: '30',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
        },
      }),
    );
    return { url: q.QueueUrl!, dlqUrl: dlq.QueueUrl! };
  };

  it('creates, lists, sends, receives and deletes', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'orders' }));
    expect(QueueUrl).toBe(`http://127.0.0.1:${server.port}/000000000000/orders`);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'orders' }))).QueueUrl).toBe(QueueUrl);
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls).toEqual([QueueUrl]);

    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: '{"orderId":"o-1"}',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } },
      }),
    );
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update('{"orderId":"o-1"}').digest('hex'));

    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    expect(got.Messages).toHaveLength(1);
    const m = got.Messages![0]!;
    expect(m.Body).toBe('{"orderId":"o-1"}');
    expect(m.MessageId).toBe(sent.MessageId);
    expect(m.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(m.Attributes?.SentTimestamp).toBe(String(clock.t));
    expect(m.MessageAttributes?.kind?.StringValue).toBe('order');
    expect(m.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);

    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('1');
    expect(attrs.Attributes?.QueueArn).toBe('arn:aws:sqs:eu-west-1:000000000000:orders');

    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
    clock.advance(60);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages ?? []).toHaveLength(0);
    expect(queues.counts('orders')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('batches sends, honours DelaySeconds and purges', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'batch' }));
    const r = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'A' },
          { Id: 'b', MessageBody: 'B', DelaySeconds: 5 },
        ],
      }),
    );
    expect(r.Successful?.map((s) => s.Id).sort()).toEqual(['a', 'b']);
    expect(queues.counts('batch')).toEqual({ visible: 1, inFlight: 0, delayed: 1 });
    clock.advance(5);
    expect(queues.counts('batch').visible).toBe(2);
    await sqs.send(new PurgeQueueCommand({ QueueUrl }));
    expect(queues.counts('batch').visible).toBe(0);
  });

  it('makes an unacknowledged message reappear after the visibility timeout', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'vis', Attributes: { VisibilityTimeout: '30' } }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(first.Messages).toHaveLength(1);

    clock.advance(29);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages ?? []).toHaveLength(0);
    clock.advance(1);
    const again = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['All'] }),
    );
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(again.Messages?.[0]?.ReceiptHandle).not.toBe(first.Messages?.[0]?.ReceiptHandle);

    // A per-receive VisibilityTimeout override and ChangeMessageVisibility.
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: again.Messages![0]!.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const third = await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 5 }));
    expect(third.Messages).toHaveLength(1);
    clock.advance(5);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toHaveLength(1);
  });

  it('rejects a stale receipt handle with ReceiptHandleIsInvalid', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'stale' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
    const first = (await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages![0]!;
    clock.advance(30);
    const second = (await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages![0]!;

    await expect(
      sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle })),
    ).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid', $metadata: { httpStatusCode: 400 } });
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: second.ReceiptHandle }));
  });

  it('reports a missing queue as QueueDoesNotExist', async () => {
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
  });

  it('moves a message received more than maxReceiveCount times to the DLQ on the next receive', async () => {
    const { url, dlqUrl } = await createWithDlq('work', 3);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    for (let i = 1; i <= 3; i++) {
      const r = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['All'] }),
      );
      expect(r.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe(String(i));
      clock.advance(30);
    }
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? []).toHaveLength(0);
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl }));
    expect(dead.Messages?.[0]?.Body).toBe('poison');
  });

  it('long polling returns as soon as a message arrives', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'long' }));
    const started = Date.now();
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
    await new Promise((r) => setTimeout(r, 100));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'late' }));
    const r = await polling;
    expect(r.Messages?.[0]?.Body).toBe('late');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('long polling returns empty after its wait when nothing arrives', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'empty' }));
    const started = Date.now();
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(r.Messages ?? []).toHaveLength(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('event source mapping: 2 of 5 fail → only those come back, then reach the DLQ', async () => {
    await createWithDlq('esm', 2);
    const bodies = ['m0', 'm1', 'm2', 'm3', 'm4'];
    for (const b of bodies) queues.send('esm', { body: b });
    const seen: string[][] = [];
    const esm = new EventSourceMapping({
      queues,
      queueName: 'esm',
      batchSize: 10,
      reportBatchItemFailures: true,
      handler: async (event) => {
        seen.push(event.Records.map((r) => r.body));
        const rec = event.Records[0]!;
        expect(rec).toMatchObject({
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:esm',
          awsRegion: 'eu-west-1',
        });
        expect(rec.attributes.ApproximateReceiveCount).toMatch(/^\d+$/);
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'm1' || r.body === 'm3').map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      },
    });
    expect(await esm.poll()).toEqual({ received: 5, deleted: 3, failed: 2, batchFailed: false });
    expect(await esm.poll()).toMatchObject({ received: 0 });
    clock.advance(30);
    expect(await esm.poll()).toEqual({ received: 2, deleted: 0, failed: 2, batchFailed: false });
    expect(seen[1]!.sort()).toEqual(['m1', 'm3']);
    clock.advance(30);
    expect(await esm.poll()).toMatchObject({ received: 0 });
    expect(queues.counts('esm')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(
      queues
        .receiveNow('esm-dlq', { maxNumberOfMessages: 10 })
        .map((m) => m.body)
        .sort(),
    ).toEqual(['m1', 'm3']);
  });

  it('event source mapping: a throw or an unknown itemIdentifier fails the whole batch', async () => {
    queues.createQueue('whole', { visibilityTimeout: 10 });
    for (const b of ['a', 'b', 'c']) queues.send('whole', { body: b });
    let mode: 'throw' | 'unknown' | 'ok' = 'throw';
    const esm = new EventSourceMapping({
      queues,
      queueName: 'whole',
      batchSize: 3,
      reportBatchItemFailures: true,
      handler: async () => {
        if (mode === 'throw') throw new Error('boom');
        if (mode === 'unknown') return { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] };
        return { batchItemFailures: [] };
      },
    });
    expect(await esm.poll()).toMatchObject({ received: 3, deleted: 0, batchFailed: true });
    clock.advance(10);
    mode = 'unknown';
    expect(await esm.poll()).toMatchObject({ received: 3, deleted: 0, batchFailed: true });
    clock.advance(10);
    mode = 'ok';
    expect(await esm.poll()).toMatchObject({ received: 3, deleted: 3, batchFailed: false });
  });

  it('event source mapping: start polls in the background and stop awaits the in-flight batch', async () => {
    queues.createQueue('bg');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handled: string[] = [];
    const esm = new EventSourceMapping({
      queues,
      queueName: 'bg',
      batchSize: 5,
      waitTimeSeconds: 1,
      handler: async (event) => {
        await gate;
        handled.push(...event.Records.map((r) => r.body));
      },
    });
    esm.start();
    queues.send('bg', { body: 'one' });
    const deadline = Date.now() + 10_000;
    while (queues.counts('bg').inFlight === 0) {
      if (Date.now() > deadline) throw new Error('the background poll never received the message');
      await new Promise((r) => setTimeout(r, 10));
    }
    const stopping = esm.stop();
    release();
    await stopping;
    expect(handled).toEqual(['one']);
    expect(queues.counts('bg')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});

describe('local SQS persistence and retention', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'meridian-sqs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps messages, receive counts and in-flight state across a restart from the store', () => {
    const clock = new ManualClock();
    const before = new SqsQueues({ clock, store: new FileSqsStore(dir) });
    before.createQueue('dlq');
    before.createQueue('q', {
      visibilityTimeout: 30,
      redrivePolicy: { deadLetterTargetArn: before.arnOf('dlq'), maxReceiveCount: 5 },
    });
    before.send('q', { body: 'kept' });
    before.send('q', { body: 'in-flight' });
    const [first] = before.receiveNow('q');
    expect(first?.body).toBe('kept');

    const after = new SqsQueues({ clock, store: new FileSqsStore(dir) });
    expect(after.listQueues()).toEqual(['dlq', 'q']);
    expect(after.queueConfig('q').redrivePolicy?.maxReceiveCount).toBe(5);
    expect(after.counts('q')).toEqual({ visible: 1, inFlight: 1, delayed: 0 });
    after.deleteMessage('q', first!.receiptHandle);
    const [next] = after.receiveNow('q');
    expect(next?.body).toBe('in-flight');
  });

  it('drops messages older than the retention period', () => {
    const clock = new ManualClock();
    const queues = new SqsQueues({ clock });
    queues.createQueue('short', { messageRetentionPeriod: 60 });
    queues.send('short', { body: 'old' });
    clock.advance(59);
    expect(queues.counts('short').visible).toBe(1);
    clock.advance(1);
    expect(queues.counts('short').visible).toBe(0);
    expect(queues.receiveNow('short')).toEqual([]);
  });

  it('divides visibility timeouts by the time scale while keeping the attribute as configured', () => {
    const clock = new ManualClock();
    const queues = new SqsQueues({ clock, timeScale: 10 });
    queues.createQueue('scaled', { visibilityTimeout: 30 });
    queues.send('scaled', { body: 'again' });
    expect(queues.receiveNow('scaled')).toHaveLength(1);

    clock.advance(2.9);
    expect(queues.receiveNow('scaled')).toEqual([]);
    clock.advance(0.1);
    const [again] = queues.receiveNow('scaled');

    expect(again?.body).toBe('again');
    expect(queues.queueConfig('scaled').visibilityTimeout).toBe(30);
  });
});
