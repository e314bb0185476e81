/** Starts the local runtime for an e2e test file and gives the tests a small client for it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startRuntime, type Runtime } from '../../../local/supervisor';

/** The time scale of e2e runs: health checks every 1 s, queue visibility 180 s → 9 s, saga retries ÷ 20. */
export const E2E_TIME_SCALE = 20;

export interface TestRuntime {
  readonly runtime: Runtime;
  readonly regions: readonly string[];
  /** The edge's base URL. */
  readonly edge: string;
  /** A region's API base URL (stage included). */
  api(region: string): string;
  control(region: string): string;
  stop(): Promise<void>;
}

/** Starts every region and the edge on ephemeral ports with fresh state, from the e2e assembly. */
export async function startTestRuntime(options: { timeScale?: number } = {}): Promise<TestRuntime> {
  const assemblyDir = process.env.MERIDIAN_E2E_ASSEMBLY;
  if (!assemblyDir) throw new Error('MERIDIAN_E2E_ASSEMBLY is not set: run the e2e project through jest');
  const stateDir = mkdtempSync(path.join(tmpdir(), 'meridian-e2e-state-'));
  const runtime = await startRuntime({
    stateDir,
    assemblyDir,
    reuseAssembly: true,
    edgePort: 0,
    timeScale: options.timeScale ?? E2E_TIME_SCALE,
  });
  return {
    runtime,
    regions: runtime.regions,
    edge: runtime.edge.endpoint,
    api: (region) => runtime.endpoints[region]!.apiBaseUrl,
    control: (region) => runtime.endpoints[region]!.controlUrl,
    async stop() {
      await runtime.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Starts a runtime before a file's tests and stops it after them; the getter returns it inside tests. */
export function useTestRuntime(options: { timeScale?: number } = {}): () => TestRuntime {
  let started: TestRuntime | undefined;
  beforeAll(async () => {
    started = await startTestRuntime(options);
  }, 120_000);
  afterAll(async () => {
    await started?.stop();
  });
  return () => {
    if (!started) throw new Error('the local runtime did not start (see beforeAll)');
    return started;
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 60_000, intervalMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface JsonResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** A JSON request against a base URL. */
export async function request<T = Record<string, unknown>>(
  base: string,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as T };
}

export interface Order {
  orderId: string;
  status: string;
  homeRegion: string;
  failureReason?: string;
  [key: string]: unknown;
}

/** An order body for one line of `sku`. */
export function orderBody(sku: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customerId: 'CUST-42',
    currency: 'EUR',
    lines: [{ productId: sku, quantity: 2, unitPrice: 19.99 }],
    paymentToken: 'tok_visa',
    email: 'ada@example.com',
    ...overrides,
  };
}

/** Waits until the order reads `status` at `base` (a region's API or the edge) and returns it. */
export function waitForStatus(
  base: string,
  orderId: string,
  status: string | string[],
  timeoutMs = 60_000,
): Promise<Order> {
  const wanted = Array.isArray(status) ? status : [status];
  return waitFor(
    `order ${orderId} to be ${wanted.join(' or ')} at ${base}`,
    async () => {
      const res = await request<Order>(base, 'GET', `/orders/${orderId}`);
      return res.status === 200 && wanted.includes(res.body.status) ? res.body : undefined;
    },
    { timeoutMs },
  );
}

/** Every item of a table in a region's replica, as the control endpoint returns them. */
export async function scanTable(runtime: TestRuntime, region: string, table: string): Promise<unknown[]> {
  const res = await request<{ items: unknown[] }>(
    runtime.control(region),
    'GET',
    `/_meridian/tables/${encodeURIComponent(table)}`,
  );
  if (res.status !== 200) throw new Error(`scan ${table} in ${region}: HTTP ${res.status}`);
  return res.body.items;
}
