import {
  MeridianClient,
  MeridianUnavailableError,
  type AttemptRecord,
  type MeridianClientOptions,
} from '../../../lib/client';
import { FakeEdge, FakeRegion, ManualClock, closedPortUrl, recordingSleep } from './fake-meridian';

const ORDER = {
  customerId: 'CUST-1',
  currency: 'EUR',
  lines: [{ productId: 'PROD-1', quantity: 1, unitPrice: 9.5 }],
};

describe('MeridianClient', () => {
  let a: FakeRegion;
  let b: FakeRegion;
  let edge: FakeEdge;
  let clock: ManualClock;
  let sleeper: ReturnType<typeof recordingSleep>;
  let recorded: AttemptRecord[];

  beforeAll(async () => {
    a = await new FakeRegion('eu-west-1').start();
    b = await new FakeRegion('us-east-1').start();
    edge = await new FakeEdge([a, b], 'eu-west-1').start();
  });

  afterAll(async () => {
    await Promise.all([a.stop(), b.stop(), edge.stop()]);
  });

  beforeEach(() => {
    for (const server of [a, b, edge]) server.received.length = 0;
    a.script.length = 0;
    b.script.length = 0;
    a.down = false;
    b.down = false;
    edge.routeTo = 'eu-west-1';
    clock = new ManualClock();
    sleeper = recordingSleep();
    recorded = [];
  });

  const client = (options: Partial<MeridianClientOptions> = {}): MeridianClient =>
    new MeridianClient({
      edgeUrl: edge.url,
      regions: [
        { region: a.name, url: a.url },
        { region: b.name, url: b.url },
      ],
      now: clock.now,
      sleep: sleeper.sleep,
      random: () => 0.5,
      onAttempt: (record) => recorded.push(record),
      ...options,
    });

  describe('when the first attempt succeeds', () => {
    it('returns the parsed answer with the region and one attempt, sending the standard headers', async () => {
      const placed = await client({ location: 'eu-west-1' }).createOrder(ORDER, { idempotencyKey: 'key-1' });

      expect(placed.status).toBe(201);
      expect(placed.body).toMatchObject({ status: 'PENDING', homeRegion: 'eu-west-1' });
      expect(placed.region).toBe('eu-west-1');
      expect(placed.idempotencyKey).toBe('key-1');
      expect(placed.attempts).toEqual([
        expect.objectContaining({ callId: 1, attempt: 1, method: 'POST', path: '/orders', target: 'edge' }),
      ]);
      expect(placed.attempts[0]).toMatchObject({ region: 'eu-west-1', status: 201, outcome: 'success' });
      expect(recorded).toEqual(placed.attempts);
      const [sent] = edge.received;
      expect(sent?.headers).toMatchObject({
        'idempotency-key': 'key-1',
        'content-type': 'application/json',
        accept: 'application/json',
        'x-meridian-client-location': 'eu-west-1',
      });
      expect(sent?.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.parse(sent?.body ?? '')).toEqual(ORDER);
      expect(a.on('/orders')).toHaveLength(1);
      expect(sleeper.delays).toEqual([]);
    });

    it('generates a fresh idempotency key per createOrder call and numbers calls in order', async () => {
      const c = client();
      const first = await c.createOrder(ORDER);
      const second = await c.createOrder(ORDER);

      expect(first.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
      expect(second.idempotencyKey).not.toBe(first.idempotencyKey);
      expect(edge.received.map((r) => r.headers['idempotency-key'])).toEqual([
        first.idempotencyKey,
        second.idempotencyKey,
      ]);
      expect(recorded.map((r) => r.callId)).toEqual([1, 2]);
    });

    it('keeps an idempotency key the caller passes as a header to createOrder', async () => {
      const placed = await client().createOrder(ORDER, { headers: { 'IDEMPOTENCY-KEY': 'hdr-key' } });

      expect(placed.idempotencyKey).toBe('hdr-key');
      expect(edge.received[0]?.headers['idempotency-key']).toBe('hdr-key');
    });

    it('keeps a correlation id the caller passes and omits the location header when none is set', async () => {
      await client().createOrder(ORDER, { headers: { 'X-Correlation-Id': 'corr-42' } });

      expect(edge.received[0]?.headers['x-correlation-id']).toBe('corr-42');
      expect(edge.received[0]?.headers['x-meridian-client-location']).toBeUndefined();
    });

    it('builds the order routes and encodes path and query parameters', async () => {
      const c = client();
      await c.getOrder('ORD 1/2');
      await c.listOrders('CUST-7', 'abc+/=');
      await c.cancelOrder('ORD-3', { reason: 'changed my mind' });
      await c.health();

      expect(a.received.map((r) => `${r.method} ${r.path}`)).toEqual([
        'GET /orders/ORD%201%2F2',
        'GET /orders?customerId=CUST-7&cursor=abc%2B%2F%3D',
        'POST /orders/ORD-3/cancel',
        'GET /health',
      ]);
      expect(JSON.parse(a.received[2]?.body ?? '')).toEqual({ reason: 'changed my mind' });
      expect(a.received[0]?.headers['content-type']).toBeUndefined();
    });

    it('returns an empty body as null and a body that is not JSON as its text', async () => {
      a.script.push(
        { status: 204 },
        { status: 200, raw: 'plain words', headers: { 'content-type': 'text/plain' } },
      );
      const c = client();

      expect((await c.request('DELETE', '/inventory/PROD-1')).body).toBeNull();
      expect((await c.request('GET', '/inventory/PROD-1')).body).toBe('plain words');
    });
  });

  describe('failover', () => {
    it('retries a 503 on the next region with the same Idempotency-Key and correlation id', async () => {
      a.script.push({ status: 503, body: { error: { code: 'UNAVAILABLE', message: 'down', fields: [] } } });
      const c = client({ edgeUrl: undefined });

      const placed = await c.createOrder(ORDER);

      expect(placed.status).toBe(201);
      expect(placed.region).toBe('us-east-1');
      const [toA] = a.on('/orders');
      const [toB] = b.on('/orders');
      expect(toA?.headers['idempotency-key']).toBe(placed.idempotencyKey);
      expect(toB?.headers['idempotency-key']).toBe(placed.idempotencyKey);
      expect(toB?.headers['x-correlation-id']).toBe(toA?.headers['x-correlation-id']);
      expect(toB?.body).toBe(toA?.body);
      expect(placed.attempts.map((r) => [r.target, r.status, r.outcome])).toEqual([
        ['eu-west-1', 503, 'retryable'],
        ['us-east-1', 201, 'success'],
      ]);
      expect(c.avoided()).toEqual({ 'eu-west-1': clock.ms + 30_000 });
      expect(sleeper.delays).toEqual([50]);
    });

    it('moves to the next region when the connection is refused', async () => {
      const refused = await closedPortUrl();
      const c = client({
        edgeUrl: undefined,
        regions: [
          { region: 'gone-1', url: refused },
          { region: b.name, url: b.url },
        ],
      });

      const found = await c.getOrder('ORD-1');

      expect(found.status).toBe(200);
      expect(found.attempts[0]).toMatchObject({
        target: 'gone-1',
        region: 'gone-1',
        error: 'ECONNREFUSED',
        outcome: 'retryable',
      });
      expect(found.attempts[0]?.status).toBeUndefined();
      expect(found.attempts[1]).toMatchObject({ target: 'us-east-1', region: 'us-east-1', status: 200 });
      expect(Object.keys(c.avoided())).toEqual(['gone-1']);
    });

    it('moves to the next region when the connection is reset mid-request', async () => {
      a.script.push('reset');
      const c = client({ edgeUrl: undefined });

      const found = await c.getOrder('ORD-1');

      expect(found.region).toBe('us-east-1');
      expect(found.attempts[0]?.error).toEqual(expect.any(String));
      expect(found.attempts[0]?.outcome).toBe('retryable');
      expect(a.on('/orders/ORD-1')).toHaveLength(1);
    });

    it('abandons an attempt after attemptTimeoutMs and fails over', async () => {
      a.script.push('hang');
      const c = client({ edgeUrl: undefined, attemptTimeoutMs: 1_000 });

      const found = await c.getOrder('ORD-1');

      expect(found.attempts[0]).toMatchObject({
        target: 'eu-west-1',
        error: 'timeout after 1000 ms',
        outcome: 'retryable',
      });
      expect(found.region).toBe('us-east-1');
    });

    it('divides the attempt timeout by the time scale', async () => {
      a.script.push('hang');
      const c = client({ edgeUrl: undefined, attemptTimeoutMs: 10_000, timeScale: 10 });

      const found = await c.getOrder('ORD-1');

      expect(found.attempts[0]?.error).toBe('timeout after 1000 ms');
    });

    it('avoids the region an edge 502 names, sends new calls straight to the next region, and returns to the edge after avoidMs', async () => {
      a.down = true;
      const c = client({ avoidMs: 30_000 });

      const first = await c.createOrder(ORDER);

      expect(first.attempts.map((r) => [r.target, r.region, r.status])).toEqual([
        ['edge', 'eu-west-1', 502],
        ['us-east-1', 'us-east-1', 201],
      ]);
      expect(c.avoided()).toEqual({ 'eu-west-1': clock.ms + 30_000 });
      expect(b.on('/orders')[0]?.headers['idempotency-key']).toBe(first.idempotencyKey);

      // Arrange: the region recovers, but the avoid period has not ended yet.
      a.down = false;
      clock.advance(29_999);
      const second = await c.getOrder('ORD-1');
      expect(second.attempts.map((r) => r.target)).toEqual(['us-east-1']);

      clock.advance(1);
      const third = await c.getOrder('ORD-1');
      expect(third.attempts.map((r) => [r.target, r.region])).toEqual([['edge', 'eu-west-1']]);
      expect(c.avoided()).toEqual({});
    });

    it('scales the avoid period by the time scale', async () => {
      a.script.push({ status: 500 });
      const c = client({ edgeUrl: undefined, avoidMs: 30_000, timeScale: 10 });

      await c.getOrder('ORD-1');

      expect(c.avoided()).toEqual({ 'eu-west-1': clock.ms + 3_000 });
    });

    it('after an edge network error with no region known, marks nothing but retries direct', async () => {
      const c = client({ edgeUrl: (await closedPortUrl()).replace(/\/v1$/, '') });

      const found = await c.getOrder('ORD-1');

      expect(found.attempts.map((r) => [r.target, r.error ?? r.status])).toEqual([
        ['edge', 'ECONNREFUSED'],
        ['eu-west-1', 200],
      ]);
      expect(found.attempts[0]?.region).toBeUndefined();
      expect(c.avoided()).toEqual({});
    });

    it('uses the region a direct answer names when it differs from the target', async () => {
      // A list (an intermediary appended its own) names the first region.
      a.script.push({ status: 503, headers: { 'x-meridian-region': 'eu-central-1, eu-west-1' } });
      const c = client({ edgeUrl: undefined });

      const found = await c.getOrder('ORD-1');

      expect(found.attempts[0]).toMatchObject({ target: 'eu-west-1', region: 'eu-central-1' });
      expect(Object.keys(c.avoided())).toEqual(['eu-central-1']);
    });

    it('when every region is avoided, tries the one that failed longest ago', async () => {
      a.script.push({ status: 503 }, { status: 503 });
      b.script.push({ status: 503 });
      // The clock stands still: failure order, not clock readings, decides.
      const c = client({ edgeUrl: undefined, maxAttempts: 4 });

      const found = await c.getOrder('ORD-1');

      expect(found.attempts.map((r) => [r.target, r.status])).toEqual([
        ['eu-west-1', 503],
        ['us-east-1', 503],
        ['eu-west-1', 503],
        ['us-east-1', 200],
      ]);
      expect(c.avoided()).toEqual({ 'eu-west-1': clock.ms + 30_000, 'us-east-1': clock.ms + 30_000 });
    });
  });

  describe('what is not retried', () => {
    it('returns a 4xx at once without avoiding the region', async () => {
      a.script.push({
        status: 422,
        body: { error: { code: 'OUT_OF_STOCK', message: 'no stock', fields: [] } },
      });
      const c = client();

      const rejected = await c.createOrder(ORDER);

      expect(rejected.status).toBe(422);
      expect(rejected.body).toEqual({ error: { code: 'OUT_OF_STOCK', message: 'no stock', fields: [] } });
      expect(rejected.attempts).toEqual([expect.objectContaining({ status: 422, outcome: 'final' })]);
      expect(c.avoided()).toEqual({});
      expect(b.received).toEqual([]);
    });

    it('returns a 3xx without following it', async () => {
      a.script.push({ status: 302, headers: { location: `${b.url}/orders/ORD-1` } });

      const moved = await client().getOrder('ORD-1');

      expect(moved.status).toBe(302);
      expect(moved.attempts[0]?.outcome).toBe('final');
      expect(b.received).toEqual([]);
    });

    it('makes one attempt for a POST without a key, and throws when it fails', async () => {
      a.script.push({ status: 503 });
      const c = client({ edgeUrl: undefined });

      const failure = await c.request('POST', '/orders', { body: ORDER }).catch((e: unknown) => e);

      expect(failure).toBeInstanceOf(MeridianUnavailableError);
      expect((failure as MeridianUnavailableError).attempts).toHaveLength(1);
      expect((failure as MeridianUnavailableError).lastStatus).toBe(503);
      expect(a.received[0]?.headers['idempotency-key']).toBeUndefined();
      expect(b.received).toEqual([]);
      expect(sleeper.delays).toEqual([]);
    });

    it('retries a POST without a key when the caller says retry: true, and never with retry: false', async () => {
      a.script.push({ status: 503 });
      const c = client({ edgeUrl: undefined });

      const retried = await c.request('POST', '/orders/ORD-1/cancel', { retry: true });
      const once = c.request('GET', '/health', { retry: false });

      expect(retried.attempts.map((r) => r.target)).toEqual(['eu-west-1', 'us-east-1']);
      await expect(once).resolves.toMatchObject({ status: 200, region: 'us-east-1' });
    });

    it('retries a POST that carries an idempotency key given as a header', async () => {
      a.script.push({ status: 502 });

      const placed = await client({ edgeUrl: undefined }).request('POST', '/orders', {
        body: ORDER,
        headers: { 'Idempotency-Key': 'from-header' },
      });

      expect(placed.idempotencyKey).toBe('from-header');
      expect(b.received[0]?.headers['idempotency-key']).toBe('from-header');
    });
  });

  describe('throttling', () => {
    it('retries a 429 on the same path after Retry-After, without avoiding the region', async () => {
      a.script.push({ status: 429, headers: { 'retry-after': '1' } });
      const c = client();

      const placed = await c.createOrder(ORDER);

      expect(placed.attempts.map((r) => [r.target, r.region, r.status, r.outcome])).toEqual([
        ['edge', 'eu-west-1', 429, 'retryable'],
        ['edge', 'eu-west-1', 201, 'success'],
      ]);
      expect(sleeper.delays).toEqual([1_000]);
      expect(c.avoided()).toEqual({});
      expect(a.on('/orders').map((r) => r.headers['idempotency-key'])).toEqual([
        placed.idempotencyKey,
        placed.idempotencyKey,
      ]);
    });

    it('caps Retry-After by maxDelayMs, scales it, and falls back to backoff when it is absent or a date', async () => {
      a.script.push(
        { status: 429, headers: { 'retry-after': '120' } },
        { status: 429 },
        { status: 429, headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' } },
      );
      const c = client({
        edgeUrl: undefined,
        maxDelayMs: 2_000,
        baseDelayMs: 100,
        timeScale: 2,
        random: () => 1,
      });

      const found = await c.getOrder('ORD-1');

      expect(found.attempts.map((r) => [r.target, r.status])).toEqual([
        ['eu-west-1', 429],
        ['eu-west-1', 429],
        ['eu-west-1', 429],
        ['eu-west-1', 200],
      ]);
      // 2000/2 (capped), then backoff 100·2^1/2 and 100·2^2/2.
      expect(sleeper.delays).toEqual([1_000, 100, 200]);
    });
  });

  describe('when every attempt fails', () => {
    it('throws MeridianUnavailableError carrying every attempt, the last status and the key', async () => {
      a.down = true;
      b.script.push({ status: 503 }, { status: 504 });
      const c = client({ maxAttempts: 4 });

      const failure = (await c
        .createOrder(ORDER, { idempotencyKey: 'k-all' })
        .catch((e: unknown) => e)) as MeridianUnavailableError;

      expect(failure).toBeInstanceOf(MeridianUnavailableError);
      expect(failure.name).toBe('MeridianUnavailableError');
      expect(failure.idempotencyKey).toBe('k-all');
      expect(failure.lastStatus).toBe(504);
      expect(failure.message).toBe('POST /orders failed after 4 attempts (last: HTTP 504 via us-east-1)');
      expect(failure.attempts.map((r) => [r.attempt, r.target, r.status ?? r.error])).toEqual([
        [1, 'edge', 502],
        [2, 'us-east-1', 503],
        // Both avoided: the one that failed longest ago.
        [3, 'eu-west-1', expect.any(String)],
        [4, 'us-east-1', 504],
      ]);
      expect(recorded).toEqual(failure.attempts);
      expect(b.on('/orders').every((r) => r.headers['idempotency-key'] === 'k-all')).toBe(true);
    });

    it('has no lastStatus when the last attempt got no answer', async () => {
      const refused = await closedPortUrl();
      const c = client({ edgeUrl: undefined, regions: [{ region: 'gone-1', url: refused }], maxAttempts: 2 });

      const failure = (await c.getOrder('ORD-1').catch((e: unknown) => e)) as MeridianUnavailableError;

      expect(failure.attempts.map((r) => r.error)).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
      expect(failure.lastStatus).toBeUndefined();
    });
  });

  describe('backoff', () => {
    it('waits random() × min(maxDelay, base × 2^(attempt−1)) between attempts', async () => {
      const randoms = [0.75, 0.5, 0, 0.25];
      a.down = true;
      b.down = true;
      const c = client({
        edgeUrl: undefined,
        maxAttempts: 5,
        baseDelayMs: 100,
        maxDelayMs: 300,
        random: () => randoms.shift() ?? 1,
      });

      await expect(c.getOrder('ORD-1')).rejects.toBeInstanceOf(MeridianUnavailableError);

      expect(sleeper.delays).toEqual([75, 100, 0, 75]);
    });

    it('keeps every delay within [0, ceiling] whatever random() returns, divided by the time scale', async () => {
      const randoms = [7, -3, Number.NaN];
      b.down = true;
      a.down = true;
      const c = client({
        edgeUrl: undefined,
        maxAttempts: 4,
        baseDelayMs: 100,
        maxDelayMs: 2_000,
        timeScale: 4,
        random: () => randoms.shift() ?? 0.5,
      });

      await expect(c.getOrder('ORD-1')).rejects.toBeInstanceOf(MeridianUnavailableError);

      // Out of range is clamped; NaN waits the whole ceiling (25·2^2).
      expect(sleeper.delays).toEqual([25, 0, 100]);
    });
  });

  describe('observers', () => {
    it('logs retries and survives an onAttempt that throws', async () => {
      a.script.push({ status: 503 });
      const lines: string[] = [];
      const c = client({
        edgeUrl: undefined,
        log: (line) => lines.push(line),
        onAttempt: () => {
          throw new Error('observer bug');
        },
      });

      const found = await c.getOrder('ORD-1');

      expect(found.status).toBe(200);
      expect(lines).toEqual([
        expect.stringContaining('onAttempt threw for call 1 attempt 1: Error: observer bug'),
        'meridian-client: call 1 GET /orders/ORD-1: attempt 1 HTTP 503 via eu-west-1; avoiding eu-west-1 for 30000 ms; retrying in 50 ms',
        expect.stringContaining('onAttempt threw for call 1 attempt 2'),
      ]);
    });
  });
});
