import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { recordDeadLetter, type RecordDeadLetterDeps } from '../domain/record-dead-letter';
import { readableIds } from '../domain/ship-order';

export interface DlqHandlerDeps extends RecordDeadLetterDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Message attribute a sender may set to explain a failure (kept when SQS moves a message to the DLQ). */
export const FAILURE_REASON_ATTRIBUTE = 'failureReason';

/**
 * The shipping DLQ consumer: records each dead-lettered message as a failed order (malformed ones
 * too) and publishes ShipmentFailed. A record that cannot be stored is reported and retried alone.
 */
export function buildDlqHandler(deps: DlqHandlerDeps) {
  const { logger, metrics } = deps;

  const processRecord = async (record: SQSRecord): Promise<void> => {
    const reasonAttribute = record.messageAttributes?.[FAILURE_REASON_ATTRIBUTE]?.stringValue;
    let result;
    try {
      result = await recordDeadLetter(deps, {
        messageId: record.messageId,
        body: record.body,
        receiveCount: Number(record.attributes.ApproximateReceiveCount ?? '0'),
        reasonAttribute: reasonAttribute ? reasonAttribute.slice(0, 1000) : undefined,
      });
    } catch (err) {
      const readable = readableIds(record.body);
      logger.warn('dead letter not recorded; the DLQ record will be retried', {
        messageId: record.messageId,
        orderId: readable.orderId,
        correlationId: readable.correlationId,
        errorName: (err as Error).name,
        error: (err as Error).message,
      });
      throw err;
    }
    if (result.outcome !== 'duplicate') metrics.addMetric('ShipmentDeadLettered', MetricUnit.Count, 1);
    logger.error('shipping message dead-lettered; failed order recorded for re-drive', {
      messageId: record.messageId,
      orderId: result.orderId,
      // This record's order, not the batch's first one (absent when the body is unreadable).
      correlationId: result.correlationId,
      outcome: result.outcome,
      malformed: result.malformed,
      reason: result.reason,
    });
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const processor = new BatchProcessor(EventType.SQS, { logger });
    return processPartialResponse(event, processRecord, processor, {
      context,
      throwOnFullBatchFailure: false,
    });
  };
}
