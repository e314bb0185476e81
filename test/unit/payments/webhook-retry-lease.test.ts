import { DynamoProcessedEventStore } from '../../../services/shared/adapters/dynamo-processed-events';
import { ManualClock } from '../../../services/shared/clock';
import { lambdaContext } from '../../../services/shared/lambda';
import { observability } from '../../../services/shared/observability';
import { DynamoPaymentRepository } from '../../../services/payments/adapters/dynamo-payment-repository';
import {
  DEFAULT_WEBHOOK_DEDUPE_LEASE_MS,
  HandleProviderWebhook,
  WEBHOOK_CONSUMER,
} from '../../../services/payments/domain/handle-webhook';
import { buildWebhookHandler } from '../../../services/payments/handlers/webhook';
import {
  DEFAULT_WEBHOOK_RETRY,
  HttpWebhookDispatcher,
  minimumRetrySpanMs,
} from '../../../services/payments/provider/adapters/http-webhook-dispatcher';
import { DynamoLedgerStore } from '../../../services/payments/provider/adapters/dynamo-ledger';
import { SimulatedPaymentProvider } from '../../../services/payments/provider/domain/provider';
import { seededRandomness } from '../../../services/payments/provider/domain/randomness';
import { FakeTaskCallbacks, ManualScheduler, RecordingPublisher } from './support/fakes';
import type { WebhookEvent } from '../../../services/payments/provider/domain/types';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { serveApiHandler, type LoopbackServer } from './support/http';

const SECRET = 'whsec_retry_lease_secret';
const REGION = 'us-east-1';

/**
 * A webhook attempt can die after claiming the event's dedupe mark (the function timed out or crashed):
 * until the claim's lease runs out, every redelivery is answered 409 EVENT_IN_FLIGHT. The provider's retry
 * schedule must outlast that lease, or the webhook is lost.
 */
describe('webhook retries versus the dedupe lease', () => {
  let server: LoopbackServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('the default retry schedule outlasts twice the default dedupe lease, whatever the jitter', () => {
    expect(minimumRetrySpanMs(DEFAULT_WEBHOOK_RETRY)).toBeGreaterThan(2 * DEFAULT_WEBHOOK_DEDUPE_LEASE_MS);
  });

  it('computes the least span of a schedule from its capped exponential delays', () => {
    // Delays before attempts 2..5: 100, 200, 400 capped to 300, 300 → at least half of each.
    expect(minimumRetrySpanMs({ maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 300 })).toBe(450);
    expect(minimumRetrySpanMs({ maxAttempts: 1, baseDelayMs: 100, maxDelayMs: 300 })).toBe(0);
  });

  it('delivers a webhook whose first attempt died holding the claim, once the lease has run out', async () => {
    // Arrange: the merchant side with the default lease, on a clock the provider's backoff moves.
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    const now = () => clock.now();
    const client = testDocumentClient();
    const tables = await createTables(['payments', 'processed-events']);
    const repository = new DynamoPaymentRepository({
      client,
      tableName: tables.payments,
      region: REGION,
      now,
    });
    const processedEvents = () =>
      new DynamoProcessedEventStore(client, tables['processed-events'], REGION, {
        leaseMs: DEFAULT_WEBHOOK_DEDUPE_LEASE_MS,
        now,
      });
    const callbacks = new FakeTaskCallbacks();
    const provider = new SimulatedPaymentProvider({
      ledger: new DynamoLedgerStore({ client, tableName: tables.payments, region: REGION, now }),
      dispatcher: { dispatch: async () => undefined },
      scheduler: new ManualScheduler(),
      clock,
      randomness: seededRandomness('lease'),
    });
    const handler = buildWebhookHandler({
      useCase: new HandleProviderWebhook({
        repository,
        publisher: new RecordingPublisher(),
        region: REGION,
        clock,
        callbacks,
        processedEvents: processedEvents(),
        provider,
      }),
      secret: SECRET,
      toleranceSeconds: 300,
      clock,
      obs: observability('payments-test'),
    });
    const statuses: number[] = [];
    const live = await serveApiHandler(async (event) => {
      const response = await handler(event, lambdaContext('payments-webhook'));
      statuses.push(response.statusCode);
      return response;
    });
    server = live;

    const orderId = 'ord_lease_1';
    await repository.beginAuthorization({
      orderId,
      taskToken: 'waiting',
      amountMinor: 1500,
      currency: 'EUR',
      correlationId: 'c-lease',
    });
    await repository.attachCharge(orderId, 'ch_lease_1');
    const event: WebhookEvent = {
      id: 'evt_lease_1',
      type: 'charge.authorized',
      created: Math.floor(clock.now() / 1000),
      data: { chargeId: 'ch_lease_1', orderId, amountMinor: 1500, currency: 'EUR' },
    };
    // The first attempt's function claimed the event and died: its claim stays until the lease runs out.
    await processedEvents().markProcessed(WEBHOOK_CONSUMER, event.id);
    const crashedAt = clock.now();

    // Act: the provider delivers with its default retry schedule; each backoff moves the clock.
    const dispatcher = new HttpWebhookDispatcher({
      url: `${live.url}/payments/webhook`,
      secret: SECRET,
      clock,
      sleep: async (ms) => clock.advance(ms),
    });
    await dispatcher.dispatch(event);

    // Assert: 409s while the claim was live, then one delivery that resumed the saga.
    expect(statuses.length).toBeGreaterThan(1);
    expect(statuses.slice(0, -1).every((s) => s === 409)).toBe(true);
    expect(statuses.at(-1)).toBe(200);
    expect(callbacks.delivered).toEqual([
      { kind: 'success', token: 'waiting', output: { chargeId: 'ch_lease_1', status: 'AUTHORIZED' } },
    ]);
    expect(clock.now() - crashedAt).toBeGreaterThanOrEqual(DEFAULT_WEBHOOK_DEDUPE_LEASE_MS);
    expect(await repository.get(orderId)).toMatchObject({ status: 'AUTHORIZED' });
  });
});
