/**
 * The raw dynalite write ceiling: a fresh dynalite on LevelDB in a temporary directory (as each region runs
 * it, without the regional layer in front), hammered with PutItem through the DynamoDB SDK client at a fixed
 * concurrency for a fixed time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

export interface CeilingOptions {
  /** PutItem requests in flight. */
  readonly concurrency: number;
  /** How long to write, in seconds. */
  readonly seconds: number;
  readonly log?: (line: string) => void;
}

/** What the ceiling run measured. */
export interface CeilingResult {
  readonly concurrency: number;
  readonly durationMs: number;
  /** PutItem calls that succeeded. */
  readonly writes: number;
  readonly errors: number;
  readonly writesPerSecond: number;
  /** Bytes of each item's payload attribute (items like an order's, under 1 KB). */
  readonly itemBytes: number;
}

const TABLE = 'bench-ceiling';
const ITEM_BYTES = 600;

/** Measures how many PutItem/s one dynalite on disk takes at `concurrency`. */
export async function measureDynaliteCeiling(options: CeilingOptions): Promise<CeilingResult> {
  const { concurrency, seconds } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
  }
  if (!(seconds > 0)) throw new RangeError(`ceilingSeconds must be > 0, got ${seconds}`);
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-dynalite-'));
  const server: Server = dynalite({ path: join(dir, 'data'), createTableMs: 0 });
  let client: DynamoDBClient | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      maxAttempts: 1,
    });
    const ddb = client;
    await ddb.send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (let i = 0; ; i++) {
      const t = await ddb.send(new DescribeTableCommand({ TableName: TABLE }));
      if (t.Table?.TableStatus === 'ACTIVE') break;
      if (i > 200) throw new Error('the ceiling table did not become ACTIVE');
      await new Promise((r) => setTimeout(r, 10));
    }
    const payload = 'x'.repeat(ITEM_BYTES);
    let writes = 0;
    let errors = 0;
    let next = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const worker = async () => {
      while (performance.now() < deadline) {
        const n = next++;
        try {
          await ddb.send(
            new PutItemCommand({
              TableName: TABLE,
              Item: { pk: { S: `ITEM#${n}` }, n: { N: String(n) }, payload: { S: payload } },
            }),
          );
          writes += 1;
        } catch {
          errors += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const durationMs = Math.max(1, Math.round(performance.now() - started));
    const writesPerSecond = Math.round((writes / durationMs) * 1000 * 10) / 10;
    options.log?.(`dynalite ceiling: ${writes} writes in ${durationMs} ms = ${writesPerSecond}/s`);
    return {
      concurrency,
      durationMs,
      writes,
      errors,
      writesPerSecond,
      itemBytes: ITEM_BYTES,
    };
  } finally {
    client?.destroy();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    rmSync(dir, { recursive: true, force: true });
  }
}
