import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Clock } from '../../shared/clock';
import { MeridianError, PayloadTooLargeError } from '../../shared/errors';
import { MAX_BODY_BYTES, errorResponse, header, json, parseJsonBody, validate } from '../../shared/http';
import type { Observability } from '../../shared/observability';
import { SIGNATURE_HEADER } from '../provider/domain/signature';
import type { HandleProviderWebhook } from '../domain/handle-webhook';
import { providerWebhookSchema } from '../domain/webhook-event';
import { verifyWebhookSignature } from '../domain/webhook-signature';

export interface WebhookHandlerDeps {
  readonly useCase: HandleProviderWebhook;
  readonly secret: string;
  /** Allowed clock difference between the signature's timestamp and now, both directions. */
  readonly toleranceSeconds: number;
  readonly clock: Clock;
  readonly obs: Observability;
}

/**
 * The request body as the bytes the provider sent. A base64 body (binary media types) is decoded straight to
 * bytes: decoding it to a UTF-8 string first would replace invalid sequences, so the HMAC would cover other
 * bytes than were signed — rejecting authentic webhooks and accepting bodies that were never signed.
 */
export function rawBodyBytes(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body == null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/**
 * Builds `POST /payments/webhook`: size (413), signature (401), JSON and schema (400), then the use case.
 * An authentic, valid webhook always gets a 2xx — even when it changes nothing — so the provider stops.
 */
export function buildWebhookHandler(
  deps: WebhookHandlerDeps,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  const { logger, metrics } = deps.obs;
  return async (event) => {
    try {
      const body = rawBodyBytes(event);
      if (body.length > MAX_BODY_BYTES) {
        throw new PayloadTooLargeError(`body is ${body.length} bytes; the limit is ${MAX_BODY_BYTES}`);
      }
      verifyWebhookSignature({
        header: header(event, SIGNATURE_HEADER),
        rawBody: body,
        secret: deps.secret,
        nowMs: deps.clock.now(),
        toleranceSeconds: deps.toleranceSeconds,
      });
      const webhook = validate(providerWebhookSchema, parseJsonBody(event), 'webhook');
      const result = await deps.useCase.execute(webhook);
      const context = { eventId: webhook.id, type: webhook.type, orderId: webhook.data.orderId, ...result };
      switch (result.outcome) {
        case 'duplicate':
          logger.info('duplicate webhook skipped', context);
          metrics.addMetric('WebhookDuplicates', MetricUnit.Count, 1);
          return json(200, { received: true, result: 'duplicate' });
        case 'ignored':
          logger.warn('webhook ignored', context);
          metrics.addMetric('WebhooksIgnored', MetricUnit.Count, 1);
          return json(200, { received: true, result: 'ignored', ignored: result.reason });
        case 'resumed':
          if (result.callback === 'gone') logger.warn('task token already completed or timed out', context);
          else logger.info('saga resumed from webhook', context);
          metrics.addMetric(
            result.decision === 'authorized' ? 'PaymentsAuthorized' : 'PaymentsDeclined',
            MetricUnit.Count,
            1,
          );
          return json(200, { received: true, result: 'resumed', decision: result.decision });
        case 'released':
          logger.warn('charge decided after compensation was given back', context);
          metrics.addMetric('LateChargesReleased', MetricUnit.Count, 1);
          return json(200, { received: true, result: 'released', chargeStatus: result.chargeStatus });
      }
    } catch (err) {
      if (err instanceof MeridianError) {
        logger.warn('webhook rejected', { code: err.code, message: err.message });
        if (err.kind === 'unauthorized') metrics.addMetric('WebhookSignatureRejected', MetricUnit.Count, 1);
      } else {
        logger.error('webhook failed', err as Error);
      }
      return errorResponse(err);
    }
  };
}
