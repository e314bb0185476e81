import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { SAFE_NAME, writeJsonAtomic } from './outbox';
import type { LinkClock } from './peer-links';

/** One entry handed to a channel handler. */
export interface ReceivedEntry {
  readonly from: string;
  readonly seq: number;
  readonly channel: string;
  readonly payload: unknown;
  readonly appendedAt: number;
}

/** Applies one entry of a channel; a rejection stops the batch, which the sender then redelivers. */
export type LinkHandler = (entry: ReceivedEntry) => Promise<void>;

export interface LinkReceiverOptions {
  /** Where the per-source high-water marks live; in memory when undefined. */
  readonly dir?: string;
  readonly handlers: Readonly<Record<string, LinkHandler>>;
  readonly clock?: LinkClock;
  readonly log?: (line: string) => void;
  /** How many recent lag samples per source the percentiles cover. @default 1000 */
  readonly windowSize?: number;
}

/** Per-source delivery statistics (lag = receive time − append time, so it includes the configured lag). */
export interface LinkReceiverStats {
  readonly from: string;
  readonly lastSeq: number;
  readonly lastLagMs: number;
  readonly p50LagMs: number;
  readonly p99LagMs: number;
  readonly maxLagMs: number;
  /** Entries applied since this receiver started. */
  readonly applied: number;
}

/** What handle() answers; the HTTP layer sends it as JSON. */
export interface LinkReply {
  readonly status: number;
  readonly body: unknown;
}

interface SourceState {
  epoch: string;
  hwm: number;
  applied: number;
  lastLagMs: number;
  samples: number[];
  next: number;
  /** Serializes batches from one source (a retry may arrive while the first attempt still runs). */
  queue: Promise<unknown>;
}

interface ValidEntry {
  seq: number;
  channel: string;
  payload: unknown;
  appendedAt: number;
}

const badRequest = (message: string): LinkReply => ({ status: 400, body: { error: 'BadRequest', message } });

/**
 * The receiving end of peers' links: applies each source's entries in order through the channel
 * handlers, once per (source, outbox epoch, seq), thanks to a high-water mark (`<dir>/hwm-<from>.json`)
 * persisted after each batch and before a failure is reported. Persisting per batch rather than per entry
 * keeps a backlog draining fast; the price is that a process killed in the middle of a batch applies that
 * batch's applied prefix again on redelivery, which the channels tolerate (a replicated write is applied
 * by last-writer-wins, so a repeat is stale; forwarded events are deduped by their consumers).
 */
export class LinkReceiver {
  private readonly sources = new Map<string, SourceState>();
  private readonly clock: LinkClock;
  private readonly log: (line: string) => void;
  private readonly windowSize: number;

  constructor(private readonly opts: LinkReceiverOptions) {
    this.clock = opts.clock ?? { now: () => Date.now() };
    this.log = opts.log ?? (() => undefined);
    this.windowSize = opts.windowSize ?? 1000;
    if (opts.dir) mkdirSync(opts.dir, { recursive: true });
  }

  /** Validates and applies one POSTed batch `{ from, epoch, entries }`. */
  async handle(body: unknown): Promise<LinkReply> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return badRequest('The body must be a JSON object { from, epoch, entries }.');
    }
    const { from, epoch, entries } = body as Record<string, unknown>;
    if (typeof from !== 'string' || !SAFE_NAME.test(from)) {
      return badRequest('from must be a region name ([A-Za-z0-9_.-], 1 to 64 characters).');
    }
    if (typeof epoch !== 'string' || epoch.length === 0 || epoch.length > 128) {
      return badRequest('epoch must be a non-empty string.');
    }
    if (!Array.isArray(entries)) return badRequest('entries must be an array.');
    const valid: ValidEntry[] = [];
    for (const [i, raw] of entries.entries()) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        return badRequest(`entries[${i}] must be an object.`);
      }
      const e = raw as Record<string, unknown>;
      if (typeof e.seq !== 'number' || !Number.isSafeInteger(e.seq) || e.seq < 1) {
        return badRequest(`entries[${i}].seq must be a positive integer.`);
      }
      if (i > 0 && e.seq <= valid[i - 1]!.seq) return badRequest(`entries[${i}].seq must increase.`);
      if (typeof e.channel !== 'string' || !Object.hasOwn(this.opts.handlers, e.channel)) {
        return badRequest(`entries[${i}].channel '${String(e.channel)}' has no handler here.`);
      }
      if (typeof e.appendedAt !== 'number' || !Number.isFinite(e.appendedAt)) {
        return badRequest(`entries[${i}].appendedAt must be a number.`);
      }
      if (!('payload' in e)) return badRequest(`entries[${i}].payload is missing.`);
      valid.push({ seq: e.seq, channel: e.channel, payload: e.payload, appendedAt: e.appendedAt });
    }
    const source = this.source(from, epoch);
    const run = source.queue.then(() => this.apply(from, epoch, source, valid));
    source.queue = run.catch(() => undefined);
    return run;
  }

  /** Per-source delivery statistics over the recent window. */
  stats(): LinkReceiverStats[] {
    return [...this.sources.entries()].map(([from, s]) => {
      const sorted = [...s.samples].sort((a, b) => a - b);
      const pct = (p: number): number =>
        sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
      return {
        from,
        lastSeq: s.hwm,
        lastLagMs: s.lastLagMs,
        p50LagMs: pct(0.5),
        p99LagMs: pct(0.99),
        maxLagMs: sorted.length === 0 ? 0 : sorted[sorted.length - 1]!,
        applied: s.applied,
      };
    });
  }

  private async apply(
    from: string,
    epoch: string,
    s: SourceState,
    entries: ValidEntry[],
  ): Promise<LinkReply> {
    if (s.epoch !== epoch) {
      // The sender's outbox started over (its state was wiped): its seqs restart, so must our mark.
      this.log(`link ${from} → here: new outbox epoch ${epoch}, high-water mark reset from ${s.hwm}`);
      s.epoch = epoch;
      s.hwm = 0;
      this.persist(from, s);
    }
    let applied = 0;
    let duplicates = 0;
    for (const e of entries) {
      if (e.seq <= s.hwm) {
        duplicates++;
        continue;
      }
      try {
        await this.opts.handlers[e.channel]!({
          from,
          seq: e.seq,
          channel: e.channel,
          payload: e.payload,
          appendedAt: e.appendedAt,
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.log(`link ${from} → here: ${e.channel} entry ${e.seq} failed: ${message}`);
        if (applied > 0) this.persist(from, s);
        return {
          status: 500,
          body: { error: 'HandlerFailed', message, seq: e.seq, appliedThrough: s.hwm },
        };
      }
      s.hwm = e.seq;
      applied++;
      s.applied++;
      const lag = Math.max(0, this.clock.now() - e.appendedAt);
      s.lastLagMs = lag;
      if (s.samples.length < this.windowSize) s.samples.push(lag);
      else s.samples[s.next] = lag;
      s.next = (s.next + 1) % this.windowSize;
    }
    if (applied > 0) this.persist(from, s);
    return { status: 200, body: { appliedThrough: s.hwm, applied, duplicates } };
  }

  private source(from: string, epoch: string): SourceState {
    let s = this.sources.get(from);
    if (!s) {
      s = { epoch, hwm: 0, applied: 0, lastLagMs: 0, samples: [], next: 0, queue: Promise.resolve() };
      if (this.opts.dir) {
        const file = this.hwmFile(from);
        if (existsSync(file)) {
          const stored = JSON.parse(readFileSync(file, 'utf8')) as { seq?: unknown; epoch?: unknown };
          if (typeof stored.seq === 'number' && typeof stored.epoch === 'string') {
            s.hwm = stored.seq;
            s.epoch = stored.epoch;
          }
        }
      }
      this.sources.set(from, s);
    }
    return s;
  }

  private persist(from: string, s: SourceState): void {
    if (this.opts.dir) writeJsonAtomic(this.hwmFile(from), { seq: s.hwm, epoch: s.epoch });
  }

  private hwmFile(from: string): string {
    return join(this.opts.dir!, `hwm-${from}.json`);
  }
}

/** Options of linkRequestListener. */
export interface LinkListenerOptions {
  /** Larger bodies get 413. @default 10 MiB */
  readonly maxBodyBytes?: number;
  readonly log?: (line: string) => void;
}

/**
 * A node:http request listener for `POST /_meridian/link` (the caller routes the path): reads the body
 * (413 past the limit), parses JSON (400 when it is not), and answers receiver.handle()'s reply as JSON.
 */
export function linkRequestListener(
  receiver: LinkReceiver,
  options: LinkListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const limit = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const log = options.log ?? (() => undefined);
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  return (req, res) => {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      send(res, 405, { error: 'MethodNotAllowed', message: 'Use POST.' });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        res.setHeader('connection', 'close');
        send(res, 413, { error: 'PayloadTooLarge', message: `The body exceeds ${limit} bytes.` });
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => log(`link listener: request error: ${err.message}`));
    req.on('end', () => {
      if (tooLarge) return;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        send(res, 400, { error: 'BadRequest', message: 'The body is not valid JSON.' });
        return;
      }
      receiver.handle(body).then(
        (reply) => send(res, reply.status, reply.body),
        (err: unknown) => {
          log(`link listener: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          send(res, 500, { error: 'InternalError', message: 'The link receiver failed.' });
        },
      );
    });
  };
}
