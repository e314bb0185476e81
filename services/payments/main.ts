import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import { EventBridgePublisher } from '../shared/adapters/eventbridge-publisher';
import { DynamoProcessedEventStore } from '../shared/adapters/dynamo-processed-events';
import { dynamoDocumentClient, eventBridgeClient, sfnClient } from '../shared/clients';
import { systemClock } from '../shared/clock';
import { ConfigError, env, loadConfig } from '../shared/config';
import { CORRELATION_HEADER, observability } from '../shared/observability';
import { header } from '../shared/http';
import { instrumented } from '../shared/lambda';
import type { StepInput } from '../shared/saga';
import { DynamoPaymentRepository } from './adapters/dynamo-payment-repository';
import { SfnTaskCallbacks } from './adapters/sfn-task-callbacks';
import { AuthorizePayment } from './domain/authorize-payment';
import { CapturePayment } from './domain/capture-payment';
import { DEFAULT_WEBHOOK_DEDUPE_LEASE_MS, HandleProviderWebhook } from './domain/handle-webhook';
import { RefundPayment } from './domain/refund-payment';
import {
  buildAuthorizePaymentHandler,
  buildCapturePaymentHandler,
  buildRefundPaymentHandler,
} from './handlers/steps';
import { buildWebhookHandler } from './handlers/webhook';
import { DynamoLedgerStore } from './provider/adapters/dynamo-ledger';
import { DEFAULT_WEBHOOK_RETRY, HttpWebhookDispatcher } from './provider/adapters/http-webhook-dispatcher';
import { SimulatedPaymentProvider } from './provider/domain/provider';
import { seededRandomness } from './provider/domain/randomness';
import { delayedDelivery, immediateDelivery } from './provider/domain/schedulers';

/** Composition root of the payments service: config once at cold start, then clients, adapters, handlers. */
const config = loadConfig({
  AWS_REGION: env.region(),
  PAYMENTS_TABLE: env.required(),
  PROCESSED_EVENTS_TABLE: env.required(),
  EVENT_BUS_NAME: env.required(),
  // In AWS this arrives from Secrets Manager; until that is wired it is a plain variable.
  PAYMENT_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters'),
  PAYMENT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }),
  PAYMENT_APPROVAL_RATE: env.rate(1),
  PAYMENT_RANDOM_SEED: z.string().min(1).default('meridian'),
  /** 0 delivers the webhook before createCharge returns (Lambda); > 0 delays it (long-running processes). */
  PAYMENT_WEBHOOK_DELAY_MS: env.int(0, 0, 15 * 60 * 1000),
  PAYMENT_WEBHOOK_TOLERANCE_SECONDS: env.int(300, 1, 3600),
  /** Lease of a webhook's dedupe claim: above the webhook function's run time, well below the retry span. */
  PAYMENT_WEBHOOK_DEDUPE_LEASE_MS: env.int(DEFAULT_WEBHOOK_DEDUPE_LEASE_MS, 1000, 15 * 60 * 1000),
  /** The simulated provider's webhook retry schedule; it must outlast twice the dedupe lease. */
  PAYMENT_WEBHOOK_MAX_ATTEMPTS: env.int(DEFAULT_WEBHOOK_RETRY.maxAttempts, 1, 100),
  PAYMENT_WEBHOOK_RETRY_BASE_MS: env.int(DEFAULT_WEBHOOK_RETRY.baseDelayMs, 1, 60 * 1000),
  PAYMENT_WEBHOOK_RETRY_MAX_DELAY_MS: env.int(DEFAULT_WEBHOOK_RETRY.maxDelayMs, 1, 15 * 60 * 1000),
});

const dispatcher = new HttpWebhookDispatcher({
  url: config.PAYMENT_WEBHOOK_URL,
  secret: config.PAYMENT_WEBHOOK_SECRET,
  clock: systemClock,
  maxAttempts: config.PAYMENT_WEBHOOK_MAX_ATTEMPTS,
  baseDelayMs: config.PAYMENT_WEBHOOK_RETRY_BASE_MS,
  maxDelayMs: config.PAYMENT_WEBHOOK_RETRY_MAX_DELAY_MS,
});
// A webhook attempt that dies holding its dedupe claim makes every retry within the lease get a 409; a
// retry schedule that gives up before the lease runs out loses the webhook. Refuse such a configuration.
if (dispatcher.minimumRetrySpanMs() <= 2 * config.PAYMENT_WEBHOOK_DEDUPE_LEASE_MS) {
  throw new ConfigError(
    `invalid configuration: PAYMENT_WEBHOOK_DEDUPE_LEASE_MS (${config.PAYMENT_WEBHOOK_DEDUPE_LEASE_MS}) must be less than half the webhook retry span (${dispatcher.minimumRetrySpanMs()} ms from PAYMENT_WEBHOOK_MAX_ATTEMPTS, PAYMENT_WEBHOOK_RETRY_BASE_MS, PAYMENT_WEBHOOK_RETRY_MAX_DELAY_MS)`,
  );
}

const obs = observability('payments');
const region = config.AWS_REGION;
const clock = systemClock;
const dynamo = dynamoDocumentClient({ region, tracer: obs.tracer });

const repository = new DynamoPaymentRepository({ client: dynamo, tableName: config.PAYMENTS_TABLE, region });
const publisher = new EventBridgePublisher({
  client: eventBridgeClient({ region, tracer: obs.tracer }),
  busName: config.EVENT_BUS_NAME,
});
const callbacks = new SfnTaskCallbacks(sfnClient({ region, tracer: obs.tracer }));
const processedEvents = new DynamoProcessedEventStore(dynamo, config.PROCESSED_EVENTS_TABLE, region, {
  leaseMs: config.PAYMENT_WEBHOOK_DEDUPE_LEASE_MS,
});

const provider = new SimulatedPaymentProvider({
  ledger: new DynamoLedgerStore({ client: dynamo, tableName: config.PAYMENTS_TABLE, region }),
  dispatcher,
  scheduler:
    config.PAYMENT_WEBHOOK_DELAY_MS > 0
      ? delayedDelivery(config.PAYMENT_WEBHOOK_DELAY_MS)
      : immediateDelivery(),
  clock,
  randomness: seededRandomness(config.PAYMENT_RANDOM_SEED),
  approvalRate: config.PAYMENT_APPROVAL_RATE,
  diagnostics: {
    deliveryFailed: (chargeId, error) =>
      obs.logger.error('provider webhook not delivered', { chargeId, error: String(error) }),
  },
});

const decisionDeps = { repository, publisher, region, clock };
const stepCorrelationId = (event: unknown) => (event as StepInput).order.correlationId;

/** Saga step (`.waitForTaskToken`): records the task token, then asks the provider for a charge. */
export const authorizePayment = instrumented(
  obs,
  stepCorrelationId,
  buildAuthorizePaymentHandler({
    useCase: new AuthorizePayment({ ...decisionDeps, provider, callbacks }),
    obs,
  }),
);

/** Saga step: captures the authorized charge. */
export const capturePayment = instrumented(
  obs,
  stepCorrelationId,
  buildCapturePaymentHandler({ useCase: new CapturePayment({ ...decisionDeps, provider }), obs }),
);

/** Saga compensation: refunds or voids the order's charge, if any. */
export const refundPayment = instrumented(
  obs,
  stepCorrelationId,
  buildRefundPaymentHandler({ useCase: new RefundPayment({ ...decisionDeps, provider }), obs }),
);

/** API Gateway (REST proxy) `POST /payments/webhook`: the provider's signed webhooks. */
export const webhook = instrumented(
  obs,
  (event: APIGatewayProxyEvent) => header(event, CORRELATION_HEADER),
  buildWebhookHandler({
    useCase: new HandleProviderWebhook({ ...decisionDeps, callbacks, processedEvents, provider }),
    secret: config.PAYMENT_WEBHOOK_SECRET,
    toleranceSeconds: config.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
    clock,
    obs,
  }),
);
