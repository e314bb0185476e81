import {
  IdempotencyKeyReusedError,
  InvalidStatusTransitionError,
  OrderCancelledError,
  OrderNotCancellableError,
  OrderNotFoundError,
} from '../../../services/orders/domain/errors';
import { decideStatus, toOrderView, type Order } from '../../../services/orders/domain/order';
import { errorResponse } from '../../../services/shared/http';
import { ORDER_STATUSES, SAGA_ERRORS, type OrderStatus } from '../../../services/shared/saga';

describe('order lifecycle rules', () => {
  it.each<[OrderStatus, OrderStatus]>([
    ['PENDING', 'RESERVED'],
    ['RESERVED', 'PAID'],
    ['PAID', 'SHIPPED'],
    ['SHIPPED', 'FULFILLED'],
    ['PENDING', 'FAILED'],
    ['RESERVED', 'FAILED'],
    ['PAID', 'FAILED'],
    ['CANCELLING', 'CANCELLED'],
  ])('moves %s → %s', (from, to) => {
    expect(decideStatus(from, to)).toEqual({ action: 'move', to });
  });

  it.each(ORDER_STATUSES)('treats %s → itself as a no-op', (status) => {
    expect(decideStatus(status, status)).toEqual({ action: 'noop', status });
  });

  it.each<OrderStatus>(['RESERVED', 'PAID', 'SHIPPED', 'FULFILLED'])(
    'refuses %s once cancelling or cancelled',
    (to) => {
      expect(decideStatus('CANCELLING', to)).toEqual({ action: 'refuse-cancelled' });
      expect(decideStatus('CANCELLED', to)).toEqual({ action: 'refuse-cancelled' });
    },
  );

  it('lets the customer win: FAILED while CANCELLING becomes CANCELLED, and is a no-op once CANCELLED', () => {
    expect(decideStatus('CANCELLING', 'FAILED')).toEqual({ action: 'move', to: 'CANCELLED' });
    expect(decideStatus('CANCELLED', 'FAILED')).toEqual({ action: 'noop', status: 'CANCELLED' });
  });

  it('leaves CANCELLING to the API', () => {
    for (const from of ['PENDING', 'RESERVED', 'PAID'] as const) {
      expect(decideStatus(from, 'CANCELLING')).toEqual({ action: 'invalid' });
    }
  });

  it('never leaves a terminal status', () => {
    for (const from of ['FULFILLED', 'FAILED'] as const) {
      for (const to of ORDER_STATUSES.filter((s) => s !== from)) {
        expect(decideStatus(from, to).action).toBe('invalid');
      }
    }
  });

  it('refuses skipping steps and going back', () => {
    expect(decideStatus('PENDING', 'PAID')).toEqual({ action: 'invalid' });
    expect(decideStatus('RESERVED', 'SHIPPED')).toEqual({ action: 'invalid' });
    expect(decideStatus('PAID', 'RESERVED')).toEqual({ action: 'invalid' });
    expect(decideStatus('SHIPPED', 'FAILED')).toEqual({ action: 'invalid' });
  });
});

describe('orders errors', () => {
  it('carry the names the saga routes on, whatever the bundler does to class names', () => {
    expect(new OrderCancelledError('o', 'PAID').name).toBe(SAGA_ERRORS.orderCancelled);
    expect(new InvalidStatusTransitionError('o', 'PENDING', 'PAID').name).toBe(SAGA_ERRORS.invalidTransition);
  });

  it.each([
    [new OrderNotFoundError('o'), 404, 'ORDER_NOT_FOUND'],
    [new OrderNotCancellableError('o', 'SHIPPED'), 409, 'ORDER_NOT_CANCELLABLE'],
    [new IdempotencyKeyReusedError(), 422, 'IDEMPOTENCY_KEY_REUSED'],
  ])('map %p to HTTP %p through the shared mapping', (error, status, code) => {
    const res = errorResponse(error);

    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code } });
  });
});

describe('order view', () => {
  const order: Order = {
    orderId: 'ord_0123456789ABCDEFGHJKMNPQRS',
    customerId: 'CUST-1',
    status: 'FAILED',
    currency: 'USD',
    lines: [{ productId: 'PROD-1', quantity: 3, unitPriceMinor: 333, lineTotalMinor: 999 }],
    totalMinor: 999,
    homeRegion: 'us-east-1',
    ownerRegion: 'us-east-1',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:01.000Z',
    statusHistory: [
      { status: 'PENDING', at: '2026-01-01T00:00:00.000Z' },
      { status: 'FAILED', at: '2026-01-01T00:00:01.000Z', reason: 'declined' },
    ],
    correlationId: 'c',
    idempotencyKey: 'k',
    failureReason: 'declined',
  };

  it('shows decimals and the failure reason, and hides internals', () => {
    const view = toOrderView(order);

    expect(view).toEqual({
      orderId: order.orderId,
      customerId: 'CUST-1',
      status: 'FAILED',
      currency: 'USD',
      lines: [{ productId: 'PROD-1', quantity: 3, unitPrice: 3.33, lineTotal: 9.99 }],
      total: 9.99,
      homeRegion: 'us-east-1',
      createdAt: order.createdAt,
      updatedAt: order.updatedAt,
      statusHistory: order.statusHistory,
      failureReason: 'declined',
    });
  });
});
