import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../../shared/errors';
import { ChargeOwnershipError } from '../domain/errors';
import type { LedgerStore } from '../domain/ports';
import type { ChargeChange, ChargeStatus, IdempotencyKeyRecord, LedgerCharge } from '../domain/types';
import { ownedStatusUpdate } from '../../../shared/adapters/owned-status-update';

export interface DynamoLedgerStoreProps {
  readonly client: DynamoDBDocumentClient;
  /** The payments table (its items share it with the merchant's payment records, by key prefix). */
  readonly tableName: string;
  /** The region whose provider instance writes these items, recorded as `ownerRegion`. */
  readonly region: string;
  readonly now?: () => number;
}

const CHARGE_FIELDS = [
  'chargeId',
  'idempotencyKey',
  'amountMinor',
  'currency',
  'token',
  'metadata',
  'status',
  'declineCode',
  'createdAt',
  'decidedAt',
  'capturedMinor',
  'capturedAt',
  'refundedMinor',
  'refundedAt',
  'voidedAt',
  'plannedOutcome',
  'decisionEventId',
] as const satisfies readonly (keyof LedgerCharge)[];

const chargeKey = (chargeId: string) => ({ pk: `CHARGE#${chargeId}`, sk: 'CHARGE' });
const idempotencyKey = (key: string) => ({ pk: `PROVIDER_KEY#${key}`, sk: 'KEY' });

/**
 * The simulated provider's ledger in the payments table: `pk=CHARGE#<id>` and `pk=PROVIDER_KEY#<key>`.
 * Every write is conditional, so one key binds one charge, ever, and each state change happens once; a
 * state change also requires `ownerRegion` to be this region (the order's home region writes its charge).
 */
export class DynamoLedgerStore implements LedgerStore {
  private readonly now: () => number;

  constructor(private readonly props: DynamoLedgerStoreProps) {
    this.now = props.now ?? Date.now;
  }

  async claimKey(record: IdempotencyKeyRecord): Promise<IdempotencyKeyRecord> {
    try {
      await this.props.client.send(
        new PutCommand({
          TableName: this.props.tableName,
          Item: { ...idempotencyKey(record.key), ...record, ...this.stamp() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return record;
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const existing = await this.getKey(record.key);
    if (!existing) throw new Error(`idempotency key ${record.key} vanished after a conflicting write`);
    return existing;
  }

  async getKey(key: string): Promise<IdempotencyKeyRecord | undefined> {
    const item = await this.get(idempotencyKey(key));
    if (!item) return undefined;
    return {
      key: item.key as string,
      operation: item.operation as IdempotencyKeyRecord['operation'],
      fingerprint: item.fingerprint as string,
      chargeId: item.chargeId as string,
      createdAt: item.createdAt as number,
    };
  }

  async insertCharge(charge: LedgerCharge): Promise<LedgerCharge> {
    try {
      await this.props.client.send(
        new PutCommand({
          TableName: this.props.tableName,
          Item: { ...chargeKey(charge.chargeId), ...charge, ...this.stamp() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return charge;
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const existing = await this.getCharge(charge.chargeId);
    if (!existing) throw new Error(`charge ${charge.chargeId} vanished after a conflicting write`);
    return existing;
  }

  async getCharge(chargeId: string): Promise<LedgerCharge | undefined> {
    const item = await this.get(chargeKey(chargeId));
    return item && toCharge(item);
  }

  async updateCharge(
    chargeId: string,
    from: readonly ChargeStatus[],
    change: ChargeChange,
  ): Promise<LedgerCharge | undefined> {
    if (from.length === 0) return undefined;
    try {
      const result = await this.props.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: chargeKey(chargeId),
          // Single writer per item: only the region that wrote the charge (the order's home region) changes it.
          ...ownedStatusUpdate({ set: { ...change, ...this.stamp() }, from, region: this.props.region }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes && toCharge(result.Attributes);
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    // Tell "someone else's item" apart from "the status moved on": the caller retries only the latter.
    const current = await this.get(chargeKey(chargeId));
    if (current && current.ownerRegion !== this.props.region) {
      throw new ChargeOwnershipError(chargeId, String(current.ownerRegion), this.props.region);
    }
    return undefined;
  }

  private stamp() {
    return { ownerRegion: this.props.region, updatedAt: new Date(this.now()).toISOString() };
  }

  private async get(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const result = await this.props.client.send(
      new GetCommand({ TableName: this.props.tableName, Key: key, ConsistentRead: true }),
    );
    return result.Item;
  }
}

function toCharge(item: Record<string, unknown>): LedgerCharge {
  const charge: Record<string, unknown> = {};
  for (const field of CHARGE_FIELDS) {
    if (item[field] !== undefined) charge[field] = item[field];
  }
  return charge as unknown as LedgerCharge;
}
