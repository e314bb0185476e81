import { randomBytes, randomUUID } from 'node:crypto';
import { md5Hex, md5OfMessageAttributes, type MessageAttributeValue } from './md5';
import type { SqsStore } from './store';

export const ACCOUNT_ID = '000000000000';

/** An SQS error: `code` is the JSON-protocol shape name, `queryCode` the legacy query error code. */
export class SqsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly queryCode: string = code,
    readonly senderFault = true,
  ) {
    super(message);
    this.name = code;
  }
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export interface QueueConfig {
  /** Seconds, default 30. */
  visibilityTimeout?: number;
  /** Seconds, default 345600 (4 days). */
  messageRetentionPeriod?: number;
  /** Seconds, default 0. */
  delaySeconds?: number;
  /** Seconds, default 0. */
  receiveMessageWaitTimeSeconds?: number;
  redrivePolicy?: RedrivePolicy;
}

interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, MessageAttributeValue>;
  md5OfMessageAttributes?: string;
  sentTimestamp: number;
  visibleAt: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  receiptHandle?: string;
}

interface StoredQueue {
  name: string;
  createdTimestamp: number;
  config: Required<Omit<QueueConfig, 'redrivePolicy'>> & { redrivePolicy?: RedrivePolicy };
  messages: StoredMessage[];
}

interface Snapshot {
  version: 1;
  queues: StoredQueue[];
}

export interface SendInput {
  body: string;
  messageAttributes?: Record<string, MessageAttributeValue>;
  delaySeconds?: number;
}

export interface SendResult {
  messageId: string;
  md5OfMessageBody: string;
  md5OfMessageAttributes?: string;
}

export interface ReceiveInput {
  /** 1–10, default 1. */
  maxNumberOfMessages?: number;
  /** Overrides the queue's visibility timeout for this receive (seconds). */
  visibilityTimeout?: number;
  /** Long polling, 0–20 seconds; default the queue's ReceiveMessageWaitTimeSeconds. */
  waitTimeSeconds?: number;
  /** Aborting ends a long poll early with whatever is available (usually nothing). */
  signal?: AbortSignal;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, MessageAttributeValue>;
  md5OfMessageAttributes?: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    ApproximateFirstReceiveTimestamp: string;
    SenderId: string;
  };
}

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** Message and request counters of all queues since the process started (not persisted). */
export interface SqsStats {
  /** Messages sent (SendMessage, and the region's own sends: Step Functions, EventBridge, destinations). */
  readonly sent: number;
  /** ReceiveMessage requests, empty ones included (a long poll counts once). */
  readonly receiveRequests: number;
  /** Messages handed out by those receives. */
  readonly received: number;
  /** Messages deleted. */
  readonly deleted: number;
}

export interface SqsQueuesOptions {
  region?: string;
  clock?: Clock;
  store?: SqsStore;
  /**
   * Long polls are re-checked on this wall-time interval (ms), so messages that become visible as the
   * (possibly manual) clock moves are found; default 50.
   */
  pollIntervalMs?: number;
  /** Upper bound on one long poll in wall time (ms), whatever WaitTimeSeconds asks; default 20000. */
  maxWaitMs?: number;
  /**
   * Divides the queues' delays, visibility timeouts and retention (the attributes keep their values), so a
   * drill sees a redelivery or a dead-lettering in seconds. @default 1
   */
  timeScale?: number;
}

const DEFAULTS = {
  visibilityTimeout: 30,
  messageRetentionPeriod: 345_600,
  delaySeconds: 0,
  receiveMessageWaitTimeSeconds: 0,
};

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SqsError(
      'InvalidParameterValue',
      `Value ${value} for parameter ${name} is invalid. Reason: must be between ${min} and ${max}.`,
    );
  }
}

/** In-memory SQS standard queues for one region, optionally persisted through a store after each change. */
export class SqsQueues {
  readonly region: string;
  private readonly clock: Clock;
  private readonly store?: SqsStore;
  private readonly pollIntervalMs: number;
  private readonly maxWaitMs: number;
  private readonly timeScale: number;
  private readonly queues = new Map<string, StoredQueue>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly counters = { sent: 0, receiveRequests: 0, received: 0, deleted: 0 };

  constructor(options: SqsQueuesOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.clock = options.clock ?? systemClock;
    this.store = options.store;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.maxWaitMs = options.maxWaitMs ?? 20_000;
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new Error(`timeScale must be > 0, got ${this.timeScale}`);
    const loaded = this.store?.load() as Snapshot | undefined;
    if (loaded?.version === 1) {
      for (const q of loaded.queues) this.queues.set(q.name, q);
    }
  }

  arnOf(name: string): string {
    return `arn:aws:sqs:${this.region}:${ACCOUNT_ID}:${name}`;
  }

  /** The queue name an ARN in this region refers to. */
  nameFromArn(arn: string): string {
    const parts = arn.split(':');
    return parts[parts.length - 1] ?? '';
  }

  createQueue(name: string, config: QueueConfig = {}): void {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      throw new SqsError(
        'InvalidParameterValue',
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const full = {
      visibilityTimeout: config.visibilityTimeout ?? DEFAULTS.visibilityTimeout,
      messageRetentionPeriod: config.messageRetentionPeriod ?? DEFAULTS.messageRetentionPeriod,
      delaySeconds: config.delaySeconds ?? DEFAULTS.delaySeconds,
      receiveMessageWaitTimeSeconds:
        config.receiveMessageWaitTimeSeconds ?? DEFAULTS.receiveMessageWaitTimeSeconds,
      ...(config.redrivePolicy ? { redrivePolicy: { ...config.redrivePolicy } } : {}),
    };
    checkRange('VisibilityTimeout', full.visibilityTimeout, 0, 43_200);
    checkRange('MessageRetentionPeriod', full.messageRetentionPeriod, 60, 1_209_600);
    checkRange('DelaySeconds', full.delaySeconds, 0, 900);
    checkRange('ReceiveMessageWaitTimeSeconds', full.receiveMessageWaitTimeSeconds, 0, 20);
    if (full.redrivePolicy) checkRange('maxReceiveCount', full.redrivePolicy.maxReceiveCount, 1, 1000);
    const existing = this.queues.get(name);
    if (existing) {
      if (JSON.stringify(existing.config) !== JSON.stringify(full)) {
        throw new SqsError(
          'QueueNameExists',
          `A queue already exists with the same name and a different value for attribute(s)`,
          'QueueAlreadyExists',
        );
      }
      return;
    }
    this.queues.set(name, { name, createdTimestamp: this.clock.now(), config: full, messages: [] });
    this.persist();
  }

  hasQueue(name: string): boolean {
    return this.queues.has(name);
  }

  listQueues(prefix = ''): string[] {
    return [...this.queues.keys()].filter((n) => n.startsWith(prefix)).sort();
  }

  queueConfig(name: string): StoredQueue['config'] {
    return { ...this.queue(name).config };
  }

  createdTimestamp(name: string): number {
    return this.queue(name).createdTimestamp;
  }

  send(name: string, input: SendInput): SendResult {
    const q = this.queue(name);
    const delay = input.delaySeconds ?? q.config.delaySeconds;
    checkRange('DelaySeconds', delay, 0, 900);
    if (input.body.length === 0) {
      throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
    }
    const now = this.clock.now();
    const messageAttributes = input.messageAttributes ?? {};
    const md5OfAttrs = md5OfMessageAttributes(messageAttributes);
    const message: StoredMessage = {
      messageId: randomUUID(),
      body: input.body,
      md5OfBody: md5Hex(input.body),
      messageAttributes,
      ...(md5OfAttrs ? { md5OfMessageAttributes: md5OfAttrs } : {}),
      sentTimestamp: now,
      visibleAt: now + this.ms(delay),
      receiveCount: 0,
    };
    q.messages.push(message);
    this.counters.sent += 1;
    this.persist();
    this.wake(name);
    return {
      messageId: message.messageId,
      md5OfMessageBody: message.md5OfBody,
      ...(md5OfAttrs ? { md5OfMessageAttributes: md5OfAttrs } : {}),
    };
  }

  /** Receives without waiting: up to `max` visible messages, moving over-received ones to the DLQ. */
  receiveNow(name: string, input: Omit<ReceiveInput, 'waitTimeSeconds' | 'signal'> = {}): ReceivedMessage[] {
    this.queue(name);
    this.counters.receiveRequests += 1;
    return this.take(name, input);
  }

  /** Moves up to `max` visible messages in flight (the work of one receive, counted by its caller). */
  private take(name: string, input: Omit<ReceiveInput, 'waitTimeSeconds' | 'signal'>): ReceivedMessage[] {
    const q = this.queue(name);
    const max = input.maxNumberOfMessages ?? 1;
    checkRange('MaxNumberOfMessages', max, 1, 10);
    const visibility = input.visibilityTimeout ?? q.config.visibilityTimeout;
    checkRange('VisibilityTimeout', visibility, 0, 43_200);
    const now = this.clock.now();
    let changed = this.expire(q, now);
    const out: ReceivedMessage[] = [];
    for (const m of [...q.messages]) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      const redrive = q.config.redrivePolicy;
      if (redrive && m.receiveCount >= redrive.maxReceiveCount) {
        const dlqName = this.nameFromArn(redrive.deadLetterTargetArn);
        const dlq = this.queues.get(dlqName);
        if (dlq) {
          q.messages.splice(q.messages.indexOf(m), 1);
          const { receiptHandle: _r, firstReceiveTimestamp: _f, ...rest } = m;
          dlq.messages.push({ ...rest, receiveCount: 0, visibleAt: now });
          changed = true;
          this.wake(dlqName);
          continue;
        }
      }
      m.receiveCount += 1;
      m.firstReceiveTimestamp ??= now;
      m.receiptHandle = Buffer.concat([
        Buffer.from(`${name}\n${m.messageId}\n`, 'utf8'),
        randomBytes(24),
      ]).toString('base64');
      m.visibleAt = now + this.ms(visibility);
      changed = true;
      out.push({
        messageId: m.messageId,
        receiptHandle: m.receiptHandle,
        body: m.body,
        md5OfBody: m.md5OfBody,
        messageAttributes: m.messageAttributes,
        ...(m.md5OfMessageAttributes ? { md5OfMessageAttributes: m.md5OfMessageAttributes } : {}),
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentTimestamp),
          ApproximateFirstReceiveTimestamp: String(m.firstReceiveTimestamp),
          SenderId: ACCOUNT_ID,
        },
      });
    }
    if (changed) this.persist();
    this.counters.received += out.length;
    return out;
  }

  /** ReceiveMessage: returns at once if anything is available, otherwise long-polls up to the wait time. */
  async receive(name: string, input: ReceiveInput = {}): Promise<ReceivedMessage[]> {
    const q = this.queue(name);
    const wait = input.waitTimeSeconds ?? q.config.receiveMessageWaitTimeSeconds;
    checkRange('WaitTimeSeconds', wait, 0, 20);
    const first = this.receiveNow(name, input);
    if (first.length > 0 || wait === 0 || input.signal?.aborted) return first;
    // The rest of a long poll belongs to the same request.
    const deadline = Date.now() + Math.min(wait * 1000, this.maxWaitMs);
    while (Date.now() < deadline && !input.signal?.aborted && this.queues.has(name)) {
      await this.waitForChange(name, Math.min(this.pollIntervalMs, deadline - Date.now()), input.signal);
      if (!this.queues.has(name)) break;
      const got = this.take(name, input);
      if (got.length > 0) return got;
    }
    return [];
  }

  deleteMessage(name: string, receiptHandle: string): void {
    const q = this.queue(name);
    const idx = q.messages.findIndex((m) => m.receiptHandle === receiptHandle);
    if (idx < 0) {
      throw new SqsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receiptHandle}" is not valid.`,
      );
    }
    q.messages.splice(idx, 1);
    this.counters.deleted += 1;
    this.persist();
  }

  changeMessageVisibility(name: string, receiptHandle: string, visibilityTimeout: number): void {
    const q = this.queue(name);
    checkRange('VisibilityTimeout', visibilityTimeout, 0, 43_200);
    const m = q.messages.find((x) => x.receiptHandle === receiptHandle);
    if (!m) {
      throw new SqsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receiptHandle}" is not valid.`,
      );
    }
    const now = this.clock.now();
    if (m.visibleAt <= now) {
      throw new SqsError(
        'MessageNotInflight',
        'The message referred to is not in flight.',
        'AWS.SimpleQueueService.MessageNotInflight',
      );
    }
    m.visibleAt = now + this.ms(visibilityTimeout);
    this.persist();
    if (visibilityTimeout === 0) this.wake(name);
  }

  purge(name: string): void {
    this.queue(name).messages = [];
    this.persist();
  }

  deleteQueue(name: string): void {
    this.queue(name);
    this.queues.delete(name);
    this.persist();
    this.wake(name);
  }

  counts(name: string): QueueCounts {
    const q = this.queue(name);
    const now = this.clock.now();
    if (this.expire(q, now)) this.persist();
    const counts: QueueCounts = { visible: 0, inFlight: 0, delayed: 0 };
    for (const m of q.messages) {
      if (m.visibleAt <= now) counts.visible += 1;
      else if (m.receiptHandle) counts.inFlight += 1;
      else counts.delayed += 1;
    }
    return counts;
  }

  /** Message and request counters since start (`meridian status`, `meridian bench`). */
  stats(): SqsStats {
    return { ...this.counters };
  }

  /** Ends every long poll now (used when the server closes). */
  wakeAll(): void {
    for (const name of [...this.waiters.keys()]) this.wake(name);
  }

  /** A queue duration (delay, visibility, retention) in ms on this runtime's clock. */
  private ms(seconds: number): number {
    return (seconds * 1000) / this.timeScale;
  }

  private queue(name: string): StoredQueue {
    const q = this.queues.get(name);
    if (!q) {
      throw new SqsError(
        'QueueDoesNotExist',
        'The specified queue does not exist.',
        'AWS.SimpleQueueService.NonExistentQueue',
      );
    }
    return q;
  }

  private expire(q: StoredQueue, now: number): boolean {
    const limit = now - this.ms(q.config.messageRetentionPeriod);
    const before = q.messages.length;
    q.messages = q.messages.filter((m) => m.sentTimestamp > limit);
    return q.messages.length !== before;
  }

  private waitForChange(name: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(name);
      if (!set) {
        set = new Set();
        this.waiters.set(name, set);
      }
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      set.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(name: string): void {
    const set = this.waiters.get(name);
    if (!set) return;
    for (const done of [...set]) done();
  }

  private persist(): void {
    if (!this.store) return;
    const snapshot: Snapshot = { version: 1, queues: [...this.queues.values()] };
    this.store.save(snapshot);
  }
}
