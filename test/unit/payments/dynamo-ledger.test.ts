import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ManualClock } from '../../../services/shared/clock';
import { DynamoLedgerStore } from '../../../services/payments/provider/adapters/dynamo-ledger';
import {
  ChargeOwnershipError,
  IdempotencyKeyMismatchError,
} from '../../../services/payments/provider/domain/errors';
import { SimulatedPaymentProvider } from '../../../services/payments/provider/domain/provider';
import { seededRandomness } from '../../../services/payments/provider/domain/randomness';
import { immediateDelivery } from '../../../services/payments/provider/domain/schedulers';
import type { LedgerCharge } from '../../../services/payments/provider/domain/types';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { RecordingDispatcher } from './support/fakes';

describe('provider ledger in DynamoDB', () => {
  const client = testDocumentClient();
  let tableName: string;
  let ledger: DynamoLedgerStore;

  beforeAll(async () => {
    tableName = (await createTables(['payments'])).payments;
    ledger = new DynamoLedgerStore({ client, tableName, region: 'eu-west-1' });
  });

  function provider(dispatcher = new RecordingDispatcher()) {
    return new SimulatedPaymentProvider({
      ledger,
      dispatcher,
      scheduler: immediateDelivery(),
      clock: new ManualClock(),
      randomness: seededRandomness('ledger-test'),
    });
  }

  async function items(prefix: string): Promise<Record<string, unknown>[]> {
    const result = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
    return (result.Items ?? []).filter((i) => String(i.pk).startsWith(prefix));
  }

  const request = (key: string, amountMinor = 1000) => ({
    idempotencyKey: key,
    amountMinor,
    currency: 'USD',
    token: 'tok_visa',
    metadata: { orderId: key, correlationId: 'c-1' },
  });

  it('creates exactly one charge and one webhook for 20 concurrent calls with one key', async () => {
    const dispatcher = new RecordingDispatcher();
    const p = provider(dispatcher);
    const charges = await Promise.all(Array.from({ length: 20 }, () => p.createCharge(request('ord_race'))));

    const ids = new Set(charges.map((c) => c.chargeId));
    expect(ids.size).toBe(1);
    const stored = (await items('CHARGE#')).filter((i) => i.idempotencyKey === 'ord_race');
    expect(stored).toHaveLength(1);
    expect(dispatcher.sent).toHaveLength(1);
    expect((await p.getCharge([...ids][0] as string)).status).toBe('authorized');
  });

  it('keeps charges and keys under their documented keys with ownerRegion and updatedAt', async () => {
    const charge = await provider().createCharge(request('ord_keys'));
    const [key] = await items('PROVIDER_KEY#ord_keys');
    const [stored] = await items(`CHARGE#${charge.chargeId}`);
    expect(key).toMatchObject({
      sk: 'KEY',
      operation: 'create_charge',
      chargeId: charge.chargeId,
      ownerRegion: 'eu-west-1',
      updatedAt: expect.any(String),
    });
    expect(stored).toMatchObject({
      sk: 'CHARGE',
      status: 'authorized',
      metadata: { orderId: 'ord_keys', correlationId: 'c-1' },
      ownerRegion: 'eu-west-1',
      updatedAt: expect.any(String),
    });
  });

  it('rejects a reused key with a different amount and leaves the first charge alone', async () => {
    const p = provider();
    const charge = await p.createCharge(request('ord_mismatch', 1000));
    await expect(p.createCharge(request('ord_mismatch', 1001))).rejects.toBeInstanceOf(
      IdempotencyKeyMismatchError,
    );
    expect(await p.getCharge(charge.chargeId)).toMatchObject({ amountMinor: 1000 });
  });

  it('captures once under concurrent captures', async () => {
    const p = provider();
    const charge = await p.createCharge(request('ord_capture'));
    const results = await Promise.all(
      Array.from({ length: 5 }, () => p.capture(charge.chargeId, 'ord_capture:capture')),
    );
    expect(results.every((r) => r.status === 'captured' && r.capturedMinor === 1000)).toBe(true);
  });

  it('refuses a state change to a charge item another region wrote, leaving it unchanged', async () => {
    // Arrange: eu-west-1 (this table's `ledger`) created and decided the charge.
    const charge = await provider().createCharge(request('ord_owned'));
    const elsewhere = new DynamoLedgerStore({ client, tableName, region: 'us-east-1' });

    // Act + assert: the other region's copy may read it, not change it.
    await expect(
      elsewhere.updateCharge(charge.chargeId, ['authorized'], { status: 'captured', capturedMinor: 1000 }),
    ).rejects.toBeInstanceOf(ChargeOwnershipError);
    const intruder = new SimulatedPaymentProvider({
      ledger: elsewhere,
      dispatcher: new RecordingDispatcher(),
      scheduler: immediateDelivery(),
      clock: new ManualClock(),
      randomness: seededRandomness('ledger-test'),
    });
    await expect(intruder.capture(charge.chargeId, 'ord_owned:capture')).rejects.toMatchObject({
      name: 'ChargeOwnershipError',
      code: 'CHARGE_NOT_OWNED',
    });
    const [stored] = await items(`CHARGE#${charge.chargeId}`);
    expect(stored).toMatchObject({ status: 'authorized', ownerRegion: 'eu-west-1' });
    expect(stored?.capturedMinor).toBeUndefined();
  });

  it('applies a conditional update only from an allowed status', async () => {
    const charge: LedgerCharge = {
      chargeId: 'ch_conditional',
      idempotencyKey: 'k-conditional',
      amountMinor: 500,
      currency: 'EUR',
      metadata: { orderId: 'ord_x' },
      status: 'pending',
      plannedOutcome: { kind: 'no_response' },
      createdAt: 1,
    };
    await ledger.insertCharge(charge);
    expect(
      await ledger.updateCharge('ch_conditional', ['authorized'], { status: 'captured' }),
    ).toBeUndefined();
    const voided = await ledger.updateCharge('ch_conditional', ['pending'], {
      status: 'voided',
      voidedAt: 2,
    });
    expect(voided).toEqual({ ...charge, status: 'voided', voidedAt: 2 });
    expect(await ledger.updateCharge('ch_missing', ['pending'], { status: 'voided' })).toBeUndefined();
    expect(await ledger.insertCharge({ ...charge, amountMinor: 1 })).toMatchObject({
      amountMinor: 500,
      status: 'voided',
    });
  });
});
