import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { validate } from '../../shared/http';
import type { Observability } from '../../shared/observability';
import { stepInputSchema } from '../../shared/saga';
import type { AuthorizePayment, AuthorizePaymentResult } from '../domain/authorize-payment';
import type { CapturePayment, CapturePaymentResult } from '../domain/capture-payment';
import type { RefundPayment, RefundPaymentResult } from '../domain/refund-payment';

/** A saga step entry point: Step Functions passes the state input as the event. */
export type StepHandler<R> = (event: unknown, context: Context) => Promise<R>;

/** Builds the `authorizePayment` step (`.waitForTaskToken`): the saga then waits for the token. */
export function buildAuthorizePaymentHandler(deps: {
  readonly useCase: AuthorizePayment;
  readonly obs: Observability;
}): StepHandler<AuthorizePaymentResult> {
  return async (event) => {
    const input = validate(stepInputSchema, event, 'step input');
    const result = await deps.useCase.execute(input);
    const { logger, metrics } = deps.obs;
    if (result.compensated) {
      // The step outlived its task and compensation ran first: it charged nothing (or gave it back).
      logger.warn('payment already compensated: authorization stood down', { ...result });
      metrics.addMetric('AuthorizationsAfterCompensation', MetricUnit.Count, 1);
      return result;
    }
    logger.info('payment authorization requested', { ...result });
    metrics.addMetric('ChargesRequested', MetricUnit.Count, 1);
    if (result.completedBy === 'step') {
      metrics.addMetric('PaymentTasksCompletedByStep', MetricUnit.Count, 1);
      if (result.callback === 'gone') logger.warn('task token already completed or timed out', { ...result });
    }
    return result;
  };
}

/** Builds the `capturePayment` step. */
export function buildCapturePaymentHandler(deps: {
  readonly useCase: CapturePayment;
  readonly obs: Observability;
}): StepHandler<CapturePaymentResult> {
  return async (event) => {
    const input = validate(stepInputSchema, event, 'step input');
    const result = await deps.useCase.execute(input);
    deps.obs.logger.info('payment captured', { orderId: input.order.orderId, ...result });
    deps.obs.metrics.addMetric('PaymentsCaptured', MetricUnit.Count, 1);
    return result;
  };
}

/** Builds the `refundPayment` compensation step. */
export function buildRefundPaymentHandler(deps: {
  readonly useCase: RefundPayment;
  readonly obs: Observability;
}): StepHandler<RefundPaymentResult> {
  return async (event) => {
    const input = validate(stepInputSchema, event, 'step input');
    const result = await deps.useCase.execute(input);
    deps.obs.logger.info('payment compensated', {
      orderId: input.order.orderId,
      reason: input.reason,
      ...result,
    });
    if (result.outcome === 'REFUNDED') deps.obs.metrics.addMetric('PaymentsRefunded', MetricUnit.Count, 1);
    if (result.outcome === 'VOIDED') deps.obs.metrics.addMetric('PaymentsVoided', MetricUnit.Count, 1);
    return result;
  };
}
