import type { MessageAttributeValue } from './md5';
import type { ReceivedMessage, SqsQueues } from './queues';

export interface SqsRecordMessageAttribute {
  stringValue?: string;
  binaryValue?: string;
  stringListValues: string[];
  binaryListValues: string[];
  dataType: string;
}

export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId: string;
    ApproximateFirstReceiveTimestamp: string;
  };
  messageAttributes: Record<string, SqsRecordMessageAttribute>;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

export type SqsBatchResponse = { batchItemFailures?: { itemIdentifier?: unknown }[] | null } | void | null;

export type SqsHandler = (event: SqsEvent) => Promise<SqsBatchResponse>;

export interface EventSourceMappingOptions {
  queues: SqsQueues;
  queueName: string;
  handler: SqsHandler;
  /** 1–10 here (messages per invocation), default 10. */
  batchSize?: number;
  /** ReportBatchItemFailures in FunctionResponseTypes. */
  reportBatchItemFailures?: boolean;
  /** Long-poll wait of each receive while running, seconds (default 1, bounded by SqsQueues' maxWaitMs). */
  waitTimeSeconds?: number;
  /** Called with handler and polling errors (the batch is then retried after its visibility timeout). */
  onError?: (err: unknown) => void;
}

/** What one poll did: how many records were delivered, deleted and left for retry. */
export interface PollResult {
  received: number;
  deleted: number;
  failed: number;
  /** Whole-batch failure: the handler threw or returned an invalid partial batch response. */
  batchFailed: boolean;
}

function toRecordAttributes(
  attrs: Record<string, MessageAttributeValue>,
): Record<string, SqsRecordMessageAttribute> {
  const out: Record<string, SqsRecordMessageAttribute> = {};
  for (const [k, v] of Object.entries(attrs)) {
    out[k] = {
      ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { binaryValue: v.BinaryValue } : {}),
      stringListValues: v.StringListValues ?? [],
      binaryListValues: v.BinaryListValues ?? [],
      dataType: v.DataType,
    };
  }
  return out;
}

/**
 * Lambda's SQS event source mapping: polls a queue, invokes the handler with a batch, deletes what
 * succeeded and leaves the rest to reappear after the visibility timeout (and reach the DLQ by the
 * queue's redrive policy), with partial batch responses as Lambda interprets them.
 */
export class EventSourceMapping {
  private readonly batchSize: number;
  private running?: Promise<void>;
  private abort?: AbortController;

  constructor(private readonly options: EventSourceMappingOptions) {
    this.batchSize = options.batchSize ?? 10;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 10) {
      throw new Error(`batchSize must be 1–10, got ${this.batchSize}`);
    }
  }

  /** Starts polling in the background. */
  start(): void {
    if (this.running) return;
    const abort = new AbortController();
    this.abort = abort;
    this.running = (async () => {
      while (!abort.signal.aborted) {
        try {
          await this.poll(this.options.waitTimeSeconds ?? 1, abort.signal);
        } catch (err) {
          this.options.onError?.(err);
          if (!abort.signal.aborted) await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();
  }

  /** Stops polling, ending any long poll, and resolves once the in-flight batch has finished. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.running;
    this.running = undefined;
    this.abort = undefined;
  }

  /** One receive and (if anything came) one invocation; without waiting when `waitTimeSeconds` is 0. */
  async poll(waitTimeSeconds = 0, signal?: AbortSignal): Promise<PollResult> {
    const { queues, queueName } = this.options;
    const messages = await queues.receive(queueName, {
      maxNumberOfMessages: this.batchSize,
      waitTimeSeconds,
      ...(signal ? { signal } : {}),
    });
    if (messages.length === 0) return { received: 0, deleted: 0, failed: 0, batchFailed: false };
    const event: SqsEvent = { Records: messages.map((m) => this.toRecord(m)) };
    let failedIds: Set<string>;
    let batchFailed = false;
    try {
      const response = await this.options.handler(event);
      const failures = this.options.reportBatchItemFailures
        ? this.failuresOf(response, messages)
        : new Set<string>();
      if (failures === 'all') {
        batchFailed = true;
        failedIds = new Set(messages.map((m) => m.messageId));
      } else {
        failedIds = failures;
      }
    } catch (err) {
      this.options.onError?.(err);
      batchFailed = true;
      failedIds = new Set(messages.map((m) => m.messageId));
    }
    let deleted = 0;
    for (const m of messages) {
      if (failedIds.has(m.messageId)) continue;
      try {
        queues.deleteMessage(queueName, m.receiptHandle);
        deleted += 1;
      } catch (err) {
        // The message was received again after its visibility timeout ran out during the invocation.
        this.options.onError?.(err);
      }
    }
    return { received: messages.length, deleted, failed: failedIds.size, batchFailed };
  }

  /** Lambda's reading of a partial batch response: a set of failed message ids, or 'all'. */
  private failuresOf(response: unknown, messages: ReceivedMessage[]): Set<string> | 'all' {
    if (response === undefined || response === null) return new Set();
    if (typeof response !== 'object' || Array.isArray(response)) return 'all';
    const list = (response as { batchItemFailures?: unknown }).batchItemFailures;
    if (list === undefined || list === null) return new Set();
    if (!Array.isArray(list)) return 'all';
    const ids = new Set(messages.map((m) => m.messageId));
    const failed = new Set<string>();
    for (const item of list) {
      if (typeof item !== 'object' || item === null) return 'all';
      const id = (item as { itemIdentifier?: unknown }).itemIdentifier;
      if (typeof id !== 'string' || id.length === 0 || !ids.has(id)) return 'all';
      failed.add(id);
    }
    return failed;
  }

  private toRecord(m: ReceivedMessage): SqsRecord {
    const { queues, queueName } = this.options;
    return {
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: { ...m.attributes },
      messageAttributes: toRecordAttributes(m.messageAttributes),
      md5OfBody: m.md5OfBody,
      ...(m.md5OfMessageAttributes ? { md5OfMessageAttributes: m.md5OfMessageAttributes } : {}),
      eventSource: 'aws:sqs',
      eventSourceARN: queues.arnOf(queueName),
      awsRegion: queues.region,
    };
  }
}
