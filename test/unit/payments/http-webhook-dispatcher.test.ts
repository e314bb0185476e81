import { ManualClock } from '../../../services/shared/clock';
import { HttpWebhookDispatcher } from '../../../services/payments/provider/adapters/http-webhook-dispatcher';
import { WebhookDeliveryError } from '../../../services/payments/provider/domain/errors';
import { signatureHeader } from '../../../services/payments/provider/domain/signature';
import type { WebhookEvent } from '../../../services/payments/provider/domain/types';
import { startLoopbackServer, type LoopbackServer } from './support/http';

const SECRET = 'whsec_dispatcher_test_secret';

const event: WebhookEvent = {
  id: 'evt_1',
  type: 'charge.authorized',
  created: 1_767_225_600,
  data: { chargeId: 'ch_1', orderId: 'ord_1', amountMinor: 1200, currency: 'EUR' },
};

describe('HTTP webhook dispatcher', () => {
  let server: LoopbackServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  function dispatcher(url: string, clock: ManualClock, delays: number[], maxAttempts = 4) {
    return new HttpWebhookDispatcher({
      url: `${url}/payments/webhook`,
      secret: SECRET,
      clock,
      maxAttempts,
      baseDelayMs: 100,
      sleep: async (ms) => {
        delays.push(ms);
        clock.advance(ms + 60_000); // a slow retry: the next attempt must carry a fresh timestamp
      },
    });
  }

  it('POSTs the event as JSON with a v1 signature over the raw body', async () => {
    server = await startLoopbackServer(async () => ({ status: 200 }));
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    await dispatcher(server.url, clock, []).dispatch(event);

    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    const t = Math.floor(Date.UTC(2026, 0, 1) / 1000);
    expect(req).toMatchObject({ method: 'POST', url: '/payments/webhook' });
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual(event);
    expect(req?.headers['meridian-signature']).toBe(signatureHeader(SECRET, t, req?.body ?? ''));
  });

  it('retries non-2xx answers with growing backoff and re-signs every attempt', async () => {
    let calls = 0;
    server = await startLoopbackServer(async () => ({ status: ++calls < 3 ? 503 : 204 }));
    const delays: number[] = [];
    await dispatcher(server.url, new ManualClock(), delays).dispatch(event);

    expect(server.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[0]).toBeLessThanOrEqual(100);
    expect(delays[1]).toBeGreaterThanOrEqual(100);
    expect(delays[1]).toBeLessThanOrEqual(200);
    const stamps = server.requests.map((r) => /t=(\d+)/.exec(r.headers['meridian-signature'] ?? '')?.[1]);
    expect(new Set(stamps).size).toBe(3);
  });

  it('gives up after the bounded number of attempts', async () => {
    server = await startLoopbackServer(async () => ({ status: 500 }));
    const delivery = dispatcher(server.url, new ManualClock(), [], 3).dispatch(event);
    await expect(delivery).rejects.toBeInstanceOf(WebhookDeliveryError);
    await expect(delivery).rejects.toThrow(/after 3 attempt\(s\): HTTP 500/);
    expect(server.requests).toHaveLength(3);
  });

  it('retries when nothing listens', async () => {
    const closed = await startLoopbackServer(async () => ({ status: 200 }));
    await closed.close();
    const delays: number[] = [];
    await expect(dispatcher(closed.url, new ManualClock(), delays, 2).dispatch(event)).rejects.toBeInstanceOf(
      WebhookDeliveryError,
    );
    expect(delays).toHaveLength(1);
  });
});
