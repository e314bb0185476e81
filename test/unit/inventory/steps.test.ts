import { ValidationError } from '../../../services/shared/errors';
import { lambdaContext } from '../../../services/shared/lambda';
import { observability } from '../../../services/shared/observability';
import { SAGA_ERRORS } from '../../../services/shared/saga';
import { CommitStock, ReleaseStock, ReserveStock } from '../../../services/inventory/domain/reservations';
import {
  buildCommitStockHandler,
  buildReleaseStockHandler,
  buildReserveStockHandler,
} from '../../../services/inventory/handlers/steps';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { freshSku, inventoryDeps, order, units } from './support';

const client = testDocumentClient();
const { logger, metrics } = observability('inventory-test');
let table: string;

beforeAll(async () => {
  table = (await createTables(['inventory'])).inventory;
});

function setup() {
  const deps = inventoryDeps(client, table, 'eu-west-1');
  const ctx = lambdaContext('inventory-step');
  const reserve = buildReserveStockHandler({
    reserveStock: new ReserveStock(deps, { reservationTtlSeconds: 900 }),
    logger,
    metrics,
  });
  const commit = buildCommitStockHandler({ commitStock: new CommitStock(deps), logger, metrics });
  const release = buildReleaseStockHandler({ releaseStock: new ReleaseStock(deps), logger, metrics });
  return {
    deps,
    reserve: (e: unknown) => reserve(e, ctx),
    commit: (e: unknown) => commit(e, ctx),
    release: (e: unknown) => release(e, ctx),
    ctx,
  };
}

describe('saga step handlers', () => {
  it('reserve, commit and release a saga order end to end', async () => {
    const { deps, reserve, commit, release } = setup();
    const sku = freshSku();
    await deps.store.setAvailable(sku, 6, undefined, deps.clock.now());
    const o = order([[sku, 4]]);

    const reserved = await reserve({ order: o });
    const committed = await commit({ order: o, taskToken: 'ignored' });
    const released = await release({ order: o, reason: 'SHIPMENT_FAILED' });

    expect(reserved).toEqual({ reservedUntil: new Date(deps.clock.now() + 900_000).toISOString() });
    expect(committed).toEqual({ committed: [{ sku, quantity: 4 }] });
    expect(released).toEqual({ released: [{ sku, quantity: 4 }] });
    expect(units(await deps.store.getAllocation(sku))).toEqual({
      available: 6,
      held: 0,
      committed: 0,
      total: 6,
    });
    expect(deps.publisher.ofType('StockReleased')[0]?.data.reason).toBe('SHIPMENT_FAILED');
  });

  it('throws the saga’s OutOfStockError name when stock is short', async () => {
    const { reserve } = setup();

    const error = await reserve({ order: order([[freshSku(), 1]]) }).catch((e: unknown) => e);

    expect((error as Error).name).toBe(SAGA_ERRORS.outOfStock);
  });

  it('records a default reason when compensation gives none', async () => {
    const { deps, reserve, release } = setup();
    const sku = freshSku();
    await deps.store.setAvailable(sku, 1, undefined, deps.clock.now());
    const o = order([[sku, 1]]);
    await reserve({ order: o });

    await release({ order: o });

    expect(deps.publisher.ofType('StockReleased')[0]?.data.reason).toBe('COMPENSATION');
  });

  it.each([
    ['no order', {}],
    ['an order without lines', { order: { ...order([['PROD-1', 1]]), lines: [] } }],
    ['a fractional quantity', { order: order([['PROD-1', 1.5]]) }],
    ['not an object', 'reserve please'],
  ])('rejects %s with a ValidationError', async (_name, input) => {
    const { reserve, commit, release } = setup();

    for (const step of [reserve, commit, release]) {
      await expect(step(input)).rejects.toBeInstanceOf(ValidationError);
    }
  });
});
