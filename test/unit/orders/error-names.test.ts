import * as errors from '../../../services/orders/domain/errors';
import { ValidationError } from '../../../services/shared/errors';
import { SAGA_ERRORS } from '../../../services/shared/saga';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { withRenamedClasses, type ErrorClass } from '../../support/minify';
import { bodyOf, buildApp, createOrderEvent } from './support/app';

/** Every error class of the orders service, how to build one, and the name Step Functions must see. */
const EXPECTED: Record<keyof typeof errors, [() => Error, string]> = {
  OrderNotFoundError: [() => new errors.OrderNotFoundError('o'), 'OrderNotFoundError'],
  IdempotencyKeyReusedError: [() => new errors.IdempotencyKeyReusedError(), 'IdempotencyKeyReusedError'],
  OrderNotCancellableError: [
    () => new errors.OrderNotCancellableError('o', 'SHIPPED'),
    'OrderNotCancellableError',
  ],
  OrderCancelledError: [() => new errors.OrderCancelledError('o', 'PAID'), SAGA_ERRORS.orderCancelled],
  InvalidStatusTransitionError: [
    () => new errors.InvalidStatusTransitionError('o', 'PENDING', 'PAID'),
    SAGA_ERRORS.invalidTransition,
  ],
  OrderHomedElsewhereError: [
    () => new errors.OrderHomedElsewhereError('o', 'us-east-1', 'eu-west-1'),
    SAGA_ERRORS.orderHomedElsewhere,
  ],
  OrderTakenOverError: [
    () => new errors.OrderTakenOverError('o', 'eu-west-1', 'PAID'),
    SAGA_ERRORS.orderTakenOver,
  ],
  OrderUpdateConflictError: [() => new errors.OrderUpdateConflictError('o'), 'OrderUpdateConflictError'],
  OrderOwnershipUnsettledError: [
    () => new errors.OrderOwnershipUnsettledError('o', ['eu-west-1']),
    'OrderOwnershipUnsettledError',
  ],
  InvalidCursorError: [() => new errors.InvalidCursorError('bad'), 'InvalidCursorError'],
  InvalidStepInputError: [() => new errors.InvalidStepInputError('input', []), 'ValidationError'],
};

describe('orders error names under minification', () => {
  it('lists every exported error class', () => {
    const exported = Object.entries(errors)
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error)
      .map(([name]) => name)
      .sort();

    expect(Object.keys(EXPECTED).sort()).toEqual(exported);
  });

  it.each(Object.entries(EXPECTED))(
    '%s keeps its name when its class is renamed',
    async (key, [build, name]) => {
      const cls = errors[key as keyof typeof errors] as ErrorClass;

      const error = await withRenamedClasses([cls, ValidationError], build);

      expect(error.name).toBe(name);
    },
  );

  it('the set-status step rejects bad input as ValidationError even with every class renamed', async () => {
    const t = await createTables(['orders', 'processed-events']);
    const app = buildApp(testDocumentClient(), { orders: t.orders, processed: t['processed-events'] });

    const error = await withRenamedClasses([errors.InvalidStepInputError, ValidationError], () =>
      app.setStatus({ status: 'NOPE' }).catch((e: unknown) => e),
    );

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).name).toBe('ValidationError');
  });

  it('the set-status step refuses a foreign order as OrderHomedElsewhereError even with its class renamed', async () => {
    const t = await createTables(['orders', 'processed-events']);
    const tables = { orders: t.orders, processed: t['processed-events'] };
    const client = testDocumentClient();
    const home = buildApp(client, tables, { region: 'us-east-1' });
    const other = buildApp(client, tables, { region: 'eu-west-1' });
    const { orderId } = bodyOf<{ orderId: string }>(await home.api(createOrderEvent()));

    const error = await withRenamedClasses([errors.OrderHomedElsewhereError], () =>
      other.setStatus({ orderId, status: 'RESERVED' }).catch((e: unknown) => e),
    );

    expect((error as Error).name).toBe(SAGA_ERRORS.orderHomedElsewhere);
  });
});
