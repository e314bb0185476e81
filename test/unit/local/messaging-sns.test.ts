import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetTopicAttributesCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import type { TopicModel } from '../../../local/assembly';
import { listOutbox, snsServer, type LocalEndpoint, type SnsOutboxMessage } from '../../../local/messaging';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const topic = (name: string, subscriptions: TopicModel['subscriptions'] = []): TopicModel => ({
  logicalId: name,
  name,
  arn: `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`,
  subscriptions,
});

describe('local SNS over the real SDK client', () => {
  let outbox: string;
  let server: LocalEndpoint;
  let sns: SNSClient;
  let delivered: { endpoint: string; message: SnsOutboxMessage }[];
  const customer = topic('MessagingCustomerTopicB6A6560F', [
    {
      logicalId: 'Sub1',
      protocol: 'lambda',
      endpoint: 'arn:aws:lambda:us-east-1:111111111111:function:notify',
    },
  ]);
  const ops = topic('MessagingOpsTopicEFE23FFC');

  beforeEach(async () => {
    outbox = mkdtempSync(join(tmpdir(), 'sns-outbox-'));
    delivered = [];
    server = await snsServer({
      region: REGION,
      accountId: ACCOUNT,
      topics: [customer, ops],
      outboxDir: outbox,
      deliver: async (subscription, message) => {
        delivered.push({ endpoint: subscription.endpoint, message });
      },
    });
    sns = new SNSClient({
      endpoint: server.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    sns.destroy();
    await server.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  it('publishes a message with subject and attributes into one outbox file, and delivers it', async () => {
    const out = await sns.send(
      new PublishCommand({
        TopicArn: customer.arn,
        Subject: 'Your order o-1 is confirmed',
        Message: 'Hello & welcome <b>ünïcode</b> ✓',
        MessageAttributes: {
          template: { DataType: 'String', StringValue: 'order-confirmed' },
          amount: { DataType: 'Number', StringValue: '12.50' },
          blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 255]) },
          tags: { DataType: 'String.Array', StringValue: '["a", 1, true]' },
        },
      }),
    );
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);

    const files = readdirSync(outbox);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(
      new RegExp(`^sns-${customer.name}-\\d{8}T\\d{9}Z-\\d{8}-${out.MessageId}\\.json$`),
    );
    const stored = JSON.parse(readFileSync(join(outbox, files[0]!), 'utf8')) as SnsOutboxMessage;
    expect(stored).toEqual({
      kind: 'sns',
      topicArn: customer.arn,
      topicName: customer.name,
      subject: 'Your order o-1 is confirmed',
      message: 'Hello & welcome <b>ünïcode</b> ✓',
      messageAttributes: {
        template: { Type: 'String', Value: 'order-confirmed' },
        amount: { Type: 'Number', Value: '12.50' },
        blob: { Type: 'Binary', Value: Buffer.from([1, 2, 255]).toString('base64') },
        tags: { Type: 'String.Array', Value: '["a", 1, true]' },
      },
      messageId: out.MessageId,
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    await new Promise((r) => setImmediate(r));
    expect(delivered).toEqual([{ endpoint: customer.subscriptions[0]!.endpoint, message: stored }]);
  });

  it('answers NotFound (404) for an unknown topic and InvalidParameter for a malformed ARN', async () => {
    const unknown = sns.send(
      new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:nope`, Message: 'x' }),
    );
    await expect(unknown).rejects.toMatchObject({
      name: 'NotFoundException',
      message: 'Topic does not exist',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      sns.send(new PublishCommand({ TopicArn: 'not-an-arn', Message: 'x' })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'Invalid parameter: TopicArn',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(sns.send(new PublishCommand({ Message: 'x' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    expect(listOutbox(outbox)).toEqual([]);
  });

  it('rejects a missing, empty or too-long message and bad subjects with InvalidParameter', async () => {
    const reject = async (
      input: Partial<ConstructorParameters<typeof PublishCommand>[0]>,
      message: string,
    ) => {
      await expect(
        sns.send(
          new PublishCommand({ TopicArn: ops.arn, ...input } as ConstructorParameters<
            typeof PublishCommand
          >[0]),
        ),
      ).rejects.toMatchObject({
        name: 'InvalidParameterException',
        message,
        $metadata: { httpStatusCode: 400 },
      });
    };
    await reject({}, 'Invalid parameter: Empty message');
    await reject({ Message: '' }, 'Invalid parameter: Empty message');
    await reject({ Message: 'x'.repeat(262_145) }, 'Invalid parameter: Message too long');
    await reject(
      {
        Message: 'x'.repeat(262_140),
        MessageAttributes: { a: { DataType: 'String', StringValue: 'long-enough' } },
      },
      'Invalid parameter: Message too long',
    );
    await reject({ Message: 'm', Subject: 'line\nbreak' }, 'Invalid parameter: Subject');
    await reject({ Message: 'm', Subject: ' leading space' }, 'Invalid parameter: Subject');
    await reject({ Message: 'm', Subject: 's'.repeat(100) }, 'Invalid parameter: Subject');
    await reject({ Message: 'm', Subject: 'nön-ascii' }, 'Invalid parameter: Subject');
    await reject(
      { Message: 'm', MessageAttributes: { n: { DataType: 'Number', StringValue: 'abc' } } },
      "Invalid parameter: MessageAttributes. Reason: Could not cast message attribute 'n' value to number.",
    );
    await reject(
      { Message: 'm', MessageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'v' } } },
      "Invalid parameter: MessageAttributes. Reason: Message attribute name 'AWS.x' is invalid.",
    );
    await reject(
      { Message: '{"email":"x"}', MessageStructure: 'json' },
      'Invalid parameter: Message Structure - No default entry in JSON message body',
    );
    // A message exactly at the limit is accepted.
    await sns.send(
      new PublishCommand({
        TopicArn: ops.arn,
        Message: 'y'.repeat(262_144),
        Subject: 'S 99 chars'.padEnd(99, '.'),
      }),
    );
    expect(listOutbox(outbox)).toHaveLength(1);
  });

  it('publishes a batch, reporting per-entry failures, and validates the batch itself', async () => {
    const out = await sns.send(
      new PublishBatchCommand({
        TopicArn: ops.arn,
        PublishBatchRequestEntries: [
          {
            Id: 'a',
            Message: 'first',
            Subject: 'one',
            MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
          },
          { Id: 'b', Message: '' },
          { Id: 'c', Message: 'third' },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['a', 'c']);
    expect(out.Successful?.every((s) => /^[0-9a-f-]{36}$/.test(s.MessageId ?? ''))).toBe(true);
    expect(out.Failed).toEqual([
      { Id: 'b', Code: 'InvalidParameter', Message: 'Invalid parameter: Empty message', SenderFault: true },
    ]);
    const listed = listOutbox(outbox);
    expect(listed.map((m) => (m.kind === 'sns' ? m.message : ''))).toEqual(['first', 'third']);
    expect(listed[0]).toMatchObject({
      subject: 'one',
      messageAttributes: { k: { Type: 'String', Value: 'v' } },
    });

    await expect(
      sns.send(new PublishBatchCommand({ TopicArn: ops.arn, PublishBatchRequestEntries: [] })),
    ).rejects.toMatchObject({ name: 'EmptyBatchRequestException' });
    await expect(
      sns.send(
        new PublishBatchCommand({
          TopicArn: ops.arn,
          PublishBatchRequestEntries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: 'm' })),
        }),
      ),
    ).rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequestException' });
    await expect(
      sns.send(
        new PublishBatchCommand({
          TopicArn: ops.arn,
          PublishBatchRequestEntries: [
            { Id: 'same', Message: 'm' },
            { Id: 'same', Message: 'n' },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'BatchEntryIdsNotDistinctException' });
  });

  it('lists topics and reads topic attributes', async () => {
    const topics = await sns.send(new ListTopicsCommand({}));
    expect(topics.Topics?.map((t) => t.TopicArn)).toEqual([customer.arn, ops.arn]);
    expect(topics.NextToken).toBeUndefined();
    const attrs = await sns.send(new GetTopicAttributesCommand({ TopicArn: customer.arn }));
    expect(attrs.Attributes).toMatchObject({
      TopicArn: customer.arn,
      Owner: ACCOUNT,
      SubscriptionsConfirmed: '1',
      SubscriptionsPending: '0',
    });
    expect(JSON.parse(attrs.Attributes!.Policy!)).toMatchObject({ Statement: [{ Resource: customer.arn }] });
    await expect(
      sns.send(new GetTopicAttributesCommand({ TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:gone` })),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
  });

  it('answers XML errors for unknown and missing actions, and survives garbage bodies', async () => {
    const post = (body: string) =>
      fetch(server.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    const unknown = await post('Action=DeleteEverything&Version=2010-03-31');
    expect(unknown.status).toBe(400);
    const xml = await unknown.text();
    expect(xml).toMatch(
      /^<ErrorResponse xmlns="http:\/\/sns\.amazonaws\.com\/doc\/2010-03-31\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code>/,
    );
    expect(xml).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
    expect((await post('%%%&&==')).status).toBe(400);
    const raw = await post(`Action=Publish&TopicArn=${encodeURIComponent(ops.arn)}&Message=hi`);
    expect(raw.status).toBe(200);
    expect(await raw.text()).toMatch(
      /^<PublishResponse xmlns="http:\/\/sns\.amazonaws\.com\/doc\/2010-03-31\/"><PublishResult><MessageId>[0-9a-f-]{36}<\/MessageId><\/PublishResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/PublishResponse>$/,
    );
  });

  it('logs a failed delivery without failing the publish', async () => {
    await server.close();
    const lines: string[] = [];
    server = await snsServer({
      region: REGION,
      accountId: ACCOUNT,
      topics: [customer],
      outboxDir: outbox,
      deliver: () => {
        throw new Error('subscriber down');
      },
      log: (l) => lines.push(l),
    });
    sns.destroy();
    sns = new SNSClient({
      endpoint: server.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    await sns.send(new PublishCommand({ TopicArn: customer.arn, Message: 'still stored' }));
    await new Promise((r) => setTimeout(r, 20));
    expect(lines.some((l) => l.includes('subscriber down'))).toBe(true);
    expect(listOutbox(outbox)).toHaveLength(1);
  });
});

describe('listOutbox', () => {
  it('returns parsed messages oldest first, skipping temp and foreign files, [] for a missing dir', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    try {
      const sns = (id: string, timestamp: string) => ({
        kind: 'sns',
        topicArn: 'arn',
        topicName: 't',
        message: id,
        messageAttributes: {},
        messageId: id,
        timestamp,
      });
      writeFileSync(join(dir, 'sns-t-2-b.json'), JSON.stringify(sns('b', '2024-01-01T00:00:02.000Z')));
      writeFileSync(join(dir, 'sns-t-1-a.json'), JSON.stringify(sns('a', '2024-01-01T00:00:01.000Z')));
      writeFileSync(
        join(dir, 'ses-3-c.json'),
        JSON.stringify({ kind: 'ses', messageId: 'c', timestamp: '2024-01-01T00:00:01.500Z', to: [] }),
      );
      writeFileSync(join(dir, '.sns-t-0-x.json.123.tmp'), '{"kind":"sns"');
      writeFileSync(join(dir, 'sns-broken.json'), '{not json');
      writeFileSync(join(dir, 'notes.txt'), 'hello');
      expect(listOutbox(dir).map((m) => [m.kind, m.messageId, m.file])).toEqual([
        ['sns', 'a', join(dir, 'sns-t-1-a.json')],
        ['ses', 'c', join(dir, 'ses-3-c.json')],
        ['sns', 'b', join(dir, 'sns-t-2-b.json')],
      ]);
      expect(listOutbox(join(dir, 'missing'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
