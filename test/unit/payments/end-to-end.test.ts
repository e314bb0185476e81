import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { systemClock } from '../../../services/shared/clock';
import { lambdaContext } from '../../../services/shared/lambda';
import { observability } from '../../../services/shared/observability';
import { SAGA_ERRORS } from '../../../services/shared/saga';
import { buildWebhookHandler } from '../../../services/payments/handlers/webhook';
import { HttpWebhookDispatcher } from '../../../services/payments/provider/adapters/http-webhook-dispatcher';
import { immediateDelivery } from '../../../services/payments/provider/domain/schedulers';
import { serveApiHandler, type LoopbackServer } from './support/http';
import { paymentTables, paymentsHarness } from './support/harness';
import { sagaOrder, stepInput } from './support/orders';

const SECRET = 'whsec_end_to_end_secret_value';

/**
 * The whole payment path inside the service: the step asks the provider for a charge, the provider
 * POSTs a signed webhook over real HTTP to a loopback server, which hands it to the webhook handler,
 * which resumes the (fake) saga task.
 */
describe('payment authorization end to end over HTTP', () => {
  let tables: Awaited<ReturnType<typeof paymentTables>>;
  let server: LoopbackServer;
  let h: ReturnType<typeof paymentsHarness>;

  beforeAll(async () => {
    tables = await paymentTables();
    let webhook: ReturnType<typeof buildWebhookHandler> | undefined;
    server = await serveApiHandler(async (event) => {
      if (!webhook) throw new Error('webhook handler not wired');
      return webhook(event, lambdaContext('payments-webhook'));
    });
    h = paymentsHarness({
      tables,
      scheduler: immediateDelivery(),
      dispatcher: (useCase) => {
        webhook = buildWebhookHandler({
          useCase,
          secret: SECRET,
          toleranceSeconds: 300,
          clock: systemClock,
          obs: observability('payments-e2e'),
        });
        return new HttpWebhookDispatcher({
          url: `${server.url}/payments/webhook`,
          secret: SECRET,
          clock: systemClock,
          maxAttempts: 2,
          sleep: async () => undefined,
        });
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  const ctx = lambdaContext('payments-authorize');

  async function chargesFor(orderId: string) {
    const result = await h.client.send(new ScanCommand({ TableName: tables.payments, ConsistentRead: true }));
    return (result.Items ?? []).filter(
      (i) => String(i.pk).startsWith('CHARGE#') && i.idempotencyKey === orderId,
    );
  }

  it('resumes the task with success for tok_visa, and a retried task is answered by the step', async () => {
    const order = sagaOrder({ paymentToken: 'tok_visa' });
    const first = await h.authorize(stepInput(order, { taskToken: 'visa-1' }), ctx);

    expect(h.callbacks.delivered).toContainEqual({
      kind: 'success',
      token: 'visa-1',
      output: { chargeId: first.chargeId, status: 'AUTHORIZED' },
    });
    expect(server.requests.filter((r) => r.body.includes(String(first.chargeId)))).toHaveLength(1);

    const retry = await h.authorize(stepInput(order, { taskToken: 'visa-2' }), ctx);

    expect(retry).toMatchObject({ chargeId: first.chargeId, completedBy: 'step', callback: 'delivered' });
    expect(h.callbacks.delivered).toContainEqual({
      kind: 'success',
      token: 'visa-2',
      output: { chargeId: first.chargeId, status: 'AUTHORIZED' },
    });
    expect(await chargesFor(order.orderId)).toHaveLength(1);
    expect(server.requests.filter((r) => r.body.includes(String(first.chargeId)))).toHaveLength(1);
  });

  it('resumes the task with PaymentDeclinedError for tok_chargeDeclined, and so does a retry', async () => {
    const order = sagaOrder({ paymentToken: 'tok_chargeDeclined' });
    await h.authorize(stepInput(order, { taskToken: 'declined-1' }), ctx);
    await h.authorize(stepInput(order, { taskToken: 'declined-2' }), ctx);

    const forOrder = h.callbacks.delivered.filter((c) => c.token.startsWith('declined-'));
    expect(forOrder).toEqual([
      { kind: 'failure', token: 'declined-1', error: SAGA_ERRORS.paymentDeclined, cause: 'card_declined' },
      { kind: 'failure', token: 'declined-2', error: SAGA_ERRORS.paymentDeclined, cause: 'card_declined' },
    ]);
    expect(await chargesFor(order.orderId)).toHaveLength(1);
    expect((await h.repository.get(order.orderId))?.status).toBe('DECLINED');
  });

  it('sends nothing for tok_timeout: the task waits until the saga times it out', async () => {
    const order = sagaOrder({ paymentToken: 'tok_timeout' });
    const before = server.requests.length;
    const result = await h.authorize(stepInput(order, { taskToken: 'timeout-1' }), ctx);

    expect(result.completedBy).toBe('webhook');
    expect(server.requests.length).toBe(before);
    expect(h.callbacks.delivered.filter((c) => c.token === 'timeout-1')).toHaveLength(0);
    expect((await h.repository.get(order.orderId))?.status).toBe('AUTHORIZING');
  });
});
