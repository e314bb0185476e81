import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
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

/** The journal is emptied once no write is open and it has grown past this. */
const TRUNCATE_BYTES = 1024 * 1024;

/**
 * The write-ahead journal of a region's captured writes. In DynamoDB a committed write and its stream
 * record are one; here dynalite applies the write and the proxy then emits its change, so a kill between
 * the two would leave a write that no peer ever receives (replicas that never converge). Each write is
 * journaled (`begin`, written with writeSync before dynalite sees the write) and closed (`end`) once its
 * change was emitted; at the next start, `pending()` holds the writes to emit again.
 */
export class IntentJournal {
  private readonly fd: number;
  private readonly leftOver: Intent[];
  private nextId: number;
  private open = 0;
  private bytes = 0;

  constructor(private readonly file: string) {
    const { intents, lastId, bytes } = existsSync(file) ? parse(readFileSync(file, 'utf8')) : empty();
    this.leftOver = intents;
    this.nextId = lastId + 1;
    this.open = intents.length;
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
    this.append({ i: id, w: items });
    this.open++;
    return id;
  }

  /** The write's outcome is known (its change emitted, or it was refused): nothing to redo. */
  end(id: number): void {
    this.append({ d: id });
    this.open--;
    if (this.open === 0 && this.bytes >= TRUNCATE_BYTES) {
      ftruncateSync(this.fd, 0);
      this.bytes = 0;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  private append(entry: unknown): void {
    const line = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    writeSync(this.fd, line);
    this.bytes += line.length;
  }
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
