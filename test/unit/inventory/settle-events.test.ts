import { DynamoProcessedEventStore } from '../../../services/shared/adapters/dynamo-processed-events';
import { createEvent } from '../../../services/shared/events';
import { lambdaContext } from '../../../services/shared/lambda';
import { observability } from '../../../services/shared/observability';
import { CommitStock, ReserveStock } from '../../../services/inventory/domain/reservations';
import { SweepExpiredHolds } from '../../../services/inventory/domain/expiry';
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

afterEach(() => {
  jest.restoreAllMocks();
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

  it('settles a hold that was never committed: the order shipped, so its units do not come back', async () => {
    // Arrange: the commit step never landed, the order was fulfilled anyway.
    const { deps, reserve, stock, handle } = setup();
    const sku = freshSku();
    await stock(sku, 5);
    const o = order([[sku, 2]]);
    await reserve.execute(o);
    const warn = jest.spyOn(logger, 'warn');
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    const result = await handle(fulfilled(o.orderId));

    // Assert
    expect(result).toEqual({ outcome: 'processed', settled: [{ sku, quantity: 2 }] });
    expect(units(await deps.store.getAllocation(sku))).toEqual({
      available: 3,
      held: 0,
      committed: 0,
      total: 3,
    });
    expect(await deps.store.getReservationRecord(o.orderId)).toBeUndefined();
    expect(warn).toHaveBeenCalledWith(
      'fulfilled order had uncommitted holds; settled them',
      expect.objectContaining({ orderId: o.orderId, lines: [{ sku, quantity: 2 }] }),
    );
    expect(addMetric).toHaveBeenCalledWith('StockUncommittedHoldsSettled', 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith('StockUncommittedUnitsSettled', 'Count', 2);
  });

  it('leaves nothing for the sweeper to hand back once a fulfilled order’s HELD hold is settled', async () => {
    const { deps, reserve, stock, handle } = setup();
    const sku = freshSku();
    await stock(sku, 5);
    const o = order([[sku, 2]]);
    await reserve.execute(o);
    await handle(fulfilled(o.orderId));
    deps.clock.advance(3_600_000);

    await new SweepExpiredHolds(deps).execute('sweep-after-fulfilment');

    expect(units(await deps.store.getAllocation(sku))).toEqual({
      available: 3,
      held: 0,
      committed: 0,
      total: 3,
    });
    expect(deps.publisher.ofType('StockReleased').filter((e) => e.data.orderId === o.orderId)).toEqual([]);
  });

  it('settles committed and uncommitted holds of one order together', async () => {
    const { deps, reserve, stock, handle } = setup();
    const [a, b] = [freshSku(), freshSku()];
    await stock(a, 5);
    await stock(b, 5);
    const o = order([
      [a, 1],
      [b, 3],
    ]);
    await reserve.execute(o);
    await deps.store.commitHold(a, o.orderId, deps.clock.now());

    const result = await handle(fulfilled(o.orderId));

    expect([...result.settled].sort((x, y) => x.sku.localeCompare(y.sku))).toEqual(
      [
        { sku: a, quantity: 1 },
        { sku: b, quantity: 3 },
      ].sort((x, y) => x.sku.localeCompare(y.sku)),
    );
    expect(units(await deps.store.getAllocation(a)).total).toBe(4);
    expect(units(await deps.store.getAllocation(b)).total).toBe(2);
    expect(await deps.store.getReservationRecord(o.orderId)).toBeUndefined();
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

  it.each([
    ['an event that is not an envelope', { detail: { type: 'OrderFulfilled' } }],
    ['a bare string', 'OrderFulfilled'],
    ['nothing', null],
  ])('drops %s with an error log and a metric instead of throwing', async (_name, event) => {
    const { handle } = setup();
    const error = jest.spyOn(logger, 'error');
    const addMetric = jest.spyOn(metrics, 'addMetric');

    const result = await handle(event);

    expect(result).toEqual({ outcome: 'ignored', settled: [] });
    expect(error).toHaveBeenCalledWith('malformed event dropped', expect.any(Object));
    expect(addMetric).toHaveBeenCalledWith('MalformedEventsDropped', 'Count', 1);
  });

  it('drops an OrderFulfilled without an order id, leaving the order’s holds alone', async () => {
    const { deps, reserve, commit, stock, handle } = setup();
    const sku = freshSku();
    await stock(sku, 5);
    const o = order([[sku, 2]]);
    await reserve.execute(o);
    await commit.execute(o);
    const bad = fulfilled(o.orderId);
    const error = jest.spyOn(logger, 'error');
    const addMetric = jest.spyOn(metrics, 'addMetric');

    const result = await handle({ ...bad, detail: { ...bad.detail, data: { customerId: 'CUST-1' } } });

    expect(result).toEqual({ outcome: 'ignored', settled: [] });
    expect(error).toHaveBeenCalledWith(
      'malformed OrderFulfilled dropped',
      expect.objectContaining({ eventId: bad.detail.id }),
    );
    expect(addMetric).toHaveBeenCalledWith('MalformedEventsDropped', 'Count', 1);
    expect(units(await deps.store.getAllocation(sku)).committed).toBe(2);
  });
});
