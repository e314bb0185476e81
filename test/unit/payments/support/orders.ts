import type { SagaOrder, StepInput } from '../../../../services/shared/saga';

let counter = 0;

/** A saga order with a unique id; override what a test cares about. */
export function sagaOrder(overrides: Partial<SagaOrder> = {}): SagaOrder {
  counter += 1;
  const orderId = `ord_${process.pid}_${Date.now().toString(36)}_${counter}`;
  return {
    orderId,
    customerId: 'CUST-1001',
    correlationId: `corr-${orderId}`,
    homeRegion: 'us-east-1',
    currency: 'EUR',
    totalMinor: 4999,
    lines: [{ productId: 'PROD-1', quantity: 1, unitPriceMinor: 4999 }],
    paymentToken: 'tok_visa',
    ...overrides,
  };
}

/** The input Step Functions passes to a step. */
export function stepInput(order: SagaOrder, extra: Partial<Omit<StepInput, 'order'>> = {}): StepInput {
  return { order, ...extra };
}
