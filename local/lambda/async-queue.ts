import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LambdaError } from './errors';

/** AWS's defaults for an asynchronous invocation: 2 retries, events kept up to 6 hours. */
export const DEFAULT_MAX_RETRIES = 2;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 21_600;
/** AWS waits about 1 minute before the first retry and 2 minutes before the second. */
const RETRY_DELAY_MS = 60_000;
/** Throttled events are retried with a backoff from 1 s up to 5 minutes, without counting as attempts. */
const THROTTLE_BACKOFF_MS = 1_000;
const THROTTLE_BACKOFF_MAX_MS = 300_000;
const COMPACT_AFTER_LINES = 5_000;

/** The last answer of the function to an event, kept for the destination record. */
export interface AsyncResponse {
  payloadJson: string;
  executedVersion: string;
  functionError?: string;
}

/** One queued asynchronous invocation (an `Event` invoke). */
export interface AsyncEvent {
  /** The request id returned to the caller and used for every attempt. */
  id: string;
  /** The function's logical id. */
  functionKey: string;
  qualifier?: string;
  payloadJson: string;
  /** Epoch ms when the event was accepted (its age counts from here). */
  enqueuedAt: number;
  /** Attempts made so far. */
  attempts: number;
  /** Epoch ms of the next attempt. */
  nextAt: number;
  last?: AsyncResponse;
}

/** The destination record Lambda sends to an `OnSuccess`/`OnFailure` destination. */
export interface DestinationRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext?: { statusCode: number; executedVersion: string; functionError?: string };
  responsePayload?: unknown;
}

/** The function's asynchronous invocation settings, as the queue needs them. */
export interface AsyncConfig {
  functionName: string;
  functionArn: string;
  maxRetries: number;
  maxEventAgeMs: number;
  onSuccess?: string;
  onFailure?: string;
}

/** What the queue needs from the Lambda service. */
export interface AsyncQueueDeps {
  timeScale: number;
  now: () => number;
  /** The settings of a function, undefined when it no longer exists. */
  config(functionKey: string, qualifier: string | undefined): AsyncConfig | undefined;
  /** Runs one attempt, waiting for a concurrency slot until `signal` aborts. */
  run(event: AsyncEvent, signal: AbortSignal): Promise<AsyncResponse>;
  sendToDestination?: (arn: string, record: DestinationRecord) => Promise<void>;
  log?: (functionName: string, line: string) => void;
  /** When set, events are journaled to `<dir>/async-events.jsonl` and survive a kill of the process. */
  dir?: string;
}

type JournalEntry =
  | { op: 'put'; e: AsyncEvent }
  | { op: 'next'; id: string; attempts: number; nextAt: number; last?: AsyncResponse }
  | { op: 'del'; id: string };

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Lambda's internal queue for `Event` invocations: retries function errors with AWS's delays, drops
 * events older than the maximum event age, and sends destination records.
 */
export class AsyncInvokeQueue {
  private readonly events = new Map<string, AsyncEvent>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly throttled = new Map<string, number>();
  private readonly inFlight = new Map<string, AbortController>();
  private readonly file?: string;
  private lines = 0;
  private closed = false;

  constructor(private readonly deps: AsyncQueueDeps) {
    if (deps.dir) {
      mkdirSync(deps.dir, { recursive: true });
      this.file = join(deps.dir, 'async-events.jsonl');
      this.load();
    }
  }

  /** Events accepted and not yet finished, per function logical id. */
  pending(functionKey: string): number {
    let n = 0;
    for (const e of this.events.values()) if (e.functionKey === functionKey) n += 1;
    return n;
  }

  /** Accepts an event; the first attempt starts at once. */
  enqueue(event: Omit<AsyncEvent, 'attempts' | 'nextAt' | 'enqueuedAt'>): void {
    const now = this.deps.now();
    const e: AsyncEvent = { ...event, enqueuedAt: now, attempts: 0, nextAt: now };
    this.events.set(e.id, e);
    this.journal({ op: 'put', e });
    this.schedule(e);
  }

  /** Stops every timer and aborts slot waits; journaled events resume when a new queue loads the dir. */
  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const a of this.inFlight.values()) a.abort(new LambdaError('ServiceException', 'closed'));
  }

  private schedule(e: AsyncEvent): void {
    if (this.closed) return;
    const cfg = this.deps.config(e.functionKey, e.qualifier);
    const expiresAt = e.enqueuedAt + (cfg?.maxEventAgeMs ?? 0);
    const at = Math.min(e.nextAt, expiresAt);
    const timer = setTimeout(() => void this.attempt(e), Math.max(0, at - this.deps.now()));
    // Background work only: a pending retry must not keep the process alive on its own.
    timer.unref();
    this.timers.set(e.id, timer);
  }

  private async attempt(e: AsyncEvent): Promise<void> {
    this.timers.delete(e.id);
    const cfg = this.deps.config(e.functionKey, e.qualifier);
    if (!cfg) {
      this.deps.log?.(e.functionKey, `Async event ${e.id} dropped: the function no longer exists`);
      this.finish(e);
      return;
    }
    const expiresAt = e.enqueuedAt + cfg.maxEventAgeMs;
    if (this.deps.now() >= expiresAt) {
      await this.deliver(e, cfg, 'EventAgeExceeded', e.last);
      return;
    }
    const abort = new AbortController();
    const expiry = setTimeout(
      () => abort.abort(new Error('EventAgeExceeded')),
      Math.max(0, expiresAt - this.deps.now()),
    );
    expiry.unref();
    this.inFlight.set(e.id, abort);
    let response: AsyncResponse;
    try {
      response = await this.deps.run(e, abort.signal);
    } catch (err) {
      if (this.closed) return;
      if (abort.signal.aborted) {
        await this.deliver(e, cfg, 'EventAgeExceeded', e.last);
      } else if (err instanceof LambdaError && err.code === 'TooManyRequestsException') {
        const n = (this.throttled.get(e.id) ?? 0) + 1;
        this.throttled.set(e.id, n);
        const backoff = Math.min(THROTTLE_BACKOFF_MS * 2 ** (n - 1), THROTTLE_BACKOFF_MAX_MS);
        e.nextAt = this.deps.now() + backoff / this.deps.timeScale;
        this.schedule(e);
      } else {
        this.deps.log?.(cfg.functionName, `Async event ${e.id} dropped: ${String(err)}`);
        this.finish(e);
      }
      return;
    } finally {
      clearTimeout(expiry);
      this.inFlight.delete(e.id);
    }
    if (this.closed) return;
    e.attempts += 1;
    e.last = response;
    if (response.functionError === undefined) {
      await this.deliver(e, cfg, 'Success', response);
    } else if (e.attempts > cfg.maxRetries) {
      await this.deliver(e, cfg, 'RetriesExhausted', response);
    } else {
      e.nextAt = this.deps.now() + (RETRY_DELAY_MS * e.attempts) / this.deps.timeScale;
      this.journal({ op: 'next', id: e.id, attempts: e.attempts, nextAt: e.nextAt, last: response });
      this.schedule(e);
    }
  }

  private async deliver(
    e: AsyncEvent,
    cfg: AsyncConfig,
    condition: DestinationRecord['requestContext']['condition'],
    response: AsyncResponse | undefined,
  ): Promise<void> {
    this.finish(e);
    const destination = condition === 'Success' ? cfg.onSuccess : cfg.onFailure;
    if (condition !== 'Success') {
      this.deps.log?.(
        cfg.functionName,
        `Async event ${e.id} failed (${condition} after ${e.attempts} attempt(s))` +
          (destination ? `; sent to ${destination}` : '; no OnFailure destination, dropped'),
      );
    }
    if (!destination) return;
    const record: DestinationRecord = {
      version: '1.0',
      timestamp: new Date(this.deps.now()).toISOString(),
      requestContext: {
        requestId: e.id,
        functionArn: `${cfg.functionArn}:${e.qualifier ?? '$LATEST'}`,
        condition,
        approximateInvokeCount: e.attempts,
      },
      requestPayload: parseJson(e.payloadJson),
      ...(response
        ? {
            responseContext: {
              statusCode: 200,
              executedVersion: response.executedVersion,
              ...(response.functionError !== undefined ? { functionError: response.functionError } : {}),
            },
            responsePayload: parseJson(response.payloadJson),
          }
        : {}),
    };
    if (!this.deps.sendToDestination) {
      this.deps.log?.(cfg.functionName, `No destination sender configured; record for ${e.id} dropped`);
      return;
    }
    try {
      await this.deps.sendToDestination(destination, record);
    } catch (err) {
      this.deps.log?.(cfg.functionName, `Destination ${destination} failed for ${e.id}: ${String(err)}`);
    }
  }

  private finish(e: AsyncEvent): void {
    this.events.delete(e.id);
    this.throttled.delete(e.id);
    clearTimeout(this.timers.get(e.id));
    this.timers.delete(e.id);
    this.journal({ op: 'del', id: e.id });
  }

  private journal(entry: JournalEntry): void {
    if (!this.file) return;
    if (this.events.size === 0 && entry.op === 'del') {
      // Nothing pending: start the journal afresh instead of growing it forever.
      writeFileSync(this.file, '');
      this.lines = 0;
      return;
    }
    if (this.lines >= COMPACT_AFTER_LINES) {
      // The in-memory state already includes `entry`, so the rewrite records it.
      this.compact();
      return;
    }
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
    this.lines += 1;
  }

  /** Rewrites the journal with one `put` per pending event (atomically, by rename). */
  private compact(): void {
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    const body = [...this.events.values()].map((e) => `${JSON.stringify({ op: 'put', e })}\n`).join('');
    writeFileSync(tmp, body);
    renameSync(tmp, this.file);
    this.lines = this.events.size;
  }

  private load(): void {
    if (!this.file || !existsSync(this.file)) return;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch {
        // A line cut short by a kill mid-write: everything before it is intact.
        continue;
      }
      if (entry.op === 'put') this.events.set(entry.e.id, entry.e);
      else if (entry.op === 'del') this.events.delete(entry.id);
      else {
        const e = this.events.get(entry.id);
        if (e) {
          e.attempts = entry.attempts;
          e.nextAt = entry.nextAt;
          if (entry.last) e.last = entry.last;
        }
      }
    }
    this.compact();
    for (const e of this.events.values()) this.schedule(e);
  }
}
