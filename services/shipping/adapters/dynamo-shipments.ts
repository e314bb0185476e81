import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../shared/errors';
import { NotOwnerRegionError } from '../domain/errors';
import type { FailureInjectionStore, ShipmentRepository } from '../domain/ports';
import type { CancellationMarker, Shipment, ShipmentRecord } from '../domain/shipment';

const SK = 'SHIPMENT';

/**
 * Shipments in the shipments table: `pk SHIPMENT#<orderId>, sk SHIPMENT` — a shipment, or the
 * cancellation marker compensation writes when there is none. One item per order, so a create and a
 * marker race on the same key and exactly one wins.
 */
export class DynamoShipmentRepository implements ShipmentRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(orderId: string) {
    return { pk: `SHIPMENT#${orderId}`, sk: SK };
  }

  async createIfAbsent(shipment: Shipment): Promise<{ record: ShipmentRecord; created: boolean }> {
    if (await this.putIfAbsent(shipment)) return { record: shipment, created: true };
    const existing = await this.get(shipment.orderId);
    if (!existing) throw new Error(`shipment of ${shipment.orderId} exists but could not be read`);
    return { record: existing, created: false };
  }

  async get(orderId: string): Promise<ShipmentRecord | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(orderId), ConsistentRead: true }),
    );
    return out.Item ? toRecord(out.Item) : undefined;
  }

  async markCancelled(orderId: string, region: string, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(orderId),
          UpdateExpression: 'SET #status = :cancelled, cancelledAt = :at, updatedAt = :at',
          // A replica of another region's shipment is not ours to change, whatever its status here.
          ConditionExpression: 'attribute_exists(pk) AND ownerRegion = :me AND #status = :created',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':cancelled': 'CANCELLED',
            ':created': 'CREATED',
            ':at': at,
            ':me': region,
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  putCancellationMarker(marker: CancellationMarker): Promise<boolean> {
    return this.putIfAbsent(marker);
  }

  private async putIfAbsent(item: ShipmentRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...this.key(item.orderId), ...item },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }
}

function toRecord(item: Record<string, unknown>): ShipmentRecord {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as ShipmentRecord;
}

/** The run-time failure-injection override: `pk CONFIG#<region>, sk FAILURE_INJECTION`, one per region. */
export class DynamoFailureInjectionStore implements FailureInjectionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly region: string,
  ) {}

  private key() {
    return { pk: `CONFIG#${this.region}`, sk: 'FAILURE_INJECTION' };
  }

  async get(): Promise<number | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key() }));
    const rate = out.Item?.rate;
    return typeof rate === 'number' ? rate : undefined;
  }

  async set(rate: number | null, at: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(),
          // A null rate keeps the item (who changed it, when) but removes the override.
          UpdateExpression:
            rate === null
              ? 'SET ownerRegion = :me, updatedAt = :at REMOVE rate'
              : 'SET rate = :rate, ownerRegion = :me, updatedAt = :at',
          // Created by this region, or changed only while this region owns it.
          ConditionExpression: 'attribute_not_exists(pk) OR ownerRegion = :me',
          ExpressionAttributeValues: {
            ':me': this.region,
            ':at': at,
            ...(rate === null ? {} : { ':rate': rate }),
          },
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      const out = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: this.key(), ConsistentRead: true }),
      );
      throw new NotOwnerRegionError(
        'failure-injection config',
        String(out.Item?.ownerRegion ?? 'another region'),
        this.region,
      );
    }
  }
}
