import { parseArgs } from 'node:util';
import { z } from 'zod';
import { systemClock } from '../../shared/clock';
import { dynamoDocumentClient, sqsClient } from '../../shared/clients';
import { env, loadConfig } from '../../shared/config';
import { DynamoFailedOrderRepository } from '../adapters/dynamo-failed-orders';
import { SqsShippingQueue } from '../adapters/sqs-shipping-queue';
import type { FailedOrderRepository, ShippingQueue } from '../domain/ports';
import { MAX_REDRIVE_LIMIT, redriveFailedOrders } from '../domain/redrive';

const USAGE =
  'usage: npx tsx services/shipping/cli/redrive.ts --region <region> [--limit <n>] [--table <name>] [--queue-url <url>]\n' +
  '  table and queue default to SHIPMENTS_TABLE and SHIPPING_QUEUE_URL';

/** Builds the adapters for a region; tests replace it to use the test dynalite and a fake queue. */
export type RedriveDepsFactory = (opts: { region: string; table: string; queueUrl: string }) => {
  failedOrders: FailedOrderRepository;
  queue: ShippingQueue;
};

export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly deps?: RedriveDepsFactory;
}

const awsDeps: RedriveDepsFactory = ({ region, table, queueUrl }) => ({
  failedOrders: new DynamoFailedOrderRepository(dynamoDocumentClient({ region }), table, region),
  queue: new SqsShippingQueue(sqsClient({ region }), queueUrl),
});

/**
 * The DLQ re-drive command: re-sends this region's OPEN failed orders to the shipping queue and prints
 * `{ redriven, orderIds }` as JSON. Returns the exit code: 0 on success, 1 on any error, 2 on bad usage.
 */
export async function runRedriveCli(argv: readonly string[], io: CliIo): Promise<number> {
  let options;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        region: { type: 'string' },
        limit: { type: 'string' },
        table: { type: 'string' },
        'queue-url': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    });
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    options = loadConfig(
      {
        region: env.region(),
        limit: z.coerce.number().int().min(1).max(MAX_REDRIVE_LIMIT).optional(),
        table: env.required(),
        queueUrl: env.required(),
      },
      {
        region: values.region,
        limit: values.limit,
        table: values.table ?? io.env.SHIPMENTS_TABLE,
        queueUrl: values['queue-url'] ?? io.env.SHIPPING_QUEUE_URL,
      },
    );
  } catch (err) {
    io.stderr(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }

  try {
    const deps = (io.deps ?? awsDeps)({
      region: options.region,
      table: options.table,
      queueUrl: options.queueUrl,
    });
    const result = await redriveFailedOrders({ ...deps, clock: systemClock }, { limit: options.limit });
    const output: Record<string, unknown> = { redriven: result.redriven, orderIds: result.orderIds };
    if (result.failed.length > 0) output.failed = result.failed;
    io.stdout(JSON.stringify(output));
    return result.failed.length > 0 ? 1 : 0;
  } catch (err) {
    io.stderr(`re-drive failed: ${(err as Error).name}: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  runRedriveCli(process.argv.slice(2), {
    env: process.env,
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
  }).then((code) => {
    process.exitCode = code;
  });
}
