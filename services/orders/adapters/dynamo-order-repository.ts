import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { isConditionalCheckFailed } from '../../shared/errors';
import { InvalidCursorError } from '../domain/errors';
import { isTerminal, type Order, type Takeover } from '../domain/order';
import type { OrderPage, OrderRepository, StatusChange } from '../domain/ports';

/** Key layout of an order item (services/shared/tables.ts). */
export const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });
/** Key of an order's takeover marker: beside the order, so one Query reads both. */
export const takeoverKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'TAKEOVER' });
const customerKey = (customerId: string) => `CUSTOMER#${customerId}`;
/** gsi2 partition of the orders of a home region that are not terminal yet. */
const activeKey = (homeRegion: string) => `ACTIVE#${homeRegion}`;
const activeSortKey = (updatedAt: string, orderId: string) => `${updatedAt}#${orderId}`;

/**
 * The order item and takeover marker of one order, as stored: one strongly consistent Query of the
 * order's partition (the same read for this region's replica and, with a timeout, for a peer's).
 */
export async function readOrderPartition(
  client: DynamoDBDocumentClient,
  tableName: string,
  orderId: string,
  abortSignal?: AbortSignal,
): Promise<{ order?: Record<string, unknown>; takeover?: Record<string, unknown> }> {
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': orderKey(orderId).pk },
      ConsistentRead: true,
    }),
    abortSignal ? { abortSignal } : {},
  );
  const items = out.Items ?? [];
  const order = items.find((i) => i.sk === orderKey(orderId).sk);
  const takeover = items.find((i) => i.sk === takeoverKey(orderId).sk);
  return { ...(order ? { order } : {}), ...(takeover ? { takeover } : {}) };
}

/** The attributes of an order item that are not the order itself. */
interface OrderItemKeys {
  pk: string;
  sk: string;
  gsi1pk: string;
  gsi1sk: string;
}

const ORDER_ID = /^ord_[0-9A-Z]{26}$/;
/** Longest cursor we issue is ~300 characters; anything far longer is not ours. */
const MAX_CURSOR_LENGTH = 1024;

/** Orders in the orders table: one item per order, listed per customer through gsi1 (newest first). */
export class DynamoOrderRepository implements OrderRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(order: Order): Promise<{ created: boolean; order: Order }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keysOf(order), ...activeKeysOf(order), entity: 'Order', ...order },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { created: true, order };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const existing = await this.get(order.orderId);
    // The item exists (the condition said so) and orders are never deleted: absence means a broken table.
    if (!existing) throw new Error(`order ${order.orderId} exists but cannot be read`);
    return { created: false, order: existing };
  }

  async get(orderId: string): Promise<Order | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: orderKey(orderId), ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async listByCustomer(customerId: string, limit: number, cursor?: string): Promise<OrderPage> {
    const start = cursor === undefined ? undefined : decodeCursor(cursor, customerId);
    // One extra item tells whether another page exists, so the last page carries no cursor.
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': customerKey(customerId) },
        ScanIndexForward: false,
        Limit: limit + 1,
        ExclusiveStartKey: start,
      }),
    );
    const items = (out.Items ?? []).map(fromItem);
    const page = items.slice(0, limit);
    const last = page.at(-1);
    // More exist if the extra item came back, or if DynamoDB stopped early at its 1 MB page size.
    const more = items.length > limit || (out.LastEvaluatedKey !== undefined && items.length > 0);
    return more && last ? { items: page, nextCursor: encodeCursor(keysOf(last)) } : { items: page };
  }

  async changeStatus(change: StatusChange): Promise<Order | undefined> {
    const sets = [
      '#status = :to',
      'updatedAt = :updatedAt',
      'statusHistory = list_append(statusHistory, :entry)',
    ];
    const values: Record<string, unknown> = {
      ':to': change.to,
      ':from': change.from,
      ':owner': change.ownerRegion,
      ':updatedAt': change.updatedAt,
      ':entry': [change.entry],
    };
    if (change.failureReason !== undefined) {
      sets.push('failureReason = :failureReason');
      values[':failureReason'] = change.failureReason;
    }
    if (change.cancellationReason !== undefined) {
      sets.push('cancellationReason = :cancellationReason');
      values[':cancellationReason'] = change.cancellationReason;
    }
    // gsi2 lists the orders that are not terminal, by last update: a terminal order leaves it.
    let removes = '';
    if (isTerminal(change.to)) {
      removes = ' REMOVE gsi2pk, gsi2sk';
    } else {
      sets.push('gsi2pk = :gsi2pk', 'gsi2sk = :gsi2sk');
      values[':gsi2pk'] = activeKey(change.ownerRegion);
      values[':gsi2sk'] = activeSortKey(change.updatedAt, change.orderId);
    }
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: orderKey(change.orderId),
          UpdateExpression: `SET ${sets.join(', ')}${removes}`,
          ConditionExpression: '#status = :from AND ownerRegion = :owner',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? fromItem(out.Attributes) : undefined;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
  }

  async getWithTakeover(orderId: string): Promise<{ order?: Order; takeover?: Takeover }> {
    const { order, takeover } = await readOrderPartition(this.client, this.tableName, orderId);
    return {
      ...(order ? { order: fromItem(order) } : {}),
      ...(takeover ? { takeover: takeoverFromItem(takeover) } : {}),
    };
  }

  async listStale(
    homeRegion: string,
    updatedBefore: string,
    limit: number,
    cursor?: string,
  ): Promise<OrderPage> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk < :before',
        ExpressionAttributeValues: { ':pk': activeKey(homeRegion), ':before': updatedBefore },
        Limit: limit,
        ...(cursor !== undefined && {
          ExclusiveStartKey: JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<
            string,
            unknown
          >,
        }),
      }),
    );
    const items = (out.Items ?? []).map(fromItem);
    // An internal cursor (never shown to a client): the index key DynamoDB stopped at.
    return out.LastEvaluatedKey
      ? { items, nextCursor: Buffer.from(JSON.stringify(out.LastEvaluatedKey), 'utf8').toString('base64url') }
      : { items };
  }
}

/** The gsi2 attributes of an order that is not terminal (none for a terminal one). */
function activeKeysOf(order: Order): { gsi2pk?: string; gsi2sk?: string } {
  if (isTerminal(order.status)) return {};
  return { gsi2pk: activeKey(order.ownerRegion), gsi2sk: activeSortKey(order.updatedAt, order.orderId) };
}

/** A takeover marker item as the domain sees it. */
export function takeoverFromItem(item: Record<string, unknown>): Takeover {
  return {
    orderId: item.orderId as string,
    customerId: item.customerId as string,
    homeRegion: item.homeRegion as string,
    takenOverBy: item.takenOverBy as string,
    takenOverAt: item.takenOverAt as string,
    statusAtTakeover: item.statusAtTakeover as Takeover['statusAtTakeover'],
    reason: item.reason as string,
    homeUnhealthySince: item.homeUnhealthySince as string,
    ...(typeof item.publishedAt === 'string' && { publishedAt: item.publishedAt }),
  };
}

function keysOf(order: Pick<Order, 'orderId' | 'customerId' | 'createdAt'>): OrderItemKeys {
  return {
    ...orderKey(order.orderId),
    gsi1pk: customerKey(order.customerId),
    gsi1sk: `${order.createdAt}#${order.orderId}`,
  };
}

function fromItem(item: Record<string, unknown>): Order {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, gsi2pk: _a1, gsi2sk: _a2, entity: _e, ...order } = item;
  return order as unknown as Order;
}

function encodeCursor(keys: OrderItemKeys): string {
  return Buffer.from(JSON.stringify(keys), 'utf8').toString('base64url');
}

/** Accepts only a cursor this repository issued for this customer; anything else is a client error. */
function decodeCursor(cursor: string, customerId: string): OrderItemKeys {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError('not a cursor issued by this API');
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor issued by this API');
  }
  const parsed = cursorSchema.safeParse(decoded);
  if (!parsed.success) throw new InvalidCursorError('not a cursor issued by this API');
  const keys = parsed.data;
  const orderId = keys.pk.slice('ORDER#'.length);
  if (keys.gsi1pk !== customerKey(customerId)) {
    throw new InvalidCursorError('cursor belongs to another query');
  }
  if (!keys.gsi1sk.endsWith(`#${orderId}`) || Number.isNaN(Date.parse(keys.gsi1sk.split('#')[0] ?? ''))) {
    throw new InvalidCursorError('not a cursor issued by this API');
  }
  return keys;
}

const cursorSchema = z.strictObject({
  pk: z.string().regex(new RegExp(`^ORDER#${ORDER_ID.source.slice(1, -1)}$`)),
  sk: z.literal('ORDER'),
  gsi1pk: z.string().max(100),
  gsi1sk: z
    .string()
    .max(100)
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#ord_[0-9A-Z]{26}$/),
});
