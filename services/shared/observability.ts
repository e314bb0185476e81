import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** Namespace of every Meridian metric. */
export const METRICS_NAMESPACE = 'Meridian';

/** Header carrying the correlation id from the client through the saga and the events. */
export const CORRELATION_HEADER = 'x-correlation-id';

export interface Observability {
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly metrics: Metrics;
}

/** Logger, tracer and metrics for one service (one set per module, created at cold start). */
export function observability(serviceName: string): Observability {
  return {
    logger: new Logger({ serviceName }),
    tracer: new Tracer({ serviceName }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
  };
}

/** A correlation id as received, if well-formed, else a new one. */
export function correlationIdFrom(candidate: string | undefined): string {
  if (candidate && /^[A-Za-z0-9._:-]{1,128}$/.test(candidate)) return candidate;
  return randomUUID();
}
