import { ManualClock } from '../../../services/shared/clock';
import { ValidationError } from '../../../services/shared/errors';
import {
  ChargeNotCapturableError,
  ChargeNotRefundableError,
  IdempotencyKeyMismatchError,
} from '../../../services/payments/provider/domain/errors';
import { SimulatedPaymentProvider } from '../../../services/payments/provider/domain/provider';
import { seededRandomness, seededUniform } from '../../../services/payments/provider/domain/randomness';
import { delayedDelivery, immediateDelivery } from '../../../services/payments/provider/domain/schedulers';
import type { DeliveryScheduler, WebhookDispatcher } from '../../../services/payments/provider/domain/ports';
import type { CreateChargeRequest, WebhookEvent } from '../../../services/payments/provider/domain/types';
import { ManualScheduler, MemoryLedgerStore, RecordingDispatcher } from './support/fakes';

function setup(
  opts: {
    approvalRate?: number;
    seed?: string;
    scheduler?: DeliveryScheduler;
    dispatcher?: WebhookDispatcher;
  } = {},
) {
  const ledger = new MemoryLedgerStore();
  const dispatcher = new RecordingDispatcher();
  const scheduler = opts.scheduler ?? new ManualScheduler();
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const failures: string[] = [];
  const provider = new SimulatedPaymentProvider({
    ledger,
    dispatcher: opts.dispatcher ?? dispatcher,
    scheduler,
    clock,
    randomness: seededRandomness(opts.seed ?? 'test-seed'),
    ...(opts.approvalRate !== undefined && { approvalRate: opts.approvalRate }),
    diagnostics: { deliveryFailed: (chargeId) => void failures.push(chargeId) },
  });
  return { provider, ledger, dispatcher, scheduler, clock, failures };
}

const request = (overrides: Partial<CreateChargeRequest> = {}): CreateChargeRequest => ({
  idempotencyKey: 'ord_1',
  amountMinor: 2500,
  currency: 'EUR',
  token: 'tok_visa',
  metadata: { orderId: 'ord_1' },
  ...overrides,
});

describe('simulated provider: creating charges', () => {
  it('returns a pending charge at once and announces the approval by webhook later', async () => {
    const { provider, dispatcher, scheduler } = setup();
    const charge = await provider.createCharge(request());
    expect(charge).toMatchObject({ status: 'pending', amountMinor: 2500, currency: 'EUR' });
    expect(charge.chargeId).toMatch(/^ch_/);
    expect(dispatcher.sent).toHaveLength(0);

    await (scheduler as ManualScheduler).runAll();

    expect(dispatcher.sent).toHaveLength(1);
    expect(dispatcher.sent[0]).toEqual({
      id: expect.stringMatching(/^evt_/),
      type: 'charge.authorized',
      created: Math.floor(Date.UTC(2026, 0, 1, 12) / 1000),
      data: { chargeId: charge.chargeId, orderId: 'ord_1', amountMinor: 2500, currency: 'EUR' },
    });
    expect((await provider.getCharge(charge.chargeId)).status).toBe('authorized');
  });

  it.each([
    ['tok_chargeDeclined', 'card_declined'],
    ['tok_insufficientFunds', 'insufficient_funds'],
  ])('declines %s with %s', async (token, code) => {
    const { provider, dispatcher, scheduler } = setup();
    const charge = await provider.createCharge(request({ token }));
    await (scheduler as ManualScheduler).runAll();
    expect(dispatcher.sent).toEqual([
      expect.objectContaining({
        type: 'charge.declined',
        data: expect.objectContaining({ chargeId: charge.chargeId, declineCode: code }),
      }),
    ]);
    expect(await provider.getCharge(charge.chargeId)).toMatchObject({
      status: 'declined',
      declineCode: code,
    });
  });

  it('never answers tok_timeout: no webhook after the delivery mechanism had its turn', async () => {
    const { provider, dispatcher, scheduler } = setup();
    const charge = await provider.createCharge(request({ token: 'tok_timeout' }));
    await provider.createCharge(request({ token: 'tok_timeout' }));
    await (scheduler as ManualScheduler).runAll();
    expect(dispatcher.sent).toHaveLength(0);
    expect((await provider.getCharge(charge.chargeId)).status).toBe('pending');
  });

  it('never answers tok_timeout with immediate delivery either', async () => {
    const { provider, dispatcher } = setup({ scheduler: immediateDelivery() });
    const charge = await provider.createCharge(request({ token: 'tok_timeout' }));
    expect(dispatcher.sent).toHaveLength(0);
    expect((await provider.getCharge(charge.chargeId)).status).toBe('pending');
  });

  it('delivers before createCharge returns with immediate delivery', async () => {
    const { provider, dispatcher } = setup({ scheduler: immediateDelivery() });
    const charge = await provider.createCharge(request());
    expect(charge.status).toBe('pending');
    expect(dispatcher.sent.map((e) => e.data.chargeId)).toEqual([charge.chargeId]);
  });

  it('delivers after the configured delay with delayed delivery', async () => {
    const timers: { ms: number; run: () => void }[] = [];
    const sent: WebhookEvent[] = [];
    let delivered!: () => void;
    const deliveredOnce = new Promise<void>((resolve) => (delivered = resolve));
    const dispatcher: WebhookDispatcher = {
      dispatch: async (event) => {
        sent.push(event);
        delivered();
      },
    };
    const scheduler = delayedDelivery(1500, (run, ms) => timers.push({ run, ms }));
    const { provider } = setup({ scheduler, dispatcher });
    const charge = await provider.createCharge(request());
    expect(sent).toHaveLength(0);
    expect(timers.map((t) => t.ms)).toEqual([1500]);

    timers[0]?.run();
    await deliveredOnce;

    expect(sent.map((e) => e.data.chargeId)).toEqual([charge.chargeId]);
  });

  it('returns the same charge for a repeated key and sends one webhook', async () => {
    const { provider, ledger, dispatcher, scheduler } = setup();
    const first = await provider.createCharge(request());
    const second = await provider.createCharge(request());
    await (scheduler as ManualScheduler).runAll();
    const third = await provider.createCharge(request());
    await (scheduler as ManualScheduler).runAll();

    expect(second.chargeId).toBe(first.chargeId);
    expect(third).toMatchObject({ chargeId: first.chargeId, status: 'authorized' });
    expect(ledger.charges.size).toBe(1);
    expect(dispatcher.sent).toHaveLength(1);
  });

  it('creates one charge for 20 concurrent calls with one key', async () => {
    const { provider, ledger, dispatcher, scheduler } = setup();
    const charges = await Promise.all(Array.from({ length: 20 }, () => provider.createCharge(request())));
    await (scheduler as ManualScheduler).runAll();
    expect(new Set(charges.map((c) => c.chargeId)).size).toBe(1);
    expect(ledger.charges.size).toBe(1);
    expect(dispatcher.sent).toHaveLength(1);
  });

  it.each([
    ['amount', { amountMinor: 2600 }],
    ['currency', { currency: 'USD' }],
    ['token', { token: 'tok_chargeDeclined' }],
  ])('rejects a reused key with a different %s', async (_what, change) => {
    const { provider, ledger } = setup();
    await provider.createCharge(request());
    await expect(provider.createCharge(request(change))).rejects.toBeInstanceOf(IdempotencyKeyMismatchError);
    expect(ledger.charges.size).toBe(1);
  });

  it('rejects a key first used for another operation', async () => {
    const { provider } = setup();
    const charge = await provider.createCharge(request({ idempotencyKey: 'k-1' }));
    await expect(provider.capture(charge.chargeId, 'k-1')).rejects.toBeInstanceOf(
      IdempotencyKeyMismatchError,
    );
  });

  it('rejects an invalid request', async () => {
    const { provider } = setup();
    await expect(provider.createCharge(request({ amountMinor: 12.5 }))).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      provider.createCharge({ ...request(), metadata: {} as CreateChargeRequest['metadata'] }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('reports a failed delivery without failing createCharge', async () => {
    const failingDispatcher: WebhookDispatcher = {
      dispatch: async () => {
        throw new Error('merchant down');
      },
    };
    const { provider, failures } = setup({ scheduler: immediateDelivery(), dispatcher: failingDispatcher });
    const charge = await provider.createCharge(request());
    expect(charge.status).toBe('pending');
    expect(failures).toEqual([charge.chargeId]);
  });
});

describe('simulated provider: approval rate', () => {
  async function approvals(seed: string, keys = 1000): Promise<string[]> {
    const { provider, dispatcher, scheduler } = setup({ approvalRate: 0.7, seed });
    for (let i = 0; i < keys; i++) {
      await provider.createCharge(
        request({ idempotencyKey: `ord_${i}`, token: undefined, metadata: { orderId: `ord_${i}` } }),
      );
    }
    await (scheduler as ManualScheduler).runAll();
    return dispatcher.sent.filter((e) => e.type === 'charge.authorized').map((e) => e.data.orderId);
  }

  it('approves about 70% of 1,000 charges, reproducibly per seed', async () => {
    const first = await approvals('drill-42');
    const again = await approvals('drill-42');
    const other = await approvals('drill-43');

    expect(first.length).toBeGreaterThanOrEqual(650);
    expect(first.length).toBeLessThanOrEqual(750);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('declines by rate with card_declined and never flips on retry', async () => {
    const { provider, dispatcher } = setup({ approvalRate: 0, scheduler: immediateDelivery() });
    const charge = await provider.createCharge(request({ token: 'tok_anything' }));
    const retried = await provider.createCharge(request({ token: 'tok_anything' }));
    expect(dispatcher.sent.map((e) => [e.type, e.data.declineCode])).toEqual([
      ['charge.declined', 'card_declined'],
    ]);
    expect(retried).toMatchObject({ chargeId: charge.chargeId, status: 'declined' });
  });

  it('draws uniformly in [0, 1) as a pure function of seed and key', () => {
    const draws = Array.from({ length: 200 }, (_, i) => seededUniform('s', `k${i}`));
    expect(draws.every((d) => d >= 0 && d < 1)).toBe(true);
    expect(seededUniform('s', 'k1')).toBe(seededUniform('s', 'k1'));
    expect(seededUniform('s', 'k1')).not.toBe(seededUniform('t', 'k1'));
  });

  it('refuses an approval rate outside [0, 1]', () => {
    expect(() => setup({ approvalRate: 1.5 })).toThrow(RangeError);
  });
});

describe('simulated provider: capture, refund and void', () => {
  async function authorized(token = 'tok_visa') {
    const ctx = setup({ scheduler: immediateDelivery() });
    const charge = await ctx.provider.createCharge(request({ token }));
    return { ...ctx, chargeId: charge.chargeId };
  }

  it('captures an authorized charge once, idempotently', async () => {
    const { provider, chargeId } = await authorized();
    const captured = await provider.capture(chargeId, 'ord_1:capture');
    const again = await provider.capture(chargeId, 'ord_1:capture');
    expect(captured).toMatchObject({ status: 'captured', capturedMinor: 2500 });
    expect(again).toEqual(captured);
  });

  it('refuses to capture a declined or a pending charge', async () => {
    const declined = await authorized('tok_chargeDeclined');
    await expect(declined.provider.capture(declined.chargeId, 'c')).rejects.toBeInstanceOf(
      ChargeNotCapturableError,
    );
    const pending = await authorized('tok_timeout');
    await expect(pending.provider.capture(pending.chargeId, 'c')).rejects.toBeInstanceOf(
      ChargeNotCapturableError,
    );
  });

  it('refunds a captured charge once', async () => {
    const { provider, chargeId } = await authorized();
    await provider.capture(chargeId, 'ord_1:capture');
    const refunded = await provider.refund(chargeId, 'ord_1:refund');
    const again = await provider.refund(chargeId, 'ord_1:refund');
    const otherKey = await provider.refund(chargeId, 'another-refund');
    expect(refunded).toMatchObject({ status: 'refunded', refundedMinor: 2500 });
    expect(again).toEqual(refunded);
    expect(otherKey).toEqual(refunded);
  });

  it('voids an authorized, uncaptured charge and then refuses to capture it', async () => {
    const { provider, chargeId } = await authorized();
    const voided = await provider.refund(chargeId, 'ord_1:refund');
    expect(voided.status).toBe('voided');
    expect(voided.refundedMinor).toBeUndefined();
    await expect(provider.capture(chargeId, 'ord_1:capture')).rejects.toBeInstanceOf(
      ChargeNotCapturableError,
    );
  });

  it('voids a pending charge so a late decision never lands', async () => {
    const { provider, ledger, dispatcher, scheduler } = setup();
    const charge = await provider.createCharge(request());
    await provider.refund(charge.chargeId, 'ord_1:refund');
    await (scheduler as ManualScheduler).runAll();
    expect(ledger.charges.get(charge.chargeId)?.status).toBe('voided');
    expect(dispatcher.sent).toHaveLength(0);
  });

  it('refuses to refund a declined charge', async () => {
    const { provider, chargeId } = await authorized('tok_insufficientFunds');
    await expect(provider.refund(chargeId, 'ord_1:refund')).rejects.toBeInstanceOf(ChargeNotRefundableError);
  });

  it('finds a charge by the key it was created with, and only such a key', async () => {
    const { provider, chargeId } = await authorized();
    await provider.capture(chargeId, 'ord_1:capture');
    expect((await provider.findChargeByIdempotencyKey('ord_1'))?.chargeId).toBe(chargeId);
    expect(await provider.findChargeByIdempotencyKey('ord_1:capture')).toBeUndefined();
    expect(await provider.findChargeByIdempotencyKey('nope')).toBeUndefined();
  });
});
