import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TableModel } from '../../../local/assembly/model';
import {
  FORWARDED_FROM_HEADER,
  RegionalDynamo,
  signingRegionOf,
  type ReplicationChange,
} from '../../../local/dynamodb';
import { regionConfigSchema } from '../../../local/region';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const ORDERS: TableModel = {
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
  replicaRegions: ['eu-west-1', 'us-east-1'],
  stackName: 'global',
};

const auth = (region: string): string =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/${region}/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=abc`;

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with exactly the given headers (no SDK normalization), on a fresh connection. */
function raw(
  endpoint: string,
  opts: { path?: string; method?: string; headers: Record<string, string>; body?: string },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${endpoint}${opts.path ?? '/'}`,
      { method: opts.method ?? 'POST', agent: false, headers: opts.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body ?? '');
  });
}

const getItemRequest = (authorization: string | undefined, key: string): Parameters<typeof raw>[1] => ({
  headers: {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': 'DynamoDB_20120810.GetItem',
    'x-amz-date': '20240101T000000Z',
    ...(authorization !== undefined && { authorization }),
  },
  body: JSON.stringify({
    TableName: 'orders',
    Key: { pk: { S: key }, sk: { S: 'ORDER' } },
    ConsistentRead: true,
  }),
});

/** The error a GetItem signed for eu-west-1 through `endpoint` gets, seen by the SDK in a plain Node process. */
function sdkErrorInChild(endpoint: string): Promise<unknown> {
  const root = join(__dirname, '../../..');
  const script = `
    const { DynamoDBClient, GetItemCommand } = require('@aws-sdk/client-dynamodb');
    const client = new DynamoDBClient({ region: 'eu-west-1', endpoint: ${JSON.stringify(endpoint)},
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 3 });
    client.send(new GetItemCommand({ TableName: 'orders', Key: { pk: { S: 'a' }, sk: { S: 'b' } } })).then(
      () => process.stdout.write('{}'),
      (e) => process.stdout.write(JSON.stringify({ name: e.name, code: e.code, attempts: e.$metadata?.attempts })),
    );
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', script],
      { cwd: root, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
      (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as unknown)),
    );
  });
}

describe('signingRegionOf', () => {
  it('reads the region of a SigV4 credential scope', () => {
    expect(signingRegionOf(auth('eu-west-1'))).toBe('eu-west-1');
    expect(
      signingRegionOf(
        'AWS4-HMAC-SHA256 Credential=ASIA123/20240101/ap-southeast-2/dynamodb/aws4_request,SignedHeaders=host,Signature=0',
      ),
    ).toBe('ap-southeast-2');
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['not SigV4', 'Basic dXNlcjpwYXNz'],
    ['SigV2', 'AWS AKID:signature'],
    ['no credential', 'AWS4-HMAC-SHA256 SignedHeaders=host, Signature=0'],
    ['empty credential', 'AWS4-HMAC-SHA256 Credential=, SignedHeaders=host'],
    ['short scope', 'AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/dynamodb, Signature=0'],
    ['wrong terminator', 'AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/dynamodb/aws5_request'],
    ['empty region', 'AWS4-HMAC-SHA256 Credential=AKID/20240101//dynamodb/aws4_request'],
    ['repeated header', ['a', 'b']],
  ])('is undefined for a header that is %s', (_what, header) => {
    expect(signingRegionOf(header)).toBeUndefined();
  });
});

describe('RegionalDynamo routes requests signed for a peer region to that peer', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const startDynamo = async (
    region: string,
    opts: Partial<Parameters<typeof RegionalDynamo.start>[0]> = {},
  ): Promise<{ ddb: RegionalDynamo; changes: ReplicationChange[]; logs: string[] }> => {
    const logs: string[] = [];
    const ddb = await RegionalDynamo.start({
      region,
      tables: [ORDERS],
      log: (line) => logs.push(line),
      ...opts,
    });
    cleanups.push(() => ddb.close());
    const changes: ReplicationChange[] = [];
    ddb.onChange((c) => changes.push(c));
    return { ddb, changes, logs };
  };

  const documentClient = (region: string, endpoint: string, maxAttempts = 1): DynamoDBDocumentClient => {
    const client = new DynamoDBClient({ region, endpoint, credentials, maxAttempts });
    cleanups.push(() => client.destroy());
    return DynamoDBDocumentClient.from(client);
  };

  /** us-east-1 knowing eu-west-1's endpoint (the direction these tests exercise). */
  const pair = async () => {
    const eu = await startDynamo('eu-west-1');
    const us = await startDynamo('us-east-1', { peers: { 'eu-west-1': eu.ddb.endpoint } });
    return { us, eu };
  };

  it("reads and writes the peer's replica through the real SDK, and the peer captures the writes", async () => {
    const { us, eu } = await pair();
    const viaUs = documentClient('eu-west-1', us.ddb.endpoint);
    const Key = { pk: 'ORDER#1', sk: 'TAKEOVER' };

    await viaUs.send(new PutCommand({ TableName: 'orders', Item: { ...Key, takenOverBy: 'eu-west-1' } }));
    await viaUs.send(
      new UpdateCommand({
        TableName: 'orders',
        Key,
        UpdateExpression: 'SET gsi1pk = :p, gsi1sk = :s',
        ExpressionAttributeValues: { ':p': 'G', ':s': '1' },
      }),
    );
    const got = await viaUs.send(new GetCommand({ TableName: 'orders', Key, ConsistentRead: true }));
    expect(got.Item).toEqual({ ...Key, takenOverBy: 'eu-west-1', gsi1pk: 'G', gsi1sk: '1' });
    const queried = await viaUs.send(
      new QueryCommand({
        TableName: 'orders',
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': 'G' },
      }),
    );
    expect(queried.Items).toEqual([got.Item]);

    // The data is eu-west-1's: its replica has it and it captured both writes; us-east-1 has nothing.
    expect(await eu.ddb.scanAll('orders')).toHaveLength(1);
    expect(await us.ddb.scanAll('orders')).toEqual([]);
    expect(eu.changes.map((c) => [c.origin, c.key])).toEqual([
      ['eu-west-1', { pk: { S: 'ORDER#1' }, sk: { S: 'TAKEOVER' } }],
      ['eu-west-1', { pk: { S: 'ORDER#1' }, sk: { S: 'TAKEOVER' } }],
    ]);
    expect(us.changes).toEqual([]);
    expect(eu.ddb.stats()).toMatchObject({ writes: 2, reads: 2 });
    expect(us.ddb.stats()).toMatchObject({ writes: 0, reads: 0 });
    expect(us.ddb.stats().peerRequests).toEqual({ 'eu-west-1': { forwarded: 4, unreachable: 0 } });

    await viaUs.send(new DeleteCommand({ TableName: 'orders', Key }));
    expect(await eu.ddb.scanAll('orders')).toEqual([]);
    expect(eu.changes).toHaveLength(3);
    expect(eu.changes[2]!.image).toBeUndefined();
  });

  it("relays the peer's errors as the SDK expects them", async () => {
    const { us } = await pair();
    const viaUs = documentClient('eu-west-1', us.ddb.endpoint);
    await viaUs.send(new PutCommand({ TableName: 'orders', Item: { pk: 'A', sk: 'B' } }));
    await expect(
      viaUs.send(
        new PutCommand({
          TableName: 'orders',
          Item: { pk: 'A', sk: 'B' },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      viaUs.send(new GetCommand({ TableName: 'missing', Key: { pk: 'A' } })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('serves own-region requests locally, as before', async () => {
    const { us, eu } = await pair();
    const own = documentClient('us-east-1', us.ddb.endpoint);
    await own.send(new PutCommand({ TableName: 'orders', Item: { pk: 'LOCAL', sk: 'ORDER', v: 1 } }));
    expect(
      (await own.send(new GetCommand({ TableName: 'orders', Key: { pk: 'LOCAL', sk: 'ORDER' } }))).Item,
    ).toEqual({ pk: 'LOCAL', sk: 'ORDER', v: 1 });
    expect(us.changes.map((c) => c.origin)).toEqual(['us-east-1']);
    expect(await eu.ddb.scanAll('orders')).toEqual([]);
    expect(us.ddb.stats().peerRequests).toEqual({ 'eu-west-1': { forwarded: 0, unreachable: 0 } });
  });

  /** A plain HTTP server as the peer's endpoint: records each request and answers with `answer`. */
  const fakePeer = async (answer: (res: ServerResponse) => void) => {
    const seen: { method?: string; url?: string; headers?: IncomingHttpHeaders; body?: string }[] = [];
    const fake: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        answer(res);
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          fake.close(() => r());
          fake.closeAllConnections();
        }),
    );
    return { seen, url: `http://127.0.0.1:${(fake.address() as AddressInfo).port}` };
  };

  it('relays method, path, headers and body unchanged, and the answer unchanged', async () => {
    const { seen, url } = await fakePeer((res) => {
      res.writeHead(503, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': 'REQ123',
        'x-amz-crc32': '42',
      });
      res.end('{"__type":"com.amazonaws.dynamodb.v20120810#ServiceUnavailable","message":"busy"}');
    });
    const us = await startDynamo('us-east-1', { peers: { 'ap-south-1': url } });
    const body = '{"TableName":"orders","Key":{"pk":{"S":"é"}}}';
    const answer = await raw(us.ddb.endpoint, {
      path: '/some/path?x=1',
      method: 'PUT',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.GetItem',
        'x-amz-date': '20240101T000000Z',
        'x-custom': 'kept',
        authorization: auth('ap-south-1'),
      },
      body,
    });
    expect(answer.status).toBe(503);
    expect(answer.body).toBe(
      '{"__type":"com.amazonaws.dynamodb.v20120810#ServiceUnavailable","message":"busy"}',
    );
    expect(answer.headers).toMatchObject({ 'x-amzn-requestid': 'REQ123', 'x-amz-crc32': '42' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/some/path?x=1', body });
    expect(seen[0]!.headers).toMatchObject({
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.GetItem',
      'x-amz-date': '20240101T000000Z',
      'x-custom': 'kept',
      authorization: auth('ap-south-1'),
      host: us.ddb.endpoint.replace('http://', ''),
      'content-length': String(Buffer.byteLength(body)),
      [FORWARDED_FROM_HEADER]: 'us-east-1',
    });
  });

  it("drops the fields a message's own Connection header lists, both ways, as a proxy must", async () => {
    const { seen, url } = await fakePeer((res) => {
      res.writeHead(200, {
        connection: 'keep-alive, x-peer-hop',
        'x-peer-hop': 'peer-only',
        'x-amzn-requestid': 'REQ1',
      });
      res.end('{}');
    });
    const us = await startDynamo('us-east-1', { peers: { 'ap-south-1': url } });

    const answer = await raw(us.ddb.endpoint, {
      headers: {
        connection: 'close, X-Client-Hop',
        'x-client-hop': 'client-only',
        'x-custom': 'kept',
        'x-amz-target': 'DynamoDB_20120810.GetItem',
        authorization: auth('ap-south-1'),
      },
      body: '{}',
    });

    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({ 'x-amzn-requestid': 'REQ1' });
    expect(answer.headers['x-peer-hop']).toBeUndefined();
    expect(seen).toHaveLength(1);
    const { headers } = seen[0]!;
    expect(headers).toMatchObject({ 'x-custom': 'kept', authorization: auth('ap-south-1') });
    expect(headers!['x-client-hop']).toBeUndefined();
  });

  it('gives the SDK a retryable connection error while the peer is down, and works again once it is back on its port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-ddb-peer-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = await RegionalDynamo.start({ region: 'eu-west-1', tables: [ORDERS], dir });
    const port = first.port;
    const us = await startDynamo('us-east-1', { peers: { 'eu-west-1': first.endpoint } });
    const viaUs = documentClient('eu-west-1', us.ddb.endpoint, 2);
    const own = documentClient('us-east-1', us.ddb.endpoint);
    const Key = { pk: 'ORDER#9', sk: 'TAKEOVER' };
    await viaUs.send(new PutCommand({ TableName: 'orders', Item: { ...Key, by: 'eu-west-1' } }));
    await first.close();

    const failure: unknown = await viaUs
      .send(new GetCommand({ TableName: 'orders', Key, ConsistentRead: true }))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    // Inside jest's sandbox the SDK cannot recognize Node's own Error (another realm) and wraps it; the
    // child process below shows the error a handler gets.
    expect(failure).toMatchObject({ message: expect.stringMatching(/TimeoutError: read ECONNRESET/) });
    expect((failure as { $metadata?: unknown }).$metadata).toMatchObject({ attempts: 2 });
    expect(us.ddb.stats().peerRequests['eu-west-1']).toEqual({ forwarded: 3, unreachable: 2 });
    expect(us.logs.filter((l) => l.includes('peer eu-west-1') && l.includes('unreachable'))).toHaveLength(1);

    // As a handler sees it: ECONNRESET (a TimeoutError to the SDK), retried like ECONNREFUSED would be.
    const seen = await sdkErrorInChild(us.ddb.endpoint);
    expect(seen).toEqual({ name: 'TimeoutError', code: 'ECONNRESET', attempts: 3 });

    // The proxy is unharmed: its own region's requests still work.
    await own.send(new PutCommand({ TableName: 'orders', Item: { pk: 'STILL', sk: 'UP' } }));
    expect(await us.ddb.scanAll('orders')).toHaveLength(1);

    // The peer restored on the same port and state: the same URL reaches it again.
    const restored = await RegionalDynamo.start({ region: 'eu-west-1', tables: [ORDERS], dir, port });
    cleanups.push(() => restored.close());
    const got = await viaUs.send(new GetCommand({ TableName: 'orders', Key, ConsistentRead: true }));
    expect(got.Item).toEqual({ ...Key, by: 'eu-west-1' });
    expect(us.logs.some((l) => l.includes('peer eu-west-1 is reachable again'))).toBe(true);
  });

  it('serves unsigned, garbled, unknown-region and already-forwarded requests locally, without crashing', async () => {
    const { us } = await pair();
    await documentClient('us-east-1', us.ddb.endpoint).send(
      new PutCommand({ TableName: 'orders', Item: { pk: 'HERE', sk: 'ORDER' } }),
    );
    // Served here means dynalite's answer, as before: the item, or AWS's error for a missing or malformed
    // signature.
    const missing = 'MissingAuthenticationTokenException';
    const incomplete = 'IncompleteSignatureException';
    const cases: [string | undefined, string][] = [
      [undefined, missing],
      ['', missing],
      ['garbage', missing],
      ['AWS4-HMAC-SHA256', incomplete],
      ['AWS4-HMAC-SHA256 Credential=', incomplete],
      ['AWS4-HMAC-SHA256 Credential=////', incomplete],
      ['AWS4-HMAC-SHA256 Credential=a/b/eu-west-1/dynamodb', incomplete],
      ['AWS4-HMAC-SHA256 Credential=a/b/eu-west-1/dynamodb/aws5_request', incomplete],
      [`AWS4-HMAC-SHA256 Credential=a/b/${'x'.repeat(4000)}/dynamodb/aws4_request`, incomplete],
      ['AWS4-HMAC-SHA256 Credential=a/b/%00%ff/dynamodb/aws4_request', incomplete],
      [auth('us-east-1'), 'item'],
      [auth('ap-south-1'), 'item'],
      [auth('ap-south-1'), 'item'],
      [auth('EU-WEST-1'), 'item'],
    ];
    for (const [header, expected] of cases) {
      const answer = await raw(us.ddb.endpoint, getItemRequest(header, 'HERE'));
      const body = JSON.parse(answer.body) as { __type?: string };
      const outcome = answer.status === 200 ? body : [answer.status, body.__type?.split('#').pop()];
      expect([header, outcome]).toEqual([
        header,
        expected === 'item' ? { Item: { pk: { S: 'HERE' }, sk: { S: 'ORDER' } } } : [400, expected],
      ]);
    }
    // A request that was already forwarded once is never forwarded again (no loops between regions).
    const looped = getItemRequest(auth('eu-west-1'), 'HERE');
    const answer = await raw(us.ddb.endpoint, {
      ...looped,
      headers: { ...looped.headers, [FORWARDED_FROM_HEADER]: 'eu-west-1' },
    });
    expect(JSON.parse(answer.body)).toEqual({ Item: { pk: { S: 'HERE' }, sk: { S: 'ORDER' } } });

    expect(us.ddb.stats().peerRequests['eu-west-1']!.forwarded).toBe(0);
    // Logged once per unknown region name.
    expect(us.logs.filter((l) => l.includes("'ap-south-1'"))).toHaveLength(1);
    expect(us.logs.filter((l) => l.includes("'EU-WEST-1'"))).toHaveLength(1);
  });

  it('ends a forwarded request the peer never answers when it closes', async () => {
    let arrived = false;
    let aborted = false;
    const hung: Server = createServer((req) => {
      arrived = true;
      req.socket.on('close', () => (aborted = true));
    });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          hung.close(() => r());
          hung.closeAllConnections();
        }),
    );
    const us = await RegionalDynamo.start({
      region: 'us-east-1',
      tables: [ORDERS],
      peers: { 'eu-west-1': `http://127.0.0.1:${(hung.address() as AddressInfo).port}` },
    });
    const pending = raw(us.endpoint, getItemRequest(auth('eu-west-1'), 'X'));
    const settled = pending.then(
      () => 'answered',
      (err: NodeJS.ErrnoException) => err.code,
    );
    while (!arrived) await new Promise((r) => setTimeout(r, 10));
    await us.close();
    expect(await settled).toBe('ECONNRESET');
    for (let i = 0; i < 200 && !aborted; i++) await new Promise((r) => setTimeout(r, 10));
    expect(aborted).toBe(true);
  });

  it.each([
    ['its own region', { 'us-east-1': 'http://127.0.0.1:4101' }, /is this region/],
    ['a name that is no region', { peer: 'http://127.0.0.1:4101' }, /not a region name/],
    ['no URL', { 'eu-west-1': 'not a url' }, /is not a URL/],
    ['https', { 'eu-west-1': 'https://127.0.0.1:4101' }, /http:\/\/host:port/],
    ['a path', { 'eu-west-1': 'http://127.0.0.1:4101/v1' }, /http:\/\/host:port/],
    ['no port', { 'eu-west-1': 'http://127.0.0.1' }, /http:\/\/host:port/],
  ])('refuses a peer map with %s', async (_what, peers, message) => {
    await expect(RegionalDynamo.start({ region: 'us-east-1', tables: [ORDERS], peers })).rejects.toThrow(
      message,
    );
  });
});

describe('the region config carries the peers’ DynamoDB endpoints', () => {
  it('accepts a peer with dynamodbUrl and rejects a malformed one', () => {
    const base = {
      region: 'us-east-1',
      assemblyDir: '/tmp/cdk.out',
      stateDir: '/tmp/.meridian/us-east-1',
      ports: {
        api: 4100,
        dynamodb: 4101,
        sqs: 4102,
        sfn: 4103,
        events: 4104,
        lambda: 4105,
        sns: 4106,
        ses: 4107,
        secrets: 4108,
        control: 4109,
      },
      links: {},
      timeScale: 1,
      edgeUrl: 'http://127.0.0.1:8080',
    };
    const peer = { region: 'eu-west-1', controlUrl: 'http://127.0.0.1:4129' };
    expect(
      regionConfigSchema.parse({ ...base, peers: [{ ...peer, dynamodbUrl: 'http://127.0.0.1:4121' }] }).peers,
    ).toEqual([{ ...peer, dynamodbUrl: 'http://127.0.0.1:4121' }]);
    expect(regionConfigSchema.safeParse({ ...base, peers: [{ ...peer, dynamodbUrl: 'nope' }] }).success).toBe(
      false,
    );
  });
});
