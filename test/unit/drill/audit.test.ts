import {
  AuditInputError,
  auditDrill,
  type AuditInput,
  type Item,
  type TableId,
} from '../../../lib/drill/audit';
import {
  T0,
  UNIT_PRICE,
  orderItem,
  allocationItem,
  reservationItem,
  chargeItem,
  snapshot,
  ack,
  input,
  both,
  healthyTables,
  healthyAcks,
  healthyWith,
  replaceItem,
} from './fixtures';

describe('auditDrill', () => {
  describe('a healthy drill', () => {
    it('reports every order fate and no violation', () => {
      const report = auditDrill(healthyWith(() => undefined));

      expect(report.violations).toEqual([]);
      expect(report.orders).toEqual({
        acknowledged: 3,
        found: 4,
        fulfilled: 2,
        cancelled: 0,
        failed: { total: 1, byReason: { OutOfStockError: 1 } },
        inFlight: { total: 1, byStatus: { PAID: 1 }, orderIds: ['o3'] },
        takenOver: {
          total: 0,
          failed: { total: 0, byReason: {} },
          cancelled: 0,
          fulfilledAfterTakeover: 0,
          inFlight: 0,
        },
      });
      expect(report.lost).toEqual({ count: 0, orderIds: [], rpoSeconds: 0, lostWindowSeconds: 0 });
      expect(report.duplicateOrders).toEqual({ count: 0, idempotencyKeys: [], byKey: {} });
      expect(report.duplicateCharges).toEqual({ count: 0, orderIds: [], details: [] });
      expect(report.unrefundedCharges).toEqual({ count: 0, orderIds: [] });
    });

    it('balances the stock ledger per SKU and region', () => {
      const { stock } = auditDrill(healthyWith(() => undefined));

      expect(stock.bySku).toEqual([
        {
          sku: 'sku-a',
          region: 'r1',
          initial: 10,
          available: 7,
          held: 0,
          committed: 1,
          consumed: 2,
          oversold: 0,
          unaccounted: 0,
          allocationFound: true,
        },
        {
          sku: 'sku-a',
          region: 'r2',
          initial: 10,
          available: 7,
          held: 0,
          committed: 0,
          consumed: 3,
          oversold: 0,
          unaccounted: 0,
          allocationFound: true,
        },
      ]);
      expect(stock.oversoldUnits).toBe(0);
      expect(stock.unaccountedUnits).toBe(0);
      expect(stock.missingAllocations).toEqual([]);
    });

    it('gives the same report whatever the order of snapshots and acknowledgements', () => {
      const tables = healthyTables();
      const a = input({ acknowledged: healthyAcks, snapshots: both(tables) });
      const reversedTables = Object.fromEntries(
        Object.entries(tables).map(([id, items]) => [id, [...items].reverse()]),
      ) as Partial<Record<TableId, Item[]>>;
      const b = input({
        acknowledged: [...healthyAcks].reverse(),
        snapshots: [snapshot('r2', reversedTables), snapshot('r1', reversedTables)],
      });

      expect(JSON.stringify(auditDrill(b))).toBe(JSON.stringify(auditDrill(a)));
    });
  });

  describe('scope', () => {
    it("ignores other customers' orders and other SKUs' allocations", () => {
      const report = auditDrill(
        healthyWith((t) => {
          t.orders?.push(
            orderItem('x1', { customerId: 'someone-else', status: 'FAILED', failureReason: 'Other' }),
          );
          t.inventory?.push(allocationItem('sku-other', 'r1', -5));
          t.payments?.push(
            chargeItem('chx', 'x1', { status: 'captured' }),
            chargeItem('chy', 'x1', { status: 'captured' }),
          );
        }),
      );

      expect(report.orders.found).toBe(4);
      expect(report.orders.failed.byReason).toEqual({ OutOfStockError: 1 });
      expect(report.stock.bySku.map((r) => r.sku)).toEqual(['sku-a', 'sku-a']);
      expect(report.violations).toEqual([]);
    });

    it('counts a created order the client never saw acknowledged as found, not as lost', () => {
      const report = auditDrill(healthyWith(() => undefined, { acknowledged: [] }));

      expect(report.orders.acknowledged).toBe(0);
      expect(report.orders.found).toBe(4);
      expect(report.lost.count).toBe(0);
    });

    it('counts an order acknowledged twice (a replayed retry) once, from its first acknowledgement', () => {
      const report = auditDrill(
        healthyWith(() => undefined, { acknowledged: [...healthyAcks, ack('o1', T0 + 5000, 'sku-a', 2)] }),
      );

      expect(report.orders.acknowledged).toBe(3);
      expect(report.duplicateOrders.count).toBe(0);
    });
  });

  describe('merging the regions', () => {
    it('takes the copy with the latest updatedAt', () => {
      const stale = orderItem('o3', { status: 'PAID', updatedAt: T0 + 1000 });
      const fresh = orderItem('o3', {
        status: 'FAILED',
        failureReason: 'PaymentDeclinedError',
        updatedAt: T0 + 2000,
      });
      const r1 = healthyTables();
      const r2 = healthyTables();
      r1.orders = replaceItem(r1.orders, 'ORDER#o3', fresh);
      r2.orders = replaceItem(r2.orders, 'ORDER#o3', stale);

      const report = auditDrill(
        input({ acknowledged: healthyAcks, snapshots: [snapshot('r2', r2), snapshot('r1', r1)] }),
      );

      expect(report.orders.failed.byReason).toEqual({ OutOfStockError: 1, PaymentDeclinedError: 1 });
      expect(report.orders.inFlight.total).toBe(0);
    });

    it("prefers the home region's copy when updatedAt ties", () => {
      // o7 is homed in r2 (which sorts after r1): r2's copy wins a tie whichever snapshot comes first.
      const home = orderItem('o7', {
        status: 'SHIPPED',
        homeRegion: 'r2',
        lines: [['sku-a', 0]],
        updatedAt: T0 + 2000,
      });
      const other = orderItem('o7', {
        status: 'PAID',
        homeRegion: 'r2',
        lines: [['sku-a', 0]],
        updatedAt: T0 + 2000,
      });
      const r1 = healthyTables();
      const r2 = healthyTables();
      r1.orders?.push(other);
      r2.orders?.push(home);

      for (const snapshots of [
        [snapshot('r1', r1), snapshot('r2', r2)],
        [snapshot('r2', r2), snapshot('r1', r1)],
      ]) {
        const report = auditDrill(input({ acknowledged: healthyAcks, snapshots }));
        expect(report.orders.inFlight.byStatus).toEqual({ PAID: 1, SHIPPED: 1 });
      }
    });

    it('finds an order present only in a non-home snapshot (its home region is down)', () => {
      // o5 is homed in r3, which is not scanned; only r2 has its replicated copy so far.
      const r1 = healthyTables();
      const r2 = healthyTables();
      r2.orders?.push(orderItem('o5', { status: 'RESERVED', homeRegion: 'r3' }));

      const report = auditDrill(
        input({
          acknowledged: [...healthyAcks, ack('o5', T0 + 400)],
          snapshots: [snapshot('r1', r1), snapshot('r2', r2)],
        }),
      );

      expect(report.lost.count).toBe(0);
      expect(report.orders.inFlight.orderIds).toEqual(['o3', 'o5']);
    });

    it('takes the latest copy of a charge', () => {
      // o2 failed; its charge was refunded in r2 (the owner) but r1 still shows it captured.
      const r1 = healthyTables();
      const r2 = healthyTables();
      r1.payments?.push(chargeItem('ch2', 'o2', { status: 'captured', region: 'r2', updatedAt: T0 + 1000 }));
      r2.payments?.push(chargeItem('ch2', 'o2', { status: 'refunded', region: 'r2', updatedAt: T0 + 3000 }));

      const report = auditDrill(
        input({ acknowledged: healthyAcks, snapshots: [snapshot('r1', r1), snapshot('r2', r2)] }),
      );

      expect(report.unrefundedCharges.count).toBe(0);
    });

    it("takes an allocation from its own region's snapshot, even when another copy looks newer", () => {
      const r1 = healthyTables();
      const r2 = healthyTables();
      // r2 holds a copy of r1's allocation with a later timestamp (e.g. a write nobody should make there).
      r2.inventory = replaceItem(r2.inventory, 'SKU#sku-a', allocationItem('sku-a', 'r1', 0, {}, T0 + 9000));

      const report = auditDrill(
        input({ acknowledged: healthyAcks, snapshots: [snapshot('r1', r1), snapshot('r2', r2)] }),
      );

      expect(report.stock.bySku.find((r) => r.region === 'r1')?.available).toBe(7);
    });

    it('takes the latest copy of an allocation whose own region was not scanned', () => {
      const older = {
        ...healthyTables(),
        inventory: [allocationItem('sku-a', 'r3', 4, { o9: [1, 'HELD'] }, T0 + 1000)],
      };
      const newer = { ...healthyTables(), inventory: [allocationItem('sku-a', 'r3', 5, {}, T0 + 5000)] };

      const report = auditDrill(
        input({
          acknowledged: healthyAcks,
          snapshots: [snapshot('r1', newer), snapshot('r2', older)],
          initialStock: { 'sku-a': { r3: 5 } },
        }),
      );

      expect(report.stock.bySku.find((r) => r.region === 'r3')).toMatchObject({ available: 5, held: 0 });
    });
  });

  describe('lost orders and the RPO', () => {
    it('reports an acknowledged order absent from every snapshot', () => {
      const report = auditDrill(
        healthyWith(() => undefined, {
          acknowledged: [...healthyAcks, ack('lost-b', T0 + 7000), ack('lost-a', T0 + 4000)],
          faultAt: T0 + 10_000,
        }),
      );

      expect(report.lost).toEqual({
        count: 2,
        orderIds: ['lost-a', 'lost-b'],
        rpoSeconds: 6,
        lostWindowSeconds: 3,
      });
      expect(report.violations).toEqual(['lost-orders']);
    });

    it('reports an RPO of 0 without a fault time, and never a negative one', () => {
      const without = auditDrill(healthyWith(() => undefined, { acknowledged: [ack('lost', T0 + 4000)] }));
      const after = auditDrill(
        healthyWith(() => undefined, { acknowledged: [ack('lost', T0 + 4000)], faultAt: T0 + 1000 }),
      );

      expect(without.lost).toMatchObject({ count: 1, rpoSeconds: 0, lostWindowSeconds: 0 });
      expect(after.lost).toMatchObject({ count: 1, rpoSeconds: 0 });
    });

    it('does not count an order whose only trace is a non-order item (a reservation) as found', () => {
      const report = auditDrill(
        healthyWith((t) => t.inventory?.push(reservationItem('ghost', 'r1', [['sku-a', 1]])), {
          acknowledged: [ack('ghost', T0)],
        }),
      );

      expect(report.lost.orderIds).toEqual(['ghost']);
    });
  });

  describe('duplicate orders', () => {
    it('flags one idempotency key that created two orders, one in each region', () => {
      const r1 = healthyTables();
      const r2 = healthyTables();
      r1.orders?.push(orderItem('d1', { key: 'shared-key', status: 'FULFILLED', lines: [['sku-a', 0]] }));
      r2.orders?.push(
        orderItem('d2', { key: 'shared-key', status: 'PENDING', homeRegion: 'r2', lines: [['sku-a', 0]] }),
      );

      const report = auditDrill(
        input({ acknowledged: healthyAcks, snapshots: [snapshot('r1', r1), snapshot('r2', r2)] }),
      );

      expect(report.duplicateOrders).toEqual({
        count: 1,
        idempotencyKeys: ['shared-key'],
        byKey: { 'shared-key': ['d1', 'd2'] },
      });
      expect(report.violations).toContain('duplicate-orders');
    });

    it('flags one key acknowledged with two different order ids', () => {
      const report = auditDrill(
        healthyWith(() => undefined, { acknowledged: [...healthyAcks, ack('o9', T0, 'sku-a', 1, 'key-o1')] }),
      );

      expect(report.duplicateOrders.byKey).toEqual({ 'key-o1': ['o1', 'o9'] });
      expect(report.violations).toEqual(['lost-orders', 'duplicate-orders']);
    });
  });

  describe('charges', () => {
    it('flags a second charge holding money for one order', () => {
      const report = auditDrill(
        healthyWith((t) =>
          t.payments?.push(
            chargeItem('ch1-bis', 'o1', { status: 'authorized', amountMinor: 2 * UNIT_PRICE }),
          ),
        ),
      );

      expect(report.duplicateCharges).toEqual({
        count: 1,
        orderIds: ['o1'],
        details: [
          {
            orderId: 'o1',
            chargesHoldingMoney: 2,
            netCapturedMinor: 2 * UNIT_PRICE,
            totalMinor: 2 * UNIT_PRICE,
          },
        ],
      });
      expect(report.violations).toEqual(['duplicate-charges']);
    });

    it('accepts a second charge that was refunded or voided', () => {
      const report = auditDrill(
        healthyWith((t) =>
          t.payments?.push(
            chargeItem('ch1-refunded', 'o1', { status: 'refunded', amountMinor: 2 * UNIT_PRICE }),
            chargeItem('ch1-voided', 'o1', { status: 'voided', amountMinor: 2 * UNIT_PRICE }),
            chargeItem('ch1-declined', 'o1', { status: 'declined', amountMinor: 2 * UNIT_PRICE }),
          ),
        ),
      );

      expect(report.duplicateCharges.count).toBe(0);
      expect(report.violations).toEqual([]);
    });

    it('flags a capture above the order total', () => {
      const report = auditDrill(
        healthyWith((t) => {
          t.payments = replaceItem(
            t.payments,
            'CHARGE#ch3',
            chargeItem('ch3', 'o3', { status: 'captured', capturedMinor: UNIT_PRICE + 1 }),
          );
        }),
      );

      expect(report.duplicateCharges.details).toEqual([
        { orderId: 'o3', chargesHoldingMoney: 1, netCapturedMinor: UNIT_PRICE + 1, totalMinor: UNIT_PRICE },
      ]);
    });

    it('counts what a partial refund leaves captured', () => {
      const report = auditDrill(
        healthyWith((t) =>
          t.payments?.push(
            chargeItem('ch3-partly', 'o3', {
              status: 'refunded',
              capturedMinor: UNIT_PRICE,
              refundedMinor: UNIT_PRICE - 1,
            }),
          ),
        ),
      );

      expect(report.duplicateCharges.details).toEqual([
        { orderId: 'o3', chargesHoldingMoney: 2, netCapturedMinor: UNIT_PRICE + 1, totalMinor: UNIT_PRICE },
      ]);
    });

    it('judges the charges of a lost order against its largest charge', () => {
      const report = auditDrill(
        healthyWith(
          (t) =>
            t.payments?.push(
              chargeItem('chL1', 'lost', { status: 'captured' }),
              chargeItem('chL2', 'lost', { status: 'captured' }),
            ),
          { acknowledged: [...healthyAcks, ack('lost', T0)] },
        ),
      );

      expect(report.duplicateCharges.details).toEqual([
        { orderId: 'lost', chargesHoldingMoney: 2, netCapturedMinor: 2 * UNIT_PRICE, totalMinor: UNIT_PRICE },
      ]);
    });

    it('flags a FAILED or CANCELLED order whose charge still holds money', () => {
      const report = auditDrill(
        healthyWith((t) => {
          t.orders?.push(
            orderItem('c1', { status: 'CANCELLED', lines: [['sku-a', 0]], totalMinor: UNIT_PRICE }),
          );
          t.orders?.push(
            orderItem('f2', {
              status: 'FAILED',
              failureReason: 'ShipmentError',
              lines: [['sku-a', 0]],
              totalMinor: UNIT_PRICE,
            }),
          );
          t.payments?.push(
            chargeItem('ch2', 'o2', { status: 'authorized', region: 'r2' }),
            chargeItem('chc1', 'c1', { status: 'captured' }),
            chargeItem('chf2', 'f2', { status: 'voided' }),
          );
        }),
      );

      expect(report.unrefundedCharges).toEqual({ count: 2, orderIds: ['c1', 'o2'] });
      expect(report.violations).toEqual(['unrefunded-charges']);
    });

    it('does not flag an in-flight order whose charge is authorized', () => {
      const report = auditDrill(
        healthyWith((t) => {
          t.payments = replaceItem(
            t.payments,
            'CHARGE#ch3',
            chargeItem('ch3', 'o3', { status: 'authorized' }),
          );
        }),
      );

      expect(report.unrefundedCharges.count).toBe(0);
      expect(report.duplicateCharges.count).toBe(0);
    });
  });

  describe('the stock ledger', () => {
    const r1Row = (report: ReturnType<typeof auditDrill>) =>
      report.stock.bySku.find((r) => r.region === 'r1');

    it('reports units held beyond the initial stock as oversold', () => {
      // r1 started with 10: o1 consumed 2, o3 commits 1, and three more orders hold 8 → 11 promised.
      const report = auditDrill(
        healthyWith((t) => {
          t.inventory = replaceItem(
            t.inventory,
            'SKU#sku-a',
            allocationItem('sku-a', 'r1', 0, {
              o3: [1, 'COMMITTED'],
              h1: [3, 'HELD'],
              h2: [3, 'HELD'],
              h3: [2, 'COMMITTED'],
            }),
          );
        }),
      );

      expect(r1Row(report)).toMatchObject({
        available: 0,
        held: 6,
        committed: 3,
        consumed: 2,
        oversold: 1,
        unaccounted: 0,
      });
      expect(report.stock.oversoldUnits).toBe(1);
      expect(report.violations).toEqual(['oversold']);
    });

    it('counts the lingering hold of a FULFILLED order as consumed only', () => {
      // o1 is FULFILLED but settlement has not removed its COMMITTED hold yet.
      const report = auditDrill(
        healthyWith((t) => {
          t.inventory = replaceItem(
            t.inventory,
            'SKU#sku-a',
            allocationItem('sku-a', 'r1', 7, { o1: [2, 'COMMITTED'], o3: [1, 'COMMITTED'] }),
          );
        }),
      );

      expect(r1Row(report)).toMatchObject({
        held: 0,
        committed: 1,
        consumed: 2,
        oversold: 0,
        unaccounted: 0,
      });
      expect(report.violations).toEqual([]);
    });

    it('reports units missing from the ledger as unaccounted, not oversold', () => {
      const report = auditDrill(
        healthyWith((t) => {
          t.inventory = replaceItem(
            t.inventory,
            'SKU#sku-a',
            allocationItem('sku-a', 'r1', 5, { o3: [1, 'COMMITTED'] }),
          );
        }),
      );

      expect(r1Row(report)).toMatchObject({ oversold: 0, unaccounted: 2 });
      expect(report.stock.unaccountedUnits).toBe(2);
      expect(report.violations).toEqual([]);
    });

    it('counts a negative available once as oversold', () => {
      // The ledger balances (−2 available + 9 held + 1 committed + 2 consumed = 10) yet 12 units are
      // promised from 10: the same 2 units show as the overdraw and as the excess, so 2 oversold, not 4.
      const report = auditDrill(
        healthyWith((t) => {
          t.inventory = replaceItem(
            t.inventory,
            'SKU#sku-a',
            allocationItem('sku-a', 'r1', -2, { o3: [1, 'COMMITTED'], h1: [9, 'HELD'] }),
          );
        }),
      );

      expect(r1Row(report)).toMatchObject({
        available: -2,
        held: 9,
        committed: 1,
        consumed: 2,
        oversold: 2,
        unaccounted: 0,
      });
      expect(report.violations).toEqual(['oversold']);
    });

    it('reports a negative available as oversold even when the holds fit the stock', () => {
      const report = auditDrill(
        healthyWith((t) => {
          t.inventory = replaceItem(
            t.inventory,
            'SKU#sku-a',
            allocationItem('sku-a', 'r1', -1, { o3: [1, 'COMMITTED'] }),
          );
        }),
      );

      expect(r1Row(report)).toMatchObject({ oversold: 1, unaccounted: 8 });
    });

    it('reports an allocation missing from every snapshot with available 0', () => {
      const report = auditDrill(
        healthyWith(() => undefined, { initialStock: { 'sku-a': { r1: 10, r2: 10 }, 'sku-b': { r1: 4 } } }),
      );

      expect(report.stock.bySku.find((r) => r.sku === 'sku-b')).toEqual({
        sku: 'sku-b',
        region: 'r1',
        initial: 4,
        available: 0,
        held: 0,
        committed: 0,
        consumed: 0,
        oversold: 0,
        unaccounted: 4,
        allocationFound: false,
      });
      expect(report.stock.missingAllocations).toEqual(['sku-b/r1']);
    });

    it('counts a region the drill gave no stock as starting from 0', () => {
      const report = auditDrill(
        healthyWith((t) => {
          t.orders?.push(orderItem('o6', { status: 'FULFILLED', homeRegion: 'r3', lines: [['sku-a', 1]] }));
        }),
      );

      expect(report.stock.bySku.find((r) => r.region === 'r3')).toMatchObject({
        initial: 0,
        consumed: 1,
        oversold: 1,
        allocationFound: false,
      });
      expect(report.violations).toEqual(['oversold']);
    });

    it('sums lines naming the same SKU twice', () => {
      const report = auditDrill(
        healthyWith((t) => {
          t.orders = replaceItem(
            t.orders,
            'ORDER#o1',
            orderItem('o1', {
              status: 'FULFILLED',
              lines: [
                ['sku-a', 1],
                ['sku-a', 1],
                ['sku-other', 5],
              ],
            }),
          );
        }),
      );

      expect(r1Row(report)).toMatchObject({ consumed: 2, unaccounted: 0 });
    });

    it('reports holds kept for FAILED or CANCELLED orders', () => {
      const report = auditDrill(
        healthyWith((t) => {
          t.inventory = replaceItem(
            t.inventory,
            'SKU#sku-a',
            allocationItem('sku-a', 'r2', 6, { o2: [1, 'HELD'] }),
          );
        }),
      );

      expect(report.stock.terminalHolds).toEqual({ units: 1, orderIds: ['o2'] });
      expect(report.stock.bySku.find((r) => r.region === 'r2')).toMatchObject({ held: 1, unaccounted: 0 });
    });
  });

  describe('bad input', () => {
    it('names a malformed acknowledgement field', () => {
      const bad = {
        ...input(),
        acknowledged: [{ ...ack('o1', T0), ackAt: 'soon' }],
      } as unknown as AuditInput;

      expect(() => auditDrill(bad)).toThrow(AuditInputError);
      expect(() => auditDrill(bad)).toThrow(/input\.acknowledged\[0\]\.ackAt/);
    });

    it('names a region that appears twice', () => {
      expect(() => auditDrill(input({ snapshots: [snapshot('r1', {}), snapshot('r1', {})] }))).toThrow(
        /input\.snapshots\[1\]\.region: region r1 appears twice/,
      );
    });

    it('names an unknown table', () => {
      const bad = input({ snapshots: [{ region: 'r1', takenAt: T0, tables: { order: [] } as never }] });

      expect(() => auditDrill(bad)).toThrow(/input\.snapshots\[0\]\.tables/);
    });

    it('names a drill order item missing a field it needs', () => {
      const { lines: _lines, ...broken } = orderItem('o1');

      expect(() => auditDrill(input({ snapshots: [snapshot('r1', { orders: [broken] })] }))).toThrow(
        'orders item ORDER#o1/ORDER: lines must be an array',
      );
    });

    it('names a malformed hold', () => {
      const alloc = allocationItem('sku-a', 'r1', 1);
      const broken = { ...alloc, holds: { o1: { quantity: 1, expiresAt: T0, state: 'GONE' } } };

      expect(() => auditDrill(input({ snapshots: [snapshot('r1', { inventory: [broken] })] }))).toThrow(
        'inventory item SKU#sku-a/ALLOCATION#r1: holds.o1.state must be HELD or COMMITTED',
      );
    });

    it('names an item without keys', () => {
      expect(() =>
        auditDrill(input({ snapshots: [snapshot('r2', { payments: [{ chargeId: 'x' }] })] })),
      ).toThrow('payments item in the r2 snapshot has no string pk/sk');
    });
  });
});
