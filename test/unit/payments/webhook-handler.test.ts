import { DynamoProcessedEventStore } from '../../../services/shared/adapters/dynamo-processed-events';
import { ManualClock } from '../../../services/shared/clock';
import { lambdaContext } from '../../../services/shared/lambda';
import { observability } from '../../../services/shared/observability';
import { SAGA_ERRORS } from '../../../services/shared/saga';
import { DynamoPaymentRepository } from '../../../services/payments/adapters/dynamo-payment-repository';
import { HandleProviderWebhook } from '../../../services/payments/domain/handle-webhook';
import { buildWebhookHandler } from '../../../services/payments/handlers/webhook';
import { signatureHeader } from '../../../services/payments/provider/domain/signature';
import type { WebhookEvent } from '../../../services/payments/provider/domain/types';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { DynamoLedgerStore } from '../../../services/payments/provider/adapters/dynamo-ledger';
import { SimulatedPaymentProvider } from '../../../services/payments/provider/domain/provider';
import { seededRandomness } from '../../../services/payments/provider/domain/randomness';
import { immediateDelivery } from '../../../services/payments/provider/domain/schedulers';
import { FakeTaskCallbacks, RecordingDispatcher, RecordingPublisher } from './support/fakes';
import { signedWebhook } from './support/webhooks';

const SECRET = 'whsec_webhook_handler_secret';
const REGION = 'us-east-1';

describe('POST /payments/webhook', () => {
  const client = testDocumentClient();
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const nowSeconds = () => Math.floor(clock.now() / 1000);
  let repository: DynamoPaymentRepository;
  let callbacks: FakeTaskCallbacks;
  let publisher: RecordingPublisher;
  let handler: ReturnType<typeof buildWebhookHandler>;
  let processedEvents: DynamoProcessedEventStore;
  let provider: SimulatedPaymentProvider;
  /** Webhooks the provider decided to send (the tests post them to the handler themselves). */
  const providerWebhooks = new RecordingDispatcher();
  let seq = 0;

  beforeAll(async () => {
    const tables = await createTables(['payments', 'processed-events']);
    repository = new DynamoPaymentRepository({
      client,
      tableName: tables.payments,
      region: REGION,
      now: clock.now.bind(clock),
    });
    processedEvents = new DynamoProcessedEventStore(client, tables['processed-events'], REGION);
    provider = new SimulatedPaymentProvider({
      ledger: new DynamoLedgerStore({ client, tableName: tables.payments, region: REGION }),
      dispatcher: providerWebhooks,
      scheduler: immediateDelivery(),
      clock,
      randomness: seededRandomness('webhook-handler'),
    });
  });

  beforeEach(() => {
    callbacks = new FakeTaskCallbacks();
    publisher = new RecordingPublisher();
    handler = buildWebhookHandler({
      useCase: new HandleProviderWebhook({
        repository,
        publisher,
        region: REGION,
        clock,
        callbacks,
        processedEvents,
        provider,
      }),
      secret: SECRET,
      toleranceSeconds: 300,
      clock,
      obs: observability('payments-test'),
    });
  });

  /** An order waiting for its payment webhook. */
  async function awaitingPayment() {
    seq += 1;
    const orderId = `ord_wh_${seq}`;
    const chargeId = `ch_wh_${seq}`;
    const taskToken = `token-${seq}`;
    await repository.beginAuthorization({
      orderId,
      taskToken,
      amountMinor: 4200,
      currency: 'EUR',
      correlationId: `c-${seq}`,
    });
    await repository.attachCharge(orderId, chargeId);
    return { orderId, chargeId, taskToken };
  }

  function webhook(
    type: WebhookEvent['type'],
    ids: { orderId: string; chargeId: string },
    declineCode?: string,
  ): WebhookEvent {
    seq += 1;
    return {
      id: `evt_${seq}`,
      type,
      created: nowSeconds(),
      data: {
        ...ids,
        amountMinor: 4200,
        currency: 'EUR',
        ...(declineCode && { declineCode: declineCode as 'card_declined' }),
      },
    };
  }

  const post = (body: string, opts: { secret?: string; t?: number; headers?: Record<string, string> } = {}) =>
    handler(
      signedWebhook(body, {
        secret: opts.secret ?? SECRET,
        timestampSeconds: opts.t ?? nowSeconds(),
        ...(opts.headers && { headers: opts.headers }),
      }),
      lambdaContext('payments-webhook'),
    );
  const errorCode = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;

  it('resumes the saga with SendTaskSuccess for an authentic authorization', async () => {
    const order = await awaitingPayment();
    const res = await post(JSON.stringify(webhook('charge.authorized', order)));

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ received: true, result: 'resumed', decision: 'authorized' });
    expect(callbacks.delivered).toEqual([
      { kind: 'success', token: order.taskToken, output: { chargeId: order.chargeId, status: 'AUTHORIZED' } },
    ]);
    expect(await repository.get(order.orderId)).toMatchObject({
      status: 'AUTHORIZED',
      chargeId: order.chargeId,
    });
    expect(publisher.events).toEqual([
      expect.objectContaining({
        id: `${order.orderId}:PaymentAuthorized`,
        type: 'PaymentAuthorized',
        source: 'meridian.payments',
        correlationId: expect.stringMatching(/^c-/),
        data: { orderId: order.orderId, chargeId: order.chargeId, amount: 42, currency: 'EUR' },
      }),
    ]);
  });

  it('fails the task with PaymentDeclinedError for a decline', async () => {
    const order = await awaitingPayment();
    const res = await post(JSON.stringify(webhook('charge.declined', order, 'insufficient_funds')));

    expect(res.statusCode).toBe(200);
    expect(callbacks.delivered).toEqual([
      {
        kind: 'failure',
        token: order.taskToken,
        error: SAGA_ERRORS.paymentDeclined,
        cause: 'insufficient_funds',
      },
    ]);
    expect(await repository.get(order.orderId)).toMatchObject({
      status: 'DECLINED',
      declineCode: 'insufficient_funds',
    });
    expect(publisher.types()).toEqual(['PaymentDeclined']);
  });

  it('rejects a tampered body with 401 SIGNATURE_INVALID and changes nothing', async () => {
    const order = await awaitingPayment();
    const body = JSON.stringify(webhook('charge.authorized', order));
    const event = signedWebhook(body, { secret: SECRET, timestampSeconds: nowSeconds() });
    event.body = body.replace('4200', '1');
    const res = await handler(event, lambdaContext());

    expect(res.statusCode).toBe(401);
    expect(errorCode(res.body)).toBe('SIGNATURE_INVALID');
    expect(callbacks.delivered).toHaveLength(0);
    expect((await repository.get(order.orderId))?.status).toBe('AUTHORIZING');
  });

  /**
   * A webhook body whose bytes are not valid UTF-8 (a 0xFF byte inside a JSON string), delivered base64
   * encoded as API Gateway does for binary media types, signed as `signedBytes`.
   */
  function base64Webhook(bytes: Buffer, signedBytes: Buffer | string) {
    const event = signedWebhook('', { secret: SECRET, timestampSeconds: nowSeconds() });
    event.headers['Meridian-Signature'] = signatureHeader(SECRET, nowSeconds(), signedBytes);
    event.body = bytes.toString('base64');
    event.isBase64Encoded = true;
    return event;
  }

  function withInvalidUtf8(event: WebhookEvent): Buffer {
    const json = JSON.stringify({ ...event, note: '@@' });
    const [head, tail] = json.split('@@') as [string, string];
    return Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from([0xff]), Buffer.from(tail, 'utf8')]);
  }

  it('verifies the signature over the exact bytes of a base64-encoded body', async () => {
    const order = await awaitingPayment();
    const bytes = withInvalidUtf8(webhook('charge.authorized', order));
    const res = await handler(base64Webhook(bytes, bytes), lambdaContext());

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ result: 'resumed', decision: 'authorized' });
    expect(callbacks.delivered).toEqual([
      expect.objectContaining({ kind: 'success', token: order.taskToken }),
    ]);
  });

  it('rejects a signature over a lossy UTF-8 decoding of the body rather than its bytes', async () => {
    const order = await awaitingPayment();
    const bytes = withInvalidUtf8(webhook('charge.authorized', order));
    // The text a UTF-8 round trip yields (0xFF becomes U+FFFD): other bytes than the ones received.
    const roundTripped = bytes.toString('utf8');
    const res = await handler(base64Webhook(bytes, roundTripped), lambdaContext());

    expect(res.statusCode).toBe(401);
    expect(errorCode(res.body)).toBe('SIGNATURE_INVALID');
    expect(callbacks.delivered).toHaveLength(0);
  });

  it('rejects a signature made with another secret with 401', async () => {
    const order = await awaitingPayment();
    const res = await post(JSON.stringify(webhook('charge.authorized', order)), {
      secret: 'whsec_not_the_right_one',
    });
    expect(res.statusCode).toBe(401);
    expect(errorCode(res.body)).toBe('SIGNATURE_INVALID');
    expect(callbacks.delivered).toHaveLength(0);
  });

  it.each([
    ['6 minutes old', -360],
    ['6 minutes ahead', 360],
  ])('rejects a signature %s with 401 SIGNATURE_EXPIRED', async (_what, offset) => {
    const order = await awaitingPayment();
    const res = await post(JSON.stringify(webhook('charge.authorized', order)), { t: nowSeconds() + offset });
    expect(res.statusCode).toBe(401);
    expect(errorCode(res.body)).toBe('SIGNATURE_EXPIRED');
    expect(callbacks.delivered).toHaveLength(0);
  });

  it('rejects a missing signature header with 401 SIGNATURE_MISSING', async () => {
    const order = await awaitingPayment();
    const event = signedWebhook(JSON.stringify(webhook('charge.authorized', order)), {
      secret: SECRET,
      timestampSeconds: nowSeconds(),
    });
    delete event.headers['Meridian-Signature'];
    const res = await handler(event, lambdaContext());
    expect(res.statusCode).toBe(401);
    expect(errorCode(res.body)).toBe('SIGNATURE_MISSING');
  });

  it('rejects a garbled signature header with 401 SIGNATURE_INVALID', async () => {
    const order = await awaitingPayment();
    const res = await post(JSON.stringify(webhook('charge.authorized', order)), {
      headers: { 'Meridian-Signature': 't=yesterday,v1=beef' },
    });
    expect(res.statusCode).toBe(401);
    expect(errorCode(res.body)).toBe('SIGNATURE_INVALID');
  });

  it('resumes the saga once for concurrent duplicate deliveries; a twin still in flight gets a retryable 409', async () => {
    const order = await awaitingPayment();
    const body = JSON.stringify(webhook('charge.authorized', order));
    const responses = await Promise.all([post(body), post(body), post(body)]);
    const again = await post(body);

    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    for (const r of responses.filter((r) => r.statusCode === 409))
      expect(errorCode(r.body)).toBe('EVENT_IN_FLIGHT');
    expect(again.statusCode).toBe(200);
    expect(JSON.parse(again.body)).toMatchObject({ result: 'duplicate' });
    expect(callbacks.delivered).toHaveLength(1);
  });

  it('answers 200 when the task already timed out, so the provider stops retrying', async () => {
    const order = await awaitingPayment();
    callbacks.timeOut(order.taskToken);
    const res = await post(JSON.stringify(webhook('charge.authorized', order)));

    expect(res.statusCode).toBe(200);
    expect(callbacks.gone).toHaveLength(1);
    expect(callbacks.delivered).toHaveLength(0);
  });

  it('answers 200 with ignored for an unknown order', async () => {
    const res = await post(
      JSON.stringify(webhook('charge.authorized', { orderId: 'ord_nobody', chargeId: 'ch_x' })),
    );
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ received: true, result: 'ignored', ignored: 'unknown-order' });
    expect(callbacks.delivered).toHaveLength(0);
  });

  /**
   * A payment compensation closed before it saw any charge, and the charge a stalled step created after
   * that — decided by the provider, its webhook ready to post.
   */
  async function chargedAfterCompensation(status: 'VOIDED' | 'REFUNDED', token: string) {
    seq += 1;
    const orderId = `ord_late_${seq}`;
    await repository.beginAuthorization({
      orderId,
      taskToken: `token-${seq}`,
      amountMinor: 4200,
      currency: 'EUR',
      correlationId: `c-${seq}`,
    });
    await repository.transition(orderId, ['AUTHORIZING'], status);
    const charge = await provider.createCharge({
      idempotencyKey: orderId,
      amountMinor: 4200,
      currency: 'EUR',
      token,
      metadata: { orderId },
    });
    const sent = providerWebhooks.sent.find((e) => e.data.chargeId === charge.chargeId);
    if (!sent) throw new Error('the provider sent no webhook');
    return { orderId, chargeId: charge.chargeId, webhook: sent };
  }

  it.each(['VOIDED', 'REFUNDED'] as const)(
    'gives back at the provider an authorization arriving after compensation (%s), without resuming the saga',
    async (status) => {
      const late = await chargedAfterCompensation(status, 'tok_visa');
      const res = await post(JSON.stringify(late.webhook));

      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ received: true, result: 'released', chargeStatus: 'voided' });
      expect(await provider.getCharge(late.chargeId)).toMatchObject({ status: 'voided' });
      expect(await repository.get(late.orderId)).toMatchObject({ status, chargeId: late.chargeId });
      expect(callbacks.delivered).toHaveLength(0);
      expect(publisher.events).toHaveLength(0);
    },
  );

  it('ignores a decline arriving after compensation: the charge holds no money', async () => {
    const late = await chargedAfterCompensation('VOIDED', 'tok_chargeDeclined');
    const res = await post(JSON.stringify(late.webhook));

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ result: 'ignored', ignored: 'already-settled' });
    expect(await provider.getCharge(late.chargeId)).toMatchObject({ status: 'declined' });
    expect(callbacks.delivered).toHaveLength(0);
    expect(publisher.events).toHaveLength(0);
  });

  it('ignores a webhook for another charge or another amount', async () => {
    const order = await awaitingPayment();
    const otherCharge = await post(
      JSON.stringify(webhook('charge.authorized', { ...order, chargeId: 'ch_other' })),
    );
    const wrongAmount = webhook('charge.authorized', order);
    const res = await post(JSON.stringify({ ...wrongAmount, data: { ...wrongAmount.data, amountMinor: 1 } }));

    expect(JSON.parse(otherCharge.body)).toMatchObject({ ignored: 'charge-mismatch' });
    expect(JSON.parse(res.body)).toMatchObject({ ignored: 'amount-mismatch' });
    expect(callbacks.delivered).toHaveLength(0);
  });

  it.each([
    ['not JSON', 'this is not json'],
    ['an empty body', ''],
    ['a JSON array', '[]'],
    ['null', 'null'],
    ['an unknown type', JSON.stringify({ id: 'evt_x', type: 'charge.refunded', created: 1, data: {} })],
    [
      'a decline without a code',
      JSON.stringify({
        id: 'evt_y',
        type: 'charge.declined',
        created: 1,
        data: { chargeId: 'ch', orderId: 'o', amountMinor: 1, currency: 'EUR' },
      }),
    ],
    [
      'a fractional amount',
      JSON.stringify({
        id: 'evt_z',
        type: 'charge.authorized',
        created: 1,
        data: { chargeId: 'ch', orderId: 'o', amountMinor: 1.5, currency: 'EUR' },
      }),
    ],
    [
      'a bad event id',
      JSON.stringify({
        id: 'nope',
        type: 'charge.authorized',
        created: 1,
        data: { chargeId: 'ch', orderId: 'o', amountMinor: 1, currency: 'EUR' },
      }),
    ],
  ])('answers 400 for an authentic signature over %s', async (_what, body) => {
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(callbacks.delivered).toHaveLength(0);
  });

  it('answers 413 for a body over 64 KiB before checking anything else', async () => {
    const res = await post(JSON.stringify({ pad: 'x'.repeat(70 * 1024) }));
    expect(res.statusCode).toBe(413);
  });

  it('answers 500 without internals and lets the retry through when a dependency fails', async () => {
    const order = await awaitingPayment();
    const body = JSON.stringify(webhook('charge.authorized', order));
    const failing = buildWebhookHandler({
      useCase: new HandleProviderWebhook({
        repository,
        publisher: { publish: async () => Promise.reject(new Error('bus unavailable: arn:aws:secret')) },
        region: REGION,
        clock,
        callbacks,
        processedEvents,
        provider,
      }),
      secret: SECRET,
      toleranceSeconds: 300,
      clock,
      obs: observability('payments-test'),
    });
    const event = signedWebhook(body, { secret: SECRET, timestampSeconds: nowSeconds() });
    const first = await failing(event, lambdaContext());
    const retry = await post(body);

    expect(first.statusCode).toBe(500);
    expect(first.body).not.toContain('arn:aws');
    expect(retry.statusCode).toBe(200);
    expect(callbacks.delivered).toEqual([
      expect.objectContaining({ kind: 'success', token: order.taskToken }),
    ]);
  });
});
