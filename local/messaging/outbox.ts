/** The outbox: every SNS notification and SES email lands as one JSON file in `.meridian/<region>/outbox/`. */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** A message attribute as SNS shows it in a notification (`Binary` values base64). */
export interface SnsAttribute {
  readonly Type: string;
  readonly Value: string;
}

/** One published SNS message. */
export interface SnsOutboxMessage {
  readonly kind: 'sns';
  readonly topicArn: string;
  readonly topicName: string;
  readonly subject?: string;
  readonly message: string;
  /** `json` when the publisher sent a per-protocol JSON message. */
  readonly messageStructure?: string;
  readonly messageAttributes: Readonly<Record<string, SnsAttribute>>;
  readonly messageGroupId?: string;
  readonly messageDeduplicationId?: string;
  readonly messageId: string;
  /** ISO-8601, millisecond precision. */
  readonly timestamp: string;
}

/** One email sent through SES v2. */
export interface SesOutboxMessage {
  readonly kind: 'ses';
  readonly messageId: string;
  readonly timestamp: string;
  readonly from?: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly bcc: readonly string[];
  readonly replyTo: readonly string[];
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
  /** The raw MIME message of a `Content.Raw` send (UTF-8 text). */
  readonly raw?: string;
  /** The template of a `Content.Template` send, with its data. */
  readonly template?: { readonly name?: string; readonly data?: string };
  readonly tags: Readonly<Record<string, string>>;
  readonly configurationSetName?: string;
  /** The `.eml` rendering written next to the JSON file. */
  readonly emlFile?: string;
}

/** A message as {@link listOutbox} returns it: the file's content and the file's path. */
export type OutboxMessage = (SnsOutboxMessage | SesOutboxMessage) & { readonly file: string };

/** `2024-05-01T12:00:00.123Z` → `20240501T120000123Z`: sortable and safe in file names everywhere. */
function fileTimestamp(iso: string): string {
  return iso.replace(/[-:.]/g, '');
}

let written = 0;

/**
 * `<timestamp>-<sequence>`, the sortable middle of an outbox file name: messages written in one
 * millisecond (a PublishBatch) keep the order they were written in, which `listOutbox` relies on when
 * timestamps tie. The sequence counts per process; it is zero-padded so names sort as numbers.
 */
export function fileOrderKey(iso: string): string {
  written = (written + 1) % 1e8;
  return `${fileTimestamp(iso)}-${String(written).padStart(8, '0')}`;
}

/** A file-name-safe form of a topic name (topic names are `[A-Za-z0-9_-]`, `.fifo` aside). */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export { writeFileAtomic } from '../durable-file';

function isOutboxMessage(value: unknown): value is SnsOutboxMessage | SesOutboxMessage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { kind?: unknown; messageId?: unknown; timestamp?: unknown };
  return (
    (v.kind === 'sns' || v.kind === 'ses') &&
    typeof v.messageId === 'string' &&
    typeof v.timestamp === 'string'
  );
}

/**
 * Every message in `outboxDir`, oldest first (by timestamp, then file name). A missing directory is an
 * empty outbox; files that are not outbox messages are skipped.
 */
export function listOutbox(outboxDir: string): OutboxMessage[] {
  let names: string[];
  try {
    names = readdirSync(outboxDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: OutboxMessage[] = [];
  for (const name of names) {
    if (name.startsWith('.') || !name.endsWith('.json') || !/^(sns|ses)-/.test(name)) continue;
    const file = path.join(outboxDir, name);
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (isOutboxMessage(parsed)) out.push({ ...parsed, file });
    } catch {
      // Unreadable or not JSON: someone else's file; the outbox only lists its own.
    }
  }
  return out.sort((a, b) =>
    a.timestamp === b.timestamp ? a.file.localeCompare(b.file) : a.timestamp < b.timestamp ? -1 : 1,
  );
}
