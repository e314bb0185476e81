import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  defaultLatency,
  defaultLatencyMatrix,
  startEdge,
  type Edge,
  type EdgeOptions,
  type EdgeStatus,
} from '../../../local/edge';

class ManualClock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback "region": `/v1/health` answers `healthStatus`; other paths echo the request as JSON. */
class FakeRegion {
  healthStatus = 200;
  healthDelayMs = 0;
  healthHits = 0;
  readonly seen: Seen[] = [];
  private server?: Server;
  port = 0;

  constructor(readonly name: string) {}

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '';
        if (url === '/v1/health') {
          this.healthHits += 1;
          const answer = (): void => {
            res.writeHead(this.healthStatus, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ status: this.healthStatus < 400 ? 'ok' : 'failing' }));
          };
          if (this.healthDelayMs > 0) setTimeout(answer, this.healthDelayMs);
          else answer();
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        this.seen.push({ method: req.method ?? '', url, headers: req.headers, body });
        if (url.startsWith('/v1/hang')) return; // never answers
        if (url.startsWith('/v1/break')) {
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
          res.write('partial');
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        }
        const status = Number(req.headers['x-test-status'] ?? 200);
        res.writeHead(status, [
          'Content-Type',
          'application/json',
          'Set-Cookie',
          'a=1',
          'Set-Cookie',
          'b=2',
          'X-Region-Header',
          this.name,
        ]);
        res.end(
          req.method === 'HEAD'
            ? undefined
            : JSON.stringify({ region: this.name, method: req.method, url, body, headers: req.headers }),
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const regionOf = (status: EdgeStatus, name: string) => status.regions.find((r) => r.region === name)!;

describe('local edge', () => {
  const fakes: FakeRegion[] = [];
  let edge: Edge | undefined;

  const regions = async (...names: string[]): Promise<FakeRegion[]> => {
    const started = await Promise.all(names.map((n) => new FakeRegion(n).start()));
    fakes.push(...started);
    return started;
  };
  const start = async (rs: FakeRegion[], extra: Partial<EdgeOptions> = {}): Promise<Edge> => {
    edge = await startEdge({
      port: 0,
      regions: rs.map((r) => ({ region: r.name, apiBaseUrl: r.baseUrl })),
      ...extra,
    });
    return edge;
  };
  const from = (location: string, extra: Record<string, string> = {}) => ({
    headers: { 'x-meridian-client-location': location, ...extra },
  });

  afterEach(async () => {
    await edge?.close();
    edge = undefined;
    await Promise.all(fakes.splice(0).map((f) => f.stop()));
  });

  describe('latency-based routing', () => {
    it('sends each client location to its nearest region', async () => {
      const rs = await regions('us-east-1', 'eu-west-1');
      const e = await start(rs);

      const fromEu = await send(`${e.endpoint}/orders`, from('eu-west-1'));
      const fromUs = await send(`${e.endpoint}/orders`, from('us-east-1'));
      const fromFrankfurt = await send(`${e.endpoint}/orders`, from('eu-central-1'));
      const fromOregon = await send(`${e.endpoint}/orders`, from('us-west-2'));

      expect(fromEu.headers['x-meridian-region']).toBe('eu-west-1');
      expect(JSON.parse(fromEu.body).region).toBe('eu-west-1');
      expect(fromUs.headers['x-meridian-region']).toBe('us-east-1');
      expect(fromFrankfurt.headers['x-meridian-region']).toBe('eu-west-1');
      expect(fromOregon.headers['x-meridian-region']).toBe('us-east-1');
      expect(fromEu.headers['x-meridian-client-location']).toBe('eu-west-1');
    });

    it('uses the default location without a header, and says so when the location is unknown', async () => {
      const rs = await regions('us-east-1', 'eu-west-1');
      const e = await start(rs, { defaultLocation: 'eu-west-1' });

      const none = await send(`${e.endpoint}/orders`);
      const unknown = await send(`${e.endpoint}/orders`, from('mars-north-1'));

      expect(none.status).toBe(200);
      expect(none.headers['x-meridian-region']).toBe('eu-west-1');
      expect(none.headers['x-meridian-client-location-fallback']).toBeUndefined();
      expect(unknown.status).toBe(200);
      expect(unknown.headers['x-meridian-region']).toBe('eu-west-1');
      expect(unknown.headers['x-meridian-client-location']).toBe('eu-west-1');
      expect(unknown.headers['x-meridian-client-location-fallback']).toContain('mars-north-1');
      expect(e.resolve('mars-north-1')).toBeUndefined();
      expect(e.resolve()).toBe('eu-west-1');
    });

    it('follows a given latency matrix, ties going to the earlier region', async () => {
      const rs = await regions('r-a', 'r-b', 'r-c');
      const e = await start(rs, {
        latencyMatrix: {
          home: { 'r-a': 50, 'r-b': 10, 'r-c': 10 },
          away: { 'r-a': 5, 'r-b': 80, 'r-c': 1 },
        },
        defaultLocation: 'home',
      });

      expect(e.resolve('home')).toBe('r-b');
      expect(e.resolve('away')).toBe('r-c');
      expect((await send(`${e.endpoint}/x`, from('away'))).headers['x-meridian-region']).toBe('r-c');
    });

    it('builds a plausible default matrix: 0 within a region, known pairs, 100 ms for unknown ones', () => {
      expect(defaultLatency('eu-west-1', 'eu-west-1')).toBe(0);
      expect(defaultLatency('us-east-1', 'eu-west-1')).toBe(75);
      expect(defaultLatency('eu-west-1', 'us-east-1')).toBe(75);
      expect(defaultLatency('us-east-1', 'us-west-2')).toBe(65);
      expect(defaultLatency('eu-west-1', 'eu-central-1')).toBe(25);
      expect(defaultLatency('ap-southeast-1', 'us-east-1')).toBeGreaterThanOrEqual(150);
      expect(defaultLatency('ap-southeast-1', 'us-east-1')).toBeLessThanOrEqual(220);
      expect(defaultLatency('somewhere-1', 'elsewhere-2')).toBe(100);
      const matrix = defaultLatencyMatrix(['us-east-1', 'eu-west-1']);
      expect(matrix['ap-northeast-1']).toEqual({
        'us-east-1': defaultLatency('ap-northeast-1', 'us-east-1'),
        'eu-west-1': defaultLatency('ap-northeast-1', 'eu-west-1'),
      });
    });

    it('refuses bad options with a message naming the option', async () => {
      const rs = await regions('us-east-1');
      const base = { port: 0, regions: [{ region: 'us-east-1', apiBaseUrl: rs[0]!.baseUrl }] };
      await expect(startEdge({ ...base, healthCheck: { failureThreshold: 11 } })).rejects.toThrow(
        /failureThreshold/,
      );
      await expect(startEdge({ ...base, regions: [...base.regions, ...base.regions] })).rejects.toThrow(
        /listed twice/,
      );
      await expect(startEdge({ ...base, defaultLocation: 'nowhere' })).rejects.toThrow(/defaultLocation/);
      await expect(startEdge({ ...base, latencyMatrix: { here: {} } })).rejects.toThrow(
        /latencyMatrix\.here\.us-east-1/,
      );
      await expect(
        startEdge({ ...base, regions: [{ region: 'x', apiBaseUrl: 'ftp://h/v1' }] }),
      ).rejects.toThrow(/http or https/);
      await expect(startEdge({ ...base, timeScale: 0 })).rejects.toThrow(/timeScale/);
    });
  });

  describe('health checks and failover', () => {
    it('fails over after failureThreshold consecutive failures and back after as many successes', async () => {
      const rs = await regions('us-east-1', 'us-west-2', 'eu-west-1');
      const [east, west] = rs;
      const e = await start(rs, { ttlSeconds: 0 });
      const served = async (): Promise<string | undefined> =>
        (await send(`${e.endpoint}/orders`, from('us-east-1'))).headers['x-meridian-region'] as string;

      east!.healthStatus = 503;
      await e.checkNow();
      await e.checkNow();
      expect(await served()).toBe('us-east-1');
      expect(regionOf(e.status(), 'us-east-1')).toMatchObject({ healthy: true, consecutiveFailures: 2 });

      await e.checkNow();
      expect(await served()).toBe('us-west-2');
      expect(regionOf(e.status(), 'us-east-1')).toMatchObject({
        healthy: false,
        consecutiveFailures: 3,
        lastError: { report: 'Failure: HTTP Status Code 503, Service Unavailable' },
      });

      west!.healthStatus = 500;
      for (let i = 0; i < 3; i++) await e.checkNow();
      expect(await served()).toBe('eu-west-1');

      east!.healthStatus = 200;
      await e.checkNow();
      await e.checkNow();
      expect(await served()).toBe('eu-west-1');
      await e.checkNow();
      expect(await served()).toBe('us-east-1');

      const flips = regionOf(e.status(), 'us-east-1').flips;
      expect(flips.map((f) => f.to)).toEqual(['unhealthy', 'healthy']);
      expect(flips[0]!.cause).toContain('3 consecutive failures');
      expect(flips[1]!.cause).toContain('3 consecutive successes');
    });

    it('treats 3xx as healthy and 4xx, refused connections and timeouts as failures', async () => {
      const [a, b, c, d] = await regions('r-a', 'r-b', 'r-c', 'r-d');
      const e = await start([a!, b!, c!, d!], {
        healthCheck: { failureThreshold: 1, timeoutMs: 1000 },
        latencyMatrix: { here: { 'r-a': 1, 'r-b': 2, 'r-c': 3, 'r-d': 4 } },
        defaultLocation: 'here',
      });
      a!.healthStatus = 302;
      b!.healthStatus = 404;
      c!.healthDelayMs = 5000;
      await d!.stop();

      await e.checkNow();

      const s = e.status();
      expect(regionOf(s, 'r-a')).toMatchObject({ healthy: true, lastCheck: { ok: true, statusCode: 302 } });
      expect(regionOf(s, 'r-b')).toMatchObject({ healthy: false, lastCheck: { ok: false, statusCode: 404 } });
      expect(regionOf(s, 'r-c')).toMatchObject({
        healthy: false,
        lastCheck: { ok: false, error: 'Timeout' },
      });
      expect(regionOf(s, 'r-d')).toMatchObject({
        healthy: false,
        lastCheck: { ok: false, error: 'ECONNREFUSED' },
      });
      expect(regionOf(s, 'r-c').lastCheck!.report).toMatch(/^Failure: Connection timed out/);
      expect(a!.healthHits).toBe(1);
    });

    it('fails open: with every region unhealthy it answers by latency alone', async () => {
      const rs = await regions('us-east-1', 'eu-west-1');
      const e = await start(rs, { healthCheck: { failureThreshold: 1 }, ttlSeconds: 0 });
      for (const r of rs) r.healthStatus = 503;

      await e.checkNow();

      const status = e.status();
      expect(status.failOpen).toBe(true);
      expect(status.regions.every((r) => !r.healthy)).toBe(true);
      expect((await send(`${e.endpoint}/orders`, from('eu-west-1'))).headers['x-meridian-region']).toBe(
        'eu-west-1',
      );
      expect((await send(`${e.endpoint}/orders`, from('us-east-1'))).headers['x-meridian-region']).toBe(
        'us-east-1',
      );
    });

    it('runs checks on its own every (scaled) interval', async () => {
      const rs = await regions('us-east-1', 'eu-west-1');
      // 30 s of timeout (300 ms scaled): only the 503 fails a check, never a slow answer on a loaded machine.
      const e = await start(rs, {
        timeScale: 100,
        healthCheck: { failureThreshold: 2, timeoutMs: 30_000 },
        ttlSeconds: 0,
      });
      rs[0]!.healthStatus = 503;

      await waitFor(() => !regionOf(e.status(), 'us-east-1').healthy);

      expect(e.status().healthCheck).toMatchObject({ effectiveIntervalMs: 100, effectiveTimeoutMs: 300 });
      expect(e.resolve('us-east-1')).toBe('eu-west-1');
      rs[0]!.healthStatus = 200;
      await waitFor(() => regionOf(e.status(), 'us-east-1').healthy);
      expect(e.resolve('us-east-1')).toBe('us-east-1');
    });

    it('holds its periodic checks with deferHealthChecks until startHealthChecks', async () => {
      const rs = await regions('us-east-1', 'eu-west-1');
      const e = await start(rs, {
        timeScale: 100,
        healthCheck: { failureThreshold: 1, timeoutMs: 30_000 },
        deferHealthChecks: true,
      });
      rs[0]!.healthStatus = 503;

      // Ten scaled intervals with no check: a region still starting is not judged.
      await new Promise((r) => setTimeout(r, 1000));
      expect(rs[0]!.healthHits).toBe(0);
      expect(regionOf(e.status(), 'us-east-1').healthy).toBe(true);

      e.startHealthChecks();
      e.startHealthChecks();
      await waitFor(() => !regionOf(e.status(), 'us-east-1').healthy);
      expect(e.resolve('us-east-1')).toBe('eu-west-1');
    });

    it('keeps the last observations with time, result and latency', async () => {
      const clock = new ManualClock();
      const rs = await regions('us-east-1');
      const e = await start(rs, { clock });

      for (let i = 0; i < 25; i++) {
        clock.advance(10_000);
        await e.checkNow();
      }

      const r = regionOf(e.status(), 'us-east-1');
      expect(r.observations).toHaveLength(20);
      expect(r.observations[19]).toMatchObject({ at: clock.t, ok: true, statusCode: 200 });
      expect(r.observations[19]!.report).toBe('Success: HTTP Status Code 200, OK');
      expect(r.observations[19]!.latencyMs).toBeGreaterThanOrEqual(0);
      expect(r.consecutiveSuccesses).toBe(25);
    });

    it('follows a region to its new address after setRegionUrl', async () => {
      const [east, eu] = await regions('us-east-1', 'eu-west-1');
      const e = await start([east!, eu!], { ttlSeconds: 0, healthCheck: { failureThreshold: 1 } });
      const moved = (await regions('us-east-1'))[0]!;

      e.setRegionUrl('us-east-1', moved.baseUrl);
      await east!.stop();
      await e.checkNow();
      const reply = await send(`${e.endpoint}/orders`, from('us-east-1'));

      expect(reply.status).toBe(200);
      expect(reply.headers['x-meridian-region']).toBe('us-east-1');
      expect(moved.seen).toHaveLength(1);
      expect(moved.healthHits).toBe(1);
      expect(regionOf(e.status(), 'us-east-1')).toMatchObject({ healthy: true, apiBaseUrl: moved.baseUrl });
      expect(() => e.setRegionUrl('nowhere-1', moved.baseUrl)).toThrow(/unknown region/);
    });
  });

  describe('answer cache', () => {
    it('keeps serving a cached answer for an unhealthy region until the TTL expires', async () => {
      const clock = new ManualClock();
      const rs = await regions('us-east-1', 'us-west-2');
      const [east] = rs;
      const e = await start(rs, { clock, ttlSeconds: 60, healthCheck: { failureThreshold: 1 } });

      const first = await send(`${e.endpoint}/orders`, from('us-east-1'));
      east!.healthStatus = 503;
      await e.checkNow();
      clock.advance(59_000);
      const stale = await send(`${e.endpoint}/orders`, from('us-east-1'));
      const statusWhileStale = e.status();
      const bypass = await send(`${e.endpoint}/orders`, from('us-east-1', { 'x-meridian-no-cache': '1' }));
      clock.advance(1_000);
      const expired = await send(`${e.endpoint}/orders`, from('us-east-1'));
      const again = await send(`${e.endpoint}/orders`, from('us-east-1'));

      expect(first.headers).toMatchObject({
        'x-meridian-region': 'us-east-1',
        'x-meridian-edge-cache': 'miss',
      });
      expect(stale.headers).toMatchObject({
        'x-meridian-region': 'us-east-1',
        'x-meridian-edge-cache': 'hit',
      });
      expect(statusWhileStale.cache['us-east-1']).toMatchObject({
        region: 'us-east-1',
        live: true,
        stale: true,
      });
      expect(statusWhileStale.fresh['us-east-1']).toBe('us-west-2');
      expect(bypass.headers).toMatchObject({
        'x-meridian-region': 'us-west-2',
        'x-meridian-edge-cache': 'miss',
      });
      expect(expired.headers).toMatchObject({
        'x-meridian-region': 'us-west-2',
        'x-meridian-edge-cache': 'miss',
      });
      expect(again.headers).toMatchObject({
        'x-meridian-region': 'us-west-2',
        'x-meridian-edge-cache': 'hit',
      });
      expect(e.status().cache['us-east-1']).toMatchObject({ region: 'us-west-2', stale: false });
    });

    it('caches per location and divides the TTL by timeScale', async () => {
      const clock = new ManualClock();
      const rs = await regions('us-east-1', 'eu-west-1');
      const e = await start(rs, { clock, ttlSeconds: 60, timeScale: 10 });

      await send(`${e.endpoint}/a`, from('us-east-1'));
      const otherLocation = await send(`${e.endpoint}/a`, from('eu-west-1'));
      clock.advance(5_999);
      const hit = await send(`${e.endpoint}/a`, from('us-east-1'));
      clock.advance(1);
      const miss = await send(`${e.endpoint}/a`, from('us-east-1'));

      expect(otherLocation.headers).toMatchObject({
        'x-meridian-region': 'eu-west-1',
        'x-meridian-edge-cache': 'miss',
      });
      expect(hit.headers['x-meridian-edge-cache']).toBe('hit');
      expect(miss.headers['x-meridian-edge-cache']).toBe('miss');
      expect(e.status().ttlMs).toBe(6000);
    });

    it('resolve() reads the cache without filling it', async () => {
      const clock = new ManualClock();
      const rs = await regions('us-east-1', 'eu-west-1');
      const [east] = rs;
      const e = await start(rs, { clock, healthCheck: { failureThreshold: 1 } });

      await send(`${e.endpoint}/a`, from('us-east-1'));
      east!.healthStatus = 503;
      await e.checkNow();

      expect(e.resolve('us-east-1')).toBe('us-east-1');
      expect(e.resolve('eu-west-1')).toBe('eu-west-1');
      expect(e.status().cache['eu-west-1']).toBeUndefined();
    });
  });

  describe('proxy', () => {
    it('forwards method, path, query, body and end-to-end headers, and returns status and headers', async () => {
      const [east] = await regions('us-east-1');
      const e = await start([east!]);

      const reply = await send(`${e.endpoint}/orders/ORD-1/cancel?reason=late&x=%20y`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': 'k-1',
          'x-multi': ['one', 'two'],
          connection: 'x-private',
          'x-private': 'secret',
          'x-test-status': '202',
        },
        body: JSON.stringify({ note: 'hello' }),
      });

      expect(reply.status).toBe(202);
      expect(reply.headers['x-meridian-region']).toBe('us-east-1');
      expect(reply.headers['x-meridian-edge-cache']).toBe('miss');
      expect(reply.headers['x-region-header']).toBe('us-east-1');
      expect(reply.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      const seen = east!.seen[0]!;
      expect(seen.method).toBe('POST');
      expect(seen.url).toBe('/v1/orders/ORD-1/cancel?reason=late&x=%20y');
      expect(seen.body).toBe('{"note":"hello"}');
      expect(seen.headers).toMatchObject({
        'content-type': 'application/json',
        'idempotency-key': 'k-1',
        'x-multi': 'one, two',
        host: `127.0.0.1:${east!.port}`,
      });
      expect(seen.headers['x-private']).toBeUndefined();
    });

    it('streams large bodies both ways and passes other methods through', async () => {
      const [east] = await regions('us-east-1');
      const e = await start([east!]);
      const big = 'x'.repeat(1024 * 1024);

      const put = await send(`${e.endpoint}/inventory/PROD-1`, { method: 'PUT', body: big });
      const head = await send(`${e.endpoint}/inventory/PROD-1`, { method: 'HEAD' });
      const del = await send(`${e.endpoint}/things/1`, {
        method: 'DELETE',
        headers: { 'x-test-status': '404' },
      });

      expect(put.status).toBe(200);
      expect(JSON.parse(put.body).body).toHaveLength(big.length);
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
      expect(del.status).toBe(404);
      expect(east!.seen.map((s) => s.method)).toEqual(['PUT', 'HEAD', 'DELETE']);
    });

    it('answers 502 RegionUnavailable when the chosen region refuses connections, and keeps serving', async () => {
      const [east, eu] = await regions('us-east-1', 'eu-west-1');
      const e = await start([east!, eu!]);
      await east!.stop();

      const dead = await send(`${e.endpoint}/orders`, {
        ...from('us-east-1'),
        method: 'POST',
        body: '{"a":1}',
      });
      const alive = await send(`${e.endpoint}/orders`, from('eu-west-1'));

      expect(dead.status).toBe(502);
      expect(dead.headers['x-meridian-region']).toBe('us-east-1');
      expect(JSON.parse(dead.body)).toEqual({
        error: {
          code: 'RegionUnavailable',
          message: expect.stringContaining('ECONNREFUSED'),
          region: 'us-east-1',
        },
      });
      expect(alive.status).toBe(200);
    });

    it('survives a region breaking mid-response and a client giving up mid-request', async () => {
      const [east] = await regions('us-east-1');
      const e = await start([east!]);

      await expect(send(`${e.endpoint}/break`)).rejects.toThrow();
      await new Promise<void>((resolve) => {
        const req = request(`${e.endpoint}/hang`, { agent: false });
        req.on('error', () => resolve());
        req.end();
        setTimeout(() => req.destroy(), 100);
      });
      const after = await send(`${e.endpoint}/orders`);

      expect(after.status).toBe(200);
      expect(east!.seen.map((s) => s.url)).toEqual(['/v1/break', '/v1/hang', '/v1/orders']);
    });

    it('serves its status as JSON at /_meridian/edge and only there', async () => {
      const rs = await regions('us-east-1', 'eu-west-1');
      const e = await start(rs);
      await send(`${e.endpoint}/orders`, from('eu-west-1'));

      const reply = await send(`${e.endpoint}/_meridian/edge`);
      const post = await send(`${e.endpoint}/_meridian/edge`, { method: 'POST' });

      expect(reply.status).toBe(200);
      const body = JSON.parse(reply.body) as EdgeStatus;
      expect(body.regions.map((r) => r.region)).toEqual(['us-east-1', 'eu-west-1']);
      expect(body.regions[0]).toMatchObject({ healthy: true, inverted: false, disabled: false, flips: [] });
      expect(body.cache['eu-west-1']).toMatchObject({ region: 'eu-west-1', live: true });
      expect(body.latencyMatrix['us-east-1']).toEqual({ 'us-east-1': 0, 'eu-west-1': 75 });
      expect(post.status).toBe(405);
      expect(rs.every((r) => r.seen.length === (r.name === 'eu-west-1' ? 1 : 0))).toBe(true);
    });
  });
});
