import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../shared/errors';
import { PaymentOwnershipError } from '../domain/errors';
import type { PaymentPatch, PaymentRecord, PaymentStatus } from '../domain/payment';
import type { BeginAuthorization, PaymentRepository, VoidUncharged } from '../domain/ports';
import { ownedStatusUpdate } from '../../shared/adapters/owned-status-update';

export interface DynamoPaymentRepositoryProps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** This copy's region: records are created with it as `ownerRegion`, and only such records are written. */
  readonly region: string;
  readonly now?: () => number;
}

const key = (orderId: string) => ({ pk: `PAYMENT#${orderId}`, sk: 'PAYMENT' });

const RECORD_FIELDS = [
  'orderId',
  'status',
  'taskToken',
  'amountMinor',
  'currency',
  'ownerRegion',
  'correlationId',
  'chargeId',
  'declineCode',
  'capturedMinor',
  'refundedMinor',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof PaymentRecord)[];

/** Payment records (`pk=PAYMENT#<orderId>, sk=PAYMENT`) with conditional, owner-region-checked writes. */
export class DynamoPaymentRepository implements PaymentRepository {
  private readonly now: () => number;

  constructor(private readonly props: DynamoPaymentRepositoryProps) {
    this.now = props.now ?? Date.now;
  }

  async get(orderId: string): Promise<PaymentRecord | undefined> {
    const result = await this.props.client.send(
      new GetCommand({ TableName: this.props.tableName, Key: key(orderId), ConsistentRead: true }),
    );
    return result.Item && toRecord(result.Item);
  }

  async beginAuthorization(input: BeginAuthorization): Promise<PaymentRecord> {
    const now = new Date(this.now()).toISOString();
    try {
      const result = await this.props.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: key(input.orderId),
          // Only the token is replaced on an existing record: a retried step must not reset its status.
          UpdateExpression: [
            'SET taskToken = :token, updatedAt = :now',
            'orderId = if_not_exists(orderId, :orderId)',
            '#status = if_not_exists(#status, :authorizing)',
            'amountMinor = if_not_exists(amountMinor, :amount)',
            'currency = if_not_exists(currency, :currency)',
            'correlationId = if_not_exists(correlationId, :correlationId)',
            'ownerRegion = if_not_exists(ownerRegion, :region)',
            'createdAt = if_not_exists(createdAt, :now)',
          ].join(', '),
          // A compensated record is left alone: the step that finds it must stand down, not charge.
          ConditionExpression:
            'attribute_not_exists(pk) OR (ownerRegion = :region AND NOT (#status IN (:voided, :refunded)))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':token': input.taskToken,
            ':now': now,
            ':orderId': input.orderId,
            ':authorizing': 'AUTHORIZING',
            ':voided': 'VOIDED',
            ':refunded': 'REFUNDED',
            ':amount': input.amountMinor,
            ':currency': input.currency,
            ':correlationId': input.correlationId,
            ':region': this.props.region,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord(result.Attributes ?? {});
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const existing = await this.get(input.orderId);
    if (!existing || existing.ownerRegion !== this.props.region) {
      throw new PaymentOwnershipError(input.orderId, existing?.ownerRegion ?? 'unknown', this.props.region);
    }
    return existing; // compensated: returned as it stands
  }

  async attachCharge(orderId: string, chargeId: string): Promise<PaymentRecord> {
    try {
      const result = await this.props.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: key(orderId),
          UpdateExpression: 'SET chargeId = :chargeId, updatedAt = :now',
          ConditionExpression:
            'attribute_exists(pk) AND ownerRegion = :region AND (attribute_not_exists(chargeId) OR chargeId = :chargeId)',
          ExpressionAttributeValues: {
            ':chargeId': chargeId,
            ':now': new Date(this.now()).toISOString(),
            ':region': this.props.region,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord(result.Attributes ?? {});
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      const existing = await this.get(orderId);
      if (existing?.chargeId === chargeId && existing.ownerRegion === this.props.region) return existing;
      // Another region's saga owns this order's payment (one Idempotency-Key sent to two regions): a typed
      // error, so this saga stands down instead of retrying or refunding the shared charge.
      if (existing && existing.ownerRegion !== this.props.region) {
        throw new PaymentOwnershipError(orderId, existing.ownerRegion, this.props.region);
      }
      throw new Error(
        `payment of order ${orderId} holds charge ${existing?.chargeId ?? '(none)'} (owner ${existing?.ownerRegion ?? '(none)'}); refusing to attach ${chargeId}`,
      );
    }
  }

  async voidUncharged(input: VoidUncharged): Promise<PaymentRecord | undefined> {
    const now = new Date(this.now()).toISOString();
    try {
      const result = await this.props.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: key(input.orderId),
          UpdateExpression: [
            'SET #status = :voided, updatedAt = :now',
            'orderId = if_not_exists(orderId, :orderId)',
            'amountMinor = if_not_exists(amountMinor, :amount)',
            'currency = if_not_exists(currency, :currency)',
            'correlationId = if_not_exists(correlationId, :correlationId)',
            'ownerRegion = if_not_exists(ownerRegion, :region)',
            'createdAt = if_not_exists(createdAt, :now)',
          ].join(', '),
          // Absent (the step never got this far), or started without a charge recorded. Once a charge id is
          // on the record, compensation must give that charge back instead.
          ConditionExpression:
            'attribute_not_exists(pk) OR (ownerRegion = :region AND #status = :authorizing AND attribute_not_exists(chargeId))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':voided': 'VOIDED',
            ':authorizing': 'AUTHORIZING',
            ':now': now,
            ':orderId': input.orderId,
            ':amount': input.amountMinor,
            ':currency': input.currency,
            ':correlationId': input.correlationId,
            ':region': this.props.region,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord(result.Attributes ?? {});
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
  }

  async transition(
    orderId: string,
    from: readonly PaymentStatus[],
    to: PaymentStatus,
    patch: PaymentPatch = {},
  ): Promise<PaymentRecord | undefined> {
    if (from.length === 0) return undefined;
    try {
      const result = await this.props.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: key(orderId),
          ...ownedStatusUpdate({
            set: { ...patch, status: to, updatedAt: new Date(this.now()).toISOString() },
            from,
            region: this.props.region,
          }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes && toRecord(result.Attributes);
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
  }
}

function toRecord(item: Record<string, unknown>): PaymentRecord {
  const record: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) {
    if (item[field] !== undefined) record[field] = item[field];
  }
  return record as unknown as PaymentRecord;
}
