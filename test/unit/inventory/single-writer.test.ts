import { AllocationNotOwnedError } from '../../../services/inventory/domain/errors';
import { CommitStock, ReleaseStock, ReserveStock } from '../../../services/inventory/domain/reservations';
import { SetStockLevel } from '../../../services/inventory/domain/stock-levels';
import { createTables, testDocumentClient } from '../../support/dynamo';
import { freshSku, inventoryDeps, order, putAllocation, rawAllocation } from './support';

const client = testDocumentClient();
let table: string;

beforeAll(async () => {
  table = (await createTables(['inventory'])).inventory;
});

describe('single writer per allocation', () => {
  it('reserves in eu-west-1 without touching the us-east-1 allocation', async () => {
    // Arrange: both regions stock the SKU, each through its own store.
    const eu = inventoryDeps(client, table, 'eu-west-1');
    const us = inventoryDeps(client, table, 'us-east-1');
    const sku = freshSku();
    await eu.store.setAvailable(sku, 1, undefined, eu.clock.now());
    await us.store.setAvailable(sku, 50, undefined, us.clock.now());
    const usBefore = await rawAllocation(client, table, sku, 'us-east-1');

    // Act: eu-west-1 wants more than it has, although us-east-1 has plenty.
    const error = await new ReserveStock(eu).execute(order([[sku, 2]])).catch((e: unknown) => e);
    await new ReserveStock(eu).execute(order([[sku, 1]]));

    // Assert
    expect(error).toMatchObject({ name: 'OutOfStockError', available: 1 });
    expect(await rawAllocation(client, table, sku, 'us-east-1')).toEqual(usBefore);
    expect((await eu.store.getAllocation(sku))?.available).toBe(0);
    const all = await eu.store.listSkuAllocations(sku);
    expect(all.map((a) => [a.region, a.ownerRegion, a.available]).sort()).toEqual([
      ['eu-west-1', 'eu-west-1', 0],
      ['us-east-1', 'us-east-1', 50],
    ]);
  });

  it('refuses every write to an allocation that another region owns', async () => {
    // Arrange: the eu-west-1 allocation was handed over to us-east-1.
    const eu = inventoryDeps(client, table, 'eu-west-1');
    const sku = freshSku();
    const hold = { quantity: 1, expiresAt: eu.clock.now() + 1000, state: 'HELD' as const };
    await putAllocation(client, table, {
      sku,
      region: 'eu-west-1',
      ownerRegion: 'us-east-1',
      available: 10,
      holds: { ord_x: hold },
    });
    const before = await rawAllocation(client, table, sku, 'eu-west-1');
    const now = eu.clock.now();

    // Act + assert: every conditional write is refused by DynamoDB itself ...
    expect(await eu.store.placeHold(sku, 'ord_y', hold, 100, now)).toBe('condition_failed');
    expect(await eu.store.commitHold(sku, 'ord_x', now)).toBe('condition_failed');
    expect(await eu.store.releaseHold(sku, 'ord_x', hold, now)).toBe('condition_failed');
    expect(await eu.store.settleHold(sku, 'ord_x', hold, now)).toBe('condition_failed');
    expect((await eu.store.setAvailable(sku, 99, undefined, now)).outcome).toBe('condition_failed');
    expect((await eu.store.setAvailable(sku, 99, 1, now)).outcome).toBe('condition_failed');

    // ... and the use cases say why.
    await expect(new ReserveStock(eu).execute(order([[sku, 1]]))).rejects.toBeInstanceOf(
      AllocationNotOwnedError,
    );
    await expect(new CommitStock(eu).execute(order([[sku, 1]], 'ord_x'))).rejects.toBeInstanceOf(
      AllocationNotOwnedError,
    );
    await expect(new ReleaseStock(eu).execute(order([[sku, 1]], 'ord_x'), 'x')).rejects.toBeInstanceOf(
      AllocationNotOwnedError,
    );
    await expect(
      new SetStockLevel(eu).execute({ sku, available: 5, correlationId: 'c' }),
    ).rejects.toMatchObject({ code: 'ALLOCATION_NOT_OWNED' });
    expect(await rawAllocation(client, table, sku, 'eu-west-1')).toEqual(before);
    expect(eu.publisher.events).toHaveLength(0);
  });
});
