import {
  GetCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../shared/errors';
import { NotOwnerRegionError } from '../domain/errors';
import type {
  DeadLetter,
  FailedOrder,
  FailedOrderRepository,
  FailedOrderStatus,
  RedriveClaim,
} from '../domain/ports';

const SK = 'FAILED';

/**
 * Failed-order records in the shipments table: `pk FAILED#<orderId>, sk FAILED`, listed per region
 * through `gsi1` (`FAILED#<region>` / `<failedAt>#<orderId>`). Only the region whose DLQ received the
 * message writes the record.
 */
export class DynamoFailedOrderRepository implements FailedOrderRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly region: string,
  ) {}

  private key(orderId: string) {
    return { pk: `FAILED#${orderId}`, sk: SK };
  }

  async recordDeadLetter(letter: DeadLetter): Promise<'created' | 'updated' | 'duplicate'> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(letter.orderId),
          UpdateExpression: [
            'SET orderId = :orderId, #status = :open, reason = :reason, receiveCount = :rc, #body = :body,',
            'lastMessageId = :mid, failedAt = :at, firstFailedAt = if_not_exists(firstFailedAt, :at),',
            'redriveCount = if_not_exists(redriveCount, :zero), gsi1pk = :gpk, gsi1sk = :gsk,',
            'ownerRegion = :region, updatedAt = :at',
            letter.correlationId ? ', correlationId = :cid' : '',
            'REMOVE redriveClaim, redriveLeaseUntil',
            'ADD attempts :one, messageIds :mids',
          ].join(' '),
          // A repeated delivery of one message must not count twice; another region's record is not ours.
          ConditionExpression:
            'attribute_not_exists(pk) OR (ownerRegion = :region AND NOT contains(messageIds, :mid))',
          ExpressionAttributeNames: { '#status': 'status', '#body': 'body' },
          ExpressionAttributeValues: {
            ':orderId': letter.orderId,
            ':open': 'OPEN',
            ':reason': letter.reason,
            ':rc': letter.receiveCount,
            ':body': letter.body,
            ':mid': letter.messageId,
            ':mids': new Set([letter.messageId]),
            ':at': letter.failedAt,
            ':zero': 0,
            ':one': 1,
            ':gpk': `FAILED#${this.region}`,
            ':gsk': `${letter.failedAt}#${letter.orderId}`,
            ':region': this.region,
            ...(letter.correlationId ? { ':cid': letter.correlationId } : {}),
          },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return out.Attributes?.ownerRegion === undefined ? 'created' : 'updated';
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const existing = await this.getRaw(letter.orderId);
    if (existing && existing.ownerRegion !== this.region) {
      throw new NotOwnerRegionError(
        `failed-order record ${letter.orderId}`,
        String(existing.ownerRegion),
        this.region,
      );
    }
    return 'duplicate';
  }

  async list(opts: { status?: FailedOrderStatus; limit: number }): Promise<FailedOrder[]> {
    const items: FailedOrder[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const input: QueryCommandInput = {
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :gpk',
        ExpressionAttributeValues: { ':gpk': `FAILED#${this.region}` },
        ExclusiveStartKey: startKey,
        Limit: Math.min(100, Math.max(opts.limit, 25)),
      };
      if (opts.status) {
        input.FilterExpression = '#status = :status';
        input.ExpressionAttributeNames = { '#status': 'status' };
        input.ExpressionAttributeValues = { ...input.ExpressionAttributeValues, ':status': opts.status };
      }
      const out = await this.client.send(new QueryCommand(input));
      for (const item of out.Items ?? []) {
        if (items.length < opts.limit) items.push(toFailedOrder(item));
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length < opts.limit);
    return items;
  }

  async claimForRedrive(
    orderId: string,
    claimId: string,
    now: number,
    leaseMs: number,
  ): Promise<RedriveClaim | undefined> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(orderId),
          UpdateExpression: 'SET redriveClaim = :claim, redriveLeaseUntil = :until, updatedAt = :at',
          ConditionExpression:
            '#status = :open AND ownerRegion = :me AND (attribute_not_exists(redriveLeaseUntil) OR redriveLeaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':claim': claimId,
            ':until': now + leaseMs,
            ':now': now,
            ':at': new Date(now).toISOString(),
            ':open': 'OPEN',
            ':me': this.region,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const body = out.Attributes?.body;
      if (typeof body !== 'string') throw new Error(`failed-order record ${orderId} has no body`);
      const correlationId = out.Attributes?.correlationId;
      return {
        orderId,
        claimId,
        body,
        ...(typeof correlationId === 'string' ? { correlationId } : {}),
      };
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
  }

  async markRedriven(orderId: string, claimId: string, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(orderId),
          UpdateExpression:
            'SET #status = :redriven, redrivenAt = :at, updatedAt = :at ADD redriveCount :one REMOVE redriveClaim, redriveLeaseUntil',
          // The claim alone is not enough: a replica owned by another region is never ours to change.
          ConditionExpression: '#status = :open AND redriveClaim = :claim AND ownerRegion = :me',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':redriven': 'REDRIVEN',
            ':open': 'OPEN',
            ':claim': claimId,
            ':at': at,
            ':one': 1,
            ':me': this.region,
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  async releaseClaim(orderId: string, claimId: string, at: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(orderId),
          UpdateExpression: 'SET updatedAt = :at REMOVE redriveClaim, redriveLeaseUntil',
          ConditionExpression: 'redriveClaim = :claim AND ownerRegion = :me',
          ExpressionAttributeValues: { ':claim': claimId, ':me': this.region, ':at': at },
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }

  /** One record by order id (for operators and tests). */
  async get(orderId: string): Promise<FailedOrder | undefined> {
    const item = await this.getRaw(orderId);
    return item ? toFailedOrder(item) : undefined;
  }

  private async getRaw(orderId: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(orderId), ConsistentRead: true }),
    );
    return out.Item;
  }
}

function toFailedOrder(item: Record<string, unknown>): FailedOrder {
  const {
    pk: _pk,
    sk: _sk,
    gsi1pk: _gpk,
    gsi1sk: _gsk,
    messageIds: _mids,
    redriveClaim: _claim,
    redriveLeaseUntil: _lease,
    ...rest
  } = item;
  return rest as unknown as FailedOrder;
}
