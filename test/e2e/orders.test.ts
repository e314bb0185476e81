/**
 * The platform end to end on two local regions behind the edge: the happy path, a decline with its
 * compensation, a shipping failure through the DLQ and a re-drive, and one Idempotency-Key sent to both regions.
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
import { invokeFunction } from './support/lambda';

jest.setTimeout(180_000);

interface SkuView {
  allocations: { region: string; available: number; reserved: number; committed: number }[];
}

describe('orders on two local regions behind the edge', () => {
  const runtime = useTestRuntime();

  const peerOf = (region: string) => runtime().regions.find((r) => r !== region)!;

  const allocation = async (region: string, sku: string) => {
    const view = await request<SkuView>(runtime().api(region), 'GET', `/inventory/${sku}`);
    return view.body.allocations.find((a) => a.region === region);
  };

  it('fulfils an order placed at the edge, readable in the peer region once replicated', async () => {
    const rt = runtime();
    const stock = await request(rt.edge, 'PUT', '/inventory/PROD-1001', { available: 50 });
    expect(stock.status).toBe(200);
    const stockRegion = stock.headers.get('x-meridian-region')!;

    const placed = await request<Order>(rt.edge, 'POST', '/orders', orderBody('PROD-1001'), {
      'Idempotency-Key': 'e2e-fulfil-1',
    });

    expect(placed.status).toBe(201);
    const home = placed.headers.get('x-meridian-region')!;
    expect(home).toBe(stockRegion);
    expect(placed.body.homeRegion).toBe(home);
    const fulfilled = await waitForStatus(rt.edge, placed.body.orderId, 'FULFILLED');
    expect(fulfilled.homeRegion).toBe(home);
    const replica = await waitForStatus(rt.api(peerOf(home)), placed.body.orderId, 'FULFILLED', 10_000);
    expect(replica).toEqual(fulfilled);
    // Two units gone for good: committed, then settled once OrderFulfilled reaches inventory.
    expect(await allocation(home, 'PROD-1001')).toMatchObject({ available: 48, reserved: 0 });
  });

  it('compensates a declined payment: the order fails and its stock is released', async () => {
    const rt = runtime();
    const home = rt.regions[0]!;
    await request(rt.api(home), 'PUT', '/inventory/PROD-1002', { available: 10 });

    const placed = await request<Order>(
      rt.api(home),
      'POST',
      '/orders',
      orderBody('PROD-1002', { paymentToken: 'tok_chargeDeclined' }),
      { 'Idempotency-Key': 'e2e-decline-1' },
    );

    expect(placed.status).toBe(201);
    const failed = await waitForStatus(rt.api(home), placed.body.orderId, 'FAILED');
    expect(failed.failureReason).toEqual(expect.stringMatching(/declin/i));
    await waitFor('the stock to be released', async () => {
      const a = await allocation(home, 'PROD-1002');
      return a?.available === 10 && a.reserved === 0 && a.committed === 0 ? a : undefined;
    });
  });

  it('dead-letters a shipment that keeps failing, and a re-drive fulfils the order', async () => {
    const rt = runtime();
    const home = rt.regions[1]!;
    await request(rt.api(home), 'PUT', '/inventory/PROD-1003', { available: 5 });
    await invokeFunction(rt, home, 'setFailureInjection', { rate: 1 });

    const placed = await request<Order>(rt.api(home), 'POST', '/orders', orderBody('PROD-1003'), {
      'Idempotency-Key': 'e2e-dlq-1',
    });
    expect(placed.status).toBe(201);
    const orderId = placed.body.orderId;
    await waitFor(
      'the failed-order record of the dead-lettered shipment',
      async () => {
        const items = (await scanTable(rt, home, 'meridian-local-shipments')) as { pk?: { S?: string } }[];
        return items.find((i) => i.pk?.S === `FAILED#${orderId}`);
      },
      { timeoutMs: 150_000, intervalMs: 1000 },
    );
    expect((await request<Order>(rt.api(home), 'GET', `/orders/${orderId}`)).body.status).toBe('PAID');

    await invokeFunction(rt, home, 'setFailureInjection', { rate: null });
    const redriven = (await invokeFunction(rt, home, 'redrive', {})) as { orderIds: string[] };

    expect(redriven.orderIds).toContain(orderId);
    await waitForStatus(rt.api(home), orderId, 'FULFILLED');
  });

  it('turns one Idempotency-Key sent to both regions into one order and one charge', async () => {
    const rt = runtime();
    const [a, b] = rt.regions as [string, string];
    await request(rt.api(a), 'PUT', '/inventory/PROD-1004', { available: 20 });
    await request(rt.api(b), 'PUT', '/inventory/PROD-1004', { available: 20 });
    const body = orderBody('PROD-1004');
    const headers = { 'Idempotency-Key': 'e2e-both-regions-1' };

    const [inA, inB] = await Promise.all([
      request<Order>(rt.api(a), 'POST', '/orders', body, headers),
      request<Order>(rt.api(b), 'POST', '/orders', body, headers),
    ]);

    expect([inA.status, inB.status].every((s) => s === 200 || s === 201)).toBe(true);
    expect(inA.body.orderId).toBe(inB.body.orderId);
    const orderId = inA.body.orderId;
    const final = await waitForStatus(rt.api(a), orderId, 'FULFILLED', 90_000).catch(async (err: unknown) => {
      // Which region each replica says owns the order and its payment, and where each saga stopped.
      const seen = await Promise.all(
        rt.regions.map(async (r) => ({
          region: r,
          order: (await request<Order>(rt.api(r), 'GET', `/orders/${orderId}`)).body,
          payments: (await scanTable(rt, r, 'meridian-local-payments')).filter((i) =>
            JSON.stringify(i).includes(orderId),
          ),
        })),
      );
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}\n${JSON.stringify(seen, null, 1)}`,
      );
    });
    await waitForStatus(rt.api(b), orderId, 'FULFILLED', 10_000);
    await waitFor('both replicas of the order to converge', async () => {
      const [x, y] = await Promise.all([
        request<Order>(rt.api(a), 'GET', `/orders/${orderId}`),
        request<Order>(rt.api(b), 'GET', `/orders/${orderId}`),
      ]);
      return JSON.stringify(x.body) === JSON.stringify(y.body) ? true : undefined;
    });
    const payments = (await scanTable(rt, final.homeRegion, 'meridian-local-payments')) as Record<
      string,
      { S?: string }
    >[];
    const charges = payments.filter(
      (item) => item.pk?.S?.startsWith('CHARGE#') && JSON.stringify(item).includes(orderId),
    );
    expect(charges).toHaveLength(1);
    // The payment belongs to the region that owns the order: only that region's saga got past RESERVED.
    const payment = payments.find((item) => item.pk?.S === `PAYMENT#${orderId}`);
    expect(payment?.ownerRegion?.S).toBe(final.homeRegion);
    // Stock: one order's two units gone in total, nothing left held once the other saga stood down.
    const [x, y] = await waitFor('no hold left on either allocation', async () => {
      const [x, y] = await Promise.all([allocation(a, 'PROD-1004'), allocation(b, 'PROD-1004')]);
      return x?.reserved === 0 && y?.reserved === 0 ? [x, y] : undefined;
    });
    expect((x?.available ?? 0) + (y?.available ?? 0)).toBe(38);
  });
});
