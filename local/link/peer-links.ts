import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { Outbox, SAFE_NAME, readSeqFile, writeJsonAtomic, type HeldEntry } from './outbox';
import { LINK_PATH, postJson } from './post';

/** A source of milliseconds since the epoch (injected in tests). */
export interface LinkClock {
  now(): number;
}

/** One peer region: its name and the base URL of its control server (where the receiver is mounted). */
export interface PeerConfig {
  readonly region: string;
  readonly url: string;
}

export interface PeerLinksOptions {
  /** This (the source) region. */
  readonly self: string;
  /** Where the outbox and cursors live; in memory when undefined. */
  readonly dir?: string;
  readonly peers: readonly PeerConfig[];
  /** One-way delay applied to every entry, per link unless set with setLag. @default 100 */
  readonly lagMs?: number;
  readonly log?: (line: string) => void;
  readonly clock?: LinkClock;
  /** Entries per POST. @default 200 */
  readonly batchSize?: number;
  /** First and largest retry delay after a failed delivery. @default 100 and 1000 */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** The outbox file is compacted once this many of its bytes are acknowledged by every peer. @default 1 MiB */
  readonly compactBytes?: number;
  /** A delivery with no answer after this long is abandoned and retried. @default 30000 */
  readonly requestTimeoutMs?: number;
}

/** What `stats()` reports per peer. */
export interface PeerLinkStats {
  readonly peer: string;
  readonly lagMs: number;
  readonly partitioned: boolean;
  /** Entries appended but not yet acknowledged by the peer. */
  readonly pending: number;
  /** Age of the oldest unacknowledged entry (0 when none). */
  readonly oldestPendingAgeMs: number;
  readonly lastDeliveredSeq: number;
  /** The last delivery failure, until a delivery succeeds. */
  readonly lastError?: string;
}

/** The body POSTed to a peer's receiver. */
export interface LinkBatch {
  readonly from: string;
  /** Identifies this outbox's lifetime: a receiver resets its high-water mark when it changes. */
  readonly epoch: string;
  readonly entries: readonly { seq: number; channel: string; payload: unknown; appendedAt: number }[];
}

/**
 * Never waits longer than this before re-reading the clock, so an injected clock that jumps forward is
 * noticed without any call into the link.
 */
const MAX_WAIT_MS = 250;

const systemClock: LinkClock = { now: () => Date.now() };

class Shipper {
  cursor: number;
  lagMs: number;
  partitioned = false;
  lastError: string | undefined;
  url: string;
  private timer: NodeJS.Timeout | undefined;
  private timerIsBackoff = false;
  private inflight: AbortController | undefined;
  private retryMs: number;
  private closed = false;

  constructor(
    readonly peer: string,
    url: string,
    cursor: number,
    lagMs: number,
    private readonly links: PeerLinks,
    private readonly opts: Required<
      Pick<PeerLinksOptions, 'batchSize' | 'retryMinMs' | 'retryMaxMs' | 'requestTimeoutMs'>
    >,
  ) {
    this.url = url;
    this.cursor = cursor;
    this.lagMs = lagMs;
    this.retryMs = opts.retryMinMs;
  }

  /** Re-examines the outbox now, unless a delivery is in flight or (without `force`) a retry is due later. */
  wake(force = false): void {
    if (this.closed || this.inflight) return;
    if (this.timer && this.timerIsBackoff && !force) return;
    if (force) this.retryMs = this.opts.retryMinMs;
    this.clearTimer();
    this.tick();
  }

  /** Abandons the delivery in flight (a partition cuts the wire). */
  abort(): void {
    this.inflight?.abort();
  }

  close(): void {
    this.closed = true;
    this.clearTimer();
    this.inflight?.abort();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number, backoff: boolean): void {
    this.clearTimer();
    this.timerIsBackoff = backoff;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.tick();
      },
      Math.max(0, ms),
    );
    this.timer.unref();
  }

  private tick(): void {
    if (this.closed || this.partitioned || this.inflight) return;
    const first = this.links.outbox.firstAfter(this.cursor);
    if (!first) return; // idle until append() wakes us
    const now = this.links.clock.now();
    const due = first.appendedAt + this.lagMs;
    if (now < due) {
      this.schedule(Math.min(due - now, MAX_WAIT_MS), false);
      return;
    }
    const batch: HeldEntry[] = [];
    for (const e of this.links.outbox.after(this.cursor, this.opts.batchSize)) {
      if (e.appendedAt + this.lagMs > now) break;
      batch.push(e);
    }
    void this.deliver(batch);
  }

  private async deliver(batch: HeldEntry[]): Promise<void> {
    const controller = new AbortController();
    this.inflight = controller;
    const body = `{"from":${JSON.stringify(this.links.self)},"epoch":${JSON.stringify(
      this.links.epoch,
    )},"entries":[${batch.map((e) => e.line).join(',')}]}`;
    let failure: string | undefined;
    try {
      const res = await postJson(
        `${this.url}${LINK_PATH}`,
        body,
        this.links.agent,
        this.opts.requestTimeoutMs,
        controller.signal,
      );
      if (res.status < 200 || res.status > 299) failure = `HTTP ${res.status}: ${res.body.slice(0, 300)}`;
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    this.inflight = undefined;
    if (this.closed) return;
    if (failure !== undefined && controller.signal.aborted && this.partitioned) return; // heal() wakes us
    if (failure === undefined) {
      this.cursor = batch[batch.length - 1]!.seq;
      this.lastError = undefined;
      this.retryMs = this.opts.retryMinMs;
      this.links.acked(this);
      setImmediate(() => this.tick());
      return;
    }
    if (this.lastError !== failure) this.links.log(`link ${this.links.self} → ${this.peer}: ${failure}`);
    this.lastError = failure;
    this.schedule(this.retryMs, true);
    this.retryMs = Math.min(this.retryMs * 2, this.opts.retryMaxMs);
  }
}

/**
 * The durable, lagged, partitionable one-way links from one region to each peer. append() writes the
 * entry to the outbox before returning; a shipper per peer delivers entries in order, each no earlier than
 * `appendedAt + lag`, and retries forever, persisting its cursor (the last acknowledged seq) per peer.
 */
export class PeerLinks {
  readonly self: string;
  readonly epoch: string;
  /** @internal */
  readonly outbox: Outbox;
  /** @internal */
  readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });
  /** @internal */
  readonly clock: LinkClock;
  private readonly shippers = new Map<string, Shipper>();
  private readonly logLine: (line: string) => void;
  private closed = false;

  constructor(private readonly opts: PeerLinksOptions) {
    if (!SAFE_NAME.test(opts.self)) throw new Error(`PeerLinks: invalid region name '${opts.self}'`);
    this.self = opts.self;
    this.clock = opts.clock ?? systemClock;
    this.logLine = opts.log ?? (() => undefined);
    this.outbox = new Outbox(opts.dir, opts.compactBytes ?? 1024 * 1024);
    this.epoch = this.loadEpoch();
    const lagMs = checkLag(opts.lagMs ?? 100);
    const shipperOpts = {
      batchSize: opts.batchSize ?? 200,
      retryMinMs: opts.retryMinMs ?? 100,
      retryMaxMs: opts.retryMaxMs ?? 1000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
    };
    for (const peer of opts.peers) {
      if (!SAFE_NAME.test(peer.region)) throw new Error(`PeerLinks: invalid peer name '${peer.region}'`);
      if (peer.region === opts.self) throw new Error(`PeerLinks: '${peer.region}' cannot be its own peer`);
      if (this.shippers.has(peer.region)) throw new Error(`PeerLinks: peer '${peer.region}' listed twice`);
      const cursor = opts.dir ? readSeqFile(this.cursorFile(peer.region)) : 0;
      this.outbox.raiseLastSeq(cursor);
      this.shippers.set(
        peer.region,
        new Shipper(peer.region, trimUrl(peer.url), cursor, lagMs, this, shipperOpts),
      );
    }
    this.outbox.release(this.ackedByAll());
    for (const s of this.shippers.values()) s.wake();
  }

  /** Appends an entry for every peer (durable before it returns) and returns its sequence number. */
  append(channel: string, payload: unknown): number {
    if (this.closed) throw new Error('PeerLinks: closed');
    if (typeof channel !== 'string' || channel.length === 0) throw new TypeError('channel must be a string');
    if (payload === undefined || JSON.stringify(payload) === undefined) {
      throw new TypeError('payload must be JSON-serializable');
    }
    const seq = this.outbox.append(channel, payload, this.clock.now());
    if (this.shippers.size === 0) this.outbox.release(seq);
    for (const s of this.shippers.values()) s.wake();
    return seq;
  }

  /** Sets the one-way lag of the link to `peer`. */
  setLag(peer: string, ms: number): void {
    this.shipper(peer).lagMs = checkLag(ms);
    this.shipper(peer).wake();
  }

  /** Cuts the link to `peer`: everything is held (and the delivery in flight abandoned) until heal(). */
  partition(peer: string): void {
    const s = this.shipper(peer);
    s.partitioned = true;
    s.abort();
  }

  /** Restores the link to `peer`; held entries are delivered in order. */
  heal(peer: string): void {
    const s = this.shipper(peer);
    s.partitioned = false;
    s.wake(true);
  }

  /** Points the link to `peer` at a new URL (a restarted region on a new port) and retries at once. */
  setPeerUrl(peer: string, url: string): void {
    const s = this.shipper(peer);
    s.url = trimUrl(url);
    s.wake(true);
  }

  /** Per-peer state of the links. */
  stats(): PeerLinkStats[] {
    const now = this.clock.now();
    return [...this.shippers.values()].map((s) => {
      const oldest = this.outbox.firstAfter(s.cursor);
      return {
        peer: s.peer,
        lagMs: s.lagMs,
        partitioned: s.partitioned,
        pending: this.outbox.lastSeq - s.cursor,
        oldestPendingAgeMs: oldest ? Math.max(0, now - oldest.appendedAt) : 0,
        lastDeliveredSeq: s.cursor,
        ...(s.lastError !== undefined && { lastError: s.lastError }),
      };
    });
  }

  /** Bytes in the outbox file (0 in memory); for tests and status. */
  outboxBytes(): number {
    return this.outbox.sizeBytes;
  }

  /** Stops every shipper, abandons deliveries in flight and closes the outbox file. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.shippers.values()) s.close();
    this.agent.destroy();
    this.outbox.close();
  }

  /** @internal */
  log(line: string): void {
    this.logLine(line);
  }

  /** @internal Called by a shipper after the peer acknowledged a batch. */
  acked(s: Shipper): void {
    if (this.opts.dir) writeJsonAtomic(this.cursorFile(s.peer), { seq: s.cursor });
    this.outbox.release(this.ackedByAll());
  }

  private ackedByAll(): number {
    let min = this.outbox.lastSeq;
    for (const s of this.shippers.values()) min = Math.min(min, s.cursor);
    return min;
  }

  private shipper(peer: string): Shipper {
    const s = this.shippers.get(peer);
    if (!s)
      throw new Error(`PeerLinks: unknown peer '${peer}' (peers: ${[...this.shippers.keys()].join(', ')})`);
    return s;
  }

  private cursorFile(peer: string): string {
    return join(this.opts.dir!, `cursor-${peer}.json`);
  }

  private loadEpoch(): string {
    if (!this.opts.dir) return randomUUID();
    const file = join(this.opts.dir, 'epoch.json');
    if (existsSync(file)) {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { epoch?: unknown };
      if (typeof parsed.epoch === 'string' && parsed.epoch.length > 0) return parsed.epoch;
    }
    const epoch = randomUUID();
    writeJsonAtomic(file, { epoch });
    return epoch;
  }
}

function checkLag(ms: number): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`lag must be a non-negative number of milliseconds, got ${String(ms)}`);
  }
  return ms;
}

function trimUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
