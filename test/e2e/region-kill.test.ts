/**
 * A region killed mid-saga (SIGKILL: nothing flushed) and restored on the same state: its execution resumes
 * and the order completes; meanwhile the edge takes the dead region out and the other region takes orders.
 */
import { invokeFunction } from './support/lambda';
import { orderBody, request, useTestRuntime, waitFor, waitForStatus, type Order } from './support/runtime';

jest.setTimeout(240_000);

describe('a region killed mid-saga', () => {
  const runtime = useTestRuntime();

  it('resumes the saga after a restore, and the edge routes around the dead region meanwhile', async () => {
    const rt = runtime();
    const [home, other] = rt.regions as [string, string];
    await request(rt.api(home), 'PUT', '/inventory/PROD-2001', { available: 10 });
    await request(rt.api(other), 'PUT', '/inventory/PROD-2001', { available: 10 });
    // Hold the saga at its shipment step: every shipping attempt fails until the region is back.
    await invokeFunction(rt, home, 'setFailureInjection', { rate: 1 });
    const placed = await request<Order>(rt.api(home), 'POST', '/orders', orderBody('PROD-2001'), {
      'Idempotency-Key': 'e2e-kill-1',
    });
    expect(placed.status).toBe(201);
    const orderId = placed.body.orderId;
    await waitForStatus(rt.api(home), orderId, 'PAID');

    await rt.runtime.kill(home);

    expect(rt.runtime.processes().find((p) => p.region === home)?.running).toBe(false);
    await waitFor('the edge to mark the killed region unhealthy', async () =>
      rt.runtime.edge.status().regions.find((r) => r.region === home && !r.healthy),
    );
    const meanwhile = await waitFor('an order through the edge while the home region is down', async () => {
      const res = await request<Order>(rt.edge, 'POST', '/orders', orderBody('PROD-2001'), {
        'Idempotency-Key': 'e2e-kill-meanwhile-1',
        'X-Meridian-No-Cache': '1',
      });
      return res.status === 201 || res.status === 200 ? res : undefined;
    });
    expect(meanwhile.headers.get('x-meridian-region')).toBe(other);

    await rt.runtime.restore(home);
    await invokeFunction(rt, home, 'setFailureInjection', { rate: null });

    const done = await waitForStatus(rt.api(home), orderId, 'FULFILLED', 120_000);
    expect(done.homeRegion).toBe(home);
    await waitForStatus(rt.api(other), meanwhile.body.orderId, 'FULFILLED');
    await waitFor('the edge to see the restored region healthy again', async () =>
      rt.runtime.edge.status().regions.find((r) => r.region === home && r.healthy),
    );
  });
});
