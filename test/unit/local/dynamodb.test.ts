import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TableModel } from '../../../local/assembly/model';
import { RegionalDynamo, REPLICATION_TABLE, type ReplicationChange } from '../../../local/dynamodb';
import { LINK_PATH, LinkReceiver, linkRequestListener, PeerLinks } from '../../../local/link';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

function tableModel(name: string, overrides: Partial<TableModel> = {}): TableModel {
  return {
    logicalId: name,
    tableName: name,
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
    ttlAttribute: 'expiresAt',
    replicaRegions: ['eu-west-1', 'us-east-1'],
    stackName: 'global',
    ...overrides,
  };
}

const ORDERS = tableModel('orders');
const COUNTERS = tableModel('counters', {
  partitionKey: { name: 'id', type: 'N' },
  sortKey: undefined,
  globalSecondaryIndexes: [],
  ttlAttribute: undefined,
});

class ManualClock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
}

async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function rawPost(
  endpoint: string,
  target: string | undefined,
  body: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      endpoint,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          ...(target !== undefined && { 'x-amz-target': target }),
          authorization:
            'AWS4-HMAC-SHA256 Credential=x/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
          'x-amz-date': '20200101T000000Z',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('RegionalDynamo', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'meridian-ddb-'));
    cleanups.push(() => rmSync(d, { recursive: true, force: true }));
    return d;
  };
  const start = async (
    opts: Partial<Parameters<typeof RegionalDynamo.start>[0]> = {},
  ): Promise<{
    ddb: RegionalDynamo;
    client: DynamoDBClient;
    doc: DynamoDBDocumentClient;
    changes: ReplicationChange[];
  }> => {
    const ddb = await RegionalDynamo.start({ region: 'eu-west-1', tables: [ORDERS, COUNTERS], ...opts });
    const client = new DynamoDBClient({
      region: ddb.region,
      endpoint: ddb.endpoint,
      credentials,
      maxAttempts: 1,
    });
    const doc = DynamoDBDocumentClient.from(client);
    const changes: ReplicationChange[] = [];
    ddb.onChange((c) => changes.push(c));
    cleanups.push(async () => {
      client.destroy();
      await ddb.close();
    });
    return { ddb, client, doc, changes };
  };

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("creates the model's tables with their indexes and TTL, and hides its own table", async () => {
    const { client } = await start();

    const tables = await client.send(new ListTablesCommand({}));
    expect(tables.TableNames).toEqual(['counters', 'orders']);
    const orders = await client.send(new DescribeTableCommand({ TableName: 'orders' }));
    expect(orders.Table?.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: 'gsi1',
      Projection: { ProjectionType: 'ALL' },
    });
    expect(
      (await client.send(new DescribeTimeToLiveCommand({ TableName: 'orders' }))).TimeToLiveDescription,
    ).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    expect(
      (await client.send(new DescribeTimeToLiveCommand({ TableName: 'counters' }))).TimeToLiveDescription,
    ).toEqual({ TimeToLiveStatus: 'DISABLED' });
    await expect(
      client.send(new DescribeTableCommand({ TableName: REPLICATION_TABLE })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(client.send(new ScanCommand({ TableName: REPLICATION_TABLE }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('serves CRUD, queries and batches through the DocumentClient', async () => {
    const { doc } = await start();

    await doc.send(
      new PutCommand({
        TableName: 'orders',
        Item: { pk: 'O#1', sk: 'ORDER', gsi1pk: 'C#1', gsi1sk: '1', n: 1 },
      }),
    );
    await doc.send(
      new BatchWriteCommand({
        RequestItems: {
          orders: [
            { PutRequest: { Item: { pk: 'O#2', sk: 'ORDER', gsi1pk: 'C#1', gsi1sk: '2', n: 2 } } },
            { PutRequest: { Item: { pk: 'O#3', sk: 'ORDER', gsi1pk: 'C#2', gsi1sk: '3', n: 3 } } },
          ],
        },
      }),
    );
    await doc.send(
      new UpdateCommand({
        TableName: 'orders',
        Key: { pk: 'O#1', sk: 'ORDER' },
        UpdateExpression: 'ADD n :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );

    expect(
      (await doc.send(new GetCommand({ TableName: 'orders', Key: { pk: 'O#1', sk: 'ORDER' } }))).Item,
    ).toEqual({
      pk: 'O#1',
      sk: 'ORDER',
      gsi1pk: 'C#1',
      gsi1sk: '1',
      n: 2,
    });
    const byCustomer = await doc.send(
      new QueryCommand({
        TableName: 'orders',
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :c',
        ExpressionAttributeValues: { ':c': 'C#1' },
      }),
    );
    expect(byCustomer.Items?.map((i) => i.pk)).toEqual(['O#1', 'O#2']);
    await doc.send(new DeleteCommand({ TableName: 'orders', Key: { pk: 'O#2', sk: 'ORDER' } }));
    const batch = await doc.send(
      new BatchGetCommand({
        RequestItems: {
          orders: {
            Keys: [
              { pk: 'O#1', sk: 'ORDER' },
              { pk: 'O#2', sk: 'ORDER' },
              { pk: 'O#3', sk: 'ORDER' },
            ],
          },
        },
      }),
    );
    expect(batch.Responses?.orders?.map((i) => i.pk).sort()).toEqual(['O#1', 'O#3']);
  });

  it('relays the ReturnValues answers and conditional failures as DynamoDB gives them', async () => {
    const { doc } = await start();
    const Key = { pk: 'O#1', sk: 'ORDER' };

    expect(
      (
        await doc.send(
          new PutCommand({ TableName: 'orders', Item: { ...Key, v: 1 }, ReturnValues: 'ALL_OLD' }),
        )
      ).Attributes,
    ).toBeUndefined();
    expect(
      (
        await doc.send(
          new PutCommand({ TableName: 'orders', Item: { ...Key, v: 2, w: 'a' }, ReturnValues: 'ALL_OLD' }),
        )
      ).Attributes,
    ).toEqual({ ...Key, v: 1 });
    const update = (ReturnValues: 'ALL_NEW' | 'UPDATED_OLD' | 'UPDATED_NEW' | 'ALL_OLD') =>
      doc.send(
        new UpdateCommand({
          TableName: 'orders',
          Key,
          UpdateExpression: 'SET v = v + :one',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues,
        }),
      );
    expect((await update('UPDATED_OLD')).Attributes).toEqual({ v: 2 });
    expect((await update('UPDATED_NEW')).Attributes).toEqual({ v: 4 });
    expect((await update('ALL_NEW')).Attributes).toEqual({ ...Key, v: 5, w: 'a' });
    expect((await update('ALL_OLD')).Attributes).toEqual({ ...Key, v: 5, w: 'a' });
    expect(
      (await doc.send(new DeleteCommand({ TableName: 'orders', Key, ReturnValues: 'ALL_OLD' }))).Attributes,
    ).toEqual({ ...Key, v: 6, w: 'a' });
    await expect(
      doc.send(new DeleteCommand({ TableName: 'orders', Key, ConditionExpression: 'attribute_exists(pk)' })),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it('captures every committed write as a change with the item after it, and nothing for a failed one', async () => {
    const { doc, ddb, changes } = await start();
    const Key = { pk: 'O#1', sk: 'ORDER' };

    await doc.send(new PutCommand({ TableName: 'orders', Item: { ...Key, status: 'NEW' } }));
    await doc.send(
      new UpdateCommand({
        TableName: 'orders',
        Key,
        UpdateExpression: 'SET #s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': 'PAID' },
      }),
    );
    await expect(
      doc.send(
        new PutCommand({ TableName: 'orders', Item: Key, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await doc.send(new DeleteCommand({ TableName: 'orders', Key }));
    await doc.send(
      new BatchWriteCommand({
        RequestItems: {
          orders: [{ PutRequest: { Item: { pk: 'O#2', sk: 'ORDER' } } }, { DeleteRequest: { Key } }],
          counters: [{ PutRequest: { Item: { id: 7, hits: 1 } } }],
        },
      }),
    );

    expect(changes.map((c) => [c.table, c.key, c.image])).toEqual([
      [
        'orders',
        { pk: { S: 'O#1' }, sk: { S: 'ORDER' } },
        { pk: { S: 'O#1' }, sk: { S: 'ORDER' }, status: { S: 'NEW' } },
      ],
      [
        'orders',
        { pk: { S: 'O#1' }, sk: { S: 'ORDER' } },
        { pk: { S: 'O#1' }, sk: { S: 'ORDER' }, status: { S: 'PAID' } },
      ],
      ['orders', { pk: { S: 'O#1' }, sk: { S: 'ORDER' } }, undefined],
      ['orders', { pk: { S: 'O#2' }, sk: { S: 'ORDER' } }, { pk: { S: 'O#2' }, sk: { S: 'ORDER' } }],
      ['orders', { pk: { S: 'O#1' }, sk: { S: 'ORDER' } }, undefined],
      ['counters', { id: { N: '7' } }, { id: { N: '7' }, hits: { N: '1' } }],
    ]);
    expect(changes.every((c) => c.origin === 'eu-west-1')).toBe(true);
    for (let i = 1; i < changes.length; i++) expect(changes[i]!.ts).toBeGreaterThan(changes[i - 1]!.ts);
    expect('image' in changes[2]!).toBe(false);
    expect(ddb.stats()).toMatchObject({ writes: 6, replicatedApplied: 0 });
  });

  it('emits the change before it replies: a failing listener turns the reply into a 500', async () => {
    const { doc, ddb, changes } = await start();
    await doc.send(new PutCommand({ TableName: 'orders', Item: { pk: 'A', sk: 'A' } }));
    expect(changes).toHaveLength(1); // already there when the reply arrives

    ddb.onChange(() => {
      throw new Error('outbox disk full');
    });
    await expect(
      doc.send(new PutCommand({ TableName: 'orders', Item: { pk: 'B', sk: 'B' } })),
    ).rejects.toMatchObject({
      name: 'InternalServerError',
      message: expect.stringContaining('outbox disk full'),
    });
  });

  describe('a write whose change was never emitted (the process died in between)', () => {
    /** Starts a region on `dir` whose first listener fails: dynalite keeps the write, no change leaves. */
    const interruptedWrite = async (dir: string): Promise<void> => {
      const { doc, ddb, client } = await start({ dir });
      await doc.send(new PutCommand({ TableName: 'orders', Item: { pk: 'A', sk: 'A', v: 1 } }));
      ddb.onChange(() => {
        throw new Error('killed before the outbox append');
      });
      await expect(
        doc.send(new PutCommand({ TableName: 'orders', Item: { pk: 'B', sk: 'B', v: 2 } })),
      ).rejects.toMatchObject({ name: 'InternalServerError' });
      client.destroy();
      await ddb.close();
    };

    it('is emitted again at the next start, with the version it was stamped with', async () => {
      const dir = tmp();
      await interruptedWrite(dir);

      const { ddb, changes } = await start({ dir });
      expect(await ddb.recoverInterruptedWrites()).toBe(1);

      expect(changes).toEqual([
        {
          table: 'orders',
          key: { pk: { S: 'B' }, sk: { S: 'B' } },
          image: { pk: { S: 'B' }, sk: { S: 'B' }, v: { N: '2' } },
          ts: expect.any(Number),
          origin: 'eu-west-1',
        },
      ]);
      const stamped = changes[0]!.ts;
      // The version survives: a peer's older change is stale, and nothing is left to redo next time.
      expect(await ddb.apply({ ...changes[0]!, ts: stamped - 1, origin: 'us-east-1' })).toBe('stale');
      await ddb.close();
      const again = await start({ dir });
      expect(await again.ddb.recoverInterruptedWrites()).toBe(0);
      expect(again.changes).toEqual([]);
    });

    it('is not emitted again once a newer version replaced the item', async () => {
      const dir = tmp();
      await interruptedWrite(dir);

      const { ddb, changes } = await start({ dir });
      await ddb.apply({
        table: 'orders',
        key: { pk: { S: 'B' }, sk: { S: 'B' } },
        image: { pk: { S: 'B' }, sk: { S: 'B' }, v: { N: '3' } },
        ts: Date.now() + 60_000,
        origin: 'us-east-1',
      });

      expect(await ddb.recoverInterruptedWrites()).toBe(0);
      expect(changes).toEqual([]);
    });

    it('leaves nothing to redo after writes that completed', async () => {
      const dir = tmp();
      const first = await start({ dir });
      await first.doc.send(new PutCommand({ TableName: 'orders', Item: { pk: 'A', sk: 'A' } }));
      await first.doc.send(new DeleteCommand({ TableName: 'orders', Key: { pk: 'A', sk: 'A' } }));
      await first.ddb.close();

      const { ddb, changes } = await start({ dir });
      expect(await ddb.recoverInterruptedWrites()).toBe(0);
      expect(changes).toEqual([]);
    });
  });

  it('treats equal numbers in a key as one item', async () => {
    const { client, changes } = await start();
    await client.send(
      new PutItemCommand({ TableName: 'counters', Item: { id: { N: '1.50' }, v: { S: 'a' } } }),
    );
    await client.send(
      new PutItemCommand({ TableName: 'counters', Item: { id: { N: '15e-1' }, v: { S: 'b' } } }),
    );
    const items = await client.send(new ScanCommand({ TableName: 'counters' }));
    expect(items.Items).toHaveLength(1);
    expect(changes.map((c) => c.image?.v)).toEqual([{ S: 'a' }, { S: 'b' }]);
  });

  it('applies a peer change last-writer-wins by (ts, origin), without emitting it', async () => {
    const { ddb, doc, changes } = await start({ region: 'us-east-1' });
    const key = { pk: { S: 'O#1' }, sk: { S: 'ORDER' } };
    const image = (v: string) => ({ ...key, v: { S: v } });
    const get = async () =>
      (await doc.send(new GetCommand({ TableName: 'orders', Key: { pk: 'O#1', sk: 'ORDER' } }))).Item?.v as
        string | undefined;

    expect(await ddb.apply({ table: 'orders', key, image: image('a@10'), ts: 10, origin: 'eu-west-1' })).toBe(
      'applied',
    );
    expect(await ddb.apply({ table: 'orders', key, image: image('b@9'), ts: 9, origin: 'zz-east-9' })).toBe(
      'stale',
    );
    expect(await get()).toBe('a@10');
    // A tie goes to the greater origin, whichever arrives first.
    expect(
      await ddb.apply({ table: 'orders', key, image: image('c@10'), ts: 10, origin: 'ap-south-1' }),
    ).toBe('stale');
    expect(await ddb.apply({ table: 'orders', key, image: image('d@10'), ts: 10, origin: 'sa-east-1' })).toBe(
      'applied',
    );
    expect(await get()).toBe('d@10');
    expect(await ddb.apply({ table: 'orders', key, ts: 11, origin: 'eu-west-1' })).toBe('applied');
    expect(await get()).toBeUndefined();
    expect(
      await ddb.apply({ table: 'orders', key, image: image('late'), ts: 10.5, origin: 'eu-west-1' }),
    ).toBe('stale');
    expect(await get()).toBeUndefined();
    expect(await ddb.apply({ table: 'missing', key, ts: 12, origin: 'eu-west-1' })).toBe('no-table');
    await expect(ddb.apply({ table: 'orders', key: { pk: { S: 'x' } }, ts: 1, origin: 'a' })).rejects.toThrow(
      /key schema/,
    );

    expect(changes).toHaveLength(0);
    expect(ddb.stats()).toMatchObject({ writes: 0, replicatedApplied: 3, replicatedStale: 3 });
  });

  it('stamps a local write after every version it has seen, so it wins everywhere', async () => {
    const clock = new ManualClock(1_000);
    const { ddb, doc, changes } = await start({ clock });
    const key = { pk: { S: 'K' }, sk: { S: 'K' } };
    // A peer's clock runs ahead of ours.
    await ddb.apply({
      table: 'orders',
      key,
      image: { ...key, v: { S: 'peer' } },
      ts: 5_000,
      origin: 'us-east-1',
    });

    await doc.send(new PutCommand({ TableName: 'orders', Item: { pk: 'K', sk: 'K', v: 'local' } }));

    expect(changes[0]!.ts).toBeGreaterThan(5_000);
    expect(
      await ddb.apply({
        table: 'orders',
        key,
        image: { ...key, v: { S: 'peer2' } },
        ts: 5_000,
        origin: 'zz',
      }),
    ).toBe('stale');
  });

  it('keeps items, versions and TTL settings across close and start with a dir', async () => {
    const dir = tmp();
    const clock = new ManualClock(1_000);
    const first = await RegionalDynamo.start({ region: 'eu-west-1', dir, tables: [ORDERS, COUNTERS], clock });
    const client1 = new DynamoDBClient({
      region: 'eu-west-1',
      endpoint: first.endpoint,
      credentials,
      maxAttempts: 1,
    });
    await DynamoDBDocumentClient.from(client1).send(
      new PutCommand({ TableName: 'orders', Item: { pk: 'P', sk: 'P', v: 1 } }),
    );
    await first.apply({
      table: 'orders',
      key: { pk: { S: 'Q' }, sk: { S: 'Q' } },
      image: { pk: { S: 'Q' }, sk: { S: 'Q' } },
      ts: 9_000,
      origin: 'us-east-1',
    });
    await client1.send(
      new UpdateTimeToLiveCommand({
        TableName: 'counters',
        TimeToLiveSpecification: { Enabled: true, AttributeName: 'until' },
      }),
    );
    client1.destroy();
    await first.close();

    const { ddb, client, changes } = await start({ dir, clock });
    expect(await ddb.scanAll('orders')).toEqual([
      { pk: { S: 'P' }, sk: { S: 'P' }, v: { N: '1' } },
      { pk: { S: 'Q' }, sk: { S: 'Q' } },
    ]);
    expect(
      await ddb.apply({
        table: 'orders',
        key: { pk: { S: 'Q' }, sk: { S: 'Q' } },
        ts: 8_999,
        origin: 'us-east-1',
      }),
    ).toBe('stale');
    expect(
      (await client.send(new DescribeTimeToLiveCommand({ TableName: 'counters' }))).TimeToLiveDescription,
    ).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'until' });
    await client.send(new PutItemCommand({ TableName: 'orders', Item: { pk: { S: 'R' }, sk: { S: 'R' } } }));
    expect(changes[0]!.ts).toBeGreaterThan(9_000); // the clock floor survived the restart
  });

  it('sweeps expired TTL items through the capture path and leaves the others', async () => {
    const clock = new ManualClock(2_000_000_000_000);
    const { ddb, doc, client, changes } = await start({ clock });
    const nowSec = clock.t / 1000;
    const put = (pk: string, expiresAt?: unknown) =>
      doc.send(
        new PutCommand({
          TableName: 'orders',
          Item: { pk, sk: 'S', ...(expiresAt !== undefined && { expiresAt }) },
        }),
      );
    await put('past', nowSec - 10);
    await put('future', nowSec + 3600);
    await put('string', String(nowSec - 10));
    await put('none');
    await put('ancient', nowSec - 6 * 365 * 24 * 3600);
    changes.length = 0;

    // Not yet swept: still readable, as on AWS.
    expect(
      (await doc.send(new GetCommand({ TableName: 'orders', Key: { pk: 'past', sk: 'S' } }))).Item,
    ).toBeDefined();
    expect(await ddb.sweepTtl()).toBe(1);

    const left = (await client.send(new ScanCommand({ TableName: 'orders' }))).Items?.map(
      (i) => i.pk?.S,
    ).sort();
    expect(left).toEqual(['ancient', 'future', 'none', 'string']);
    expect(changes).toEqual([
      {
        table: 'orders',
        key: { pk: { S: 'past' }, sk: { S: 'S' } },
        ts: expect.any(Number),
        origin: 'eu-west-1',
      },
    ]);
    expect(ddb.stats().ttlDeleted).toBe(1);

    clock.t += 7200 * 1000;
    expect(await ddb.sweepTtl()).toBe(1);
    expect(changes.at(-1)?.key).toEqual({ pk: { S: 'future' }, sk: { S: 'S' } });
  });

  it('sweeps on its own timer', async () => {
    const clock = new ManualClock(2_000_000_000_000);
    const { doc, changes } = await start({ clock, ttlSweepIntervalMs: 30 });
    await doc.send(
      new PutCommand({ TableName: 'orders', Item: { pk: 'p', sk: 's', expiresAt: clock.t / 1000 - 1 } }),
    );
    await waitFor(() => changes.length === 2, 'the TTL delete');
    expect(changes[1]!.image).toBeUndefined();
  });

  it('validates UpdateTimeToLive like DynamoDB', async () => {
    const { client } = await start();
    const update = (TableName: string, Enabled: boolean, AttributeName: string) =>
      client.send(
        new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { Enabled, AttributeName } }),
      );
    await expect(update('orders', true, 'expiresAt')).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'TimeToLive is already enabled',
    });
    await expect(update('nope', true, 'x')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect((await update('orders', false, 'expiresAt')).TimeToLiveSpecification).toEqual({
      Enabled: false,
      AttributeName: 'expiresAt',
    });
    expect(
      (await client.send(new DescribeTimeToLiveCommand({ TableName: 'orders' }))).TimeToLiveDescription,
    ).toEqual({ TimeToLiveStatus: 'DISABLED' });
  });

  it('answers malformed and unsupported requests with DynamoDB-shaped 400s and keeps serving', async () => {
    const { ddb, client, changes } = await start();

    const badJson = await rawPost(ddb.endpoint, 'DynamoDB_20120810.PutItem', '{"TableName":');
    expect(badJson.status).toBe(400);
    expect(badJson.body.__type).toBe('com.amazonaws.dynamodb.v20120810#SerializationException');
    const notObject = await rawPost(ddb.endpoint, 'DynamoDB_20120810.GetItem', '[1]');
    expect(notObject.body.__type).toBe('com.amazonaws.dynamodb.v20120810#SerializationException');
    const unknown = await rawPost(ddb.endpoint, 'DynamoDB_20120810.DropEverything', '{}');
    expect(unknown).toMatchObject({
      status: 400,
      body: { __type: 'com.amazonaws.dynamodb.v20120810#UnknownOperationException' },
    });
    const noTarget = await rawPost(ddb.endpoint, undefined, '{}');
    expect(noTarget.body.__type).toBe('com.amazonaws.dynamodb.v20120810#UnknownOperationException');
    const missingKey = await rawPost(
      ddb.endpoint,
      'DynamoDB_20120810.PutItem',
      JSON.stringify({ TableName: 'orders', Item: { pk: { S: 'only-pk' } } }),
    );
    expect(missingKey.status).toBe(400);
    expect(String(missingKey.body.__type)).toMatch(/ValidationException$/);
    const wrongShape = await rawPost(
      ddb.endpoint,
      'DynamoDB_20120810.BatchWriteItem',
      JSON.stringify({ RequestItems: { orders: 'nope' } }),
    );
    expect(wrongShape.status).toBe(400);
    await expect(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [{ Put: { TableName: 'orders', Item: { pk: { S: 'a' }, sk: { S: 'b' } } } }],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: expect.stringContaining('TransactWriteItems is not supported'),
    });

    expect(changes).toHaveLength(0);
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['counters', 'orders']);
  });
});

describe('Global Tables replication between two RegionalDynamo over PeerLinks', () => {
  interface Region {
    name: string;
    ddb: RegionalDynamo;
    links?: PeerLinks;
    receiver: LinkReceiver;
    server: Server;
    url: string;
    doc: DynamoDBDocumentClient;
    client: DynamoDBClient;
  }
  const regions: Region[] = [];

  const region = async (name: string): Promise<Region> => {
    const ddb = await RegionalDynamo.start({ region: name, tables: [ORDERS, COUNTERS] });
    const receiver = new LinkReceiver({
      handlers: { dynamodb: async (e) => void (await ddb.apply(e.payload as ReplicationChange)) },
    });
    const listener = linkRequestListener(receiver);
    const server = createServer((req, res) =>
      req.url === LINK_PATH ? listener(req, res) : res.writeHead(404).end(),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const client = new DynamoDBClient({ region: name, endpoint: ddb.endpoint, credentials, maxAttempts: 1 });
    const r: Region = {
      name,
      ddb,
      receiver,
      server,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      client,
      doc: DynamoDBDocumentClient.from(client),
    };
    regions.push(r);
    return r;
  };

  const wire = (from: Region, to: Region, lagMs: number): void => {
    from.links = new PeerLinks({
      self: from.name,
      peers: [{ region: to.name, url: to.url }],
      lagMs,
      retryMinMs: 20,
    });
    const links = from.links;
    from.ddb.onChange((c) => links.append('dynamodb', c));
  };

  afterEach(async () => {
    for (const r of regions.splice(0)) {
      r.links?.close();
      r.client.destroy();
      await new Promise<void>((done) => {
        r.server.close(() => done());
        r.server.closeAllConnections();
      });
      await r.ddb.close();
    }
  });

  const drained =
    (...rs: Region[]) =>
    () =>
      rs.every((r) => r.links!.stats().every((s) => s.pending === 0));

  it('converges item for item after concurrent writes to the same keys, through a partition', async () => {
    const a = await region('eu-west-1');
    const b = await region('us-east-1');
    wire(a, b, 20);
    wire(b, a, 35);

    const writes = (r: Region, round: number) =>
      Array.from({ length: 15 }, (_, i) => {
        const Key = { pk: `O#${i % 6}`, sk: 'ORDER' };
        if ((i + round) % 5 === 0) return r.doc.send(new DeleteCommand({ TableName: 'orders', Key }));
        if ((i + round) % 3 === 0) {
          return r.doc.send(
            new UpdateCommand({
              TableName: 'orders',
              Key,
              UpdateExpression: 'SET writer = :w ADD n :one',
              ExpressionAttributeValues: { ':w': `${r.name}/${round}/${i}`, ':one': 1 },
            }),
          );
        }
        return r.doc.send(
          new PutCommand({
            TableName: 'orders',
            Item: { ...Key, writer: `${r.name}/${round}/${i}`, gsi1pk: 'G', gsi1sk: `${i}` },
          }),
        );
      });

    await Promise.all([...writes(a, 0), ...writes(b, 0)]);
    a.links!.partition(b.name);
    b.links!.partition(a.name);
    await Promise.all([...writes(a, 1), ...writes(b, 2)]);
    await a.doc.send(new PutCommand({ TableName: 'counters', Item: { id: 1, side: 'a-only' } }));
    await new Promise((r) => setTimeout(r, 100));
    expect(await b.ddb.scanAll('counters')).toEqual([]); // held by the partition

    a.links!.heal(b.name);
    b.links!.heal(a.name);
    await waitFor(drained(a, b), 'both links to drain');

    const [ordersA, ordersB] = await Promise.all([a.ddb.scanAll('orders'), b.ddb.scanAll('orders')]);
    expect(ordersA).toEqual(ordersB);
    expect(ordersA.length).toBeGreaterThan(0);
    expect(await b.ddb.scanAll('counters')).toEqual(await a.ddb.scanAll('counters'));
    const query = (r: Region) =>
      r.doc.send(
        new QueryCommand({
          TableName: 'orders',
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :g',
          ExpressionAttributeValues: { ':g': 'G' },
        }),
      );
    expect((await query(a)).Items).toEqual((await query(b)).Items);
    const received = [...a.receiver.stats(), ...b.receiver.stats()];
    expect(received.map((s) => s.from).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(received.every((s) => s.applied > 0 && s.maxLagMs >= 20)).toBe(true);
  });

  it('loses no acknowledged write when the writing region is killed with SIGKILL, and catches up after restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-kill-'));
    try {
      const root = join(__dirname, '../../..');
      const script = `
        const { RegionalDynamo } = require(${JSON.stringify(join(root, 'local/dynamodb'))});
        const { PeerLinks } = require(${JSON.stringify(join(root, 'local/link'))});
        (async () => {
          const links = new PeerLinks({ self: 'eu-west-1', dir: ${JSON.stringify(join(dir, 'link'))},
            peers: [{ region: 'us-east-1', url: 'http://127.0.0.1:9' }] });
          links.partition('us-east-1');
          const ddb = await RegionalDynamo.start({ region: 'eu-west-1', dir: ${JSON.stringify(join(dir, 'ddb'))},
            tables: ${JSON.stringify([ORDERS, COUNTERS])} });
          ddb.onChange((c) => links.append('dynamodb', c));
          process.stdout.write('ENDPOINT ' + ddb.endpoint + ' ');
        })();
      `;
      const child = spawn(process.execPath, ['-r', 'tsx/cjs', '-e', script], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(() => /ENDPOINT \S+ /.test(out), 'the child region', 20_000);
      const endpoint = /ENDPOINT (\S+) /.exec(out)![1]!;
      const client = new DynamoDBClient({ region: 'eu-west-1', endpoint, credentials, maxAttempts: 1 });
      const doc = DynamoDBDocumentClient.from(client);
      for (let i = 0; i < 20; i++) {
        await doc.send(new PutCommand({ TableName: 'orders', Item: { pk: `K${i}`, sk: 'S', i } }));
      }
      client.destroy();
      const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, signal) => r(signal)));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      const b = await region('us-east-1');
      const restarted = await RegionalDynamo.start({
        region: 'eu-west-1',
        dir: join(dir, 'ddb'),
        tables: [ORDERS, COUNTERS],
      });
      const links = new PeerLinks({
        self: 'eu-west-1',
        dir: join(dir, 'link'),
        peers: [{ region: 'us-east-1', url: b.url }],
        lagMs: 0,
      });
      try {
        expect(await restarted.scanAll('orders')).toHaveLength(20);
        await waitFor(() => links.stats()[0]!.pending === 0, 'the outbox to drain');
        expect(await b.ddb.scanAll('orders')).toEqual(await restarted.scanAll('orders'));
      } finally {
        links.close();
        await restarted.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes a write captured later win over an earlier one on both sides', async () => {
    const a = await region('eu-west-1');
    const b = await region('us-east-1');
    wire(a, b, 0);
    wire(b, a, 0);
    a.links!.partition(b.name);
    b.links!.partition(a.name);

    await a.doc.send(new PutCommand({ TableName: 'orders', Item: { pk: 'X', sk: 'X', v: 'first' } }));
    await new Promise((r) => setTimeout(r, 5));
    await b.doc.send(new PutCommand({ TableName: 'orders', Item: { pk: 'X', sk: 'X', v: 'second' } }));
    a.links!.heal(b.name);
    b.links!.heal(a.name);
    await waitFor(drained(a, b), 'both links to drain');

    for (const r of [a, b]) {
      expect(
        (await r.doc.send(new GetCommand({ TableName: 'orders', Key: { pk: 'X', sk: 'X' } }))).Item?.v,
      ).toBe('second');
    }
    expect(a.ddb.stats()).toMatchObject({ replicatedApplied: 1 });
    expect(b.ddb.stats()).toMatchObject({ replicatedStale: 1 });
  });
});
