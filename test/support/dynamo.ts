import { CreateTableCommand, DynamoDBClient, type AttributeDefinition } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { TABLES, type TableId } from '../../services/shared/tables';

/** Dummy credentials: dynalite checks none, but the SDK insists on having some. */
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

function endpoint(): string {
  const url = process.env.MERIDIAN_TEST_DYNAMODB_ENDPOINT;
  if (!url)
    throw new Error('MERIDIAN_TEST_DYNAMODB_ENDPOINT is not set: run tests through jest (global setup)');
  return url;
}

/** A raw DynamoDB client pointed at the test dynalite. */
export function testDynamoClient(): DynamoDBClient {
  return new DynamoDBClient({ region: 'us-east-1', endpoint: endpoint(), credentials, maxAttempts: 3 });
}

/** A document client pointed at the test dynalite (same options as production). */
export function testDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(testDynamoClient(), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/**
 * Creates fresh tables from the shared definitions with a unique prefix and returns their names,
 * keyed by table id. Each test file (or test) gets its own tables.
 */
export async function createTables<T extends TableId>(ids: readonly T[]): Promise<Record<T, string>> {
  const client = testDynamoClient();
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  const names = {} as Record<T, string>;
  for (const id of ids) {
    const def = TABLES[id];
    const attrs = new Set([
      def.partitionKey,
      def.sortKey,
      ...def.gsis.flatMap((g) => [g.partitionKey, g.sortKey]),
    ]);
    const name = `${prefix}-${id}`;
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attrs].map((a): AttributeDefinition => ({
          AttributeName: a,
          AttributeType: 'S',
        })),
        KeySchema: [
          { AttributeName: def.partitionKey, KeyType: 'HASH' },
          { AttributeName: def.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: def.gsis.length
          ? def.gsis.map((g) => ({
              IndexName: g.indexName,
              KeySchema: [
                { AttributeName: g.partitionKey, KeyType: 'HASH' as const },
                { AttributeName: g.sortKey, KeyType: 'RANGE' as const },
              ],
              Projection: { ProjectionType: 'ALL' as const },
            }))
          : undefined,
      }),
    );
    names[id] = name;
  }
  client.destroy();
  return names;
}
