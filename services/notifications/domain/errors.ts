import { MeridianError } from '../../shared/errors';

/**
 * The order is homed in another region: its saga, and so its customer notification, belongs there.
 * Thrown by the notify step so a misrouted or replayed invocation never sends the customer a second
 * message. The name is the saga's `SAGA_ERRORS.orderHomedElsewhere` (set as a literal: bundlers rename classes).
 */
export class OrderHomedElsewhereError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'ORDER_HOMED_ELSEWHERE';
  constructor(orderId: string, homeRegion: string, region: string) {
    super(`order ${orderId} is homed in ${homeRegion}; ${region} does not notify its customer`);
    this.name = 'OrderHomedElsewhereError';
  }
}
