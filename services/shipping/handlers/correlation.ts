import type { SQSEvent } from 'aws-lambda';
import { correlationIdFrom } from '../../shared/observability';
import { readableIds } from '../domain/ship-order';

/**
 * The correlation id `instrumented` gives a whole SQS batch: the first record's order correlation id when
 * its body is readable, else none. Records of one batch may belong to different orders, so every
 * per-record log line also names its own order's correlation id (which overrides the batch's).
 */
export function sqsBatchCorrelationId(event: SQSEvent): string | undefined {
  const body = event?.Records?.[0]?.body;
  return typeof body === 'string' ? readableIds(body).correlationId : undefined;
}

/**
 * The correlation id of an admin or ops invocation (re-drive, failure injection): the caller's
 * `correlationId` when well-formed, else a new one, so every log line of the run can be found together.
 */
export function adminCorrelationId(event: unknown): string {
  const candidate =
    event && typeof event === 'object' ? (event as { correlationId?: unknown }).correlationId : undefined;
  return correlationIdFrom(typeof candidate === 'string' ? candidate : undefined);
}
