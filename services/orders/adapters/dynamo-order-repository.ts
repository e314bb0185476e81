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
import type { Order } from '../domain/order';
import type { OrderPage, OrderRepository, StatusChange } from '../domain/ports';

/** Key layout of an order item (services/shared/tables.ts). */
export const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });
const customerKey = (customerId: string) => `CUSTOMER#${customerId}`;

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
          Item: { ...keysOf(order), entity: 'Order', ...order },
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
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: orderKey(change.orderId),
          UpdateExpression: `SET ${sets.join(', ')}`,
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
}

function keysOf(order: Pick<Order, 'orderId' | 'customerId' | 'createdAt'>): OrderItemKeys {
  return {
    ...orderKey(order.orderId),
    gsi1pk: customerKey(order.customerId),
    gsi1sk: `${order.createdAt}#${order.orderId}`,
  };
}

function fromItem(item: Record<string, unknown>): Order {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, entity: _e, ...order } = item;
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
