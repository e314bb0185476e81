import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { EventEnvelope, EventPublisher } from '../../../services/shared/events';
import type { SagaOrder } from '../../../services/shared/saga';
import type {
  FailureInjectionStore,
  ShippingQueue,
  TaskCallbackOutcome,
  TaskCallbacks,
} from '../../../services/shipping/domain/ports';

export const REGION = 'us-east-1';

/** A valid saga order; `n` makes ids unique within a test file. */
export function order(n: number | string, overrides: Partial<SagaOrder> = {}): SagaOrder {
  return {
    orderId: `ord_${n}`,
    customerId: 'CUST-1001',
    correlationId: `corr-${n}`,
    homeRegion: REGION,
    currency: 'USD',
    totalMinor: 2598,
    lines: [{ productId: 'PROD-1', quantity: 2, unitPriceMinor: 1299 }],
    ...overrides,
  };
}

/** The body the saga's SQS task sends. */
export function shippingBody(o: SagaOrder, taskToken = `token-${o.orderId}`): string {
  return JSON.stringify({ order: o, taskToken });
}

/** An SQS record as Lambda delivers it. */
export function sqsRecord(
  messageId: string,
  body: string,
  opts: { receiveCount?: number; attributes?: Record<string, string> } = {},
): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(opts.receiveCount ?? 1),
      SentTimestamp: '1767225600000',
      SenderId: 'AIDA0000',
      ApproximateFirstReceiveTimestamp: '1767225600000',
    },
    messageAttributes: Object.fromEntries(
      Object.entries(opts.attributes ?? {}).map(([k, v]) => [k, { stringValue: v, dataType: 'String' }]),
    ),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${REGION}:000000000000:shipping`,
    awsRegion: REGION,
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** Collects published events. */
export class FakePublisher implements EventPublisher {
  readonly events: EventEnvelope[] = [];
  async publish(events: readonly EventEnvelope[]): Promise<void> {
    this.events.push(...events);
  }
  ofType(type: string): EventEnvelope[] {
    return this.events.filter((e) => e.type === type);
  }
  aboutOrder(orderId: string): EventEnvelope[] {
    return this.events.filter((e) => (e.data as { orderId?: unknown }).orderId === orderId);
  }
}

/** Step Functions in memory: live tokens complete once (success or failure); later completions are stale. */
export class FakeTaskCallbacks implements TaskCallbacks {
  readonly completed = new Map<string, Record<string, unknown>>();
  readonly failed = new Map<string, { error: string; cause: string }>();
  readonly calls: string[] = [];
  private readonly timedOut = new Set<string>();

  timeOut(token: string): void {
    this.timedOut.add(token);
  }

  async succeed(taskToken: string, output: Record<string, unknown>): Promise<TaskCallbackOutcome> {
    const stale = this.staleness(taskToken);
    if (stale) return stale;
    this.completed.set(taskToken, output);
    return { outcome: 'sent' };
  }

  async fail(taskToken: string, error: string, cause: string): Promise<TaskCallbackOutcome> {
    const stale = this.staleness(taskToken);
    if (stale) return stale;
    this.failed.set(taskToken, { error, cause });
    return { outcome: 'sent' };
  }

  private staleness(taskToken: string): TaskCallbackOutcome | undefined {
    this.calls.push(taskToken);
    if (this.timedOut.has(taskToken)) return { outcome: 'stale', reason: 'TaskTimedOut: task timed out' };
    if (this.completed.has(taskToken) || this.failed.has(taskToken)) {
      return { outcome: 'stale', reason: 'TaskTimedOut: already completed' };
    }
    return undefined;
  }
}

/** The shipping queue in memory. */
export class FakeQueue implements ShippingQueue {
  readonly sent: { messageId: string; body: string; orderId: string }[] = [];
  failFor = new Set<string>();
  async send(message: { body: string; orderId: string }): Promise<{ messageId: string }> {
    if (this.failFor.has(message.orderId)) throw new Error(`queue unavailable for ${message.orderId}`);
    const messageId = `redrive-${this.sent.length + 1}`;
    this.sent.push({ messageId, ...message });
    return { messageId };
  }
}

/** A failure-injection override in memory that counts reads. */
export class FakeInjectionStore implements FailureInjectionStore {
  reads = 0;
  constructor(public rate?: number) {}
  async get(): Promise<number | undefined> {
    this.reads++;
    return this.rate;
  }
  async set(rate: number | null): Promise<void> {
    this.rate = rate ?? undefined;
  }
}

/** Quiet Powertools instances for handler deps. */
export function quietObservability(): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName: 'shipping-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'shipping-test' }),
  };
}

/**
 * Runs `act` while capturing what Powertools loggers write, parsed as JSON lines. Loggers
 * must be at a level that prints (e.g. `logLevel: 'DEBUG'`).
 */
export async function captureLogs<T>(
  act: () => Promise<T>,
): Promise<{ result: T; logs: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  // Info and debug go to stdout; warnings and errors to stderr.
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  let result: T;
  try {
    result = await act();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const logs = lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { result, logs };
}
