import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../shared/errors';
import type { Takeover } from '../domain/order';
import type { TakeoverStore } from '../domain/ports';
import { takeoverFromItem, takeoverKey } from './dynamo-order-repository';

/** Key of the watch an observer region keeps on an unavailable peer (services/shared/tables.ts). */
const watchKey = (observer: string, home: string) => ({
  pk: `TAKEOVER_WATCH#${observer}`,
  sk: `REGION#${home}`,
});

/**
 * Takeover markers and watches in the orders table. Both are owned by the region that writes them (the
 * survivor, the observer): no region ever writes another region's item (docs/decisions/002 and 007).
 */
export class DynamoTakeoverStore implements TakeoverStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(orderId: string): Promise<Takeover | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: takeoverKey(orderId), ConsistentRead: true }),
    );
    return out.Item ? takeoverFromItem(out.Item) : undefined;
  }

  async create(takeover: Takeover): Promise<{ created: boolean; takeover: Takeover }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...takeoverKey(takeover.orderId),
            entity: 'Takeover',
            ...takeover,
            ownerRegion: takeover.takenOverBy,
            updatedAt: takeover.takenOverAt,
          },
          // At most once per order in this replica; another survivor's concurrent marker settles by
          // last writer wins and records the same decision.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { created: true, takeover };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const existing = await this.get(takeover.orderId);
    if (!existing) throw new Error(`takeover marker of ${takeover.orderId} exists but cannot be read`);
    return { created: false, takeover: existing };
  }

  async markPublished(orderId: string, survivor: string, at: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: takeoverKey(orderId),
        UpdateExpression: 'SET publishedAt = :at, updatedAt = :at',
        // Only the survivor that wrote the marker writes it again (single writer).
        ConditionExpression: 'attribute_exists(pk) AND ownerRegion = :survivor',
        ExpressionAttributeValues: { ':at': at, ':survivor': survivor },
      }),
    );
  }

  async startWatch(observer: string, home: string, at: string): Promise<{ unhealthySince: string }> {
    const Key = watchKey(observer, home);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...Key,
            entity: 'TakeoverWatch',
            ownerRegion: observer,
            homeRegion: home,
            unhealthySince: at,
            updatedAt: at,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { unhealthySince: at };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }),
    );
    const since = out.Item?.unhealthySince;
    if (typeof since !== 'string')
      throw new Error(`takeover watch ${Key.pk}/${Key.sk} has no unhealthySince`);
    return { unhealthySince: since };
  }

  async endWatch(observer: string, home: string): Promise<void> {
    try {
      // Conditional, so a healthy peer costs no replicated write every run.
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: watchKey(observer, home),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }
}
