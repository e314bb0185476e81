import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../shared/errors';
import type { IdempotencyRecord, IdempotencyStore } from '../domain/ports';

const keyOf = (key: string) => ({ pk: `IDEMPOTENCY#${key}`, sk: 'IDEMPOTENCY' });

/**
 * Idempotency-Key records in the orders table (pk IDEMPOTENCY#<key>), expiring by TTL on `expiresAt`.
 * TTL deletion lags by hours, so the claim treats an expired record as absent — but only one this
 * region owns: a record is written by its `ownerRegion` alone (single writer), so another region's
 * expired record is never overwritten; it is returned as the existing record (replay or 422 by its
 * fingerprint) until TTL removes it.
 */
export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(
    record: IdempotencyRecord,
    nowEpochSeconds: number,
  ): Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRecord }> {
    // Two rounds: a record that vanishes between the failed put and the read (expired, deleted) is re-claimed.
    for (let round = 0; round < 2; round++) {
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...keyOf(record.key),
              entity: 'IdempotencyRecord',
              ...record,
              updatedAt: record.createdAt,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR (expiresAt < :now AND ownerRegion = :me)',
            ExpressionAttributeValues: { ':now': nowEpochSeconds, ':me': record.ownerRegion },
          }),
        );
        return { claimed: true };
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
      const out = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: keyOf(record.key), ConsistentRead: true }),
      );
      if (out.Item) {
        const { key, fingerprint, orderId, ownerRegion, createdAt, expiresAt } =
          out.Item as IdempotencyRecord;
        return { claimed: false, existing: { key, fingerprint, orderId, ownerRegion, createdAt, expiresAt } };
      }
    }
    throw new Error(`idempotency record for key ${record.key} keeps changing`);
  }
}
