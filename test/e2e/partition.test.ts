/**
 * A replication partition with writes on both sides: each region keeps serving its own orders; after the
 * heal, every table is identical item for item in both replicas (Global Tables' last-writer-wins).
 */
import {
  orderBody,
  request,
  scanTable,
  useTestRuntime,
  waitFor,
  waitForStatus,
  type Order,
} from './support/runtime';

jest.setTimeout(240_000);

const TABLES = [
  'meridian-local-orders',
  'meridian-local-inventory',
  'meridian-local-payments',
  'meridian-local-shipments',
  'meridian-local-processed-events',
];

const canonical = (items: unknown[]) => items.map((i) => JSON.stringify(sortKeys(i))).sort();

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

describe('a replication partition', () => {
  const runtime = useTestRuntime();

  it('converges every replica item for item after the heal', async () => {
    const rt = runtime();
    const [a, b] = rt.regions as [string, string];
    rt.runtime.partition(a, b);

    const placed: { region: string; order: Order }[] = [];
    for (const [region, sku] of [
      [a, 'PROD-3001'],
      [b, 'PROD-3002'],
    ] as const) {
      await request(rt.api(region), 'PUT', `/inventory/${sku}`, { available: 7 });
      for (const n of [1, 2]) {
        const res = await request<Order>(rt.api(region), 'POST', '/orders', orderBody(sku), {
          'Idempotency-Key': `e2e-partition-${region}-${n}`,
        });
        expect(res.status).toBe(201);
        placed.push({ region, order: res.body });
      }
    }
    for (const { region, order } of placed) await waitForStatus(rt.api(region), order.orderId, 'FULFILLED');
    // While partitioned, the other side has not seen them.
    for (const { region, order } of placed) {
      const other = region === a ? b : a;
      expect((await request(rt.api(other), 'GET', `/orders/${order.orderId}`)).status).toBe(404);
    }

    rt.runtime.heal(a, b);

    for (const { region, order } of placed) {
      await waitForStatus(rt.api(region === a ? b : a), order.orderId, 'FULFILLED', 30_000);
    }
    for (const table of TABLES) {
      await waitFor(`${table} to be identical in ${a} and ${b}`, async () => {
        const [x, y] = await Promise.all([scanTable(rt, a, table), scanTable(rt, b, table)]);
        return JSON.stringify(canonical(x)) === JSON.stringify(canonical(y)) ? true : undefined;
      });
    }
  });
});
