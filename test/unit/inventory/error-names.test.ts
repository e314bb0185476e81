import * as errors from '../../../services/inventory/domain/errors';
import { ReserveStock } from '../../../services/inventory/domain/reservations';
import { buildReserveStockHandler } from '../../../services/inventory/handlers/steps';
import { ValidationError } from '../../../services/shared/errors';
import { lambdaContext } from '../../../services/shared/lambda';
import { observability } from '../../../services/shared/observability';
import { SAGA_ERRORS } from '../../../services/shared/saga';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { withRenamedClasses, type ErrorClass } from '../../support/minify';
import { freshSku, inventoryDeps, order } from './support';

/** Every error class of the inventory service, how to build one, and the name Step Functions must see. */
const EXPECTED: Record<keyof typeof errors, [() => Error, string]> = {
  OutOfStockError: [() => new errors.OutOfStockError('PROD-1', 2, 1), SAGA_ERRORS.outOfStock],
  ReservationExpiredError: [
    () => new errors.ReservationExpiredError('o', 'PROD-1'),
    SAGA_ERRORS.reservationExpired,
  ],
  AllocationNotOwnedError: [
    () => new errors.AllocationNotOwnedError('PROD-1', 'eu-west-1', 'us-east-1'),
    'AllocationNotOwnedError',
  ],
  AllocationFullError: [() => new errors.AllocationFullError('PROD-1', 4000), 'AllocationFullError'],
  StockContentionError: [() => new errors.StockContentionError('PROD-1', 8), 'StockContentionError'],
  SkuNotFoundError: [() => new errors.SkuNotFoundError('PROD-1'), 'SkuNotFoundError'],
  VersionConflictError: [() => new errors.VersionConflictError('PROD-1', 1, 2), 'VersionConflictError'],
  InvalidStepInputError: [() => new errors.InvalidStepInputError('step input', []), 'ValidationError'],
};

describe('inventory error names under minification', () => {
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

  it('the step handlers reject bad input as ValidationError even with every class renamed', async () => {
    const table = (await createTables(['inventory'])).inventory;
    const deps = inventoryDeps(testDocumentClient(), table, 'eu-west-1');
    const { logger, metrics } = observability('inventory-test');
    const reserve = buildReserveStockHandler({ reserveStock: new ReserveStock(deps), logger, metrics });

    const bad = await withRenamedClasses([errors.InvalidStepInputError, ValidationError], () =>
      reserve({ order: { orderId: 'o' } }, lambdaContext()).catch((e: unknown) => e),
    );
    const short = await withRenamedClasses([errors.OutOfStockError], () =>
      reserve({ order: order([[freshSku(), 1]]) }, lambdaContext()).catch((e: unknown) => e),
    );

    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as Error).name).toBe('ValidationError');
    expect((short as Error).name).toBe(SAGA_ERRORS.outOfStock);
  });
});
