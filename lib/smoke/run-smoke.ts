import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_SMOKE_TIMING, USAGE, parseSmokeArgs, type SmokeOptions, type SmokeTiming } from './args';
import { describeOutcome, isRetryable, sendJson, type HttpOutcome, type HttpRequest } from './http';

/** Where a run writes: one line per call. */
export interface SmokeIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export type SmokeStepName = 'health' | 'stock' | 'order' | 'poll';

/** The result of one step. */
export interface SmokeStepResult {
  readonly step: SmokeStepName;
  readonly ok: boolean;
  readonly message: string;
  readonly elapsedMs: number;
}

/** What a run did and how it ended; printed as JSON with `--json`. */
export interface SmokeSummary {
  readonly ok: boolean;
  /** 0 when the order was FULFILLED, 1 otherwise. */
  readonly exitCode: 0 | 1;
  readonly url: string;
  readonly sku: string;
  readonly region?: string;
  readonly orderId?: string;
  /** The order's last status seen. */
  readonly status?: string;
  readonly failureReason?: string;
  readonly correlationId: string;
  readonly idempotencyKey: string;
  readonly elapsedMs: number;
  readonly steps: readonly SmokeStepResult[];
  /** Why the run failed, in one line. */
  readonly error?: string;
}

/** The statuses an order never leaves. */
export const TERMINAL_STATUSES: readonly string[] = ['FULFILLED', 'FAILED', 'CANCELLED'];

/** The smoke orders' customer: `GET /orders?customerId=CUST-990000` lists every smoke order. */
export const SMOKE_CUSTOMER_ID = 'CUST-990000';

/** Reads the command line and runs the smoke test; returns the process exit code (0, 1, or 2 for usage). */
export async function smokeCli(argv: readonly string[], io: SmokeIo): Promise<number> {
  const parsed = parseSmokeArgs(argv);
  if (parsed.kind === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (parsed.kind === 'usage-error') {
    io.err(`smoke: ${parsed.message}`);
    io.err(USAGE);
    return 2;
  }
  const summary = await runSmoke(parsed.options, io);
  return summary.exitCode;
}

/**
 * Checks one region end to end: health, stock for the test SKU, a test order, and polling until the
 * order is final. Prints one line per step and a final summary; never throws.
 */
export async function runSmoke(options: SmokeOptions, io: SmokeIo): Promise<SmokeSummary> {
  const run = new SmokeRun(options, io);
  const summary = await run.execute();
  if (options.json) io.out(JSON.stringify(summary));
  else io.out(summaryLine(summary));
  return summary;
}

class StepFailure extends Error {}

class SmokeRun {
  private readonly timing: SmokeTiming;
  private readonly base: string;
  private readonly started = Date.now();
  private readonly deadline: number;
  private readonly correlationId = `smoke-${randomUUID()}`;
  private readonly idempotencyKey = `smoke-${randomUUID()}`;
  private readonly steps: SmokeStepResult[] = [];
  private region?: string;
  private orderId?: string;
  private status?: string;
  private failureReason?: string;

  constructor(
    private readonly options: SmokeOptions,
    private readonly io: SmokeIo,
  ) {
    this.timing = { ...DEFAULT_SMOKE_TIMING, ...options.timing };
    this.base = options.url.replace(/\/+$/, '');
    this.deadline = this.started + options.timeoutSeconds * 1000;
  }

  async execute(): Promise<SmokeSummary> {
    this.say(
      `smoke: ${this.base} (sku ${this.options.sku}, timeout ${this.options.timeoutSeconds} s, correlation id ${this.correlationId})`,
    );
    try {
      await this.step('health', () => this.checkHealth());
      await this.step('stock', () => this.ensureStock());
      await this.step('order', () => this.placeOrder());
      await this.step('poll', () => this.pollOrder());
      return this.summary();
    } catch (error) {
      return this.summary(
        error instanceof StepFailure ? error.message : `unexpected error: ${String(error)}`,
      );
    }
  }

  private async step(name: SmokeStepName, body: () => Promise<string>): Promise<void> {
    const started = Date.now();
    try {
      const message = await body();
      this.steps.push({ step: name, ok: true, message, elapsedMs: Date.now() - started });
      this.say(`ok   ${name}: ${message} (${Date.now() - started} ms)`);
    } catch (error) {
      const message = error instanceof StepFailure ? error.message : `unexpected error: ${String(error)}`;
      this.steps.push({ step: name, ok: false, message, elapsedMs: Date.now() - started });
      this.say(`FAIL ${name}: ${message} (${Date.now() - started} ms)`);
      throw new StepFailure(`${name}: ${message}`);
    }
  }

  /** GET /health: 200 with `status: ok`. Retried on network errors and 5xx (a 503 is "unhealthy"). */
  private async checkHealth(): Promise<string> {
    const outcome = await this.request('health', { method: 'GET', path: '/health' }, { retry: true });
    if (outcome.kind === 'response' && outcome.status === 200 && bodyField(outcome.body, 'status') === 'ok') {
      const region = bodyField(outcome.body, 'region');
      if (typeof region === 'string' && region) this.region = region;
      return `GET /health → 200 status ok${this.region ? `, region ${this.region}` : ''}`;
    }
    throw new StepFailure(`GET /health → ${describeOutcome(outcome)}${healthDetail(outcome)}`);
  }

  /**
   * Makes sure the test order can be reserved: sets this region's free units of the SKU to the current
   * value + 1 (the order then consumes that unit). `expectedVersion` guards the read-modify-write, so a
   * concurrent admin change is re-read, never overwritten.
   */
  private async ensureStock(): Promise<string> {
    if (!this.region)
      throw new StepFailure('the health answer named no region, so the allocation to top up is unknown');
    const path = `/inventory/${encodeURIComponent(this.options.sku)}`;
    for (let attempt = 0; ; attempt++) {
      const read = await this.request('stock', { method: 'GET', path }, { retry: true });
      let current = 0;
      let version = 0;
      if (read.kind === 'response' && read.status === 200) {
        const mine = allocations(read.body).find((a) => a.region === this.region);
        current = mine?.available ?? 0;
        version = mine?.version ?? 0;
      } else if (!(read.kind === 'response' && read.status === 404)) {
        throw new StepFailure(`GET ${path} → ${describeOutcome(read)}`);
      }
      const body = { available: current + 1, expectedVersion: version };
      const write = await this.request('stock', { method: 'PUT', path, body }, { retry: true });
      if (write.kind === 'response' && write.status === 200) {
        return `PUT ${path} → 200, ${this.region} available ${current} → ${current + 1}`;
      }
      const conflict =
        write.kind === 'response' && write.status === 409 && errorCode(write.body) === 'VERSION_CONFLICT';
      if (!conflict || attempt >= this.timing.maxRetries) {
        throw new StepFailure(`PUT ${path} → ${describeOutcome(write)}`);
      }
      this.say(`..   stock: version ${version} changed meanwhile, reading again`);
    }
  }

  /** POST /orders with a fresh Idempotency-Key; retries reuse the key, so at most one order is created. */
  private async placeOrder(): Promise<string> {
    const body = {
      customerId: SMOKE_CUSTOMER_ID,
      currency: 'USD',
      lines: [{ productId: this.options.sku, quantity: 1, unitPrice: 1 }],
      paymentToken: 'tok_visa',
    };
    const outcome = await this.request(
      'order',
      { method: 'POST', path: '/orders', body, headers: { 'idempotency-key': this.idempotencyKey } },
      { retry: true },
    );
    if (outcome.kind === 'response' && (outcome.status === 201 || outcome.status === 200)) {
      const orderId = bodyField(outcome.body, 'orderId');
      const status = bodyField(outcome.body, 'status');
      if (typeof orderId !== 'string' || typeof status !== 'string') {
        throw new StepFailure(`POST /orders → ${outcome.status} without orderId and status`);
      }
      this.orderId = orderId;
      this.observe(outcome.body);
      return `POST /orders → ${outcome.status}, order ${orderId} ${status}`;
    }
    throw new StepFailure(`POST /orders → ${describeOutcome(outcome)}`);
  }

  /** GET /orders/{id} with a growing delay until the order is final; only FULFILLED passes. */
  private async pollOrder(): Promise<string> {
    const path = `/orders/${encodeURIComponent(this.orderId!)}`;
    let wait = this.timing.pollInitialMs;
    let polls = 0;
    let lastProblem: string | undefined;
    while (!TERMINAL_STATUSES.includes(this.status!)) {
      if (this.remainingMs() <= 0) {
        throw new StepFailure(
          `timed out after ${this.options.timeoutSeconds} s waiting for a final status (last ${this.status}` +
            `${lastProblem ? `, last error ${lastProblem}` : ''})`,
        );
      }
      await delay(Math.min(wait, this.remainingMs()));
      wait = Math.min(wait * 1.5, this.timing.pollMaxMs);
      if (this.remainingMs() <= 0) continue;
      polls++;
      const outcome = await sendJson(this.http({ method: 'GET', path }));
      if (outcome.kind === 'response' && outcome.status === 200) {
        lastProblem = undefined;
        const before = this.status;
        this.observe(outcome.body);
        if (this.status !== before) this.say(`..   poll: order ${this.orderId} ${this.status}`);
      } else if (isRetryable(outcome) || (outcome.kind === 'response' && outcome.status === 404)) {
        // A 404 can precede replication to this replica; a 5xx or a timeout is transient: poll on.
        lastProblem = describeOutcome(outcome);
      } else {
        throw new StepFailure(`GET ${path} → ${describeOutcome(outcome)}`);
      }
    }
    if (this.status === 'FULFILLED') return `order ${this.orderId} FULFILLED after ${polls} polls`;
    throw new StepFailure(
      `order ${this.orderId} ended ${this.status}${this.failureReason ? `: ${this.failureReason}` : ''}`,
    );
  }

  /** Sends a request; with `retry`, repeats it after a network error or a 5xx, with backoff, within the deadline. */
  private async request(
    step: SmokeStepName,
    request: {
      method: HttpRequest['method'];
      path: string;
      body?: unknown;
      headers?: Record<string, string>;
    },
    { retry }: { retry: boolean },
  ): Promise<HttpOutcome> {
    const attempts = retry ? this.timing.maxRetries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      if (this.remainingMs() <= 0) {
        throw new StepFailure(
          `timed out after ${this.options.timeoutSeconds} s before ${request.method} ${request.path}`,
        );
      }
      const outcome = await sendJson(this.http(request));
      if (!isRetryable(outcome) || attempt >= attempts) return outcome;
      const backoff = Math.min(this.timing.retryDelayMs * 2 ** (attempt - 1), this.timing.pollMaxMs);
      if (backoff >= this.remainingMs()) return outcome;
      this.say(
        `..   ${step}: ${request.method} ${request.path} → ${describeOutcome(outcome)}; retry ${attempt}/${attempts - 1} in ${backoff} ms`,
      );
      await delay(backoff);
    }
  }

  private http(request: {
    method: HttpRequest['method'];
    path: string;
    body?: unknown;
    headers?: Record<string, string>;
  }): HttpRequest {
    return {
      method: request.method,
      url: `${this.base}${request.path}`,
      headers: { 'x-correlation-id': this.correlationId, ...request.headers },
      body: request.body,
      timeoutMs: Math.min(this.timing.requestTimeoutMs, Math.max(1, this.remainingMs())),
    };
  }

  private observe(order: unknown): void {
    const status = bodyField(order, 'status');
    if (typeof status === 'string') this.status = status;
    const reason = bodyField(order, 'failureReason');
    if (typeof reason === 'string') this.failureReason = reason;
  }

  private remainingMs(): number {
    return this.deadline - Date.now();
  }

  private say(line: string): void {
    if (this.options.json) this.io.err(line);
    else this.io.out(line);
  }

  private summary(error?: string): SmokeSummary {
    const ok = !error && this.status === 'FULFILLED';
    return {
      ok,
      exitCode: ok ? 0 : 1,
      url: this.base,
      sku: this.options.sku,
      ...(this.region && { region: this.region }),
      ...(this.orderId && { orderId: this.orderId }),
      ...(this.status && { status: this.status }),
      ...(this.failureReason && { failureReason: this.failureReason }),
      correlationId: this.correlationId,
      idempotencyKey: this.idempotencyKey,
      elapsedMs: Date.now() - this.started,
      steps: [...this.steps],
      ...(error && { error }),
    };
  }
}

function summaryLine(summary: SmokeSummary): string {
  const seconds = (summary.elapsedMs / 1000).toFixed(1);
  if (summary.ok) {
    return `smoke PASSED: order ${summary.orderId} FULFILLED in ${summary.region} after ${seconds} s (correlation id ${summary.correlationId})`;
  }
  return `smoke FAILED after ${seconds} s: ${summary.error} (correlation id ${summary.correlationId})`;
}

function bodyField(body: unknown, field: string): unknown {
  return body && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
}

function errorCode(body: unknown): unknown {
  return bodyField(bodyField(body, 'error'), 'code');
}

function allocations(body: unknown): { region: string; available: number; version: number }[] {
  const list = bodyField(body, 'allocations');
  if (!Array.isArray(list)) return [];
  return list.filter(
    (a): a is { region: string; available: number; version: number } =>
      typeof bodyField(a, 'region') === 'string' &&
      typeof bodyField(a, 'available') === 'number' &&
      typeof bodyField(a, 'version') === 'number',
  );
}

/** For an unhealthy answer, the names of the failing checks, e.g. ` (failing checks: bus timeout)`. */
function healthDetail(outcome: HttpOutcome): string {
  if (outcome.kind !== 'response') return '';
  const status = bodyField(outcome.body, 'status');
  const checks = bodyField(outcome.body, 'checks');
  const failing =
    checks && typeof checks === 'object'
      ? Object.entries(checks as Record<string, unknown>)
          .filter(([, c]) => bodyField(c, 'ok') === false)
          .map(([name, c]) => `${name}${bodyField(c, 'error') ? ` ${String(bodyField(c, 'error'))}` : ''}`)
      : [];
  const parts = [
    ...(typeof status === 'string' ? [`status ${status}`] : []),
    ...(failing.length ? [`failing checks: ${failing.join(', ')}`] : []),
  ];
  return parts.length ? ` (${parts.join('; ')})` : '';
}
