import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../shared/errors';
import { NotOwnerRegionError } from '../domain/errors';
import type { FailureInjectionStore, ShipmentRepository } from '../domain/ports';
import type { Shipment } from '../domain/shipment';

const SK = 'SHIPMENT';

/** Shipments in the shipments table: `pk SHIPMENT#<orderId>, sk SHIPMENT`. */
export class DynamoShipmentRepository implements ShipmentRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(orderId: string) {
    return { pk: `SHIPMENT#${orderId}`, sk: SK };
  }

  async createIfAbsent(shipment: Shipment): Promise<{ shipment: Shipment; created: boolean }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...this.key(shipment.orderId), ...shipment },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { shipment, created: true };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const existing = await this.get(shipment.orderId);
    if (!existing) throw new Error(`shipment of ${shipment.orderId} exists but could not be read`);
    return { shipment: existing, created: false };
  }

  async get(orderId: string): Promise<Shipment | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(orderId), ConsistentRead: true }),
    );
    return out.Item ? toShipment(out.Item) : undefined;
  }

  async markCancelled(orderId: string, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(orderId),
          UpdateExpression: 'SET #status = :cancelled, cancelledAt = :at, updatedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND #status = :created',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':cancelled': 'CANCELLED', ':created': 'CREATED', ':at': at },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }
}

function toShipment(item: Record<string, unknown>): Shipment {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as Shipment;
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
              ? 'SET ownerRegion = :region, updatedAt = :at REMOVE rate'
              : 'SET rate = :rate, ownerRegion = :region, updatedAt = :at',
          ConditionExpression: 'attribute_not_exists(pk) OR ownerRegion = :region',
          ExpressionAttributeValues: {
            ':region': this.region,
            ':at': at,
            ...(rate === null ? {} : { ':rate': rate }),
          },
        }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) {
        throw new NotOwnerRegionError('failure-injection config', 'another region', this.region);
      }
      throw err;
    }
  }
}
