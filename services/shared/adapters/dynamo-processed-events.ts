import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../errors';
import type { ProcessedEventStore } from '../events';

/** How long a dedupe mark is kept: longer than any redelivery or archive replay window we use. */
const RETENTION_SECONDS = 7 * 24 * 3600;

/**
 * Dedupe marks in the processed-events table. A mark is written by the consuming region only
 * (pk includes the region), so it has a single writer like every other item.
 */
export class DynamoProcessedEventStore implements ProcessedEventStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly region: string,
    private readonly now: () => number = Date.now,
  ) {}

  private key(consumer: string, eventId: string) {
    return { pk: `${consumer}#${this.region}#${eventId}`, sk: 'MARK' };
  }

  async markProcessed(consumer: string, eventId: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...this.key(consumer, eventId),
            ownerRegion: this.region,
            processedAt: new Date(this.now()).toISOString(),
            expiresAt: Math.floor(this.now() / 1000) + RETENTION_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  async unmark(consumer: string, eventId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: this.key(consumer, eventId) }),
    );
  }
}
