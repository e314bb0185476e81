import { z } from 'zod';
import { DynamoProcessedEventStore } from '../shared/adapters/dynamo-processed-events';
import { systemClock } from '../shared/clock';
import { dynamoDocumentClient, sesClient, snsClient } from '../shared/clients';
import { env, loadConfig } from '../shared/config';
import { instrumented } from '../shared/lambda';
import { observability } from '../shared/observability';
import { AwsCustomerNotifier, SnsOpsAlerter } from './adapters/aws-notifiers';
import { OutboxNotifier } from './adapters/outbox';
import type { CustomerNotifier, OpsAlerter } from './domain/ports';
import { buildEventsHandler } from './handlers/events';
import { buildNotifyHandler } from './handlers/notify';

/** Composition root of the notifications service: config once, clients once, one export per function. */
const config = loadConfig({
  AWS_REGION: env.region(),
  PROCESSED_EVENTS_TABLE: env.required(),
  NOTIFICATIONS_CHANNEL: z.enum(['aws', 'outbox']).default('aws'),
});

const obs = observability('notifications');
const { logger, metrics, tracer } = obs;
const region = config.AWS_REGION;
const clientOpts = { region, tracer };

/** The channel decides which further variables are required: AWS topics and sender, or the outbox folder. */
function senders(): { notifier: CustomerNotifier; alerter: OpsAlerter } {
  if (config.NOTIFICATIONS_CHANNEL === 'outbox') {
    const { OUTBOX_DIR } = loadConfig({ OUTBOX_DIR: env.required() });
    const outbox = new OutboxNotifier(OUTBOX_DIR, systemClock);
    return { notifier: outbox, alerter: outbox };
  }
  const aws = loadConfig({
    CUSTOMER_TOPIC_ARN: env.required(),
    OPS_TOPIC_ARN: env.required(),
    SES_FROM_ADDRESS: env.required().optional(),
  });
  const sns = snsClient(clientOpts);
  return {
    notifier: new AwsCustomerNotifier({
      ses: sesClient(clientOpts),
      sns,
      ...(aws.SES_FROM_ADDRESS && { fromAddress: aws.SES_FROM_ADDRESS }),
      customerTopicArn: aws.CUSTOMER_TOPIC_ARN,
    }),
    alerter: new SnsOpsAlerter(sns, aws.OPS_TOPIC_ARN),
  };
}

const { notifier, alerter } = senders();
const processed = new DynamoProcessedEventStore(
  dynamoDocumentClient(clientOpts),
  config.PROCESSED_EVENTS_TABLE,
  region,
);

/** The saga's notify step: `{ order, template, reason? }` → `{ channel, messageId, duplicate }`. */
export const notify = instrumented(
  obs,
  (e: unknown) => (e as { order?: { correlationId?: string } }).order?.correlationId,
  buildNotifyHandler({ region, notifier, processed, logger, metrics }),
);

/** EventBridge rule target: ops alerts and PaymentDeclined customer messages. */
export const events = instrumented(
  obs,
  (e: unknown) => (e as { detail?: { correlationId?: string } }).detail?.correlationId,
  buildEventsHandler({ region, notifier, alerter, processed, logger, metrics }),
);
