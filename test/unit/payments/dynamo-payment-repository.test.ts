import { DynamoPaymentRepository } from '../../../services/payments/adapters/dynamo-payment-repository';
import { PaymentOwnershipError } from '../../../services/payments/domain/errors';
import { createTables, testDocumentClient } from '../../support/dynamo';

describe('payment records in DynamoDB', () => {
  const client = testDocumentClient();
  let home: DynamoPaymentRepository;
  let elsewhere: DynamoPaymentRepository;
  let seq = 0;

  beforeAll(async () => {
    const tableName = (await createTables(['payments'])).payments;
    home = new DynamoPaymentRepository({ client, tableName, region: 'us-east-1' });
    elsewhere = new DynamoPaymentRepository({ client, tableName, region: 'eu-west-1' });
  });

  const begin = (repo: DynamoPaymentRepository, orderId: string, taskToken = 'token-1') =>
    repo.beginAuthorization({ orderId, taskToken, amountMinor: 700, currency: 'EUR', correlationId: 'c-1' });
  const uncharged = (orderId: string) => ({
    orderId,
    amountMinor: 700,
    currency: 'EUR',
    correlationId: 'c-1',
  });
  const newOrderId = () => `ord_repo_${++seq}`;

  it('never lets another region write a record: begin, attach, transition or void', async () => {
    const orderId = newOrderId();
    const created = await begin(home, orderId);

    await expect(begin(elsewhere, orderId, 'intruder')).rejects.toBeInstanceOf(PaymentOwnershipError);
    await expect(elsewhere.attachCharge(orderId, 'ch_x')).rejects.toBeInstanceOf(PaymentOwnershipError);
    expect(await elsewhere.transition(orderId, ['AUTHORIZING'], 'VOIDED')).toBeUndefined();
    expect(await elsewhere.voidUncharged(uncharged(orderId))).toBeUndefined();

    expect(await home.get(orderId)).toEqual(created);
  });

  it('creates a VOIDED record when compensation finds none, stamped with this region', async () => {
    const orderId = newOrderId();
    const voided = await home.voidUncharged(uncharged(orderId));

    expect(voided).toMatchObject({
      orderId,
      status: 'VOIDED',
      amountMinor: 700,
      currency: 'EUR',
      correlationId: 'c-1',
      ownerRegion: 'us-east-1',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(await home.voidUncharged(uncharged(orderId))).toBeUndefined();
  });

  it('voids an AUTHORIZING record only while it has no charge id', async () => {
    const withoutCharge = newOrderId();
    await begin(home, withoutCharge);
    const withCharge = newOrderId();
    await begin(home, withCharge);
    await home.attachCharge(withCharge, 'ch_recorded');

    expect(await home.voidUncharged(uncharged(withoutCharge))).toMatchObject({
      status: 'VOIDED',
      taskToken: 'token-1',
    });
    expect(await home.voidUncharged(uncharged(withCharge))).toBeUndefined();
    expect(await home.get(withCharge)).toMatchObject({ status: 'AUTHORIZING', chargeId: 'ch_recorded' });
  });

  it('leaves a compensated record alone when a late step begins: no new token, status kept', async () => {
    const orderId = newOrderId();
    await begin(home, orderId, 'first');
    await home.voidUncharged(uncharged(orderId));

    const late = await begin(home, orderId, 'late');

    expect(late).toMatchObject({ status: 'VOIDED', taskToken: 'first' });
    expect(await home.get(orderId)).toEqual(late);
  });

  it('replaces only the token of a record that is not compensated', async () => {
    const orderId = newOrderId();
    await begin(home, orderId, 'first');
    await home.attachCharge(orderId, 'ch_1');
    await home.transition(orderId, ['AUTHORIZING'], 'AUTHORIZED');

    const retried = await begin(home, orderId, 'second');

    expect(retried).toMatchObject({ status: 'AUTHORIZED', taskToken: 'second', chargeId: 'ch_1' });
  });

  it('attaches a charge id to a voided record and returns the record', async () => {
    const orderId = newOrderId();
    await home.voidUncharged(uncharged(orderId));

    expect(await home.attachCharge(orderId, 'ch_late')).toMatchObject({
      status: 'VOIDED',
      chargeId: 'ch_late',
    });
    expect(await home.attachCharge(orderId, 'ch_late')).toMatchObject({ chargeId: 'ch_late' });
    await expect(home.attachCharge(orderId, 'ch_other')).rejects.toThrow(/refusing to attach ch_other/);
  });
});
