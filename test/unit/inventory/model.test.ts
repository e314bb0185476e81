import { aggregateLines, skuViewOf, type Allocation } from '../../../services/inventory/domain/model';
import { order } from './support';

describe('inventory model', () => {
  it('sums an order’s lines per SKU and sorts them by SKU', () => {
    const lines = aggregateLines(
      order([
        ['PROD-9', 1],
        ['PROD-10', 2],
        ['PROD-9', 3],
      ]),
    );

    expect(lines).toEqual([
      { sku: 'PROD-10', quantity: 2 },
      { sku: 'PROD-9', quantity: 4 },
    ]);
  });

  it('breaks allocations down into available, reserved and committed units with totals', () => {
    const allocation = (region: string, available: number, holds: Allocation['holds']): Allocation => ({
      sku: 'PROD-1',
      region,
      ownerRegion: region,
      available,
      holds,
      version: 3,
      updatedAt: '2026-01-01T00:00:00.000Z',
    });

    const view = skuViewOf('PROD-1', [
      allocation('us-east-1', 5, { a: { quantity: 2, expiresAt: 1, state: 'HELD' } }),
      allocation('eu-west-1', 7, {
        b: { quantity: 1, expiresAt: 1, state: 'HELD' },
        c: { quantity: 4, expiresAt: 1, state: 'COMMITTED' },
      }),
    ]);

    expect(view.allocations.map((a) => [a.region, a.available, a.reserved, a.committed])).toEqual([
      ['eu-west-1', 7, 1, 4],
      ['us-east-1', 5, 2, 0],
    ]);
    expect(view.totals).toEqual({ available: 12, reserved: 3, committed: 4 });
  });
});
