import { DynamoProcessedEventStore } from '../../../../services/shared/adapters/dynamo-processed-events';
import { ManualClock } from '../../../../services/shared/clock';
import { observability } from '../../../../services/shared/observability';
import { DynamoPaymentRepository } from '../../../../services/payments/adapters/dynamo-payment-repository';
import { AuthorizePayment } from '../../../../services/payments/domain/authorize-payment';
import { CapturePayment } from '../../../../services/payments/domain/capture-payment';
import {
  HandleProviderWebhook,
  type WebhookResult,
} from '../../../../services/payments/domain/handle-webhook';
import { providerWebhookSchema } from '../../../../services/payments/domain/webhook-event';
import { RefundPayment } from '../../../../services/payments/domain/refund-payment';
import {
  buildAuthorizePaymentHandler,
  buildCapturePaymentHandler,
  buildRefundPaymentHandler,
} from '../../../../services/payments/handlers/steps';
import { DynamoLedgerStore } from '../../../../services/payments/provider/adapters/dynamo-ledger';
import type {
  DeliveryScheduler,
  WebhookDispatcher,
} from '../../../../services/payments/provider/domain/ports';
import { SimulatedPaymentProvider } from '../../../../services/payments/provider/domain/provider';
import { seededRandomness } from '../../../../services/payments/provider/domain/randomness';
import type { WebhookEvent } from '../../../../services/payments/provider/domain/types';
import { createTables, testDocumentClient } from '../../../support/dynamo';
import { FakeTaskCallbacks, ManualScheduler, RecordingPublisher } from './fakes';

export const REGION = 'us-east-1';

/** Tables for one test file. */
export async function paymentTables() {
  return createTables(['payments', 'processed-events']);
}

export interface HarnessOptions {
  readonly tables: { payments: string; 'processed-events': string };
  readonly scheduler?: DeliveryScheduler;
  /** How webhooks travel; by default straight into the webhook use case, in process. */
  readonly dispatcher?: (webhookUseCase: HandleProviderWebhook) => WebhookDispatcher;
  /** The region this copy of the service runs in. @default REGION */
  readonly region?: string;
  /** Seed of the provider's draws. @default 'harness' */
  readonly seed?: string;
  /** Approval rate of the provider. @default 1 */
  readonly approvalRate?: number;
}

/** The payments service wired on dynalite with fakes for the bus and Step Functions. */
export function paymentsHarness(opts: HarnessOptions) {
  const region = opts.region ?? REGION;
  const client = testDocumentClient();
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const now = () => clock.now();
  const repository = new DynamoPaymentRepository({ client, tableName: opts.tables.payments, region, now });
  const ledger = new DynamoLedgerStore({ client, tableName: opts.tables.payments, region, now });
  const publisher = new RecordingPublisher();
  const callbacks = new FakeTaskCallbacks();
  const processedEvents = new DynamoProcessedEventStore(client, opts.tables['processed-events'], region, now);
  const delivered: WebhookEvent[] = [];
  // The webhook use case gives late charges back through the provider, and the provider delivers webhooks
  // to the use case: the provider's dispatcher forwards to whatever is wired once both exist.
  const link: { to?: WebhookDispatcher } = {};
  const scheduler = opts.scheduler ?? new ManualScheduler();
  const provider = new SimulatedPaymentProvider({
    ledger,
    dispatcher: {
      dispatch: async (event) => {
        if (!link.to) throw new Error('webhook dispatcher not wired');
        await link.to.dispatch(event);
      },
    },
    scheduler,
    clock,
    randomness: seededRandomness(opts.seed ?? 'harness'),
    ...(opts.approvalRate !== undefined && { approvalRate: opts.approvalRate }),
  });
  const webhookUseCase = new HandleProviderWebhook({
    repository,
    publisher,
    region,
    clock,
    callbacks,
    processedEvents,
    provider,
  });
  const webhookResults: WebhookResult[] = [];
  link.to = opts.dispatcher?.(webhookUseCase) ?? {
    dispatch: async (event) => {
      delivered.push(event);
      // As the handler would, minus HTTP.
      webhookResults.push(await webhookUseCase.execute(providerWebhookSchema.parse(event)));
    },
  };
  const obs = observability('payments-test');
  const deps = { repository, publisher, region, clock, provider, callbacks };
  return {
    region,
    client,
    clock,
    repository,
    ledger,
    publisher,
    callbacks,
    provider,
    scheduler,
    delivered,
    webhookResults,
    webhookUseCase,
    authorize: buildAuthorizePaymentHandler({ useCase: new AuthorizePayment(deps), obs }),
    capture: buildCapturePaymentHandler({ useCase: new CapturePayment(deps), obs }),
    refund: buildRefundPaymentHandler({ useCase: new RefundPayment(deps), obs }),
  };
}
