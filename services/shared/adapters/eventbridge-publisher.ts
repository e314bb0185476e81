import {
  PutEventsCommand,
  type EventBridgeClient,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { EventEnvelope, EventPublisher } from '../events';

/** PutEvents takes at most 10 entries per call. */
const MAX_BATCH = 10;

export class EventPublishError extends Error {
  constructor(
    message: string,
    readonly failed: readonly { id: string; errorCode?: string; errorMessage?: string }[],
  ) {
    super(message);
    this.name = 'EventPublishError';
  }
}

export interface EventBridgePublisherProps {
  readonly client: EventBridgeClient;
  readonly busName: string;
  /** Attempts per batch, counting the first. @default 4 */
  readonly maxAttempts?: number;
  /** Base backoff in ms; full jitter up to base × 2^attempt. @default 50 */
  readonly baseDelayMs?: number;
}

/**
 * Publishes envelopes to an EventBridge bus in batches of 10, retrying only the entries PutEvents
 * reports as failed (partial failures), with exponential backoff and full jitter.
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(private readonly props: EventBridgePublisherProps) {
    this.maxAttempts = props.maxAttempts ?? 4;
    this.baseDelayMs = props.baseDelayMs ?? 50;
  }

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    for (let i = 0; i < events.length; i += MAX_BATCH) {
      await this.publishBatch(events.slice(i, i + MAX_BATCH));
    }
  }

  private async publishBatch(batch: readonly EventEnvelope[]): Promise<void> {
    let pending = [...batch];
    let lastFailures: { id: string; errorCode?: string; errorMessage?: string }[] = [];
    for (let attempt = 0; attempt < this.maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.random() * this.baseDelayMs * 2 ** attempt);
      const entries: PutEventsRequestEntry[] = pending.map((e) => ({
        EventBusName: this.props.busName,
        Source: e.source,
        DetailType: e.type,
        Time: new Date(e.time),
        Detail: JSON.stringify(e),
      }));
      let result;
      try {
        result = await this.props.client.send(new PutEventsCommand({ Entries: entries }));
      } catch (err) {
        lastFailures = pending.map((e) => ({ id: e.id, errorMessage: (err as Error).message }));
        continue;
      }
      const failed: EventEnvelope[] = [];
      lastFailures = [];
      (result.Entries ?? []).forEach((entry, idx) => {
        const event = pending[idx];
        if (event && entry.ErrorCode) {
          failed.push(event);
          lastFailures.push({ id: event.id, errorCode: entry.ErrorCode, errorMessage: entry.ErrorMessage });
        }
      });
      if ((result.FailedEntryCount ?? 0) > 0 && failed.length === 0) {
        // Count without per-entry detail: retry everything rather than drop silently.
        failed.push(...pending);
      }
      pending = failed;
    }
    if (pending.length > 0) {
      throw new EventPublishError(`failed to publish ${pending.length} event(s)`, lastFailures);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
