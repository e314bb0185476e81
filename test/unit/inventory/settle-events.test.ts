import { DynamoProcessedEventStore } from '../../../services/shared/adapters/dynamo-processed-events';
import { ValidationError } from '../../../services/shared/errors';
import { createEvent } from '../../../services/shared/events';
import { lambdaContext } from '../../../services/shared/lambda';
import { observability } from '../../../services/shared/observability';
import { CommitStock, ReserveStock } from '../../../services/inventory/domain/reservations';
import { SettleOrder } from '../../../services/inventory/domain/settlement';
import { buildEventsHandler } from '../../../services/inventory/handlers/events';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { freshSku, inventoryDeps, order, units } from './support';

const REGION = 'eu-west-1';
const client = testDocumentClient();
const { logger, metrics } = observability('inventory-test');

let tables: Record<'inventory' | 'processed-events', string>;

beforeAll(async () => {
  tables = await createTables(['inventory', 'processed-events']);
});

function setup() {
  const deps = inventoryDeps(client, tables.inventory, REGION);
  const handler = buildEventsHandler({
    settleOrder: new SettleOrder(deps),
    processedEvents: new DynamoProcessedEventStore(client, tables['processed-events'], REGION),
    logger,
    metrics,
  });
  return {
    deps,
    reserve: new ReserveStock(deps),
    commit: new CommitStock(deps),
    stock: (sku: string, available: number) =>
      deps.store.setAvailable(sku, available, undefined, deps.clock.now()),
    handle: (event: unknown) => handler(event, lambdaContext('inventory-events')),
  };
}

/** An OrderFulfilled event as EventBridge delivers it to a Lambda target. */
function fulfilled(orderId: string, id = `${orderId}:OrderFulfilled`) {
  const detail = createEvent({
    id,
    type: 'OrderFulfilled',
    source: 'meridian.orders',
    region: REGION,
    correlationId: `corr-${orderId}`,
    data: { orderId, customerId: 'CUST-1' },
  });
  return {
    version: '0',
    id: 'eb-1',
    'detail-type': 'OrderFulfilled',
    source: 'meridian.orders',
    account: '000000000000',
    time: detail.time,
    region: REGION,
    resources: [],
    detail,
  };
}

describe('settling fulfilled orders', () => {
  it('removes the order’s committed holds for good and forgets its reservation record', async () => {
    const { deps, reserve, commit, stock, handle } = setup();
    const [a, b] = [freshSku(), freshSku()];
    await stock(a, 5);
    await stock(b, 5);
    const o = order([
      [a, 2],
      [b, 1],
    ]);
    await reserve.execute(o);
    await commit.execute(o);

    const result = await handle(fulfilled(o.orderId));

    expect(result.outcome).toBe('processed');
    expect([...result.settled].sort((x, y) => x.sku.localeCompare(y.sku))).toEqual(
      [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 1 },
      ].sort((x, y) => x.sku.localeCompare(y.sku)),
    );
    expect(units(await deps.store.getAllocation(a))).toEqual({
      available: 3,
      held: 0,
      committed: 0,
      total: 3,
    });
    expect(units(await deps.store.getAllocation(b))).toEqual({
      available: 4,
      held: 0,
      committed: 0,
      total: 4,
    });
    expect(await deps.store.getReservationRecord(o.orderId)).toBeUndefined();
  });

  it('skips a redelivered event', async () => {
    const { deps, reserve, commit, stock, handle } = setup();
    const sku = freshSku();
    await stock(sku, 5);
    const o = order([[sku, 2]]);
    await reserve.execute(o);
    await commit.execute(o);
    await handle(fulfilled(o.orderId));
    // A later order's committed hold must survive the duplicate.
    const other = order([[sku, 1]]);
    await reserve.execute(other);
    await commit.execute(other);

    const again = await handle(fulfilled(o.orderId));

    expect(again).toEqual({ outcome: 'duplicate', settled: [] });
    expect(units(await deps.store.getAllocation(sku))).toEqual({
      available: 2,
      held: 0,
      committed: 1,
      total: 3,
    });
  });

  it('leaves a hold that was never committed', async () => {
    const { deps, reserve, stock, handle } = setup();
    const sku = freshSku();
    await stock(sku, 5);
    const o = order([[sku, 2]]);
    await reserve.execute(o);

    const result = await handle(fulfilled(o.orderId));

    expect(result).toEqual({ outcome: 'processed', settled: [] });
    expect(units(await deps.store.getAllocation(sku))).toEqual({
      available: 3,
      held: 2,
      committed: 0,
      total: 5,
    });
    expect(await deps.store.getReservationRecord(o.orderId)).toBeDefined();
  });

  it('does nothing for an order with no hold in this region', async () => {
    const { handle } = setup();

    await expect(handle(fulfilled('ord_elsewhere'))).resolves.toEqual({ outcome: 'processed', settled: [] });
  });

  it('ignores events of other types', async () => {
    const { deps, reserve, commit, stock, handle } = setup();
    const sku = freshSku();
    await stock(sku, 5);
    const o = order([[sku, 2]]);
    await reserve.execute(o);
    await commit.execute(o);
    const cancelled = createEvent({
      type: 'OrderCancelled',
      source: 'meridian.orders',
      region: REGION,
      correlationId: 'c',
      data: { orderId: o.orderId, customerId: 'CUST-1', reason: 'x' },
    });

    const result = await handle({ detail: cancelled });

    expect(result).toEqual({ outcome: 'ignored', settled: [] });
    expect(units(await deps.store.getAllocation(sku)).committed).toBe(2);
  });

  it('rejects a malformed event so it goes to the dead-letter queue', async () => {
    const { handle } = setup();

    await expect(handle({ detail: { type: 'OrderFulfilled' } })).rejects.toBeInstanceOf(ValidationError);
    const bad = fulfilled('x');
    await expect(
      handle({ ...bad, detail: { ...bad.detail, data: { customerId: 'CUST-1' } } }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});
