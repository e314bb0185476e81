import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { validate } from '../../shared/http';
import { OrderHomedElsewhereError } from '../domain/errors';
import {
  notifyCustomer,
  notifyInputSchema,
  type NotifyDeps,
  type NotifyResult,
} from '../domain/notify-customer';

export interface NotifyHandlerDeps extends NotifyDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The saga's final step: tells the customer how the order ended (in the order's home region only). */
export function buildNotifyHandler(deps: NotifyHandlerDeps) {
  return async (event: unknown): Promise<NotifyResult> => {
    const input = validate(notifyInputSchema, event, 'notify input');
    let result;
    try {
      result = await notifyCustomer(deps, input);
    } catch (err) {
      if (err instanceof OrderHomedElsewhereError) {
        deps.logger.warn('order homed in another region; nothing sent', {
          orderId: input.order.orderId,
          homeRegion: input.order.homeRegion,
          template: input.template,
        });
      }
      throw err;
    }
    const log = { orderId: input.order.orderId, template: input.template, ...result };
    if (result.duplicate) {
      deps.logger.info('customer already notified; nothing sent', log);
    } else {
      deps.metrics.addMetric('CustomerNotificationSent', MetricUnit.Count, 1);
      deps.logger.info('customer notified', log);
    }
    return result;
  };
}
