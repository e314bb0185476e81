import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../errors';
import { EventInFlightError, type ProcessedEventStore } from '../events';

/** How long a dedupe mark is kept: longer than any redelivery or archive replay window we use. */
const RETENTION_SECONDS = 7 * 24 * 3600;

export interface DynamoProcessedEventStoreOptions {
  /**
   * How long a claim protects an attempt in progress. Set it to at least the consumer's function timeout
   * (an attempt never outlives its claim) and at most its redelivery delay (a crashed attempt's retry finds
   * the claim expired and takes over). @default 60000
   */
  readonly leaseMs?: number;
  readonly now?: () => number;
}

/**
 * Dedupe marks in the processed-events table, in two phases: a claim (IN_PROGRESS with a lease) taken
 * before processing and a DONE mark after it. A crash between the two leaves an expiring claim, not a
 * lost event. A mark is written by the consuming region only (pk includes the region): a single writer.
 */
export class DynamoProcessedEventStore implements ProcessedEventStore {
  private readonly leaseMs: number;
  private readonly now: () => number;
  /** The claim this store instance holds per mark, so it completes or releases only its own claim. */
  private readonly claims = new Map<string, string>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly region: string,
    options: DynamoProcessedEventStoreOptions | (() => number) = {},
  ) {
    const opts = typeof options === 'function' ? { now: options } : options;
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  private key(consumer: string, eventId: string) {
    return { pk: `${consumer}#${this.region}#${eventId}`, sk: 'MARK' };
  }

  async markProcessed(consumer: string, eventId: string): Promise<boolean> {
    const now = this.now();
    const claimId = randomUUID();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...this.key(consumer, eventId),
            state: 'IN_PROGRESS',
            claimId,
            leaseUntil: now + this.leaseMs,
            ownerRegion: this.region,
            updatedAt: new Date(now).toISOString(),
            expiresAt: Math.floor(now / 1000) + RETENTION_SECONDS,
          },
          // New, or a claim whose attempt died (its lease ran out): take it over.
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :inProgress AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':now': now },
        }),
      );
      this.claims.set(this.claimKey(consumer, eventId), claimId);
      return true;
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const existing = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(consumer, eventId), ConsistentRead: true }),
    );
    if (existing.Item?.state === 'IN_PROGRESS') {
      throw new EventInFlightError(`event ${eventId} is being processed by another attempt of ${consumer}`);
    }
    return false;
  }

  /**
   * Marks the event DONE. Conditioned on this attempt's claim still being in force or already DONE: an
   * attempt that outlived its lease and lost the claim to a successor leaves the successor's claim alone.
   */
  async markCompleted(consumer: string, eventId: string): Promise<void> {
    const claimId = this.takeClaim(consumer, eventId);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(consumer, eventId),
          UpdateExpression: 'SET #state = :done, updatedAt = :at REMOVE leaseUntil',
          ConditionExpression: 'claimId = :claim OR #state = :done',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':done': 'DONE',
            ':at': new Date(this.now()).toISOString(),
            ':claim': claimId,
          },
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }

  /** Releases this attempt's claim (after a failure) so a retry runs at once; never someone else's. */
  async unmark(consumer: string, eventId: string): Promise<void> {
    const claimId = this.takeClaim(consumer, eventId);
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.key(consumer, eventId),
          ConditionExpression: 'claimId = :claim AND #state = :inProgress',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':claim': claimId, ':inProgress': 'IN_PROGRESS' },
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }

  private claimKey(consumer: string, eventId: string): string {
    return `${consumer}\u0000${eventId}`;
  }

  private takeClaim(consumer: string, eventId: string): string {
    const key = this.claimKey(consumer, eventId);
    const claimId = this.claims.get(key) ?? 'none';
    this.claims.delete(key);
    return claimId;
  }
}
