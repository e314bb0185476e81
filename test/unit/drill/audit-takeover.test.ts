import { AuditInputError, auditDrill, type Item, type TableId } from '../../../lib/drill/audit';
import {
  T0,
  ack,
  allocationItem,
  both,
  chargeItem,
  healthyAcks,
  healthyTables,
  healthyWith,
  input,
  orderItem,
  replaceItem,
  snapshot,
  takeoverItem,
  watchItem,
} from './fixtures';

/**
 * The healthy drill plus t1, homed in r1 and taken over by r2 while it was PAID, in the state `edit`
 * leaves it. t1's stock is in r1's allocation, which healthyTables gives 7 available of 10 (o1, o3).
 */
function takenOver(edit: (tables: Partial<Record<TableId, Item[]>>) => void, acknowledged = true) {
  return healthyWith(
    (t) => {
      t.orders?.push(takeoverItem('t1'));
      edit(t);
    },
    { acknowledged: acknowledged ? [...healthyAcks, ack('t1', T0 + 400)] : healthyAcks },
  );
}

/** t1's order item, homed in r1. */
const t1 = (status: string, failureReason?: string) =>
  orderItem('t1', { status, ...(failureReason !== undefined && { failureReason }) });

/** r1's allocation of sku-a with o3's committed unit and `holds` besides. */
const r1Allocation = (available: number, holds: Parameters<typeof allocationItem>[3] = {}) =>
  allocationItem('sku-a', 'r1', available, { o3: [1, 'COMMITTED'], ...holds });

describe('auditDrill: orders taken over by a surviving region (ADR 007)', () => {
  it('counts a taken-over order that stood down and refunded as the fourth fate, with no violation', () => {
    const report = auditDrill(
      takenOver((t) => {
        t.orders?.push(t1('FAILED', 'HomeRegionUnavailable'));
        t.payments?.push(chargeItem('ch-t1', 't1', { status: 'refunded' }));
      }),
    );

    expect(report.violations).toEqual([]);
    expect(report.orders).toMatchObject({
      acknowledged: 4,
      found: 5,
      fulfilled: 2,
      failed: { total: 1, byReason: { OutOfStockError: 1 } },
      inFlight: { total: 1, orderIds: ['o3'] },
      takenOver: {
        total: 1,
        failed: { total: 1, byReason: { HomeRegionUnavailable: 1 } },
        cancelled: 0,
        fulfilledAfterTakeover: 0,
        inFlight: 0,
      },
    });
    expect(report.takeover.orders).toEqual([
      {
        orderId: 't1',
        homeRegion: 'r1',
        takenOverBy: 'r2',
        takenOverAt: T0 + 30_000,
        homeUnhealthySince: T0 + 2_000,
        statusAtTakeover: 'PAID',
        finalStatus: 'FAILED',
        failureReason: 'HomeRegionUnavailable',
        fate: 'failed',
        chargesHoldingMoney: [],
        unitsHeld: 0,
      },
    ]);
    expect(report.takeover.moneyHeld).toEqual({ count: 0, orderIds: [] });
    expect(report.takeover.stockHeld).toEqual({ count: 0, units: 0, orderIds: [] });
    expect(report.takeover.falseFailures).toEqual([]);
  });

  it('accepts a taken-over order CANCELLED with its authorization voided', () => {
    const report = auditDrill(
      takenOver((t) => {
        t.orders?.push(t1('CANCELLED'));
        t.payments?.push(chargeItem('ch-t1', 't1', { status: 'voided' }));
      }),
    );

    expect(report.violations).toEqual([]);
    expect(report.orders.cancelled).toBe(0);
    expect(report.orders.takenOver).toMatchObject({ total: 1, cancelled: 1 });
    expect(report.takeover.orders[0]).toMatchObject({ fate: 'cancelled', chargesHoldingMoney: [] });
  });

  it('flags a taken-over order that ended FAILED with its charge still captured', () => {
    const report = auditDrill(
      takenOver((t) => {
        t.orders?.push(t1('FAILED', 'HomeRegionUnavailable'));
        t.payments?.push(chargeItem('ch-t1', 't1', { status: 'captured' }));
      }),
    );

    expect(report.takeover.moneyHeld).toEqual({ count: 1, orderIds: ['t1'] });
    expect(report.takeover.orders[0]?.chargesHoldingMoney).toEqual(['ch-t1']);
    expect(report.violations).toEqual(['unrefunded-charges', 'takeover-money-held']);
  });

  it('flags an authorization left un-voided, and a partial refund', () => {
    const report = auditDrill(
      takenOver((t) => {
        t.orders?.push(t1('FAILED', 'HomeRegionUnavailable'));
        t.orders?.push(takeoverItem('t2'), orderItem('t2', { status: 'CANCELLED' }));
        t.payments?.push(
          chargeItem('ch-t1', 't1', { status: 'authorized' }),
          chargeItem('ch-t2', 't2', { status: 'refunded', refundedMinor: 100 }),
        );
      }),
    );

    expect(report.takeover.moneyHeld.orderIds).toEqual(['t1', 't2']);
    expect(report.violations).toContain('takeover-money-held');
  });

  it('flags a hold of a taken-over order left in its home allocation', () => {
    const report = auditDrill(
      takenOver((t) => {
        t.orders?.push(t1('FAILED', 'HomeRegionUnavailable'));
        t.payments?.push(chargeItem('ch-t1', 't1', { status: 'refunded' }));
        t.inventory = replaceItem(t.inventory, 'SKU#sku-a', r1Allocation(6, { t1: [1, 'COMMITTED'] }));
      }),
    );

    expect(report.takeover.stockHeld).toEqual({ count: 1, units: 1, orderIds: ['t1'] });
    expect(report.takeover.orders[0]?.unitsHeld).toBe(1);
    // The ledger still balances: the unit is held, not oversold; the hold is reported as a terminal hold.
    expect(report.stock.oversoldUnits).toBe(0);
    expect(report.stock.terminalHolds.orderIds).toEqual(['t1']);
    expect(report.violations).toEqual(['takeover-stock-held']);
  });

  it('reports "taken over, then fulfilled" as a false failure, not a violation', () => {
    // The home region finished t1 before it saw the marker: captured charge, lingering committed hold.
    const report = auditDrill(
      takenOver((t) => {
        t.orders?.push(t1('FULFILLED'));
        t.payments?.push(chargeItem('ch-t1', 't1', { status: 'captured' }));
        t.inventory = replaceItem(t.inventory, 'SKU#sku-a', r1Allocation(6, { t1: [1, 'COMMITTED'] }));
      }),
    );

    expect(report.violations).toEqual([]);
    expect(report.takeover.falseFailures).toEqual(['t1']);
    expect(report.takeover.orders[0]).toMatchObject({
      fate: 'fulfilled-after-takeover',
      finalStatus: 'FULFILLED',
      chargesHoldingMoney: [],
      unitsHeld: 0,
    });
    expect(report.orders.fulfilled).toBe(2);
    expect(report.orders.takenOver).toMatchObject({ total: 1, fulfilledAfterTakeover: 1 });
    expect(report.stock.bySku.find((r) => r.region === 'r1')).toMatchObject({ consumed: 3, oversold: 0 });
  });

  it('flags a second reservation of a taken-over order in the survivor, even once fulfilled', () => {
    const report = auditDrill(
      takenOver((t) => {
        t.orders?.push(t1('FULFILLED'));
        t.payments?.push(chargeItem('ch-t1', 't1', { status: 'captured' }));
        t.inventory = replaceItem(t.inventory, 'SKU#sku-a', r1Allocation(6));
        t.inventory = [
          ...(t.inventory ?? []).filter((i) => i.sk !== 'ALLOCATION#r2'),
          allocationItem('sku-a', 'r2', 6, { t1: [1, 'HELD'] }),
        ];
      }),
    );

    expect(report.takeover.stockHeld).toEqual({ count: 1, units: 1, orderIds: ['t1'] });
    expect(report.violations).toContain('takeover-stock-held');
  });

  it('still flags a second charge of a taken-over order; the marker is neither an order nor a duplicate', () => {
    const report = auditDrill(
      takenOver((t) => {
        t.orders?.push(t1('FULFILLED'));
        t.payments?.push(
          chargeItem('ch-t1', 't1', { status: 'captured' }),
          chargeItem('ch-t1-bis', 't1', { status: 'captured', region: 'r2' }),
        );
        t.inventory = replaceItem(t.inventory, 'SKU#sku-a', r1Allocation(6));
      }),
    );

    expect(report.duplicateCharges.orderIds).toEqual(['t1']);
    expect(report.duplicateOrders.count).toBe(0);
    expect(report.orders.found).toBe(5);
    expect(report.violations).toEqual(['duplicate-charges']);
  });

  it('does not judge a taken-over order that has not settled: it is in flight', () => {
    // r1 (the home) is still down: r2 has t1 as PAID with the marker; the charge is still captured.
    const tables = healthyTables();
    const r2 = {
      ...tables,
      orders: [...(tables.orders ?? []), t1('PAID'), takeoverItem('t1'), watchItem('r2', 'r1')],
      payments: [...(tables.payments ?? []), chargeItem('ch-t1', 't1', { status: 'captured' })],
    };

    const report = auditDrill(
      input({ acknowledged: [...healthyAcks, ack('t1', T0 + 400)], snapshots: [snapshot('r2', r2)] }),
    );

    expect(report.orders.inFlight.orderIds).toEqual(['o3', 't1']);
    expect(report.orders.takenOver).toMatchObject({ total: 1, inFlight: 1 });
    expect(report.takeover.orders[0]).toMatchObject({ fate: 'in-flight', chargesHoldingMoney: [] });
    expect(report.takeover.watches).toEqual([
      { observer: 'r2', homeRegion: 'r1', unhealthySince: T0 + 2_000 },
    ]);
    expect(report.violations).toEqual([]);
  });

  it('counts an acknowledged order whose only trace is its marker as lost', () => {
    const report = auditDrill(takenOver(() => undefined));

    expect(report.lost.orderIds).toEqual(['t1']);
    expect(report.orders.found).toBe(4);
    expect(report.takeover.orders[0]).toMatchObject({ finalStatus: 'MISSING', fate: 'in-flight' });
    expect(report.violations).toEqual(['lost-orders']);
  });

  it("ignores other customers' markers, even malformed ones, and reports every watch, sorted", () => {
    const report = auditDrill(
      healthyWith((t) => {
        t.orders?.push(
          orderItem('x1', { customerId: 'someone-else', status: 'FAILED' }),
          { ...takeoverItem('x1', { customerId: 'someone-else' }), takenOverAt: undefined },
          watchItem('r2', 'r3'),
          watchItem('r1', 'r3'),
        );
      }),
    );

    expect(report.takeover.orders).toEqual([]);
    expect(report.orders.takenOver.total).toBe(0);
    expect(report.orders.found).toBe(4);
    expect(report.takeover.watches.map((w) => `${w.observer}→${w.homeRegion}`)).toEqual(['r1→r3', 'r2→r3']);
  });

  it('reads the same marker replicated to every region once', () => {
    const tables = healthyTables();
    const withMarker = {
      ...tables,
      orders: [...(tables.orders ?? []), t1('FAILED', 'HomeRegionUnavailable'), takeoverItem('t1')],
    };

    const report = auditDrill(input({ acknowledged: healthyAcks, snapshots: both(withMarker) }));

    expect(report.takeover.orders.map((o) => o.orderId)).toEqual(['t1']);
  });

  it('names a malformed marker field', () => {
    const broken = takenOver((t) => {
      t.orders = replaceItem(t.orders, 'ORDER#t1', { ...takeoverItem('t1'), takenOverAt: 'yesterday' });
      t.orders.push(t1('FAILED'));
    });

    expect(() => auditDrill(broken)).toThrow(AuditInputError);
    expect(() => auditDrill(broken)).toThrow(
      'orders item ORDER#t1/TAKEOVER: takenOverAt must be an ISO-8601 time',
    );
  });
});
