import type { Context } from 'aws-lambda';
import type { Observability } from './observability';

/** The `id` of the EventBridge event that invoked a scheduled function (one per run), if it has one. */
export function scheduledEventId(event: unknown): string | undefined {
  const id = event && typeof event === 'object' ? (event as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Wraps a Lambda entry point with the house observability: logger context and correlation id,
 * an X-Ray subsegment with annotations, the cold-start metric, and metrics flushed on every exit.
 * Business logic stays in the wrapped function; this is the only place the three tools are wired.
 */
export function instrumented<E, R>(
  obs: Observability,
  correlationIdOf: (event: E) => string | undefined,
  fn: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  const { logger, tracer, metrics } = obs;
  return async (event, context) => {
    logger.addContext(context);
    const correlationId = safely(() => correlationIdOf(event));
    if (correlationId) logger.appendKeys({ correlationId });
    metrics.captureColdStartMetric();

    const parent = tracer.getSegment();
    const subsegment = parent?.addNewSubsegment(`## ${context.functionName ?? 'handler'}`);
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    if (correlationId) tracer.putAnnotation('correlationId', correlationId);
    try {
      const result = await fn(event, context);
      tracer.addResponseAsMetadata(result as unknown as Record<string, unknown>, context.functionName);
      return result;
    } catch (err) {
      tracer.addErrorAsMetadata(err as Error);
      throw err;
    } finally {
      if (subsegment && parent) {
        subsegment.close();
        tracer.setSegment(parent);
      }
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      if (correlationId) logger.removeKeys(['correlationId']);
    }
  };
}

function safely<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** A minimal Lambda context for tests and the local runtime. */
export function lambdaContext(functionName = 'test-function'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'local-request',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
