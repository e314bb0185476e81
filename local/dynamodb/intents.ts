import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { writeFileAtomic } from '../durable-file';
import type { AttributeMap } from './keys';

/** One item a captured write touches, with the version stamp reserved for it before the write. */
export interface IntendedItem {
  readonly table: string;
  readonly key: AttributeMap;
  readonly lockKey: string;
  readonly ts: number;
}

/** A captured write that began and never reported its change (the process died in between). */
export interface Intent {
  readonly id: number;
  readonly items: readonly IntendedItem[];
}

/** The journal is compacted to its open writes once it has grown past this. */
const COMPACT_BYTES = 1024 * 1024;

/**
 * The write-ahead journal of a region's captured writes. In DynamoDB a committed write and its stream
 * record are one; here dynalite applies the write and the proxy then emits its change, so a kill between
 * the two would leave a write that no peer ever receives (replicas that never converge). Each write is
 * journaled (`begin`, written with writeSync before dynalite sees the write) and closed (`end`) once its
 * change was emitted; at the next start, `pending()` holds the writes to emit again.
 */
export class IntentJournal {
  private fd: number;
  private readonly leftOver: Intent[];
  /** The begin line of every write not ended yet, by id. */
  private readonly open = new Map<number, string>();
  private nextId: number;
  private bytes = 0;

  constructor(
    private readonly file: string,
    private readonly compactBytes = COMPACT_BYTES,
  ) {
    const { intents, lastId, bytes } = existsSync(file) ? parse(readFileSync(file, 'utf8')) : empty();
    this.leftOver = intents;
    for (const intent of intents) this.open.set(intent.id, beginLine(intent.id, intent.items));
    this.nextId = lastId + 1;
    this.bytes = bytes;
    this.fd = openSync(file, 'a');
  }

  /** The writes the previous process began and did not finish, oldest first. */
  pending(): readonly Intent[] {
    return this.leftOver;
  }

  /** The highest stamp of the pending writes (0 when none): the region's clock must stay above it. */
  highestPendingTs(): number {
    return Math.max(0, ...this.leftOver.flatMap((i) => i.items.map((item) => item.ts)));
  }

  /** Journals a write about to be sent to dynalite; returns its id for `end`. */
  begin(items: readonly IntendedItem[]): number {
    const id = this.nextId++;
    const line = beginLine(id, items);
    this.append(line);
    this.open.set(id, line);
    return id;
  }

  /** The write's outcome is known (its change emitted, or it was refused): nothing to redo. */
  end(id: number): void {
    this.append(JSON.stringify({ d: id }));
    this.open.delete(id);
    if (this.bytes >= this.compactBytes) this.compact();
  }

  close(): void {
    closeSync(this.fd);
  }

  private append(line: string): void {
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    writeSync(this.fd, bytes);
    this.bytes += bytes.length;
  }

  /**
   * Rewrites the journal as the begin lines of the writes still open (usually none): a temp file, fsynced,
   * renamed over the journal, so a kill at any point leaves a complete old or new journal.
   */
  private compact(): void {
    const text = [...this.open.values()].map((line) => `${line}\n`).join('');
    writeFileAtomic(dirname(this.file), basename(this.file), text);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
    this.bytes = Buffer.byteLength(text, 'utf8');
  }
}

function beginLine(id: number, items: readonly IntendedItem[]): string {
  return JSON.stringify({ i: id, w: items });
}

function empty(): { intents: Intent[]; lastId: number; bytes: number } {
  return { intents: [], lastId: 0, bytes: 0 };
}

/** Begun-and-not-ended writes of a journal file. A torn last line (a kill mid-append) never began its write. */
function parse(text: string): { intents: Intent[]; lastId: number; bytes: number } {
  const begun = new Map<number, Intent>();
  let lastId = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: { i?: unknown; w?: unknown; d?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (typeof entry.i === 'number' && Array.isArray(entry.w)) {
      begun.set(entry.i, { id: entry.i, items: entry.w as IntendedItem[] });
      lastId = Math.max(lastId, entry.i);
    } else if (typeof entry.d === 'number') {
      begun.delete(entry.d);
      lastId = Math.max(lastId, entry.d);
    }
  }
  return { intents: [...begun.values()], lastId, bytes: Buffer.byteLength(text, 'utf8') };
}
