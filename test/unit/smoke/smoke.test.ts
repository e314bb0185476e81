import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  runSmoke,
  smokeCli,
  SMOKE_CUSTOMER_ID,
  type SmokeOptions,
  type SmokeSummary,
} from '../../../lib/smoke';

/** A stand-in for one region's API on 127.0.0.1, served under the stage path `/prod`. */
interface FakeApiOptions {
  readonly region?: string;
  readonly health?: { readonly status: number; readonly body: unknown };
  /** What successive GET /orders/{id} calls answer; the last one repeats. */
  readonly statuses?: readonly string[];
  readonly failureReason?: string;
  /** The first N POST /orders answer 503 (after creating nothing). */
  readonly postFailures?: number;
  /** This region's allocation of the SKU before the run; none → GET /inventory answers 404. */
  readonly stock?: { readonly available: number; readonly version: number };
  /** The first N PUT /inventory answer 409 VERSION_CONFLICT (someone else changed the allocation). */
  readonly stockConflicts?: number;
}

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

interface FakeApi {
  readonly url: string;
  readonly requests: Recorded[];
  readonly ordersCreated: () => number;
  readonly close: () => Promise<void>;
}

async function startFakeApi(options: FakeApiOptions = {}): Promise<FakeApi> {
  const region = options.region ?? 'us-east-1';
  const statuses = options.statuses ?? ['RESERVED', 'PAID', 'SHIPPED', 'FULFILLED'];
  const requests: Recorded[] = [];
  const orders = new Map<string, { orderId: string; polls: number }>();
  let postFailures = options.postFailures ?? 0;
  let stockConflicts = options.stockConflicts ?? 0;
  let stock = options.stock ? { ...options.stock } : undefined;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const orderView = (orderId: string, status: string) => ({
    orderId,
    customerId: SMOKE_CUSTOMER_ID,
    status,
    currency: 'USD',
    homeRegion: region,
    ...(status === 'FAILED' && options.failureReason && { failureReason: options.failureReason }),
  });

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const path = (req.url ?? '').replace(/^\/prod/, '');
      const body = raw ? (JSON.parse(raw) as unknown) : undefined;
      requests.push({ method: req.method ?? '', path, headers: req.headers, body });

      if (req.method === 'GET' && path === '/health') {
        const health = options.health ?? { status: 200, body: { status: 'ok', region, checks: {} } };
        return send(res, health.status, health.body);
      }
      const inventory = /^\/inventory\/(PROD-\d+)$/.exec(path);
      if (inventory && req.method === 'GET') {
        if (!stock)
          return send(res, 404, { error: { code: 'SKU_NOT_FOUND', message: 'no such sku', fields: [] } });
        return send(res, 200, {
          sku: inventory[1],
          allocations: [{ region, ...stock, reserved: 0, committed: 0 }],
        });
      }
      if (inventory && req.method === 'PUT') {
        const { available, expectedVersion } = body as { available: number; expectedVersion: number };
        if (stockConflicts > 0 || expectedVersion !== (stock?.version ?? 0)) {
          stockConflicts--;
          stock = { available: stock?.available ?? 0, version: (stock?.version ?? 0) + 1 };
          return send(res, 409, {
            error: { code: 'VERSION_CONFLICT', message: 'version changed', fields: [] },
          });
        }
        stock = { available, version: (stock?.version ?? 0) + 1 };
        return send(res, 200, { sku: inventory[1], allocations: [{ region, ...stock }] });
      }
      if (req.method === 'POST' && path === '/orders') {
        if (postFailures-- > 0)
          return send(res, 503, { error: { code: 'INTERNAL_ERROR', message: 'try again' } });
        const key = String(req.headers['idempotency-key']);
        const existing = orders.get(key);
        if (existing) return send(res, 200, orderView(existing.orderId, 'PENDING'));
        const orderId = `ord_${String(orders.size + 1).padStart(26, '0')}`;
        orders.set(key, { orderId, polls: 0 });
        return send(res, 201, orderView(orderId, 'PENDING'));
      }
      const get = /^\/orders\/(ord_\w+)$/.exec(path);
      if (req.method === 'GET' && get) {
        const order = [...orders.values()].find((o) => o.orderId === get[1]);
        if (!order) return send(res, 404, { error: { code: 'ORDER_NOT_FOUND', message: 'no such order' } });
        const status = statuses[Math.min(order.polls++, statuses.length - 1)]!;
        return send(res, 200, orderView(order.orderId, status));
      }
      return send(res, 404, { error: { code: 'ROUTE_NOT_FOUND', message: path } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/prod/`,
    requests,
    ordersCreated: () => orders.size,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Fast intervals so a "few polls" take milliseconds. */
const FAST = { requestTimeoutMs: 2_000, maxRetries: 3, retryDelayMs: 10, pollInitialMs: 10, pollMaxMs: 40 };

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

async function smokeAgainst(
  api: FakeApi,
  overrides: Partial<SmokeOptions> = {},
): Promise<{ summary: SmokeSummary; out: string[]; err: string[] }> {
  const { out, err, io } = capture();
  const summary = await runSmoke(
    { url: api.url, timeoutSeconds: 10, sku: 'PROD-990001', json: false, timing: FAST, ...overrides },
    io,
  );
  return { summary, out, err };
}

describe('smoke test against a platform on loopback', () => {
  let api: FakeApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('passes when the platform is healthy and the order reaches FULFILLED after a few polls', async () => {
    api = await startFakeApi({ stock: { available: 4, version: 7 } });

    const { summary, out } = await smokeAgainst(api);

    expect(summary).toMatchObject({ ok: true, exitCode: 0, status: 'FULFILLED', region: 'us-east-1' });
    expect(summary.steps.map((s) => [s.step, s.ok])).toEqual([
      ['health', true],
      ['stock', true],
      ['order', true],
      ['poll', true],
    ]);
    expect(out.filter((l) => /^ok {3}(health|stock|order|poll):/.test(l))).toHaveLength(4);
    expect(out.at(-1)).toMatch(/^smoke PASSED: order ord_\w+ FULFILLED in us-east-1/);
    expect(api.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/orders/')).length).toBe(4);
  });

  it('tops up the region allocation by one unit with optimistic concurrency', async () => {
    api = await startFakeApi({ stock: { available: 4, version: 7 } });

    await smokeAgainst(api);

    const put = api.requests.find((r) => r.method === 'PUT');
    expect(put).toMatchObject({ path: '/inventory/PROD-990001', body: { available: 5, expectedVersion: 7 } });
  });

  it('creates the allocation when the SKU has none, and re-reads after a version conflict', async () => {
    api = await startFakeApi({ stockConflicts: 1 });

    const { summary } = await smokeAgainst(api);

    expect(summary.ok).toBe(true);
    const puts = api.requests.filter((r) => r.method === 'PUT').map((r) => r.body);
    expect(puts).toEqual([
      { available: 1, expectedVersion: 0 },
      { available: 1, expectedVersion: 1 },
    ]);
  });

  it('places a well-formed order with a fresh idempotency key and a smoke correlation id', async () => {
    api = await startFakeApi();

    const { summary } = await smokeAgainst(api, { sku: 'PROD-42' });

    const post = api.requests.find((r) => r.method === 'POST')!;
    expect(post.body).toEqual({
      customerId: expect.stringMatching(/^CUST-\d+$/),
      currency: 'USD',
      lines: [{ productId: 'PROD-42', quantity: 1, unitPrice: 1 }],
      paymentToken: 'tok_visa',
    });
    expect(post.headers['content-type']).toBe('application/json');
    expect(post.headers['idempotency-key']).toBe(summary.idempotencyKey);
    expect(post.headers['x-correlation-id']).toMatch(
      /^smoke-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(api.requests.every((r) => r.headers['x-correlation-id'] === summary.correlationId)).toBe(true);

    const again = await smokeAgainst(api);
    expect(again.summary.idempotencyKey).not.toBe(summary.idempotencyKey);
  });

  it('fails without placing an order when /health reports the region unhealthy', async () => {
    api = await startFakeApi({
      health: {
        status: 503,
        body: { status: 'unhealthy', region: 'us-east-1', checks: { bus: { ok: false, error: 'timeout' } } },
      },
    });

    const { summary, out } = await smokeAgainst(api);

    expect(summary).toMatchObject({ ok: false, exitCode: 1 });
    expect(summary.error).toMatch(/^health: GET \/health → HTTP 503.*failing checks: bus timeout/);
    expect(api.requests.filter((r) => r.path === '/health')).toHaveLength(FAST.maxRetries + 1);
    expect(api.requests.some((r) => r.method !== 'GET' || r.path !== '/health')).toBe(false);
    expect(out.at(-1)).toMatch(/^smoke FAILED/);
  });

  it('fails when /health answers 200 with a status other than ok', async () => {
    api = await startFakeApi({ health: { status: 200, body: { status: 'degraded', region: 'us-east-1' } } });

    const { summary } = await smokeAgainst(api);

    expect(summary.exitCode).toBe(1);
    expect(summary.error).toContain('status degraded');
  });

  it('fails with the reason when the order ends FAILED', async () => {
    api = await startFakeApi({
      statuses: ['RESERVED', 'FAILED'],
      failureReason: 'payment declined: card_declined',
    });

    const { summary, out } = await smokeAgainst(api);

    expect(summary).toMatchObject({
      ok: false,
      exitCode: 1,
      status: 'FAILED',
      failureReason: 'payment declined: card_declined',
    });
    expect(out.at(-1)).toMatch(/FAILED.*payment declined: card_declined/);
  });

  it('fails when the order ends CANCELLED', async () => {
    api = await startFakeApi({ statuses: ['CANCELLED'] });

    const { summary } = await smokeAgainst(api);

    expect(summary).toMatchObject({ exitCode: 1, status: 'CANCELLED' });
  });

  it('times out when the order never reaches a final status', async () => {
    api = await startFakeApi({ statuses: ['PENDING'] });
    const started = Date.now();

    const { summary } = await smokeAgainst(api, { timeoutSeconds: 0.5 });

    expect(summary).toMatchObject({ ok: false, exitCode: 1, status: 'PENDING' });
    expect(summary.error).toMatch(/timed out after 0.5 s waiting for a final status \(last PENDING/);
    // Well under the 10 s default: the timeout given was honoured (loose, for a loaded machine).
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('retries a POST that answered 503 with the same Idempotency-Key and creates one order', async () => {
    api = await startFakeApi({ postFailures: 1 });

    const { summary, out } = await smokeAgainst(api);

    expect(summary.exitCode).toBe(0);
    const posts = api.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[0]!.headers['idempotency-key']).toBe(posts[1]!.headers['idempotency-key']);
    expect(posts[0]!.body).toEqual(posts[1]!.body);
    expect(api.ordersCreated()).toBe(1);
    expect(out.some((l) => /order: POST \/orders → HTTP 503 INTERNAL_ERROR.*retry 1\/3/.test(l))).toBe(true);
  });

  it('fails when the API cannot be reached', async () => {
    const dead = await startFakeApi();
    await dead.close();

    const { summary } = await runSmoke(
      { url: dead.url, timeoutSeconds: 5, sku: 'PROD-1', json: false, timing: FAST },
      capture().io,
    ).then((s) => ({ summary: s }));

    expect(summary.exitCode).toBe(1);
    expect(summary.error).toMatch(/^health: GET \/health → network error/);
  });

  it('prints only the JSON summary on stdout with --json', async () => {
    api = await startFakeApi();
    const { out, err, io } = capture();

    await runSmoke({ url: api.url, timeoutSeconds: 10, sku: 'PROD-990001', json: true, timing: FAST }, io);

    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toMatchObject({
      ok: true,
      exitCode: 0,
      status: 'FULFILLED',
      sku: 'PROD-990001',
    });
    expect(err.some((l) => l.startsWith('ok   poll:'))).toBe(true);
  });
});

describe('smoke command line', () => {
  it.each([
    [[], '--url is required'],
    [['--url', 'not a url'], '--url: not a URL'],
    [['--url', 'ftp://example.com'], '--url: must be http or https'],
    [['--url', 'http://localhost:8080', '--timeout', 'soon'], '--timeout: must be a number'],
    [['--url', 'http://localhost:8080', '--timeout', '0'], '--timeout: must be a number'],
    [['--url', 'http://localhost:8080', '--sku', 'SKU-1'], '--sku: must be PROD-'],
    [['--url', 'http://localhost:8080', '--verbose'], "Unknown option '--verbose'"],
  ])('exits 2 for %j', async (argv, message) => {
    const { out, err, io } = capture();

    const code = await smokeCli(argv, io);

    expect(code).toBe(2);
    expect(err[0]).toContain(message);
    expect(err.join('\n')).toContain('usage: npm run smoke');
    expect(out).toEqual([]);
  });

  it('prints the usage and exits 0 for --help', async () => {
    const { out, io } = capture();

    expect(await smokeCli(['--help'], io)).toBe(0);
    expect(out[0]).toMatch(/^usage: npm run smoke -- --url <base URL>/);
  });

  it('bin/smoke.ts exits 0 for a passing run and 2 for a usage error', async () => {
    // Real intervals here (first poll after 1 s), so the order is final at the first poll.
    const api = await startFakeApi({ statuses: ['FULFILLED'] });
    const run = promisify(execFile);
    const root = join(__dirname, '..', '..', '..');
    try {
      const passed = await run(
        'npx',
        ['tsx', 'bin/smoke.ts', '--url', api.url, '--json', '--timeout', '60'],
        {
          cwd: root,
        },
      );
      expect(JSON.parse(passed.stdout.trim())).toMatchObject({ ok: true, status: 'FULFILLED' });

      const usage = await run('npx', ['tsx', 'bin/smoke.ts', '--timeout', '5'], { cwd: root }).then(
        () => 0,
        (error: { code?: number }) => error.code,
      );
      expect(usage).toBe(2);
    } finally {
      await api.close();
    }
  }, 60_000);
});
