import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { MalformedShippingMessageError } from '../domain/errors';
import { parseShippingMessage, readableIds, shipOrder, type ShipOrderDeps } from '../domain/ship-order';

export interface ConsumerHandlerDeps extends ShipOrderDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The shipping queue consumer (SQS event source with ReportBatchItemFailures). Records are processed
 * in parallel; each failed record is reported alone, so only failed records are retried and a poison
 * message reaches the DLQ after maxReceiveCount without holding up the rest of its batch.
 * Every log line about a record carries that record's order correlation id (absent when unreadable),
 * never the batch's: records of one batch belong to different orders.
 */
export function buildConsumerHandler(deps: ConsumerHandlerDeps) {
  const { logger, metrics } = deps;

  const processRecord = async (record: SQSRecord): Promise<void> => {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
    let message;
    try {
      message = parseShippingMessage(record.body);
    } catch (err) {
      if (err instanceof MalformedShippingMessageError) {
        const readable = readableIds(record.body);
        logger.error(
          'poison shipping message: it fails on every receive and goes to the DLQ after maxReceiveCount',
          {
            messageId: record.messageId,
            orderId: readable.orderId,
            correlationId: readable.correlationId,
            receiveCount,
            error: err.message,
            fields: err.fields,
            bodyPreview: record.body.slice(0, 500),
          },
        );
        metrics.addMetric('ShippingPoisonMessage', MetricUnit.Count, 1);
      }
      throw err;
    }

    const { order } = message;
    const log = {
      messageId: record.messageId,
      orderId: order.orderId,
      correlationId: order.correlationId,
      receiveCount,
    };
    let result;
    try {
      result = await shipOrder(deps, message);
    } catch (err) {
      logger.warn('shipping attempt failed; the record will be retried', {
        ...log,
        errorName: (err as Error).name,
        error: (err as Error).message,
      });
      if ((err as Error).name === 'InjectedShippingFailureError') {
        metrics.addMetric('ShippingInjectedFailure', MetricUnit.Count, 1);
      }
      throw err;
    }

    if (result.outcome === 'cancelled') {
      // Final: the record counts as processed, so a cancelled order neither retries nor reaches the DLQ.
      metrics.addMetric('ShipmentRefusedCancelled', MetricUnit.Count, 1);
      logger.warn('shipment was cancelled; nothing shipped and the saga task failed', {
        ...log,
        status: result.record.status,
        callback: result.callback.outcome,
        ...(result.callback.outcome === 'stale' ? { reason: result.callback.reason } : {}),
      });
      return;
    }
    if (result.created) metrics.addMetric('ShipmentCreated', MetricUnit.Count, 1);
    if (result.callback.outcome === 'stale') {
      // The saga no longer waits (timed out or already completed by an earlier delivery).
      const level = result.created ? 'error' : 'warn';
      logger[level]('saga task token is stale; record counted as processed', {
        ...log,
        shipmentId: result.shipment.shipmentId,
        created: result.created,
        reason: result.callback.reason,
      });
      metrics.addMetric('ShippingStaleTaskToken', MetricUnit.Count, 1);
    } else {
      logger.info('shipment created and saga resumed', {
        ...log,
        shipmentId: result.shipment.shipmentId,
        created: result.created,
      });
    }
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    // One processor per invocation: it keeps per-batch state, and the local runtime may overlap calls.
    const processor = new BatchProcessor(EventType.SQS, { logger });
    const response = await processPartialResponse(event, processRecord, processor, {
      context,
      // Report every failure (even a whole batch) as item failures rather than throwing.
      throwOnFullBatchFailure: false,
    });
    if (response.batchItemFailures.length > 0) {
      logger.info('shipping batch finished with failures', {
        records: event.Records.length,
        failed: response.batchItemFailures.map((f) => f.itemIdentifier),
      });
    }
    return response;
  };
}
