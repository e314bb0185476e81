import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { isConditionalCheckFailed } from '../../shared/errors';
import type { Allocation, Hold, ReservationRecord, SkuQuantity } from '../domain/model';
import type { AllocationPage, AllocationStore, WriteOutcome } from '../domain/ports';

/** Keys of the inventory table (services/shared/tables.ts). */
export const inventoryKeys = {
  allocation: (sku: string, region: string) => ({ pk: `SKU#${sku}`, sk: `ALLOCATION#${region}` }),
  allocationsOfRegion: (region: string) => `ALLOCATIONS#${region}`,
  reservation: (orderId: string, region: string) => ({ pk: `ORDER#${orderId}`, sk: `RESERVATION#${region}` }),
} as const;

const holdSchema = z.object({
  quantity: z.number().int(),
  expiresAt: z.number(),
  state: z.enum(['HELD', 'COMMITTED']),
});

const allocationSchema = z.object({
  sku: z.string(),
  region: z.string(),
  ownerRegion: z.string(),
  available: z.number().int(),
  holds: z.record(z.string(), holdSchema).default({}),
  version: z.number().int(),
  updatedAt: z.string(),
});

const reservationSchema = z.object({
  orderId: z.string(),
  region: z.string(),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
  correlationId: z.string().optional(),
  updatedAt: z.string().optional(),
});

// Every attribute goes through a name placeholder: several (`region`, `state`, `size`…) are reserved words.
const NAMES = {
  '#avail': 'available',
  '#holds': 'holds',
  '#ver': 'version',
  '#upd': 'updatedAt',
  '#owner': 'ownerRegion',
} as const;

/**
 * The inventory table as an `AllocationStore` for one region. Every write is one `UpdateItem` on one
 * allocation, conditioned on `ownerRegion = <this region>` and on the state it expects, and bumps
 * `version` and `updatedAt`.
 */
export class DynamoAllocationStore implements AllocationStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    readonly region: string,
  ) {}

  async getAllocation(sku: string): Promise<Allocation | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: inventoryKeys.allocation(sku, this.region),
        ConsistentRead: true,
      }),
    );
    return out.Item ? allocationSchema.parse(out.Item) : undefined;
  }

  async listSkuAllocations(sku: string): Promise<Allocation[]> {
    const items: Allocation[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': `SKU#${sku}`, ':prefix': 'ALLOCATION#' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) items.push(allocationSchema.parse(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async listRegionAllocations(cursor?: string, pageSize = 100): Promise<AllocationPage> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :g',
        ExpressionAttributeValues: { ':g': inventoryKeys.allocationsOfRegion(this.region) },
        Limit: pageSize,
        ExclusiveStartKey: cursor ? decodeCursor(cursor) : undefined,
      }),
    );
    const items = (out.Items ?? []).map((item) => allocationSchema.parse(item));
    return out.LastEvaluatedKey ? { items, cursor: encodeCursor(out.LastEvaluatedKey) } : { items };
  }

  placeHold(sku: string, orderId: string, hold: Hold, maxHolds: number, now: number): Promise<WriteOutcome> {
    return this.update(sku, now, {
      UpdateExpression: 'SET #avail = #avail - :q, #holds.#o = :hold, #upd = :now ADD #ver :one',
      ConditionExpression:
        '#owner = :me AND #avail >= :q AND attribute_not_exists(#holds.#o) AND size(#holds) < :maxHolds',
      ExpressionAttributeNames: { '#o': orderId },
      ExpressionAttributeValues: { ':q': hold.quantity, ':hold': { ...hold }, ':maxHolds': maxHolds },
    });
  }

  commitHold(sku: string, orderId: string, now: number): Promise<WriteOutcome> {
    return this.update(sku, now, {
      UpdateExpression: 'SET #holds.#o.#state = :committed, #upd = :now ADD #ver :one',
      ConditionExpression: '#owner = :me AND #holds.#o.#state = :held',
      ExpressionAttributeNames: { '#o': orderId, '#state': 'state' },
      ExpressionAttributeValues: { ':committed': 'COMMITTED', ':held': 'HELD' },
    });
  }

  releaseHold(sku: string, orderId: string, expected: Hold, now: number): Promise<WriteOutcome> {
    return this.update(sku, now, {
      UpdateExpression: 'SET #avail = #avail + :q, #upd = :now REMOVE #holds.#o ADD #ver :one',
      ...this.exactHold(orderId, expected),
    });
  }

  settleHold(sku: string, orderId: string, expected: Hold, now: number): Promise<WriteOutcome> {
    return this.update(sku, now, {
      UpdateExpression: 'SET #upd = :now REMOVE #holds.#o ADD #ver :one',
      ...this.exactHold(orderId, expected),
    });
  }

  async setAvailable(
    sku: string,
    available: number,
    expectedVersion: number | undefined,
    now: number,
  ): Promise<{ outcome: 'applied'; allocation: Allocation } | { outcome: 'condition_failed' }> {
    const condition =
      expectedVersion === undefined
        ? 'attribute_not_exists(pk) OR #owner = :me'
        : expectedVersion === 0
          ? 'attribute_not_exists(pk)'
          : '#owner = :me AND #ver = :expected';
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: inventoryKeys.allocation(sku, this.region),
          UpdateExpression:
            'SET #avail = :available, #sku = :sku, #region = :me, #owner = :me, gsi1pk = :g1pk, gsi1sk = :sku, ' +
            '#holds = if_not_exists(#holds, :noHolds), #upd = :now, #ver = if_not_exists(#ver, :zero) + :one',
          ConditionExpression: condition,
          ExpressionAttributeNames: { ...NAMES, '#sku': 'sku', '#region': 'region' },
          ExpressionAttributeValues: {
            ':available': available,
            ':sku': sku,
            ':me': this.region,
            ':g1pk': inventoryKeys.allocationsOfRegion(this.region),
            ':noHolds': {},
            ':now': new Date(now).toISOString(),
            ':zero': 0,
            ':one': 1,
            ...(expectedVersion ? { ':expected': expectedVersion } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { outcome: 'applied', allocation: allocationSchema.parse(out.Attributes) };
    } catch (err) {
      if (isConditionalCheckFailed(err)) return { outcome: 'condition_failed' };
      throw err;
    }
  }

  async putReservationRecord(record: ReservationRecord, now: number): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...inventoryKeys.reservation(record.orderId, this.region),
          orderId: record.orderId,
          region: this.region,
          ownerRegion: this.region,
          lines: record.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
          correlationId: record.correlationId,
          updatedAt: new Date(now).toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(pk) OR #owner = :me',
        ExpressionAttributeNames: { '#owner': 'ownerRegion' },
        ExpressionAttributeValues: { ':me': this.region },
      }),
    );
  }

  async getReservationRecord(orderId: string): Promise<ReservationRecord | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: inventoryKeys.reservation(orderId, this.region),
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const { updatedAt, correlationId, ...record } = reservationSchema.parse(out.Item);
    return {
      ...record,
      ...(correlationId !== undefined ? { correlationId } : {}),
      ...(updatedAt !== undefined ? { revision: updatedAt } : {}),
    };
  }

  async deleteReservationRecord(orderId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: inventoryKeys.reservation(orderId, this.region),
        ConditionExpression: 'attribute_not_exists(pk) OR #owner = :me',
        ExpressionAttributeNames: { '#owner': 'ownerRegion' },
        ExpressionAttributeValues: { ':me': this.region },
      }),
    );
  }

  async replaceReservationLines(
    record: ReservationRecord,
    lines: readonly SkuQuantity[],
    now: number,
  ): Promise<WriteOutcome> {
    // `updatedAt` is rewritten by every write of the record, so it identifies the version read.
    const unchanged =
      record.revision !== undefined
        ? { condition: '#owner = :me AND #upd = :rev', values: { ':rev': record.revision } }
        : { condition: '#owner = :me AND attribute_not_exists(#upd)', values: {} };
    const common = {
      TableName: this.tableName,
      Key: inventoryKeys.reservation(record.orderId, this.region),
      ConditionExpression: unchanged.condition,
    };
    try {
      if (lines.length === 0) {
        await this.client.send(
          new DeleteCommand({
            ...common,
            ExpressionAttributeNames: { '#owner': 'ownerRegion', '#upd': 'updatedAt' },
            ExpressionAttributeValues: { ':me': this.region, ...unchanged.values },
          }),
        );
      } else {
        await this.client.send(
          new UpdateCommand({
            ...common,
            UpdateExpression: 'SET #lines = :lines, #upd = :now',
            ExpressionAttributeNames: { '#owner': 'ownerRegion', '#upd': 'updatedAt', '#lines': 'lines' },
            ExpressionAttributeValues: {
              ':me': this.region,
              ':lines': lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
              ':now': new Date(now).toISOString(),
              ...unchanged.values,
            },
          }),
        );
      }
      return 'applied';
    } catch (err) {
      if (isConditionalCheckFailed(err)) return 'condition_failed';
      throw err;
    }
  }

  /** Condition parts matching the order's hold exactly, as read. */
  private exactHold(
    orderId: string,
    expected: Hold,
  ): Pick<UpdateCommandInput, 'ConditionExpression'> & {
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  } {
    return {
      ConditionExpression:
        '#owner = :me AND #holds.#o.#qty = :q AND #holds.#o.#exp = :exp AND #holds.#o.#state = :state',
      ExpressionAttributeNames: { '#o': orderId, '#qty': 'quantity', '#exp': 'expiresAt', '#state': 'state' },
      ExpressionAttributeValues: {
        ':q': expected.quantity,
        ':exp': expected.expiresAt,
        ':state': expected.state,
      },
    };
  }

  /** One conditional update of this region's allocation of `sku`, with the common attributes filled in. */
  private async update(
    sku: string,
    now: number,
    input: {
      UpdateExpression: string;
      ConditionExpression?: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
    },
  ): Promise<WriteOutcome> {
    const names: Record<string, string> = { ...NAMES, ...input.ExpressionAttributeNames };
    const values: Record<string, unknown> = {
      ':me': this.region,
      ':now': new Date(now).toISOString(),
      ':one': 1,
      ...input.ExpressionAttributeValues,
    };
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: inventoryKeys.allocation(sku, this.region),
          UpdateExpression: input.UpdateExpression,
          ConditionExpression: input.ConditionExpression,
          ExpressionAttributeNames: usedOnly(names, input),
          ExpressionAttributeValues: usedOnly(values, input),
        }),
      );
      return 'applied';
    } catch (err) {
      if (isConditionalCheckFailed(err)) return 'condition_failed';
      throw err;
    }
  }
}

/** DynamoDB rejects unused placeholders, so only those the expressions mention are sent. */
function usedOnly<T>(
  placeholders: Record<string, T>,
  input: { UpdateExpression: string; ConditionExpression?: string },
): Record<string, T> {
  const text = `${input.UpdateExpression} ${input.ConditionExpression ?? ''}`;
  return Object.fromEntries(
    Object.entries(placeholders).filter(([key]) => new RegExp(`${key}(?![A-Za-z0-9_])`).test(text)),
  );
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
}
