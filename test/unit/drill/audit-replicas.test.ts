import {
  AuditInputError,
  backlogOf,
  diffReplicas,
  outstandingBacklog,
  type Item,
  type RegionSnapshot,
  type TableId,
} from '../../../lib/drill/audit';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');

/** An order item, unmarshalled, with a nested map and list (attribute order as the SDK might return it). */
function order(orderId: string, status = 'PAID'): Item {
  return {
    pk: `ORDER#${orderId}`,
    sk: 'ORDER',
    orderId,
    status,
    lines: [{ productId: 'sku-a', quantity: 2, unitPriceMinor: 1250, lineTotalMinor: 2500 }],
    totalMinor: 2500,
    homeRegion: 'r1',
    ownerRegion: 'r1',
    updatedAt: new Date(T0).toISOString(),
  };
}

/** An allocation with a holds map. */
function allocation(region: string, available: number): Item {
  return {
    pk: 'SKU#sku-a',
    sk: `ALLOCATION#${region}`,
    available,
    holds: {
      o1: { quantity: 1, expiresAt: T0, state: 'HELD' },
      o2: { quantity: 2, expiresAt: T0, state: 'COMMITTED' },
    },
    ownerRegion: region,
    version: 4,
  };
}

/** The same attributes, keys reversed at every depth. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Set) &&
    !(value instanceof Uint8Array)
  ) {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    );
  }
  return value;
}

function snapshot(region: string, tables: Partial<Record<TableId, Item[]>>): RegionSnapshot {
  return { region, takenAt: T0, tables };
}

describe('diffReplicas', () => {
  it('finds identical replicas identical, whatever the attribute order', () => {
    const r1 = { orders: [order('o1'), order('o2')], inventory: [allocation('r1', 3)] };
    const r2 = {
      orders: [order('o2'), order('o1')].map((i) => reversedKeys(i) as Item),
      inventory: [reversedKeys(allocation('r1', 3)) as Item],
    };

    const diff = diffReplicas([snapshot('r1', r1), snapshot('r2', r2)]);

    expect(diff).toEqual({
      identical: true,
      differences: 0,
      byTable: {
        inventory: { items: 1, differing: 0, missingIn: { r1: 0, r2: 0 } },
        orders: { items: 2, differing: 0, missingIn: { r1: 0, r2: 0 } },
      },
      samples: [],
      differingKeys: [],
    });
  });

  it('counts an item missing in one region', () => {
    const diff = diffReplicas([
      snapshot('r1', { orders: [order('o1'), order('o2')] }),
      snapshot('r2', { orders: [order('o1')] }),
      snapshot('r3', { orders: [order('o1'), order('o2')] }),
    ]);

    expect(diff.identical).toBe(false);
    expect(diff.differences).toBe(1);
    expect(diff.byTable.orders).toEqual({ items: 2, differing: 1, missingIn: { r1: 0, r2: 1, r3: 0 } });
    expect(diff.samples).toEqual(['orders ORDER#o2/ORDER']);
    expect(diff.differingKeys).toEqual(['orders ORDER#o2/ORDER']);
  });

  it('counts an item whose attributes differ, once however many regions disagree', () => {
    const diff = diffReplicas([
      snapshot('r1', { orders: [order('o1', 'PAID')] }),
      snapshot('r2', { orders: [order('o1', 'SHIPPED')] }),
      snapshot('r3', { orders: [order('o1', 'FULFILLED')] }),
    ]);

    expect(diff.differences).toBe(1);
    expect(diff.byTable.orders).toEqual({ items: 1, differing: 1, missingIn: { r1: 0, r2: 0, r3: 0 } });
  });

  it('sees a difference deep inside a map', () => {
    const changed = allocation('r1', 3);
    changed.holds = {
      o1: { quantity: 1, expiresAt: T0, state: 'COMMITTED' },
      o2: { quantity: 2, expiresAt: T0, state: 'COMMITTED' },
    };

    const diff = diffReplicas([
      snapshot('r1', { inventory: [allocation('r1', 3)] }),
      snapshot('r2', { inventory: [changed] }),
    ]);

    expect(diff.samples).toEqual(['inventory SKU#sku-a/ALLOCATION#r1']);
  });

  it('tells an absent attribute from a present one', () => {
    const { totalMinor: _total, ...without } = order('o1');

    const diff = diffReplicas([
      snapshot('r1', { orders: [order('o1')] }),
      snapshot('r2', { orders: [without] }),
    ]);

    expect(diff.differences).toBe(1);
  });

  it('ignores the aws:rep:* attributes Global Tables add', () => {
    const diff = diffReplicas([
      snapshot('r1', {
        orders: [{ ...order('o1'), 'aws:rep:updateregion': 'r1', 'aws:rep:updatetime': 1.5 }],
      }),
      snapshot('r2', {
        orders: [{ ...order('o1'), 'aws:rep:updateregion': 'r2', 'aws:rep:deleting': false }],
      }),
    ]);

    expect(diff.identical).toBe(true);
  });

  it('compares sets regardless of order, and binary by content', () => {
    const a = { ...order('o1'), tags: new Set(['x', 'y']), blob: Uint8Array.from([1, 2, 3]) };
    const b = { ...order('o1'), tags: new Set(['y', 'x']), blob: Buffer.from([1, 2, 3]) };
    const c = { ...order('o1'), tags: new Set(['y', 'x']), blob: Buffer.from([1, 2, 4]) };

    expect(diffReplicas([snapshot('r1', { orders: [a] }), snapshot('r2', { orders: [b] })]).identical).toBe(
      true,
    );
    expect(diffReplicas([snapshot('r1', { orders: [a] }), snapshot('r2', { orders: [c] })]).identical).toBe(
      false,
    );
  });

  it('tells a list from a set and a string from a number', () => {
    const list = { ...order('o1'), tags: ['x'], n: 1 };
    const set = { ...order('o1'), tags: new Set(['x']), n: 1 };
    const text = { ...order('o1'), tags: ['x'], n: '1' };

    expect(
      diffReplicas([snapshot('r1', { orders: [list] }), snapshot('r2', { orders: [set] })]).differences,
    ).toBe(1);
    expect(
      diffReplicas([snapshot('r1', { orders: [list] }), snapshot('r2', { orders: [text] })]).differences,
    ).toBe(1);
  });

  it('compares only the tables asked for', () => {
    const diff = diffReplicas(
      [
        snapshot('r1', { orders: [order('o1')], inventory: [allocation('r1', 3)] }),
        snapshot('r2', { orders: [order('o1')], inventory: [allocation('r1', 2)] }),
      ],
      ['orders'],
    );

    expect(diff.identical).toBe(true);
    expect(Object.keys(diff.byTable)).toEqual(['orders']);
  });

  it("counts every item of a table a region's snapshot lacks as missing there", () => {
    const diff = diffReplicas([
      snapshot('r1', { orders: [order('o1')], payments: [] }),
      snapshot('r2', { payments: [] }),
    ]);

    expect(diff.byTable.orders).toEqual({ items: 1, differing: 1, missingIn: { r1: 0, r2: 1 } });
    expect(diff.byTable.payments).toEqual({ items: 0, differing: 0, missingIn: { r1: 0, r2: 0 } });
  });

  it('gives at most 10 sorted samples', () => {
    const many = Array.from({ length: 15 }, (_, i) => order(`o${String(i).padStart(2, '0')}`));

    const diff = diffReplicas([
      snapshot('r2', { orders: [] }),
      snapshot('r1', { orders: [...many].reverse() }),
    ]);

    expect(diff.differences).toBe(15);
    expect(diff.samples).toEqual(many.slice(0, 10).map((i) => `orders ${String(i.pk)}/ORDER`));
  });

  it('finds a single snapshot, or none, identical', () => {
    expect(diffReplicas([snapshot('r1', { orders: [order('o1')] })]).identical).toBe(true);
    expect(diffReplicas([])).toEqual({
      identical: true,
      differences: 0,
      byTable: {},
      samples: [],
      differingKeys: [],
    });
  });

  it('rejects an unknown table id and malformed snapshots with the field named', () => {
    expect(() => diffReplicas([], ['order' as TableId])).toThrow(AuditInputError);
    expect(() => diffReplicas([], ['order' as TableId])).toThrow(/tables\[0\]/);
    expect(() => diffReplicas([{ region: '', takenAt: T0, tables: {} }])).toThrow(/snapshots\[0\]\.region/);
    expect(() => diffReplicas([snapshot('r1', { orders: [order('o1'), order('o1')] })])).toThrow(
      'orders item ORDER#o1/ORDER appears twice in the r1 snapshot',
    );
  });
});

describe('the replication backlog', () => {
  const at = (item: Item, ms: number, extra: Record<string, unknown> = {}): Item => ({
    ...item,
    ...extra,
    updatedAt: new Date(T0 + ms).toISOString(),
  });

  it('lists what differs at the heal, and drains once every region has the newest write of each item', () => {
    const heal = [
      snapshot('r1', { orders: [at(order('o1'), 10, { status: 'SHIPPED' }), order('o2')] }),
      snapshot('r2', { orders: [order('o1')] }),
    ];

    const backlog = backlogOf(heal);

    expect([...backlog.items.keys()]).toEqual(['orders ORDER#o1/ORDER', 'orders ORDER#o2/ORDER']);
    expect(
      outstandingBacklog(backlog, [
        snapshot('r1', { orders: [at(order('o1'), 10, { status: 'SHIPPED' }), order('o2')] }),
        snapshot('r2', { orders: [at(order('o1'), 10, { status: 'SHIPPED' })] }),
      ]),
    ).toEqual(['orders ORDER#o2/ORDER']);
  });

  it('does not hold an item outstanding for writes made after the heal', () => {
    const backlog = backlogOf([
      snapshot('r1', { orders: [at(order('o1'), 10, { status: 'SHIPPED' })] }),
      snapshot('r2', { orders: [order('o1')] }),
    ]);

    // r1 moved on (FULFILLED at +20) and r2 has caught up to the heal's newest write or beyond.
    const later = [
      snapshot('r1', { orders: [at(order('o1'), 20, { status: 'FULFILLED' })] }),
      snapshot('r2', { orders: [at(order('o1'), 10, { status: 'SHIPPED' })] }),
    ];

    expect(outstandingBacklog(backlog, later)).toEqual([]);
  });

  it('counts an item deleted in one region as drained only once it is gone everywhere', () => {
    const backlog = backlogOf([snapshot('r1', { orders: [order('o1')] }), snapshot('r2', { orders: [] })]);

    expect(
      outstandingBacklog(backlog, [snapshot('r1', { orders: [order('o1')] }), snapshot('r2', {})]),
    ).toEqual(['orders ORDER#o1/ORDER']);
    expect(
      outstandingBacklog(backlog, [snapshot('r1', { orders: [] }), snapshot('r2', { orders: [] })]),
    ).toEqual([]);
  });
});
