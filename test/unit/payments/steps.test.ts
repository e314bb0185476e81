import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../../services/shared/errors';
import { lambdaContext } from '../../../services/shared/lambda';
import { SAGA_ERRORS } from '../../../services/shared/saga';
import {
  MissingTaskTokenError,
  PaymentNotCapturableError,
  PaymentNotFoundError,
  PaymentOwnershipError,
} from '../../../services/payments/domain/errors';
import { DynamoPaymentRepository } from '../../../services/payments/adapters/dynamo-payment-repository';
import { immediateDelivery } from '../../../services/payments/provider/domain/schedulers';
import { ManualScheduler } from './support/fakes';
import { paymentTables, paymentsHarness, REGION } from './support/harness';
import { sagaOrder, stepInput } from './support/orders';

const ctx = lambdaContext('payments-step');

describe('payment saga steps', () => {
  let tables: Awaited<ReturnType<typeof paymentTables>>;
  beforeAll(async () => {
    tables = await paymentTables();
  });

  async function chargesFor(h: ReturnType<typeof paymentsHarness>, orderId: string) {
    const result = await h.client.send(new ScanCommand({ TableName: tables.payments, ConsistentRead: true }));
    return (result.Items ?? []).filter(
      (i) => String(i.pk).startsWith('CHARGE#') && i.idempotencyKey === orderId,
    );
  }

  describe('authorizePayment', () => {
    it('stores the task token, creates one charge keyed by the order id and leaves the task to the webhook', async () => {
      const h = paymentsHarness({ tables });
      const order = sagaOrder();
      const result = await h.authorize(stepInput(order, { taskToken: 'tok-1' }), ctx);

      expect(result).toMatchObject({
        orderId: order.orderId,
        chargeStatus: 'pending',
        completedBy: 'webhook',
      });
      expect(await h.repository.get(order.orderId)).toMatchObject({
        status: 'AUTHORIZING',
        taskToken: 'tok-1',
        chargeId: result.chargeId,
        amountMinor: order.totalMinor,
        currency: order.currency,
        ownerRegion: REGION,
        correlationId: order.correlationId,
      });
      expect(await h.provider.findChargeByIdempotencyKey(order.orderId)).toMatchObject({
        chargeId: result.chargeId,
        amountMinor: order.totalMinor,
        metadata: { orderId: order.orderId, correlationId: order.correlationId },
      });
      expect(h.callbacks.delivered).toHaveLength(0);
    });

    it('completes the task through the webhook once the provider decides', async () => {
      const h = paymentsHarness({ tables });
      const order = sagaOrder();
      await h.authorize(stepInput(order, { taskToken: 'tok-1' }), ctx);
      await (h.scheduler as ManualScheduler).runAll();

      expect(h.callbacks.delivered).toEqual([expect.objectContaining({ kind: 'success', token: 'tok-1' })]);
      expect((await h.repository.get(order.orderId))?.status).toBe('AUTHORIZED');
    });

    it('answers a retried task itself when the charge was already authorized', async () => {
      const h = paymentsHarness({ tables });
      const order = sagaOrder();
      const first = await h.authorize(stepInput(order, { taskToken: 'tok-1' }), ctx);
      await (h.scheduler as ManualScheduler).runAll();
      const retry = await h.authorize(stepInput(order, { taskToken: 'tok-2' }), ctx);

      expect(retry).toMatchObject({ chargeId: first.chargeId, completedBy: 'step', callback: 'delivered' });
      expect(h.callbacks.delivered.map((c) => [c.kind, c.token])).toEqual([
        ['success', 'tok-1'],
        ['success', 'tok-2'],
      ]);
      expect(await chargesFor(h, order.orderId)).toHaveLength(1);
      expect(await h.repository.get(order.orderId)).toMatchObject({
        status: 'AUTHORIZED',
        taskToken: 'tok-2',
      });
    });

    it('fails a retried task with PaymentDeclinedError when the charge was declined', async () => {
      const h = paymentsHarness({ tables });
      const order = sagaOrder({ paymentToken: 'tok_insufficientFunds' });
      await h.authorize(stepInput(order, { taskToken: 'tok-1' }), ctx);
      await (h.scheduler as ManualScheduler).runAll();
      await h.authorize(stepInput(order, { taskToken: 'tok-2' }), ctx);

      expect(h.callbacks.delivered).toEqual([
        { kind: 'failure', token: 'tok-1', error: SAGA_ERRORS.paymentDeclined, cause: 'insufficient_funds' },
        { kind: 'failure', token: 'tok-2', error: SAGA_ERRORS.paymentDeclined, cause: 'insufficient_funds' },
      ]);
      expect(h.publisher.types()).toEqual(['PaymentDeclined', 'PaymentDeclined']);
      expect(new Set(h.publisher.events.map((e) => e.id)).size).toBe(1);
    });

    it('records the decision itself when the webhook never arrived', async () => {
      const h = paymentsHarness({ tables, dispatcher: () => ({ dispatch: async () => undefined }) });
      const order = sagaOrder();
      await h.authorize(stepInput(order, { taskToken: 'tok-1' }), ctx);
      await (h.scheduler as ManualScheduler).runAll(); // decided at the provider; the webhook is lost
      await h.authorize(stepInput(order, { taskToken: 'tok-2' }), ctx);

      expect(await h.repository.get(order.orderId)).toMatchObject({ status: 'AUTHORIZED' });
      expect(h.publisher.types()).toEqual(['PaymentAuthorized']);
      expect(h.callbacks.delivered.map((c) => c.token)).toEqual(['tok-2']);
    });

    it('lets a pending charge be answered by the webhook on the newest token', async () => {
      const h = paymentsHarness({ tables });
      const order = sagaOrder();
      await h.authorize(stepInput(order, { taskToken: 'tok-1' }), ctx);
      const retry = await h.authorize(stepInput(order, { taskToken: 'tok-2' }), ctx);
      await (h.scheduler as ManualScheduler).runAll();

      expect(retry.completedBy).toBe('webhook');
      expect(h.callbacks.delivered.map((c) => c.token)).toEqual(['tok-2']);
      expect(h.delivered).toHaveLength(1);
    });

    it('refuses an order whose home is another region, writing nothing', async () => {
      const h = paymentsHarness({ tables });
      const order = sagaOrder({ homeRegion: 'eu-west-1' });
      await expect(h.authorize(stepInput(order, { taskToken: 't' }), ctx)).rejects.toBeInstanceOf(
        PaymentOwnershipError,
      );
      expect(await h.repository.get(order.orderId)).toBeUndefined();
      expect(await h.provider.findChargeByIdempotencyKey(order.orderId)).toBeUndefined();
    });

    it('refuses to write a record another region owns', async () => {
      const h = paymentsHarness({ tables });
      const order = sagaOrder();
      const elsewhere = new DynamoPaymentRepository({
        client: h.client,
        tableName: tables.payments,
        region: 'eu-west-1',
      });
      await elsewhere.beginAuthorization({
        orderId: order.orderId,
        taskToken: 'x',
        amountMinor: 1,
        currency: 'EUR',
        correlationId: 'c',
      });
      await expect(h.authorize(stepInput(order, { taskToken: 't' }), ctx)).rejects.toBeInstanceOf(
        PaymentOwnershipError,
      );
      expect(await h.repository.get(order.orderId)).toMatchObject({
        ownerRegion: 'eu-west-1',
        taskToken: 'x',
      });
    });

    it('requires a task token and a valid order', async () => {
      const h = paymentsHarness({ tables });
      await expect(h.authorize(stepInput(sagaOrder()), ctx)).rejects.toBeInstanceOf(MissingTaskTokenError);
      await expect(h.authorize({ order: { orderId: 'x' }, taskToken: 't' }, ctx)).rejects.toBeInstanceOf(
        ValidationError,
      );
    });

    it('throws errors whose name the saga can route on', async () => {
      const h = paymentsHarness({ tables });
      const order = sagaOrder({ homeRegion: 'eu-west-1' });
      await expect(h.authorize(stepInput(order, { taskToken: 't' }), ctx)).rejects.toMatchObject({
        name: 'PaymentOwnershipError',
      });
    });
  });

  describe('capturePayment', () => {
    async function authorized(h: ReturnType<typeof paymentsHarness>, token = 'tok_visa') {
      const order = sagaOrder({ paymentToken: token });
      await h.authorize(stepInput(order, { taskToken: 'tok-1' }), ctx);
      await (h.scheduler as ManualScheduler).runAll();
      return order;
    }

    it('captures the authorized charge and publishes PaymentCaptured, idempotently', async () => {
      const h = paymentsHarness({ tables });
      const order = await authorized(h);
      const first = await h.capture(stepInput(order), ctx);
      const again = await h.capture(stepInput(order), ctx);

      expect(first).toEqual({ chargeId: expect.stringMatching(/^ch_/), capturedMinor: order.totalMinor });
      expect(again).toEqual(first);
      expect(await h.repository.get(order.orderId)).toMatchObject({
        status: 'CAPTURED',
        capturedMinor: order.totalMinor,
      });
      expect(await h.provider.getCharge(first.chargeId)).toMatchObject({ status: 'captured' });
      const captured = h.publisher.events.filter((e) => e.type === 'PaymentCaptured');
      expect(new Set(captured.map((e) => e.id))).toEqual(new Set([`${order.orderId}:PaymentCaptured`]));
      expect(captured[0]?.data).toEqual({
        orderId: order.orderId,
        chargeId: first.chargeId,
        amount: 49.99,
        currency: 'EUR',
      });
    });

    it('refuses to capture a declined or undecided payment', async () => {
      const h = paymentsHarness({ tables });
      const declined = await authorized(h, 'tok_chargeDeclined');
      await expect(h.capture(stepInput(declined), ctx)).rejects.toBeInstanceOf(PaymentNotCapturableError);
      const pending = await authorized(h, 'tok_timeout');
      await expect(h.capture(stepInput(pending), ctx)).rejects.toBeInstanceOf(PaymentNotCapturableError);
    });

    it('reports an order without payment', async () => {
      const h = paymentsHarness({ tables });
      await expect(h.capture(stepInput(sagaOrder()), ctx)).rejects.toBeInstanceOf(PaymentNotFoundError);
    });
  });

  describe('refundPayment', () => {
    it('has nothing to refund, without throwing, when the order has no payment — and closes it', async () => {
      const h = paymentsHarness({ tables });
      const order = sagaOrder();
      await expect(h.refund(stepInput(order), ctx)).resolves.toEqual({ outcome: 'NOTHING_TO_REFUND' });
      expect(h.publisher.events).toHaveLength(0);
      // Closed, so an authorization step still in flight for this order stands down instead of charging.
      expect(await h.repository.get(order.orderId)).toMatchObject({ status: 'VOIDED', ownerRegion: REGION });
    });

    it('refunds a captured payment once and publishes PaymentRefunded', async () => {
      const h = paymentsHarness({ tables, scheduler: immediateDelivery() });
      const order = sagaOrder();
      await h.authorize(stepInput(order, { taskToken: 'tok-1' }), ctx);
      const { chargeId } = await h.capture(stepInput(order), ctx);
      const first = await h.refund(stepInput(order, { reason: 'ShipmentFailedError' }), ctx);
      const again = await h.refund(stepInput(order), ctx);

      expect(first).toEqual({ outcome: 'REFUNDED', chargeId, refundedMinor: order.totalMinor });
      expect(again).toEqual(first);
      expect(await h.provider.getCharge(chargeId)).toMatchObject({
        status: 'refunded',
        refundedMinor: order.totalMinor,
      });
      expect(await h.repository.get(order.orderId)).toMatchObject({ status: 'REFUNDED' });
      const refunded = h.publisher.events.filter((e) => e.type === 'PaymentRefunded');
      expect(new Set(refunded.map((e) => e.id))).toEqual(new Set([`${order.orderId}:PaymentRefunded`]));
    });

    it('voids an authorized payment without publishing a refund', async () => {
      const h = paymentsHarness({ tables, scheduler: immediateDelivery() });
      const order = sagaOrder();
      const { chargeId } = await h.authorize(stepInput(order, { taskToken: 'tok-1' }), ctx);
      const result = await h.refund(stepInput(order), ctx);

      expect(result).toEqual({ outcome: 'VOIDED', chargeId });
      expect(await h.provider.getCharge(String(chargeId))).toMatchObject({ status: 'voided' });
      expect(await h.repository.get(order.orderId)).toMatchObject({ status: 'VOIDED' });
      expect(h.publisher.types()).not.toContain('PaymentRefunded');
      await expect(h.refund(stepInput(order), ctx)).resolves.toEqual({ outcome: 'VOIDED', chargeId });
    });

    it('voids a charge the provider never answered (the step timed out)', async () => {
      const h = paymentsHarness({ tables });
      const order = sagaOrder({ paymentToken: 'tok_timeout' });
      const { chargeId } = await h.authorize(stepInput(order, { taskToken: 'tok-1' }), ctx);
      const result = await h.refund(stepInput(order, { reason: 'States.Timeout' }), ctx);

      expect(result).toEqual({ outcome: 'VOIDED', chargeId });
      expect(await h.provider.getCharge(String(chargeId))).toMatchObject({ status: 'voided' });
    });

    it('voids a pending charge so its late authorization is ignored', async () => {
      const h = paymentsHarness({ tables });
      const order = sagaOrder();
      await h.authorize(stepInput(order, { taskToken: 'tok-1' }), ctx);
      await h.refund(stepInput(order), ctx);
      await (h.scheduler as ManualScheduler).runAll();

      expect(h.delivered).toHaveLength(0);
      expect(h.callbacks.delivered).toHaveLength(0);
      expect((await h.repository.get(order.orderId))?.status).toBe('VOIDED');
    });

    it('has nothing to refund for a declined payment', async () => {
      const h = paymentsHarness({ tables, scheduler: immediateDelivery() });
      const order = sagaOrder({ paymentToken: 'tok_chargeDeclined' });
      await h.authorize(stepInput(order, { taskToken: 'tok-1' }), ctx);
      await expect(h.refund(stepInput(order), ctx)).resolves.toEqual({ outcome: 'NOTHING_TO_REFUND' });
      expect((await h.repository.get(order.orderId))?.status).toBe('DECLINED');
    });

    it('finds a charge whose id was never recorded and voids it', async () => {
      const h = paymentsHarness({ tables, scheduler: immediateDelivery() });
      const order = sagaOrder();
      // The step stopped after the provider created the charge but before the id was stored.
      await h.repository.beginAuthorization({
        orderId: order.orderId,
        taskToken: 'tok-1',
        amountMinor: order.totalMinor,
        currency: order.currency,
        correlationId: order.correlationId,
      });
      const charge = await h.provider.createCharge({
        idempotencyKey: order.orderId,
        amountMinor: order.totalMinor,
        currency: order.currency,
        token: 'tok_timeout',
        metadata: { orderId: order.orderId },
      });
      const result = await h.refund(stepInput(order), ctx);

      expect(result).toEqual({ outcome: 'VOIDED', chargeId: charge.chargeId });
      expect(await h.repository.get(order.orderId)).toMatchObject({
        status: 'VOIDED',
        chargeId: charge.chargeId,
      });
    });
  });
});
