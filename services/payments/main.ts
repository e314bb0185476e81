import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import { EventBridgePublisher } from '../shared/adapters/eventbridge-publisher';
import { DynamoProcessedEventStore } from '../shared/adapters/dynamo-processed-events';
import { dynamoDocumentClient, eventBridgeClient, sfnClient } from '../shared/clients';
import { systemClock } from '../shared/clock';
import { ConfigError, env, loadConfig } from '../shared/config';
import { CORRELATION_HEADER, observability } from '../shared/observability';
import { errorResponse, header } from '../shared/http';
import { instrumented } from '../shared/lambda';
import type { StepInput } from '../shared/saga';
import { DynamoPaymentRepository } from './adapters/dynamo-payment-repository';
import { SecretsManagerSecretSource } from './adapters/secrets-manager-secret-source';
import { SfnTaskCallbacks } from './adapters/sfn-task-callbacks';
import { AuthorizePayment } from './domain/authorize-payment';
import { CapturePayment } from './domain/capture-payment';
import { DEFAULT_WEBHOOK_DEDUPE_LEASE_MS, HandleProviderWebhook } from './domain/handle-webhook';
import { RefundPayment } from './domain/refund-payment';
import {
  MIN_WEBHOOK_SECRET_LENGTH,
  cachedSecret,
  fixedSecret,
  onceSucceeded,
  type SecretSource,
} from './domain/webhook-secret';
import { deferredHandler } from './handlers/deferred';
import {
  buildAuthorizePaymentHandler,
  buildCapturePaymentHandler,
  buildRefundPaymentHandler,
} from './handlers/steps';
import { buildWebhookHandler } from './handlers/webhook';
import { DynamoLedgerStore } from './provider/adapters/dynamo-ledger';
import {
  DEFAULT_WEBHOOK_RETRY,
  HttpWebhookDispatcher,
  minimumRetrySpanMs,
  type WebhookRetrySchedule,
} from './provider/adapters/http-webhook-dispatcher';
import type { WebhookDispatcher } from './provider/domain/ports';
import { SimulatedPaymentProvider } from './provider/domain/provider';
import { seededRandomness } from './provider/domain/randomness';
import { delayedDelivery, immediateDelivery } from './provider/domain/schedulers';

/** Composition root of the payments service: config once at cold start, then clients, adapters, handlers. */
const config = loadConfig({
  AWS_REGION: env.region(),
  PAYMENTS_TABLE: env.required(),
  PROCESSED_EVENTS_TABLE: env.required(),
  EVENT_BUS_NAME: env.required(),
  // The webhook HMAC secret: only authorizePayment (signs) and webhook (verifies) need it, and they need
  // exactly one of these two (checked on their first invocation); capturePayment and refundPayment need neither.
  /** The secret itself: the local runtime and tests. */
  PAYMENT_WEBHOOK_SECRET: z
    .string()
    .min(MIN_WEBHOOK_SECRET_LENGTH, `must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters`)
    .optional(),
  /** AWS: the Secrets Manager secret holding it, read once per cold start, so it never sits in the function configuration. */
  PAYMENT_WEBHOOK_SECRET_ARN: z
    .string()
    .regex(/^arn:[\w-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, 'must be a Secrets Manager secret ARN')
    .optional(),
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

const SECRET_VARIABLES =
  'PAYMENT_WEBHOOK_SECRET (the secret, local) or PAYMENT_WEBHOOK_SECRET_ARN (Secrets Manager, AWS)';
if (config.PAYMENT_WEBHOOK_SECRET !== undefined && config.PAYMENT_WEBHOOK_SECRET_ARN !== undefined) {
  throw new ConfigError(`invalid configuration: set only one of ${SECRET_VARIABLES}, not both`);
}

const retrySchedule: WebhookRetrySchedule = {
  maxAttempts: config.PAYMENT_WEBHOOK_MAX_ATTEMPTS,
  baseDelayMs: config.PAYMENT_WEBHOOK_RETRY_BASE_MS,
  maxDelayMs: config.PAYMENT_WEBHOOK_RETRY_MAX_DELAY_MS,
};
// A webhook attempt that dies holding its dedupe claim makes every retry within the lease get a 409; a
// retry schedule that gives up before the lease runs out loses the webhook. Refuse such a configuration.
if (minimumRetrySpanMs(retrySchedule) <= 2 * config.PAYMENT_WEBHOOK_DEDUPE_LEASE_MS) {
  throw new ConfigError(
    `invalid configuration: PAYMENT_WEBHOOK_DEDUPE_LEASE_MS (${config.PAYMENT_WEBHOOK_DEDUPE_LEASE_MS}) must be less than half the webhook retry span (${minimumRetrySpanMs(retrySchedule)} ms from PAYMENT_WEBHOOK_MAX_ATTEMPTS, PAYMENT_WEBHOOK_RETRY_BASE_MS, PAYMENT_WEBHOOK_RETRY_MAX_DELAY_MS)`,
  );
}

const obs = observability('payments');
const region = config.AWS_REGION;
const clock = systemClock;
const dynamo = dynamoDocumentClient({ region, tracer: obs.tracer });

/** The webhook secret, read on first use and then kept for the life of the execution environment. */
const webhookSecret: SecretSource = cachedSecret(webhookSecretSource());

function webhookSecretSource(): SecretSource {
  if (config.PAYMENT_WEBHOOK_SECRET_ARN !== undefined) {
    const client = obs.tracer.captureAWSv3Client(new SecretsManagerClient({ region }));
    return new SecretsManagerSecretSource({ client, secretId: config.PAYMENT_WEBHOOK_SECRET_ARN });
  }
  if (config.PAYMENT_WEBHOOK_SECRET !== undefined) return fixedSecret(config.PAYMENT_WEBHOOK_SECRET);
  // Fine for the functions that never touch the secret; the two that do fail on every invocation, naming both.
  return {
    getSecret: () =>
      Promise.reject(
        new ConfigError(`invalid configuration: set one of ${SECRET_VARIABLES}; neither is set`),
      ),
  };
}

/**
 * Signs each webhook with the secret, resolved when a webhook is sent: only `createCharge` (the authorize
 * step) sends them, so capture and refund, which share the provider, never read the secret.
 */
const signingDispatcher = onceSucceeded(
  async () =>
    new HttpWebhookDispatcher({
      url: config.PAYMENT_WEBHOOK_URL,
      secret: await webhookSecret.getSecret(),
      clock: systemClock,
      ...retrySchedule,
    }),
);
const dispatcher: WebhookDispatcher = {
  dispatch: async (event) => (await signingDispatcher()).dispatch(event),
};

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

const authorizeHandler = buildAuthorizePaymentHandler({
  useCase: new AuthorizePayment({ ...decisionDeps, provider, callbacks }),
  obs,
});

/**
 * Saga step (`.waitForTaskToken`): records the task token, then asks the provider for a charge. Its first
 * invocation reads the secret before anything else, so a step that could not sign the charge's webhook
 * fails before it writes or charges anything (and the saga's retry reads it again).
 */
export const authorizePayment = instrumented(
  obs,
  stepCorrelationId,
  deferredHandler(async () => {
    await webhookSecret.getSecret();
    return authorizeHandler;
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

/**
 * API Gateway (REST proxy) `POST /payments/webhook`: the provider's signed webhooks. Built on the first
 * invocation, once the secret is read; while it cannot be read, the answer is a 500 (the provider retries).
 */
export const webhook = instrumented(
  obs,
  (event: APIGatewayProxyEvent) => header(event, CORRELATION_HEADER),
  deferredHandler(
    async () =>
      buildWebhookHandler({
        useCase: new HandleProviderWebhook({ ...decisionDeps, callbacks, processedEvents, provider }),
        secret: await webhookSecret.getSecret(),
        toleranceSeconds: config.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
        clock,
        obs,
      }),
    (err) => {
      // The error names the variable or the secret's ARN, never the secret's value.
      obs.logger.error('webhook secret unavailable', { error: String(err) });
      return errorResponse(err);
    },
  ),
);
