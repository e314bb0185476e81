import { lambdaContext } from '../../../services/shared/lambda';
import { observability } from '../../../services/shared/observability';
import { SAGA_ERRORS } from '../../../services/shared/saga';
import { AuthorizePayment } from '../../../services/payments/domain/authorize-payment';
import type { PaymentProvider } from '../../../services/payments/domain/ports';
import { buildAuthorizePaymentHandler } from '../../../services/payments/handlers/steps';
import { immediateDelivery } from '../../../services/payments/provider/domain/schedulers';
import { ManualScheduler } from './support/fakes';
import { paymentTables, paymentsHarness } from './support/harness';
import { sagaOrder, stepInput } from './support/orders';

const ctx = lambdaContext('payments-step');

/** A promise the test resolves by hand: where a stalled step waits. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * The payment step can outlive its task: Step Functions times it out and runs compensation (refund) while
 * the step still runs. Whatever the interleaving, no charge may end up holding money for the order, and
 * the saga — which has moved on — is never told the payment was authorized.
 */
describe('authorization racing its own compensation', () => {
  let tables: Awaited<ReturnType<typeof paymentTables>>;
  beforeAll(async () => {
    tables = await paymentTables();
  });

  type Harness = ReturnType<typeof paymentsHarness>;

  /** The authorize step over a provider that counts createCharge calls and can stall around them. */
  function stallableAuthorize(h: Harness, stall: { before?: Promise<void>; after?: Promise<void> } = {}) {
    const calls = { createCharge: 0 };
    const reached = gate();
    const provider: PaymentProvider = {
      createCharge: async (request) => {
        calls.createCharge += 1;
        if (stall.before) {
          reached.open();
          await stall.before;
        }
        const charge = await h.provider.createCharge(request);
        if (stall.after) {
          reached.open();
          await stall.after;
        }
        return charge;
      },
      capture: (id, key) => h.provider.capture(id, key),
      refund: (id, key) => h.provider.refund(id, key),
      getCharge: (id) => h.provider.getCharge(id),
      findChargeByIdempotencyKey: (key) => h.provider.findChargeByIdempotencyKey(key),
    };
    const useCase = new AuthorizePayment({
      repository: h.repository,
      publisher: h.publisher,
      region: h.region,
      clock: h.clock,
      callbacks: h.callbacks,
      provider,
    });
    const handler = buildAuthorizePaymentHandler({ useCase, obs: observability('payments-test') });
    /** `stalled` resolves once the step waits at its stall point. */
    return { handler, calls, stalled: reached.opened };
  }

  it('compensation before the step wrote anything closes the payment, and the late step charges nothing', async () => {
    const h = paymentsHarness({ tables, scheduler: immediateDelivery() });
    const order = sagaOrder();
    const step = stallableAuthorize(h);

    const refund = await h.refund(stepInput(order, { reason: 'States.Timeout' }), ctx);
    const late = await step.handler(stepInput(order, { taskToken: 'late' }), ctx);

    expect(refund).toEqual({ outcome: 'NOTHING_TO_REFUND' });
    expect(step.calls.createCharge).toBe(0);
    expect(await h.provider.findChargeByIdempotencyKey(order.orderId)).toBeUndefined();
    expect(late).toMatchObject({ completedBy: 'step', compensated: true });
    expect(h.callbacks.delivered).toEqual([
      { kind: 'failure', token: 'late', error: SAGA_ERRORS.paymentDeclined, cause: 'payment_voided' },
    ]);
    const record = await h.repository.get(order.orderId);
    expect(record).toMatchObject({
      status: 'VOIDED',
      ownerRegion: h.region,
      amountMinor: order.totalMinor,
      currency: order.currency,
      correlationId: order.correlationId,
    });
    expect(record?.taskToken).toBeUndefined();
    expect(record?.chargeId).toBeUndefined();
  });

  it.each([
    ['the webhook is delivered later', () => new ManualScheduler()],
    ['the webhook is delivered before createCharge returns', () => immediateDelivery()],
  ])(
    'a step that stored its token and stalled before the provider call gives back the charge it creates (%s)',
    async (_what, scheduler) => {
      // Arrange: the step stores its token, then stalls before the provider call.
      const h = paymentsHarness({ tables, scheduler: scheduler() });
      const order = sagaOrder();
      const stalled = gate();
      const step = stallableAuthorize(h, { before: stalled.opened });
      const running = step.handler(stepInput(order, { taskToken: 'stalled' }), ctx);
      await step.stalled;

      // Act: the saga times the task out and compensates; then the stalled step carries on.
      h.callbacks.timeOut('stalled');
      const refund = await h.refund(stepInput(order, { reason: 'States.Timeout' }), ctx);
      stalled.open();
      const result = await running;
      if (h.scheduler instanceof ManualScheduler) await h.scheduler.runAll();

      // Assert: the charge exists but holds nothing; the saga was never told "authorized".
      expect(refund).toEqual({ outcome: 'NOTHING_TO_REFUND' });
      const charge = await h.provider.findChargeByIdempotencyKey(order.orderId);
      expect(charge).toMatchObject({ status: 'voided' });
      expect(result).toMatchObject({ chargeId: charge?.chargeId, completedBy: 'step', compensated: true });
      expect(await h.repository.get(order.orderId)).toMatchObject({
        status: 'VOIDED',
        chargeId: charge?.chargeId,
      });
      expect([...h.callbacks.delivered, ...h.callbacks.gone].map((c) => c.kind)).not.toContain('success');
      expect(h.publisher.types()).not.toContain('PaymentAuthorized');
    },
  );

  it('a webhook arriving after compensation releases the charge instead of resuming the saga', async () => {
    // Arrange: the step stalls before the provider call; compensation closes the payment meanwhile.
    const h = paymentsHarness({ tables, scheduler: immediateDelivery() });
    const order = sagaOrder();
    const stalled = gate();
    const step = stallableAuthorize(h, { before: stalled.opened });
    const running = step.handler(stepInput(order, { taskToken: 'stalled' }), ctx);
    await step.stalled;
    await h.refund(stepInput(order, { reason: 'States.Timeout' }), ctx);

    // Act: the step resumes; the provider decides at once and its webhook reaches the merchant first.
    stalled.open();
    await running;

    // Assert
    expect(h.webhookResults).toEqual([{ outcome: 'released', chargeStatus: 'voided' }]);
    expect(h.callbacks.delivered.map((c) => c.kind)).toEqual(['failure']);
  });

  it('a step that stalled after creating the charge finds it voided by compensation', async () => {
    // Arrange: the charge exists (still pending) but its id is not recorded yet when the step stalls.
    const h = paymentsHarness({ tables });
    const order = sagaOrder();
    const stalled = gate();
    const step = stallableAuthorize(h, { after: stalled.opened });
    const running = step.handler(stepInput(order, { taskToken: 'stalled' }), ctx);
    await step.stalled;

    // Act
    const refund = await h.refund(stepInput(order, { reason: 'States.Timeout' }), ctx);
    stalled.open();
    const result = await running;
    await (h.scheduler as ManualScheduler).runAll();

    // Assert: compensation found the charge by its key and voided it before any decision.
    const charge = await h.provider.findChargeByIdempotencyKey(order.orderId);
    expect(refund).toEqual({ outcome: 'VOIDED', chargeId: charge?.chargeId });
    expect(charge).toMatchObject({ status: 'voided' });
    expect(result).toMatchObject({ completedBy: 'step', compensated: true, chargeStatus: 'voided' });
    expect(h.delivered).toHaveLength(0);
    expect(h.callbacks.delivered.map((c) => c.kind)).toEqual(['failure']);
  });

  it('a step retried after compensation does not call the provider to charge', async () => {
    const h = paymentsHarness({ tables });
    const order = sagaOrder();
    await h.authorize(stepInput(order, { taskToken: 'first' }), ctx);
    await h.refund(stepInput(order, { reason: 'States.Timeout' }), ctx);
    const step = stallableAuthorize(h);

    const retry = await step.handler(stepInput(order, { taskToken: 'retry' }), ctx);

    expect(step.calls.createCharge).toBe(0);
    expect(retry).toMatchObject({ completedBy: 'step', compensated: true });
    expect(h.callbacks.delivered).toEqual([
      { kind: 'failure', token: 'retry', error: SAGA_ERRORS.paymentDeclined, cause: 'payment_voided' },
    ]);
    expect((await h.repository.get(order.orderId))?.taskToken).toBe('first');
  });

  it('compensation retried on a voided payment gives back a charge created after the void', async () => {
    // Arrange: compensation closed the payment; then a stalled step created a charge and died.
    const h = paymentsHarness({ tables });
    const order = sagaOrder();
    await h.refund(stepInput(order), ctx);
    const late = await h.provider.createCharge({
      idempotencyKey: order.orderId,
      amountMinor: order.totalMinor,
      currency: order.currency,
      token: 'tok_visa',
      metadata: { orderId: order.orderId },
    });

    // Act
    const again = await h.refund(stepInput(order), ctx);
    await (h.scheduler as ManualScheduler).runAll();

    // Assert
    expect(again).toEqual({ outcome: 'VOIDED', chargeId: late.chargeId });
    expect(await h.provider.getCharge(late.chargeId)).toMatchObject({ status: 'voided' });
    expect(await h.repository.get(order.orderId)).toMatchObject({
      status: 'VOIDED',
      chargeId: late.chargeId,
    });
    expect(h.delivered).toHaveLength(0);
  });

  it('compensation for an order homed in another region writes nothing', async () => {
    const h = paymentsHarness({ tables });
    const order = sagaOrder({ homeRegion: 'eu-west-1' });

    await expect(h.refund(stepInput(order), ctx)).resolves.toEqual({ outcome: 'NOTHING_TO_REFUND' });
    expect(await h.repository.get(order.orderId)).toBeUndefined();
  });
});
