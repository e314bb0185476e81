/** The counters `meridian bench` reads: DynamoDB request units and SQS message/request counts. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TableModel } from '../../../local/assembly/model';
import { RegionalDynamo } from '../../../local/dynamodb';
import { SqsQueues } from '../../../local/sqs';

const TABLE: TableModel = {
  logicalId: 'orders',
  tableName: 'orders',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: 'gsi1',
      partitionKey: { name: 'gsi1pk', type: 'S' },
      sortKey: { name: 'gsi1sk', type: 'S' },
      projection: 'ALL',
    },
  ],
  replicaRegions: ['us-east-1', 'eu-west-1'],
  stackName: 'global',
};

describe('RegionalDynamo request-unit counters', () => {
  let dynamo: RegionalDynamo;
  let doc: DynamoDBDocumentClient;

  beforeEach(async () => {
    dynamo = await RegionalDynamo.start({ region: 'us-east-1', tables: [TABLE] });
    doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: dynamo.endpoint,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      }),
    );
  });

  afterEach(async () => {
    doc.destroy();
    await dynamo.close();
  });

  it('starts at zero', () => {
    expect(dynamo.stats()).toMatchObject({ writeUnits: 0, replicatedWriteUnits: 0, reads: 0, readUnits: 0 });
  });

  it('bills a write by item size in 1 KB steps, plus each GSI the item is in', async () => {
    await doc.send(new PutCommand({ TableName: 'orders', Item: { pk: 'A', sk: 'X', v: 'small' } }));
    expect(dynamo.stats()).toMatchObject({ writes: 1, writeUnits: 1 });

    // ~1.5 KB, in the GSI: 2 units for the table and 2 for the index.
    const big = 'x'.repeat(1500);
    await doc.send(
      new PutCommand({ TableName: 'orders', Item: { pk: 'B', sk: 'X', gsi1pk: 'G', gsi1sk: '1', big } }),
    );
    expect(dynamo.stats()).toMatchObject({ writes: 2, writeUnits: 1 + 4 });

    await doc.send(new DeleteCommand({ TableName: 'orders', Key: { pk: 'A', sk: 'X' } }));
    expect(dynamo.stats()).toMatchObject({ writes: 3, writeUnits: 1 + 4 + 1 });
  });

  it('does not count a failed conditional write', async () => {
    await doc.send(new PutCommand({ TableName: 'orders', Item: { pk: 'A', sk: 'X' } }));
    await expect(
      doc.send(
        new PutCommand({
          TableName: 'orders',
          Item: { pk: 'A', sk: 'X' },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    ).rejects.toThrow();
    expect(dynamo.stats()).toMatchObject({ writes: 1, writeUnits: 1 });
  });

  it('counts reads: consistent ones a full unit per 4 KB, eventually consistent ones half', async () => {
    await doc.send(
      new PutCommand({ TableName: 'orders', Item: { pk: 'A', sk: 'X', gsi1pk: 'G', gsi1sk: '1' } }),
    );
    await doc.send(new GetCommand({ TableName: 'orders', Key: { pk: 'A', sk: 'X' }, ConsistentRead: true }));
    expect(dynamo.stats()).toMatchObject({ reads: 1, readUnits: 1 });
    await doc.send(new GetCommand({ TableName: 'orders', Key: { pk: 'A', sk: 'X' } }));
    expect(dynamo.stats()).toMatchObject({ reads: 2, readUnits: 1.5 });
    await doc.send(
      new QueryCommand({
        TableName: 'orders',
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :g',
        ExpressionAttributeValues: { ':g': 'G' },
      }),
    );
    expect(dynamo.stats()).toMatchObject({ reads: 3, readUnits: 2 });
  });

  it('counts one read per key of a BatchGetItem', async () => {
    await doc.send(
      new BatchGetCommand({
        RequestItems: {
          orders: {
            Keys: [
              { pk: 'A', sk: 'X' },
              { pk: 'B', sk: 'X' },
            ],
            ConsistentRead: true,
          },
        },
      }),
    );
    expect(dynamo.stats()).toMatchObject({ reads: 2, readUnits: 2 });
  });

  it('counts a failed read as nothing', async () => {
    await expect(
      doc.send(new GetCommand({ TableName: 'missing', Key: { pk: 'A', sk: 'X' } })),
    ).rejects.toThrow();
    expect(dynamo.stats()).toMatchObject({ reads: 0, readUnits: 0 });
  });

  it('bills an applied replicated change as replicated write units, a stale one not at all', async () => {
    const image = { pk: { S: 'R' }, sk: { S: 'X' }, gsi1pk: { S: 'G' }, gsi1sk: { S: '2' } };
    const change = { table: 'orders', key: { pk: { S: 'R' }, sk: { S: 'X' } }, image, origin: 'eu-west-1' };
    await expect(dynamo.apply({ ...change, ts: Date.now() + 60_000 })).resolves.toBe('applied');
    expect(dynamo.stats()).toMatchObject({ replicatedApplied: 1, replicatedWriteUnits: 2, writeUnits: 0 });
    await expect(dynamo.apply({ ...change, ts: 1 })).resolves.toBe('stale');
    expect(dynamo.stats()).toMatchObject({ replicatedApplied: 1, replicatedWriteUnits: 2 });
  });
});

describe('SqsQueues counters', () => {
  it('counts messages sent, received and deleted, and receive requests', async () => {
    const queues = new SqsQueues({ pollIntervalMs: 5 });
    queues.createQueue('q');
    queues.send('q', { body: 'a' });
    queues.send('q', { body: 'b' });
    const got = queues.receiveNow('q', { maxNumberOfMessages: 10 });
    expect(got).toHaveLength(2);
    queues.deleteMessage('q', got[0]!.receiptHandle);
    expect(queues.stats()).toEqual({ sent: 2, receiveRequests: 1, received: 2, deleted: 1 });
  });

  it('counts an empty receive as a request, and a long poll once however often it looks', async () => {
    const queues = new SqsQueues({ pollIntervalMs: 5 });
    queues.createQueue('q');
    expect(queues.receiveNow('q')).toEqual([]);
    const polling = queues.receive('q', { waitTimeSeconds: 1 });
    setTimeout(() => queues.send('q', { body: 'late' }), 50);
    expect(await polling).toHaveLength(1);
    expect(queues.stats()).toEqual({ sent: 1, receiveRequests: 2, received: 1, deleted: 0 });
  });
});
